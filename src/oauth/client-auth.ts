import { authNetworkNeedsRecording, isUsualAuthNetwork } from '../clients/auth-networks.ts';
import { recordClientAuthNetwork, type Client } from '../clients/clients.ts';
import { parseBasicCredentials } from '../lib/basic-credentials.ts';
import { secretMatchesHash } from '../lib/secrets.ts';
import type { ClientAuthThrottle } from './client-auth-throttle.ts';
import type { OrgContext } from './context.ts';
import { ClientAuthenticationThrottled, InvalidClient, InvalidRequest } from './errors.ts';
import { param, type RawParams } from './params.ts';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: ClientAuthMethod;
}

/** Where a client authentication comes from, and what counts its failures. */
export interface ClientCaller {
  readonly ip: string;
  readonly throttle: ClientAuthThrottle;
}

interface BasicCredentials {
  readonly clientId: string;
  readonly secret: string;
}

/**
 * RFC 6749 §2.3.1: HTTP Basic with the client id and secret each form-urlencoded first. Returns
 * undefined without an Authorization header of the Basic scheme; throws InvalidClient when it is
 * one but malformed.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const credentials = parseBasicCredentials(header);
  if (credentials === 'malformed') throw new InvalidClient('Malformed Basic credentials.');
  return credentials === undefined ? undefined : { clientId: credentials.userId, secret: credentials.password };
}

/**
 * Authenticates the client of a token, introspection or revocation request (RFC 6749 §2.3,
 * §3.2.1). Exactly one method: Basic, secret in the body, or none (a public client naming
 * itself). Every failure is `invalid_client` with the same description, whatever failed.
 *
 * Failures are counted per client and per network (RFC 6749 §2.3.1 asks for brute-force
 * protection; oauth/client-auth-throttle.ts): past a limit the request is refused with
 * ClientAuthenticationThrottled (429) before any secret is checked, except from one of the
 * client's usual networks: those it authenticated from recently, as stored on the client
 * (clients/auth-networks.ts), which comes with the client's lookup. From there neither the
 * client's limit (anyone may fail with its public id) nor the network's (a shared egress, CGNAT or
 * /64 where others failed with ids of their own, in any org) refuses it: the limits refuse only
 * requests naming ids unknown or new at that network. So the network's limit is judged after the
 * lookup, which a request from a locked network therefore costs. A success from a network not
 * among them (or last written more than a day ago) writes it there. Public clients have no secret
 * to guess and are used from everywhere: neither limit refuses an active one naming itself without
 * a secret, and a failure naming one counts against the network only.
 */
export async function authenticateClient(ctx: OrgContext, authorization: string | undefined, body: RawParams, caller: ClientCaller): Promise<AuthenticatedClient> {
  const { throttle, ip } = caller;
  const orgId = ctx.org.id;
  // A request that names no client is no client's: a locked network is refused it.
  const failUnnamed = (error: InvalidClient): InvalidClient => {
    const wait = throttle.networkRefused(ip);
    if (wait !== undefined) return new ClientAuthenticationThrottled(wait, 'client authentication throttled: network', { quiet: !throttle.firstRefusal(orgId, undefined, ip) });
    throttle.failed(orgId, undefined, ip);
    return error;
  };

  let basic: BasicCredentials | undefined;
  try {
    basic = parseBasicAuthorization(authorization);
  } catch (error) {
    throw error instanceof InvalidClient ? failUnnamed(error) : error;
  }
  const bodyClientId = param(body, 'client_id');
  const bodySecret = param(body, 'client_secret');
  if (basic !== undefined && bodySecret !== undefined) {
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    throw new InvalidRequest('Use one client authentication method, not both Basic and client_secret.');
  }
  if (basic !== undefined && bodyClientId !== undefined && bodyClientId !== basic.clientId) {
    throw new InvalidRequest('The client_id does not match the authenticated client.');
  }

  const clientId = basic?.clientId ?? bodyClientId;
  if (clientId === undefined) throw failUnnamed(new InvalidClient('Client authentication failed.', 'no client identified'));
  const client = clientId.length > 200 ? undefined : await ctx.findClient(clientId);
  const secret = basic?.secret ?? bodySecret;
  // What the failures are counted against besides the network: the id presented (known or not, so
  // that a 429 never tells which ids exist), unless it names an active public client.
  const counted = clientId.length > 200 || (client?.clientType === 'public' && client.status === 'active') ? undefined : clientId;
  // Checked after the lookup's await, in the same synchronous step as the secret check and the
  // count of its failure: concurrent requests get no more checks than the limits.
  const wait = lockout(ctx, caller, client, counted, { presentsSecret: secret !== undefined && secret !== '' });
  if (wait !== undefined) throw new ClientAuthenticationThrottled(wait, 'client authentication throttled', { quiet: !throttle.firstRefusal(orgId, counted, ip) });
  const fail = (detail: string): InvalidClient => {
    throttle.failed(orgId, counted, ip);
    return new InvalidClient('Client authentication failed.', detail);
  };

  if (client === undefined || client.status !== 'active') throw fail(client === undefined ? 'unknown client' : `client is ${client.status}`);
  if (client.clientType === 'public') {
    if (secret !== undefined && secret !== '') throw fail('public client presented a secret');
    return { client, method: 'none' };
  }
  if (secret === undefined || !clientSecretMatches(client, secret, ctx.clock())) {
    throw fail(secret === undefined ? 'confidential client without a secret' : 'wrong secret');
  }
  await rememberNetwork(ctx, caller, client);
  return { client, method: basic !== undefined ? 'client_secret_basic' : 'client_secret_post' };
}

/**
 * The seconds to wait when the network or the client named (`counted`) failed too often, unless
 * the request comes from one of the client's usual networks, or names an active public client
 * without a secret (nothing to guess): undefined when it may go on.
 */
function lockout(ctx: OrgContext, caller: ClientCaller, client: Client | undefined, counted: string | undefined, request: { readonly presentsSecret: boolean }): number | undefined {
  const { throttle, ip } = caller;
  const networkWait = throttle.networkRefused(ip);
  const clientWait = counted === undefined ? undefined : throttle.clientRefused(ctx.org.id, counted);
  if (networkWait === undefined && clientWait === undefined) return undefined;
  if (client?.status === 'active') {
    if (client.clientType === 'public' && !request.presentsSecret) return undefined;
    if (client.clientType === 'confidential' && isUsualNetwork(ctx, caller, client)) return undefined;
  }
  return Math.max(networkWait ?? 0, clientWait ?? 0);
}

/** Whether the request comes from one of the client's usual networks: as stored, or as this process wrote since the client was read. */
function isUsualNetwork(ctx: OrgContext, caller: ClientCaller, client: Client): boolean {
  const network = caller.throttle.networkOf(caller.ip);
  return isUsualAuthNetwork(client.authNetworks, network, ctx.clock()) || caller.throttle.recordedRecently(client.orgId, client.clientId, network);
}

/**
 * After a success: writes the network among the client's usual ones when the client as read
 * lacks it or has it from more than a day ago, and this process has not written it since. The
 * common case (a client from its usual place) writes nothing: a cached pseudonym and a map lookup.
 */
async function rememberNetwork(ctx: OrgContext, caller: ClientCaller, client: Client): Promise<void> {
  const { throttle } = caller;
  const network = throttle.networkOf(caller.ip);
  const now = ctx.clock();
  if (!authNetworkNeedsRecording(client.authNetworks, network, now) || !throttle.claimRecording(client.orgId, client.clientId, network)) return;
  try {
    await recordClientAuthNetwork(ctx.db, client, network, now);
  } catch (error) {
    throttle.recordingFailed(client.orgId, client.clientId, network);
    throw error;
  }
}

/**
 * The current secret, or else the one replaced by the last rotation while its grace period
 * lasts (so a deployment can switch secrets without downtime). Both compared in constant time.
 */
function clientSecretMatches(client: Client, secret: string, now: number): boolean {
  if (client.secretHash !== null && secretMatchesHash(secret, client.secretHash)) return true;
  return client.previousSecretHash !== null && client.previousSecretExpiresAt !== null && now < client.previousSecretExpiresAt && secretMatchesHash(secret, client.previousSecretHash);
}
