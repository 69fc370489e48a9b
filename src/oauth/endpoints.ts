/**
 * Paths of each organization's protocol endpoints, relative to its issuer `PUBLIC_URL/o/<slug>`.
 * Discovery advertises them; everything that builds a URL to one reads it from here.
 */
export const OAUTH_PATHS = Object.freeze({
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  introspection: '/introspect',
  revocation: '/revoke',
  endSession: '/logout',
  jwks: '/jwks.json',
  openidConfiguration: '/.well-known/openid-configuration',
});
