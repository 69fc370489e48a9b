import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { InvalidInputError, NotFoundError } from '../../lib/errors.ts';
import type { OutboundClient, OutboundStreamResponse } from '../../outbound/outbound-client.ts';
import { OutboundNetworkError, OutboundRefused, OutboundTimeout, OutboundTooLarge } from '../../outbound/outbound-errors.ts';
import { recordOperation, requirePermission } from '../../staff/actor.ts';
import * as repository from '../account-connectors.repository.ts';
import * as appConnectors from '../app-connectors.repository.ts';
import { InvalidTemplateValueError, MissingTemplateValueError, UnsafeEndpointError } from '../catalogue/catalogue-errors.ts';
import { findProvider } from '../catalogue/catalogue.ts';
import { apiBaseUrl } from '../catalogue/endpoints.ts';
import type { Provider } from '../catalogue/provider.ts';
import type { AccountConnector, AppConnector } from '../connector.ts';
import { CREDENTIALS_DEFAULTS, credentialsForUse, type ConnectorCredentials, type CredentialsOperationContext } from '../credentials-admin.ts';
import { ConnectorMisconfiguredError, ConnectorNeedsReauthError, ConnectorNotAuthenticatedError, CredentialsError } from '../credentials-errors.ts';
import { openCredentials, refreshUnderLease } from '../credentials-refresh-admin.ts';
import { credentialInjection, withInjectedQuery } from './credential-injection.ts';
import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers.ts';
import {
  ProxyDestinationRefusedError,
  ProxyError,
  ProxyNoApiBaseError,
  ProxyResponseTooLargeError,
  ProxyUpstreamTimeoutError,
  ProxyUpstreamUnavailableError,
} from './proxy-errors.ts';
import { checkProxyPath, proxyTargetUrl } from './proxy-target.ts';
import { outgoingBody, type OutgoingBody } from './request-body.ts';

// ANY /api/v2/account-connectors/{id}/proxy/{path}: the caller's request, forwarded to the
// provider's API base with the connector's credential put where the provider expects it, and the
// provider's answer streamed back as it is. The credential is the one the credentials read hands
// out (refreshed under the shared lease when expiring); a 401 from the provider gets one forced
// refresh, through the same lease, and one retry (docs/decisions/0012).

export const PROXY_DEFAULTS = Object.freeze({
  /** The whole call, until the provider's last byte; a caller may ask for less (Gatehouse-Proxy-Timeout-Ms). */
  timeoutMs: 30_000,
  /** 10 MiB each way: API calls, not file transfers. */
  maxRequestBytes: 10 * 1024 * 1024,
  maxResponseBytes: 10 * 1024 * 1024,
  /** A body up to this size is kept in memory so that it can be sent again after a 401; a larger one is streamed once. */
  replayableBytes: 64 * 1024,
});

export interface ProxyOperationContext extends CredentialsOperationContext {
  readonly outbound: OutboundClient;
}

export interface ProxiedRequest {
  readonly method: string;
  /** The path after `/proxy/`, as sent (percent-encoding kept). */
  readonly rawPath: string;
  /** The query as sent, without `?`; '' when none. */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable | undefined;
  readonly bodyLength: number | undefined;
  /** A shorter time than PROXY_DEFAULTS.timeoutMs, when the caller asks for one. */
  readonly timeoutMs: number | undefined;
  /** Aborted when the caller goes away: the provider's call stops. */
  readonly signal: AbortSignal;
}

export interface ProxiedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Readable;
}

interface Forwarding {
  readonly provider: Provider;
  readonly base: string;
  readonly request: ProxiedRequest;
  readonly body: OutgoingBody;
}

/**
 * Forwards one call and answers the provider's status, headers (hop-by-hop and Set-Cookie
 * dropped) and body stream. Needs connectors:write: it uses a secret. Audited as
 * `account_connector.proxy_request` (method, path without the query, the provider's status or
 * the failure, whether it was retried), once the provider answered or failed.
 */
export async function proxyRequest(ctx: ProxyOperationContext, id: string, request: ProxiedRequest): Promise<ProxiedResponse> {
  requirePermission(ctx.actor, 'connectors:write');
  checkProxyPath(request.rawPath, request.rawQuery);
  const { connector, credentials } = await credentialsForUse(ctx, id);
  const app = await appConnectors.findAppConnector(ctx.db, ctx.org.id, connector.appConnectorId);
  if (app === undefined) throw new NotFoundError('app connector', connector.appConnectorId);
  const provider = findProvider(app.provider);
  if (provider === undefined) throw new ConnectorMisconfiguredError(`the app connector's provider '${app.provider}' is not in the catalogue`);
  const base = apiBase(ctx, provider, app, connector, credentials);
  const forwarding: Forwarding = {
    provider,
    base,
    request,
    body: await outgoingBody(request.body, request.bodyLength, { maxBytes: PROXY_DEFAULTS.maxRequestBytes, replayableBytes: PROXY_DEFAULTS.replayableBytes, timeoutMs: timeoutOf(request) }),
  };
  let answer: OutboundStreamResponse | undefined;
  let retried = false;
  try {
    answer = await send(ctx, forwarding, credentials);
    if (answer.status === 401 && (credentials.authMode === 'oauth2' || credentials.authMode === 'oauth2_client_credentials')) {
      const renewed = await renewedAfterRejection(ctx, { connector, app, provider }, credentials.accessToken);
      // A streamed body is gone: the provider's 401 goes back, and the caller's own retry gets the new token.
      if (forwarding.body.kind !== 'stream') {
        answer.body.destroy();
        answer = await send(ctx, forwarding, renewed);
        retried = true;
      }
    }
  } catch (error) {
    // An answer that will not be passed on (its renewal failed) frees its connection now, not at the timeout.
    answer?.body.destroy();
    // What is left of the caller's body is read and dropped, so that its connection can carry the answer and the next request.
    request.body?.unpipe();
    request.body?.resume();
    const translated = inProxyTerms(error);
    // A caller that went away stopped the call itself: not the provider's failure.
    const code = request.signal.aborted ? 'caller_gone' : translated instanceof ProxyError || translated instanceof CredentialsError ? translated.code : 'failed';
    await audit(ctx, connector.id, request, { status: answer?.status ?? null, error: code, retried });
    throw translated;
  }
  try {
    await audit(ctx, connector.id, request, { status: answer.status, retried });
  } catch (error) {
    answer.body.destroy();
    throw error;
  }
  // Cut while the audit event was written (the time or size limit): nothing was sent yet, so the caller gets the reason.
  if (answer.body.errored !== null) throw inProxyTerms(answer.body.errored);
  if (answer.body.destroyed) throw new ProxyUpstreamUnavailableError('the provider\'s connection closed before its answer was passed on');
  return { status: answer.status, headers: returnedResponseHeaders(answer.headers), body: answer.body };
}

function timeoutOf(request: ProxiedRequest): number {
  return Math.min(request.timeoutMs ?? PROXY_DEFAULTS.timeoutMs, PROXY_DEFAULTS.timeoutMs);
}

/** The API base for this connection: the entry's api_base_url, rendered from the connection's config over the app connector's and what the flow kept. */
function apiBase(ctx: ProxyOperationContext, provider: Provider, app: AppConnector, connector: AccountConnector, credentials: ConnectorCredentials): string {
  if (provider.apiBaseUrl === null) {
    throw new ProxyNoApiBaseError(`the provider '${provider.id}' has no API base URL in the catalogue: the proxy cannot call it (use the credentials endpoint)`);
  }
  const metadata = credentials.authMode === 'oauth2' || credentials.authMode === 'oauth2_client_credentials' ? credentials.metadata : {};
  let base: string | null;
  try {
    base = apiBaseUrl(provider, { config: { ...app.config, ...connector.config }, metadata }, { allowHttp: ctx.allowHttpUrls });
  } catch (error) {
    if (error instanceof MissingTemplateValueError) {
      throw new ProxyNoApiBaseError(`the connection gives no ${error.message.includes('config.api_base_url') ? 'config.api_base_url (on the account connector or its app connector)' : 'value for the provider\'s API base URL'}: ${error.message}`, { cause: error });
    }
    if (error instanceof InvalidTemplateValueError || error instanceof UnsafeEndpointError) throw new ConnectorMisconfiguredError(`the provider's API base URL: ${error.message}`, { cause: error });
    throw error;
  }
  if (base === null) throw new ProxyNoApiBaseError(`the provider '${provider.id}' has no API base URL`);
  const parsed = new URL(base);
  if (parsed.search !== '' || parsed.hash !== '') throw new ConnectorMisconfiguredError('the provider\'s API base URL has a query or fragment');
  return base;
}

async function send(ctx: ProxyOperationContext, forwarding: Forwarding, credentials: ConnectorCredentials): Promise<OutboundStreamResponse> {
  const { request, body } = forwarding;
  const injection = credentialInjection(forwarding.provider, credentials);
  const url = proxyTargetUrl(forwarding.base, request.rawPath, withInjectedQuery(request.rawQuery, injection.query));
  return ctx.outbound.stream({
    method: request.method,
    url,
    // The injected credential replaces any header of its name the caller sent.
    headers: { ...forwardedRequestHeaders(request.headers), ...injection.headers },
    ...(body.kind === 'bytes' ? { body: body.bytes } : body.kind === 'stream' ? { body: body.stream, bodyLength: body.length } : {}),
    timeoutMs: timeoutOf(request),
    maxResponseBytes: PROXY_DEFAULTS.maxResponseBytes,
    signal: request.signal,
  });
}

/**
 * The credentials to retry with after the provider refused `usedToken`: another request's, if
 * it already replaced that token, else a forced refresh through the shared lease, taken on the
 * connector as read now (its conditional UPDATE on the version means that of several requests
 * refused together one refreshes and the others get its token).
 */
async function renewedAfterRejection(ctx: ProxyOperationContext, target: { readonly connector: AccountConnector; readonly app: AppConnector; readonly provider: Provider }, usedToken: string): Promise<ConnectorCredentials> {
  const now = await repository.findAccountConnector(ctx.db, ctx.org.id, target.connector.id);
  if (now === undefined) throw new NotFoundError('account connector', target.connector.id);
  if (now.status === 'needs_reauth') throw new ConnectorNeedsReauthError('the provider refused the connector\'s grant; connect it again (the connect flow or an AuthValue)');
  if (now.status !== 'authenticated' || now.sealedCredentials === null) throw new ConnectorNotAuthenticatedError('the account connector is not authenticated');
  const stored = await openCredentials(ctx, now);
  const held = stored.accessToken !== usedToken ? stored : (await refreshUnderLease(ctx, { ...target, connector: now }, CREDENTIALS_DEFAULTS)).credentials;
  const authMode = target.provider.authMode === 'oauth2_client_credentials' ? 'oauth2_client_credentials' : 'oauth2';
  return { authMode, accessToken: held.accessToken, tokenType: held.tokenType, expiresAt: held.accessExpiresAt, metadata: held.metadata };
}

/** An outbound failure in the proxy's words; anything else as it is. */
function inProxyTerms(error: unknown): unknown {
  if (error instanceof OutboundTimeout) return new ProxyUpstreamTimeoutError(`the provider did not answer within ${error.timeoutMs} ms`, { cause: error });
  if (error instanceof OutboundTooLarge) return new ProxyResponseTooLargeError(`the provider's answer is larger than the ${error.limitBytes} bytes the proxy passes back`, { cause: error });
  if (error instanceof OutboundNetworkError) return new ProxyUpstreamUnavailableError(`the provider could not be reached: ${error.message}`, { cause: error });
  if (error instanceof OutboundRefused) {
    if (error.rule === 'header') return new InvalidInputError('headers', 'a header of the request cannot be forwarded: invalid characters in its name or value');
    return new ProxyDestinationRefusedError(`the provider's API base is not a destination Gatehouse calls: ${error.message}`, { cause: error });
  }
  return error;
}

const MAX_AUDITED_PATH = 500;

async function audit(ctx: ProxyOperationContext, connectorId: string, request: ProxiedRequest, outcome: Readonly<Record<string, string | number | boolean | null>>): Promise<void> {
  await recordOperation(ctx.db, ctx, {
    action: 'account_connector.proxy_request',
    target: { type: 'account_connector', id: connectorId },
    // The path without the query (where callers put their data and some providers their keys); never a header or a body.
    details: { method: request.method, path: `/${request.rawPath}`.slice(0, MAX_AUDITED_PATH), ...outcome },
  });
}
