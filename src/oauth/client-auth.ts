import type { Client } from '../clients/clients.ts';
import { secretMatchesHash } from '../lib/secrets.ts';
import type { OrgContext } from './context.ts';
import { InvalidClient, InvalidRequest } from './errors.ts';
import { param, type RawParams } from './params.ts';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: ClientAuthMethod;
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
  if (header === undefined) return undefined;
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (match === null) {
    if (/^Basic\b/i.test(header)) throw new InvalidClient('Malformed Basic credentials.');
    return undefined;
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new InvalidClient('Malformed Basic credentials.');
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    if (clientId === '' || /[\u0000-\u001f]/.test(clientId + secret)) throw new InvalidClient('Malformed Basic credentials.');
    return { clientId, secret };
  } catch (error) {
    if (error instanceof InvalidClient) throw error;
    throw new InvalidClient('Malformed Basic credentials.');
  }
}

/**
 * Authenticates the client of a token, introspection or revocation request (RFC 6749 §2.3,
 * §3.2.1). Exactly one method: Basic, secret in the body, or none (a public client naming
 * itself). Every failure is `invalid_client` with the same description, whatever failed.
 */
export async function authenticateClient(ctx: OrgContext, authorization: string | undefined, body: RawParams): Promise<AuthenticatedClient> {
  const basic = parseBasicAuthorization(authorization);
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
  if (clientId === undefined) throw new InvalidClient('Client authentication failed.', 'no client identified');
  const client = clientId.length > 200 ? undefined : await ctx.findClient(clientId);
  if (client === undefined || client.status !== 'active') {
    throw new InvalidClient('Client authentication failed.', client === undefined ? 'unknown client' : `client is ${client.status}`);
  }

  const secret = basic?.secret ?? bodySecret;
  if (client.clientType === 'public') {
    if (secret !== undefined && secret !== '') throw new InvalidClient('Client authentication failed.', 'public client presented a secret');
    return { client, method: 'none' };
  }
  if (secret === undefined || !clientSecretMatches(client, secret, ctx.clock())) {
    throw new InvalidClient('Client authentication failed.', secret === undefined ? 'confidential client without a secret' : 'wrong secret');
  }
  return { client, method: basic !== undefined ? 'client_secret_basic' : 'client_secret_post' };
}

/**
 * The current secret, or else the one replaced by the last rotation while its grace period
 * lasts (so a deployment can switch secrets without downtime). Both compared in constant time.
 */
function clientSecretMatches(client: Client, secret: string, now: number): boolean {
  if (client.secretHash !== null && secretMatchesHash(secret, client.secretHash)) return true;
  return client.previousSecretHash !== null && client.previousSecretExpiresAt !== null && now < client.previousSecretExpiresAt && secretMatchesHash(secret, client.previousSecretHash);
}
