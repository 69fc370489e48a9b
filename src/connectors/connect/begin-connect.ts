import { newId } from '../../lib/ids.ts';
import { newCodeVerifier, s256CodeChallenge } from '../../lib/pkce.ts';
import { randomBase64url } from '../../lib/random.ts';
import { hashSecret } from '../../lib/secrets.ts';
import { authorizationUrl } from '../catalogue/authorization-url.ts';
import { AuthorizationRequestError, InvalidTemplateValueError, MissingTemplateValueError, UnsafeEndpointError } from '../catalogue/catalogue-errors.ts';
import { UpstreamError } from '../upstream/upstream-errors.ts';
import { CONNECT_ATTEMPT_LIFETIME_MS, connectAttemptVerifierAad, type ConnectAttempt } from './connect-attempt.ts';
import * as attempts from './connect-attempts.repository.ts';
import { findAccountConnector } from '../account-connectors.repository.ts';
import { checkSignInToken, consumeSignInToken } from '../signin-tokens.ts';
import { connectRedirectUri, type ConnectDeps, type ConnectOrganization } from './connect-deps.ts';
import { ConnectRefused } from './connect-errors.ts';
import { clientIdOf, loadConnectionSetup, type ConnectionSetup } from './connection-setup.ts';
import { allowedTarget } from './target-origin.ts';

export interface ConnectStart {
  readonly connectorId: string;
  readonly token: string;
  readonly targetOrigin: string;
  readonly callbackMessage: string | null;
  /** The browser-binding cookie's value: the callback must come back with it. */
  readonly browserBinding: string;
}

/**
 * The seed's updateaccountconnectoroauth: checks targetOrigin (before the token, so that a link
 * with a wrong origin does not burn its token) and that the sign-in token is usable and of the
 * connector's account, builds the provider's authorization URL (discovered for issuer entries)
 * with a fresh state and, when the entry has PKCE, an S256 challenge, then uses the token (so
 * that a provider that cannot be reached leaves it usable) and stores the pending attempt.
 * Returns the URL to 303 to; throws ConnectRefused for anything that stops it.
 */
export async function beginConnect(deps: ConnectDeps, org: ConnectOrganization, start: ConnectStart): Promise<string> {
  if (allowedTarget(start.targetOrigin, org.settings.connectTargetOrigins) === null) throw new ConnectRefused('origin_not_allowed');
  // No connector, or another account's than the token's: the same page as a bad token, so that
  // ids cannot be probed. A token of another account is left unused (consumeSignInToken's accountId).
  const connector = await findAccountConnector(deps.db, org.id, start.connectorId);
  if (connector === undefined) throw new ConnectRefused('token_refused');
  const refusal = await checkSignInToken(deps.db, deps.clock, org.id, start.token, { accountId: connector.accountId });
  if (refusal !== undefined) throw new ConnectRefused('token_refused', { cause: refusal });
  const setup = await loadConnectionSetup(deps.db, org.id, start.connectorId);
  if (setup === undefined) throw new ConnectRefused('token_refused');

  const state = randomBase64url(32);
  const verifier = setup.provider.oauth!.pkce ? newCodeVerifier() : null;
  // Before the token is used: a provider that cannot be reached (discovery) leaves it usable for a retry.
  const url = await providerAuthorizationUrl(deps, org, setup, state, verifier);
  const use = await consumeSignInToken(deps.db, deps.clock, org.id, start.token, { accountId: connector.accountId });
  if (!use.accepted) throw new ConnectRefused('token_refused', { cause: use.refusal });
  const holder = { accountId: use.accountId, userId: use.userId };
  const id = newId('connectorAuthAttempt');
  const now = deps.clock();
  const attempt: ConnectAttempt = {
    orgId: org.id,
    id,
    stateHash: hashSecret(state),
    accountConnectorId: setup.connector.id,
    accountUserId: holder.userId,
    browserHash: hashSecret(start.browserBinding),
    // Sealed before the insert, never inside a transaction (the vault's first use reads the store).
    sealedCodeVerifier: verifier === null ? null : await deps.vault.seal(org.id, verifier, connectAttemptVerifierAad(id)),
    target: start.targetOrigin,
    callbackMessage: start.callbackMessage,
    finish: start.callbackMessage === null ? 'redirect' : 'post_message',
    expiresAt: now + CONNECT_ATTEMPT_LIFETIME_MS,
    createdAt: now,
  };
  await attempts.insertConnectAttempt(deps.db, attempt);
  return url;
}

async function providerAuthorizationUrl(deps: ConnectDeps, org: ConnectOrganization, setup: ConnectionSetup, state: string, verifier: string | null): Promise<string> {
  const options = { allowHttp: deps.allowHttp };
  try {
    const discovered = setup.provider.oauth!.endpoints.kind === 'discovered' ? (await deps.upstream.discover(setup.provider, setup.config)).authorizationEndpoint : undefined;
    return authorizationUrl(
      setup.provider,
      {
        clientId: clientIdOf(setup),
        redirectUri: connectRedirectUri(deps.publicUrl, org.slug),
        // The app connector's scopes, or the entry's defaults when it chose none.
        scopes: setup.app.scopes.length === 0 ? undefined : setup.app.scopes,
        state,
        codeChallenge: verifier === null ? undefined : s256CodeChallenge(verifier),
        config: setup.config,
        discoveredAuthorizationEndpoint: discovered,
      },
      options,
    );
  } catch (error) {
    if (
      error instanceof UpstreamError ||
      error instanceof MissingTemplateValueError ||
      error instanceof InvalidTemplateValueError ||
      error instanceof UnsafeEndpointError ||
      error instanceof AuthorizationRequestError
    ) {
      throw new ConnectRefused('provider_unavailable', { cause: error });
    }
    throw error;
  }
}
