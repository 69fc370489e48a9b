import cookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createDeviceCookies } from './accounts/device-cookies.ts';
import { createSignInThrottle, type SignInThrottle } from './accounts/sign-in-throttle.ts';
import type { Config } from './config/config.ts';
import type { Storage } from './db/database.ts';
import { AJV_CUSTOM_OPTIONS } from './http/ajv-options.ts';
import { registerCrossSiteGuard } from './api/guards.ts';
import { answerFrameworkError, registerErrorBoundary } from './http/error-handler.ts';
import { registerFormParsers } from './http/forms.ts';
import { registerHealthRoutes } from './http/health.routes.ts';
import { AccessLog } from './http/logging.ts';
import { createOrgResolver, type OrgScopeDeps } from './oauth/org-resolver.ts';
import { registerOrgScope } from './oauth/org-scope.routes.ts';
import { requestIdFor } from './http/request-id.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { registerInteractionRoutes } from './interactions/interactions.routes.ts';
import { answerPageError } from './interactions/page-errors.ts';
import { registerRegistrationPageRoutes } from './interactions/registration-page.routes.ts';
import { registerSignUpRoutes, SIGN_UP_THROTTLE_LIMITS } from './interactions/sign-up.routes.ts';
import type { Sealer } from './keys/sealing.ts';
import { createSigningKeyService, type SigningKeyService } from './keys/signing-keys.ts';
import { cachedNetworkNames } from './lib/client-network.ts';
import type { Clock } from './lib/clock.ts';
import { createRateLimiter } from './lib/rate-limiter.ts';
import { createClientAuthThrottle } from './oauth/client-auth-throttle.ts';
import { answerOAuthError, registerAuthorizationServerMetadata, registerOAuthRoutes } from './oauth/oauth.routes.ts';
import { registerDynamicRegistrationRoutes } from './oauth/registration/registration.routes.ts';
import { createPendingSignIns } from './oauth/sessions/pending-sign-ins.ts';
import { registerConsoleRoutes } from './console/console.routes.ts';
import { API_THROTTLE_LIMITS } from './staff/api-auth.ts';
import { registerApiSessionRoutes } from './staff/api-sessions.routes.ts';
import { registerManagementApi } from './api/management-api.ts';
import { MANAGEMENT_ROUTES } from './management-routes.ts';
import { createHubProcessServices, type HubProcessServices } from './connectors/connector-context.ts';
import { answerSignInTokenError, registerSignInTokenRoutes } from './connectors/signin-tokens.routes.ts';
import { verifyServiceToken } from './oauth/introspection/service-token.ts';
import { registerConnectRoutes } from './connectors/connect/connect.routes.ts';
import { REFUSED_REGISTRATION_THROTTLE_LIMITS, REGISTRATION_THROTTLE_LIMITS, type RegistrationThrottles } from './clients/registration-throttle.ts';

export interface AppDeps {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Encrypts key material at rest (the root key). */
  readonly sealer: Sealer;
  /** Defaults to a service over `storage` and `sealer`; tests may pass one with another cache. */
  readonly signingKeys?: SigningKeyService;
  /** Sign-in failure counters; one per process by default. */
  readonly throttle?: SignInThrottle;
  /** The connector hub's vault and outbound clients; new ones by default (main.ts shares its own with the background work). */
  readonly hub?: HubProcessServices;
}

/** Request bodies above this are refused with 413 before they are parsed. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The whole HTTP application as a value: no listening, no environment, no signals. `main.ts`
 * listens; tests call `inject()` or listen on an ephemeral port.
 */
export function buildApp(config: Config, deps: AppDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One access line per request (http/logging.ts), instead of Fastify's two.
    logController: new AccessLog(deps.logger),
    genReqId: requestIdFor,
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a TLS-terminating proxy, PUBLIC_URL is https while the socket is not; forwarded
    // headers are trusted only from loopback (where such a proxy runs by default).
    trustProxy: ['127.0.0.1', '::1'],
    return503OnClosing: true,
    ajv: { customOptions: { ...AJV_CUSTOM_OPTIONS } },
    // Errors before routing (a malformed path) get our texts, not Fastify's, which quote the path.
    frameworkErrors: answerFrameworkError,
  });
  registerSecurityHeaders(app);
  registerErrorBoundary(app);
  void app.register(cookie);
  registerHealthRoutes(app, deps.storage);

  const signingKeys = deps.signingKeys ?? createSigningKeyService(deps.storage.db, deps.sealer, deps.clock);
  const orgDeps: OrgScopeDeps = { db: deps.storage.db, clock: deps.clock, publicUrl: config.publicUrl, signingKeys };
  // Every per-IP limit counts an IPv6 client by its network (RATE_LIMIT_IPV6_PREFIX), not its address.
  const ipv6PrefixBits = config.rateLimitIpv6PrefixBits;
  const throttle = deps.throttle ?? createSignInThrottle(deps.clock, { ipv6PrefixBits });
  // One key for both kinds of device cookie: each token names the kind of account it vouches for.
  const devices = createDeviceCookies(deps.sealer.deriveKey('device-cookie'), deps.clock);
  const resolveOrg = createOrgResolver(orgDeps);
  // The store knows client networks (pending sign-ins, clients' usual networks) only by a keyed
  // pseudonym, remembered per address by this process.
  const networkPseudonym = cachedNetworkNames(ipv6PrefixBits, (key) => deps.sealer.pseudonym(key, 'client-network'));
  const pendingSignIns = createPendingSignIns({ perNetwork: config.pendingSignInsPerNetwork, perOrg: config.pendingSignInsPerOrg }, networkPseudonym);
  // API-key authentication failures, per client network: the management API's and the sign-in token endpoint's together.
  const apiThrottle = createRateLimiter(deps.clock, { limits: API_THROTTLE_LIMITS, ipv6PrefixBits });
  registerAuthorizationServerMetadata(app, resolveOrg);
  // The connector hub's: one vault and one client of the providers per process.
  const allowPrivateNetwork = config.outboundAllowPrivateNetwork;
  const { vault, outbound, upstream } = deps.hub ?? createHubProcessServices(deps.storage.db, deps.sealer, deps.clock, { allowPrivateNetwork });
  // The webhooks' (the API's test-send and the console's) over the process's one outbound client.
  const webhooks = { sealer: deps.sealer, outbound, allowPrivateNetwork };
  void app.register(
    async (orgScope) => {
      await registerFormParsers(orgScope);
      registerOrgScope(orgScope, resolveOrg);
      const clientAuthThrottle = createClientAuthThrottle(deps.clock, { networkOf: networkPseudonym });
      // Registration requests (the page and RFC 7591 together), with their own per-IP counters.
      const registrationThrottles: RegistrationThrottles = {
        throttle: createRateLimiter(deps.clock, { limits: REGISTRATION_THROTTLE_LIMITS, ipv6PrefixBits }),
        refusedThrottle: createRateLimiter(deps.clock, { limits: REFUSED_REGISTRATION_THROTTLE_LIMITS, ipv6PrefixBits }),
      };
      // One error handler per transport, set on each scope here, never inherited from another's:
      // the OAuth JSON endpoints, the hosted pages, the connector hub's sign-in tokens, the staff console.
      await orgScope.register(async (protocol) => {
        protocol.setErrorHandler(answerOAuthError);
        registerOAuthRoutes(protocol, { clientAuthThrottle });
      });
      await orgScope.register(async (registration) => {
        registration.setErrorHandler(answerOAuthError);
        registerDynamicRegistrationRoutes(registration, registrationThrottles);
      });
      await orgScope.register(async (pages) => {
        pages.setErrorHandler(answerPageError);
        registerInteractionRoutes(pages, { publicUrl: config.publicUrl, throttle, devices, pendingSignIns });
        // Constituent sign-up, when the org allows it, with its own per-IP counter.
        registerSignUpRoutes(pages, { publicUrl: config.publicUrl, throttle: createRateLimiter(deps.clock, { limits: SIGN_UP_THROTTLE_LIMITS, ipv6PrefixBits }), devices });
        registerRegistrationPageRoutes(pages, { publicUrl: config.publicUrl, ...registrationThrottles });
      });
      await orgScope.register(async (connectorApi) => {
        connectorApi.setErrorHandler(answerSignInTokenError);
        registerSignInTokenRoutes(connectorApi, {
          db: deps.storage.db,
          clock: deps.clock,
          publicUrl: config.publicUrl,
          apiThrottle,
          orgIdOf: (request) => request.org.org.id,
          verifyServiceToken: (request, token) => verifyServiceToken(request.org, token),
        });
      });
      await orgScope.register(async (staffConsole) => {
        staffConsole.setErrorHandler(answerPageError);
        registerConsoleRoutes(staffConsole, {
          publicUrl: config.publicUrl,
          throttle,
          devices,
          afterChange: (orgId) => resolveOrg.forgetOrganization(orgId),
          connectors: { vault, allowHttpUrls: allowPrivateNetwork },
          webhooks,
        });
      });
      // The connector hub's hosted connect flow (its refusals are pages it renders itself).
      await orgScope.register(async (connect) => {
        connect.setErrorHandler(answerPageError);
        registerConnectRoutes(connect, { db: deps.storage.db, clock: deps.clock, vault, upstream, publicUrl: config.publicUrl, allowHttp: allowPrivateNetwork });
      });
    },
    { prefix: '/o/:slug' },
  );
  void app.register(async (api) => {
    // First of all: a request another site's page sent is refused unread (only the API's
    // description may be read from anywhere).
    registerCrossSiteGuard(api, { publicUrl: config.publicUrl, readableFromOtherSites: new Set(['/api/v2/openapi.json']) });
    await registerFormParsers(api);
    await registerManagementApi(api, {
      db: deps.storage.db,
      clock: deps.clock,
      throttle: apiThrottle,
      routes: MANAGEMENT_ROUTES,
      afterChange: (orgId) => resolveOrg.forgetOrganization(orgId),
      connectors: { vault, publicUrl: config.publicUrl, allowHttpUrls: config.outboundAllowPrivateNetwork, upstream, outbound },
      webhooks,
    });
    registerApiSessionRoutes(api, { db: deps.storage.db, clock: deps.clock, throttle: apiThrottle });
  }, { prefix: '/api' });
  return app;
}
