import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { renderErrorPage } from '../http/error-page.ts';
import { ContentTooLarge, HttpClientError } from '../http/errors.ts';
import { brandingOf, sendPage } from '../http/pages.ts';
import { OAuthError } from '../oauth/errors.ts';

/**
 * The error handler of every scope that answers with pages: the hosted pages (authorization,
 * sign-in, consent, logout, sign-up, the registration page) and the staff console. app.ts
 * registers it on each such scope. A request the edge or the protocol refused is a 400 page
 * saying why (a fixed text), a body over the limit a 413 page, anything unknown a 500 page with a
 * generic text and its cause in the log. The org's branding when the org is known.
 */
export function answerPageError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // RFC 9110 §15.5.14: a body over the limit is 413, on a page as at the token endpoint.
  if (error instanceof ContentTooLarge || error.statusCode === 413) return errorPage(request, reply.code(413), 'Request too large', 'The form sent was larger than any form of these pages.');
  if (error instanceof OAuthError || error instanceof HttpClientError) return badRequestPage(request, reply, 'Invalid request', error.description);
  if ((error.statusCode ?? 500) < 500) return badRequestPage(request, reply, 'Invalid request', 'The request could not be read.');
  request.log.error({ err: error }, 'unexpected error on a hosted page');
  return sendPage(reply.code(500), renderErrorPage({ title: 'Something went wrong', message: 'The server met an unexpected condition. Try again later.', requestId: request.id }));
}

/** A page of an interaction that is gone: expired, used, or opened in another browser. */
export function expiredPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return badRequestPage(request, reply, 'This page has expired', 'This sign-in page is no longer valid (it expired, was already used, or was opened in another browser). Go back to the application and sign in again.');
}

export function badRequestPage(request: FastifyRequest, reply: FastifyReply, title: string, message: string): FastifyReply {
  return errorPage(request, reply.code(400), title, message);
}

function errorPage(request: FastifyRequest, reply: FastifyReply, title: string, message: string): FastifyReply {
  // request.org is not set when the error came before the org hook (a body that could not be parsed).
  const branding = request.org === null || request.org === undefined ? null : brandingOf(request.org);
  return sendPage(reply, renderErrorPage({ branding, title, message, requestId: request.id }));
}
