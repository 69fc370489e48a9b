import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DYNAMIC_REGISTRATION_PATH, isRegistrationOpen, submitRegistrationRequest, type RegisteredClient } from '../../clients/registration.ts';
import { beginRegistration, REGISTRATION_RETRY_AFTER_SECONDS, type RegistrationThrottles } from '../../clients/registration-throttle.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { InvalidInitialAccessToken, RegistrationThrottled } from '../errors.ts';
import { asRegistrationError, clientInformationResponse, initialAccessTokenMatches, parseClientMetadata, type ParsedClientMetadata } from './dynamic-registration.ts';

/** Its errors are OAuth JSON (the scope's handler), a body it cannot read named as RFC 7591 says. */
const CLIENT_METADATA_ROUTE = { config: { answers: 'json' as const, clientMetadata: true as const } };

/**
 * RFC 7591 dynamic registration for one organization (POST `/o/:slug/connect/register`, JSON),
 * open only while its `client_registration` setting is `approval`, optionally behind an initial
 * access token. The client is created `pending` and the request recorded in the audit log for
 * staff to decide. Errors are thrown as OAuthErrors, for the OAuth JSON handler of the scope.
 */
export function registerDynamicRegistrationRoutes(scope: FastifyInstance, deps: RegistrationThrottles): void {
  scope.post(DYNAMIC_REGISTRATION_PATH, CLIENT_METADATA_ROUTE, async (request, reply) => {
    const ctx = request.org;
    if (!isRegistrationOpen(ctx.org)) {
      return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'This organization does not accept client registrations.' });
    }
    // RFC 7591 §3: an invalid or missing initial access token is answered as RFC 6750 says.
    if (!initialAccessTokenMatches(ctx.org, request.headers.authorization)) throw new InvalidInitialAccessToken('A valid initial access token is required to register a client.');
    // Counted per client network only (an IPv6 client by its /64: see lib/rate-limiter.ts).
    const attempt = beginRegistration(deps, { orgId: ctx.org.id, ip: request.ip });
    if (attempt === undefined) throw new RegistrationThrottled(REGISTRATION_RETRY_AFTER_SECONDS);
    let parsed: ParsedClientMetadata;
    let registered: RegisteredClient;
    try {
      parsed = parseClientMetadata(request.body);
      registered = await register(request, parsed);
    } catch (error) {
      attempt.refused();
      if (error instanceof InvalidInputError) throw asRegistrationError(error);
      throw error;
    }
    attempt.landed();
    // RFC 7591 §3.2.1: 201 Created, never cached.
    return reply.code(201).header('cache-control', 'no-store').header('pragma', 'no-cache').send(clientInformationResponse(registered, parsed.tokenEndpointAuthMethod));
  });
}

async function register(request: FastifyRequest, parsed: ParsedClientMetadata): Promise<RegisteredClient> {
  const ctx = request.org;
  const registered = await submitRegistrationRequest(ctx.db, ctx.clock, ctx.org, parsed.request, { ip: request.ip });
  request.log.info({ event: 'client_registration_requested', org: ctx.org.slug, client: registered.client.clientId }, 'client registration requested');
  return registered;
}
