import type { Client } from '../../clients/clients.ts';
import { authenticateClient, type ClientCaller } from '../client-auth.ts';
import type { OrgContext } from '../context.ts';
import { UnauthorizedClient, UnsupportedGrantType } from '../errors.ts';
import { requiredParam, type RawParams } from '../params.ts';
import type { TokenResponse } from '../credentials/issue.ts';
import { redeemAuthorizationCode } from './grants/authorization-code.ts';
import { grantClientCredentials } from './grants/client-credentials.ts';
import { redeemRefreshToken } from './grants/refresh-token.ts';

type Grant = (ctx: OrgContext, client: Client, body: RawParams) => Promise<TokenResponse>;

const GRANTS: Readonly<Record<string, Grant>> = {
  authorization_code: redeemAuthorizationCode,
  refresh_token: redeemRefreshToken,
  client_credentials: grantClientCredentials,
};

/**
 * The token endpoint (RFC 6749 §3.2): grant_type present, client authenticated, grant supported
 * and allowed for this client, then the grant itself.
 */
export async function handleTokenRequest(ctx: OrgContext, authorization: string | undefined, body: RawParams, caller: ClientCaller): Promise<TokenResponse> {
  const grantType = requiredParam(body, 'grant_type');
  const { client } = await authenticateClient(ctx, authorization, body, caller);
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  // The grant_type is named, never echoed: error_description carries no caller text (RFC 6749 §5.2).
  if (grant === undefined) throw new UnsupportedGrantType(`The grant_type is not supported; use ${Object.keys(GRANTS).join(', ')}.`);
  if (!(client.grantTypes as readonly string[]).includes(grantType)) {
    throw new UnauthorizedClient(`This client may not use the ${grantType} grant.`);
  }
  return grant(ctx, client, body);
}
