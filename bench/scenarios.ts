/**
 * The measured scenarios, each the same requests for every server, and the material they consume
 * (authorization codes, refresh tokens) prepared over HTTP before each run, never during it.
 */
import type { Request } from 'autocannon';
import { authorizationUrl, basicAuthorization, codeFromLocation, codeRedemptionBody, redeemCode, signInThroughPages, type Endpoints } from './client.ts';
import { CONNECTIONS, header, measure, pathOf, type Load } from './load.ts';
import { SERVICE_SCOPE, type ServerReady } from './protocol.ts';

/** A running server with what the scenarios need from it. */
export interface Target {
  readonly ready: ServerReady;
  readonly origin: string;
  readonly endpoints: Endpoints;
  /** Cookie header of a browser with a live SSO session (and consent already given). */
  readonly sessionCookie: string;
  /** Access token of a code flow (openid profile email) for userinfo and introspection. */
  readonly accessToken: string;
  /** Current refresh tokens; the refresh scenario takes one per request and puts back the rotated one. */
  readonly refreshTokens: string[];
  /** The server's process id, when it runs in a child process. */
  readonly pid?: number;
}

/** `scheduler_refresh` is no HTTP load: bench/scheduler-refresh.ts measures it after the others. */
export type ScenarioId = 'discovery' | 'client_credentials' | 'authorization_code' | 'refresh_token' | 'userinfo' | 'introspection' | 'flow' | 'connector_credentials' | 'connector_proxy' | 'scheduler_refresh';

export interface RunShape {
  readonly warmup: boolean;
  readonly seconds: number;
  /** Operations per second this server managed in its previous run of the scenario. */
  readonly previousPerSecond: number | undefined;
}

export interface Scenario {
  readonly id: ScenarioId;
  readonly label: string;
  /** Whether the server takes part; every server when absent (the connector hub is Gatehouse's alone). */
  runsOn?(target: Target): boolean;
  /** What one run sends (for `seconds`; an `each` load until its bodies are answered). */
  plan(target: Target, run: RunShape): Promise<Load>;
}

/** Signs in once and keeps the session, then redeems that first code for the access token used throughout. */
export async function prepareTarget(ready: ServerReady, endpoints: Endpoints): Promise<Target> {
  const { cookie, code } = await signInThroughPages(endpoints, ready);
  const tokens = await redeemCode(endpoints, ready.webClient, code);
  if (tokens.refresh_token === undefined) throw new Error(`${ready.name} issued no refresh token`);
  return { ready, origin: new URL(ready.issuer).origin, endpoints, sessionCookie: cookie, accessToken: tokens.access_token, refreshTokens: [tokens.refresh_token] };
}

const FORM = 'application/x-www-form-urlencoded';
const OK = { status: 200 } as const;
const ok200 = (status: number): boolean => status === 200;

/** Codes for the code-redemption scenario: enough for about one round at the last rate seen, within bounds. */
const WARMUP_CODES = 1_000;
const MIN_CODES = 500;
const MAX_CODES = 40_000;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'discovery',
    label: 'discovery',
    async plan(target) {
      return { kind: 'repeat', request: { method: 'GET', path: pathOf(target.endpoints.discovery) }, expected: OK };
    },
  },
  {
    id: 'client_credentials',
    label: 'token client_credentials',
    async plan(target) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: SERVICE_SCOPE }).toString();
      return { kind: 'repeat', request: { method: 'POST', path: pathOf(target.endpoints.token), headers: { authorization: basicAuthorization(target.ready.serviceClient), 'content-type': FORM }, body }, expected: OK };
    },
  },
  {
    id: 'authorization_code',
    label: 'token authorization_code',
    async plan(target, run) {
      const wanted = run.warmup ? WARMUP_CODES : Math.round(Math.min(MAX_CODES, Math.max(MIN_CODES, (run.previousPerSecond ?? 0) * run.seconds)));
      const codes = await mintCodes(target, wanted);
      return {
        kind: 'each',
        request: { method: 'POST', path: pathOf(target.endpoints.token), headers: { authorization: basicAuthorization(target.ready.webClient), 'content-type': FORM } },
        // Each request redeems a code of its own: a replayed code would be an error (and revoke its tokens).
        bodies: codes.slice(0, wanted).map(codeRedemptionBody),
        expected: OK,
      };
    },
  },
  {
    id: 'refresh_token',
    label: 'token refresh_token',
    async plan(target) {
      // Every request takes a current refresh token and puts back the one it rotated to; tokens in
      // flight when a run stops are lost, so the pool is topped up before each run.
      await topUpRefreshTokens(target, 2 * CONNECTIONS);
      return {
        kind: 'rotate',
        request: { method: 'POST', path: pathOf(target.endpoints.token), headers: { authorization: basicAuthorization(target.ready.webClient), 'content-type': FORM } },
        formPrefix: 'grant_type=refresh_token&',
        field: 'refresh_token',
        pool: target.refreshTokens,
        expected: OK,
      };
    },
  },
  {
    id: 'userinfo',
    label: 'userinfo',
    async plan(target) {
      return { kind: 'repeat', request: { method: 'GET', path: pathOf(target.endpoints.userinfo), headers: { authorization: `Bearer ${target.accessToken}` } }, expected: OK };
    },
  },
  {
    id: 'introspection',
    label: 'introspection',
    async plan(target) {
      return {
        kind: 'repeat',
        request: {
          method: 'POST',
          path: pathOf(target.endpoints.introspection),
          headers: { authorization: basicAuthorization(target.ready.webClient), 'content-type': FORM },
          body: new URLSearchParams({ token: target.accessToken }).toString(),
        },
        expected: { status: 200, bodyIncludes: '"active":true' },
      };
    },
  },
  {
    id: 'flow',
    label: 'sign-in flow (SSO session)',
    async plan(target) {
      // A relying party's whole sign-in for a browser that already has a session: the authorization
      // request answered with a redirect carrying a code, then the code redeemed for tokens. Two
      // requests per operation, the second built from the first's answer: autocannon sends it.
      const authorize: Request = {
        method: 'GET',
        path: pathOf(authorizationUrl(target.endpoints, target.ready.webClient)),
        headers: { cookie: target.sessionCookie },
        onResponse: (_status, _body, context, headers) => {
          context.code = codeFromLocation(header(headers, 'location'));
        },
      };
      const redeem: Request = {
        method: 'POST',
        path: pathOf(target.endpoints.token),
        headers: { authorization: basicAuthorization(target.ready.webClient), 'content-type': FORM },
        setupRequest: (request, context) => ({ ...request, body: codeRedemptionBody(typeof context.code === 'string' ? context.code : 'no-code') }),
      };
      return { kind: 'flow', operation: { steps: [authorize, redeem], succeeded: (status) => status === 200 } };
    },
  },
  {
    id: 'connector_credentials',
    label: 'connector credentials (no refresh)',
    runsOn: (target) => target.ready.connectorCredentials !== undefined,
    async plan(target) {
      // A token valid for a year: one indexed read, one AES-GCM open and the audit event's insert per request.
      const connector = target.ready.connectorCredentials;
      if (connector === undefined) throw new Error(`${target.ready.name} has no connector hub`);
      return { kind: 'repeat', request: { method: 'GET', path: connector.path, headers: { authorization: connector.authorization } }, expected: { status: 200, bodyIncludes: '"access_token"' } };
    },
  },
  {
    id: 'connector_proxy',
    label: 'connector proxy GET',
    runsOn: (target) => target.ready.connectorProxy !== undefined,
    async plan(target) {
      // Per request: the connector read, one vault open, the call to the resource server (a new
      // connection each time, pinned to its checked address), the audit event's insert, the answer streamed back.
      // The same GET sent directly to the resource server is the "direct" line it is compared with (run.ts).
      const connector = target.ready.connectorProxy;
      if (connector === undefined) throw new Error(`${target.ready.name} has no proxy connector`);
      return { kind: 'repeat', request: { method: 'GET', path: connector.path, headers: { authorization: connector.authorization } }, expected: { status: 200, bodyIncludes: '"data"' } };
    },
  },
];

/** `count` fresh codes, from authorization requests with the SSO session (not measured). */
async function mintCodes(target: Target, count: number): Promise<string[]> {
  const codes: string[] = [];
  const authorize: Request = {
    method: 'GET',
    path: pathOf(authorizationUrl(target.endpoints, target.ready.webClient)),
    headers: { cookie: target.sessionCookie },
    onResponse: (_status, _body, _context, headers) => {
      const code = codeFromLocation(header(headers, 'location'));
      if (code !== undefined) codes.push(code);
    },
  };
  const run = await measure(target.origin, { steps: [authorize], succeeded: (status) => status === 302 || status === 303 }, { amount: Math.max(count, CONNECTIONS) });
  if (codes.length < count) throw new Error(`${target.ready.name}: asked for ${count} codes, got ${codes.length} (${run.failed} failed)`);
  return codes;
}

/** Redeems fresh codes until the pool holds `minimum` current refresh tokens. */
async function topUpRefreshTokens(target: Target, minimum: number): Promise<void> {
  const missing = minimum - target.refreshTokens.length;
  if (missing <= 0) return;
  const codes = await mintCodes(target, Math.max(missing, CONNECTIONS));
  const step: Request = {
    method: 'POST',
    path: pathOf(target.endpoints.token),
    headers: { authorization: basicAuthorization(target.ready.webClient), 'content-type': FORM },
    setupRequest: (request) => ({ ...request, body: codeRedemptionBody(codes.pop() ?? 'codes-exhausted') }),
    onResponse: (status, body) => {
      if (status === 200) target.refreshTokens.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
    },
  };
  await measure(target.origin, { steps: [step], succeeded: ok200 }, { amount: codes.length });
  if (target.refreshTokens.length < minimum) throw new Error(`${target.ready.name}: could hold only ${target.refreshTokens.length} refresh tokens`);
}
