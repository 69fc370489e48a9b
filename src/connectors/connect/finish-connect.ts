import { recordAudit } from '../../audit/audit.ts';
import type { AuditActor } from '../../audit/audit-event.ts';
import { inTransaction } from '../../db/transaction.ts';
import { constantTimeEqual, hashSecret } from '../../lib/secrets.ts';
import { publishEvent } from '../../webhooks/publish.ts';
import * as accountConnectors from '../account-connectors.repository.ts';
import { AuthorizationRequestError, InvalidTemplateValueError, MissingTemplateValueError, UnsafeEndpointError } from '../catalogue/catalogue-errors.ts';
import type { Provider } from '../catalogue/provider.ts';
import { accountConnectorCredentialsAad, type AccountConnector, type Credentials } from '../connector.ts';
import { credentialsToJson } from '../credentials-codec.ts';
import { UpstreamError } from '../upstream/upstream-errors.ts';
import type { UpstreamTokens } from '../upstream/upstream-tokens.ts';
import { connectAttemptVerifierAad, type ConnectAttempt, type ConnectFinish } from './connect-attempt.ts';
import * as attempts from './connect-attempts.repository.ts';
import { connectRedirectUri, type ConnectDeps, type ConnectOrganization } from './connect-deps.ts';
import { ConnectRefused } from './connect-errors.ts';
import { appCredentialsOf, loadConnectionSetup, type ConnectionSetup } from './connection-setup.ts';
import { allowedTarget } from './target-origin.ts';

/** The provider's redirect back, as the callback's query gave it (each parameter once, or null). */
export interface ConnectCallback {
  readonly state: string | null;
  readonly code: string | null;
  readonly error: string | null;
  /** The whole query, for the entry's metadata kept from the callback (`realmId`). */
  readonly param: (name: string) => string | null;
  /** The browser-binding cookie the callback came with, if any. */
  readonly browserBinding: string | null;
}

/** How the browser is sent back to the partner, with the error when the connection failed. */
export interface ConnectOutcome {
  readonly finish: ConnectFinish;
  /** The targetOrigin given: where a redirect goes. */
  readonly target: string;
  /** Its origin: the only one a message is posted to. */
  readonly targetOrigin: string;
  readonly callbackMessage: string | null;
  /**
   * Null when the connector is now authenticated. Otherwise the provider's own error code
   * (`access_denied`, …), or `upstream_rejected`, `upstream_unavailable`, `upstream_misconfigured`
   * (the code exchange failed), `connector_unavailable` (deleted or changed mid-flow),
   * `invalid_callback` (neither code nor error), `issuer_mismatch` (a response of another issuer: RFC 9207).
   */
  readonly error: string | null;
}

/** The account user whose sign-in token started the flow: nobody signed in to Gatehouse, a user of one of the org's customers. */
const actorOf = (attempt: ConnectAttempt): AuditActor => ({ type: 'account_user', id: attempt.accountUserId });
const PROVIDER_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_METADATA_LENGTH = 512;
const MAX_WRITE_ATTEMPTS = 3;

/**
 * The provider's redirect back: finds the attempt by its state, checks it is this browser's and
 * still alive, consumes it (one conditional DELETE: a replay finds nothing), and then exchanges
 * the code and seals the tokens into the connector, or records why it could not. Throws
 * ConnectRefused when no attempt of this browser is found (nothing is redirected or posted then);
 * otherwise returns how to end, with the error if any (the connector unchanged).
 */
export async function finishConnect(deps: ConnectDeps, org: ConnectOrganization, callback: ConnectCallback): Promise<ConnectOutcome> {
  if (callback.state === null) throw new ConnectRefused('attempt_unknown');
  const attempt = await attempts.findConnectAttemptByState(deps.db, org.id, hashSecret(callback.state));
  if (attempt === undefined) throw new ConnectRefused('attempt_unknown');
  // Not consumed: a callback forged into another browser must not spend the real one's attempt.
  if (callback.browserBinding === null || !constantTimeEqual(hashSecret(callback.browserBinding), attempt.browserHash)) throw new ConnectRefused('other_browser');
  const consumed = await attempts.consumeConnectAttempt(deps.db, org.id, attempt.id);
  if (!consumed || attempt.expiresAt <= deps.clock()) throw new ConnectRefused('attempt_unknown');
  // Judged again: an origin the org removed since the start gets nothing.
  const targetOrigin = allowedTarget(attempt.target, org.settings.connectTargetOrigins);
  if (targetOrigin === null) throw new ConnectRefused('origin_not_allowed');

  const error = await connect(deps, org, attempt, callback);
  if (error !== null) {
    await recordAudit(deps.db, deps.clock, org.id, {
      action: 'account_connector.connect_failed',
      actor: actorOf(attempt),
      target: { type: 'account_connector', id: attempt.accountConnectorId },
      details: { account_user_id: attempt.accountUserId, error },
    });
  }
  return { finish: attempt.finish, target: attempt.target, targetOrigin, callbackMessage: attempt.callbackMessage, error };
}

/** Null when the connector is authenticated with the new tokens; the error code otherwise. */
async function connect(deps: ConnectDeps, org: ConnectOrganization, attempt: ConnectAttempt, callback: ConnectCallback): Promise<string | null> {
  if (callback.error !== null) return PROVIDER_ERROR_CODE.test(callback.error) ? callback.error : 'provider_error';
  if (callback.code === null) return 'invalid_callback';
  let setup: ConnectionSetup | undefined;
  try {
    setup = await loadConnectionSetup(deps.db, org.id, attempt.accountConnectorId);
  } catch (error) {
    if (error instanceof ConnectRefused) return 'connector_unavailable';
    throw error;
  }
  if (setup === undefined) return 'connector_unavailable';

  let tokens: UpstreamTokens;
  try {
    if (!(await fromAttemptIssuer(deps, setup, callback))) return 'issuer_mismatch';
    tokens = await deps.upstream.exchangeCode({
      provider: setup.provider,
      client: await appCredentialsOf(deps.vault, setup),
      code: callback.code,
      codeVerifier: attempt.sealedCodeVerifier === null ? undefined : await deps.vault.open(org.id, attempt.sealedCodeVerifier, connectAttemptVerifierAad(attempt.id)),
      redirectUri: connectRedirectUri(deps.publicUrl, org.slug),
      config: setup.config,
      metadata: callbackMetadata(setup.provider, callback),
    });
  } catch (error) {
    if (error instanceof UpstreamError) return error.code;
    if (error instanceof MissingTemplateValueError || error instanceof InvalidTemplateValueError || error instanceof UnsafeEndpointError || error instanceof AuthorizationRequestError) {
      return 'upstream_misconfigured';
    }
    throw error;
  }
  return (await storeCredentials(deps, org, attempt, tokens)) ? null : 'connector_unavailable';
}

/**
 * RFC 9207 §2.4, the mix-up defence of RFC 9700 §4.4.2: every provider of the org sends the
 * browser back to the one callback, so the response must be of the issuer the attempt went to, or
 * its code would be sent to that issuer's token endpoint. An `iss` must be that issuer exactly;
 * a provider that promises one (authorization_response_iss_parameter_supported) must send it. An
 * entry with fixed endpoints has no issuer to compare with: its `state` alone binds the response.
 */
async function fromAttemptIssuer(deps: ConnectDeps, setup: ConnectionSetup, callback: ConnectCallback): Promise<boolean> {
  if (setup.provider.oauth?.endpoints.kind !== 'discovered') return true;
  const discovered = await deps.upstream.discover(setup.provider, setup.config);
  const iss = callback.param('iss');
  return iss === null ? !discovered.authorizationResponseIss : iss === discovered.issuer;
}

/** The entry's metadata kept from the redirect back (QuickBooks' realmId), each a single short value. */
function callbackMetadata(provider: Provider, callback: ConnectCallback): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const item of provider.keptMetadata) {
    if (item.from !== 'callback') continue;
    const value = callback.param(item.path);
    if (value !== null && value !== '' && value.length <= MAX_METADATA_LENGTH) kept[item.name] = value;
  }
  return kept;
}

/**
 * Seals the tokens into the connector: authenticated, its old credentials replaced (a reconnect
 * keeps the id). A conditional write on the version read, retried on a lost race (a refresh or a
 * staff change landed between); false when the connector was deleted meanwhile.
 */
async function storeCredentials(deps: ConnectDeps, org: ConnectOrganization, attempt: ConnectAttempt, tokens: UpstreamTokens): Promise<boolean> {
  const credentials: Credentials = {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: tokens.tokenType,
    accessExpiresAt: tokens.expiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    metadata: tokens.metadata,
  };
  // Sealed once, outside any transaction: bound to the connector's id, not to its version.
  const sealed = await deps.vault.seal(org.id, credentialsToJson(credentials), accountConnectorCredentialsAad(attempt.accountConnectorId));
  for (let tries = 0; tries < MAX_WRITE_ATTEMPTS; tries += 1) {
    const current = await accountConnectors.findAccountConnector(deps.db, org.id, attempt.accountConnectorId);
    if (current === undefined) return false;
    const next: AccountConnector = {
      ...current,
      status: 'authenticated',
      sealedCredentials: sealed,
      selfAuthenticate: false,
      accessExpiresAt: credentials.accessExpiresAt,
      refreshExpiresAt: credentials.refreshExpiresAt,
      version: current.version + 1,
      updatedAt: deps.clock(),
    };
    const written = await inTransaction(deps.db, async (trx) => {
      if (!(await accountConnectors.updateAccountConnector(trx, next, current.version))) return false;
      await recordAudit(trx, deps.clock, org.id, {
        action: 'account_connector.authenticated',
        actor: actorOf(attempt),
        target: { type: 'account_connector', id: current.id },
        details: { account_id: current.accountId, account_user_id: attempt.accountUserId, reconnected: current.sealedCredentials !== null },
      });
      await publishEvent(trx, {
        orgId: org.id,
        type: 'connector.connected',
        data: { account_connector_id: current.id, account_id: current.accountId, app_connector_id: current.appConnectorId, name: current.name, account_user_id: attempt.accountUserId, reconnected: current.sealedCredentials !== null },
        occurredAt: next.updatedAt,
      });
      return true;
    });
    if (written) return true;
  }
  throw new Error(`account connector ${attempt.accountConnectorId}: lost ${MAX_WRITE_ATTEMPTS} writes in a row to concurrent changes`);
}
