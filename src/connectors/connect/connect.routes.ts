import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BROWSER_COOKIE, ensureBrowserCookie } from '../../http/cookies.ts';
import { renderErrorPage } from '../../http/error-page.ts';
import { readQuery } from '../../http/forms.ts';
import { brandingOf, sendPage } from '../../http/pages.ts';
import type { RawParams } from '../../lib/url-encoded.ts';
import { beginConnect } from './begin-connect.ts';
import { CALLBACK_PATH, START_PATH, type ConnectDeps } from './connect-deps.ts';
import { ConnectRefused } from './connect-errors.ts';
import { renderConnectResultPage } from '../../interactions/pages/connect-result.ts';
import { redirectTarget } from './redirect-target.ts';
import { finishConnect } from './finish-connect.ts';

const PAGE = { config: { answers: 'page' as const } };

/** One value of a query parameter; null when absent or empty, undefined when repeated or holding NUL (refused). */
/**
 * The longest callbackMessage taken: the partner's own token of completion, not a payload. It is
 * stored with the attempt and written into the result page, so a URL's worth of text is refused.
 */
export const MAX_CALLBACK_MESSAGE_LENGTH = 1000;

function single(params: RawParams, name: string): string | null | undefined {
  const values = params.get(name)?.filter((value) => value !== '') ?? [];
  if (values.length === 0) return null;
  if (values.length > 1 || values[0]!.includes('\u0000')) return undefined;
  return values[0]!;
}

/**
 * The seed's hosted connect flow under `/o/<slug>` (register on a scope whose error handler is
 * answerPageError): the start, which sends the browser to the provider, and the provider's
 * redirect back, which ends with a 303 to the partner's targetOrigin or a page posting
 * callbackMessage to it. A refusal is an error page with its status, never a redirect or a message.
 */
export function registerConnectRoutes(scope: FastifyInstance, deps: ConnectDeps): void {
  scope.get(START_PATH, PAGE, async (request, reply) => {
    const org = request.org.org;
    const query = readQuery(request);
    const [id, token, targetOrigin, callbackMessage] = ['id', 'token', 'targetOrigin', 'callbackMessage'].map((name) => single(query, name));
    try {
      if (!id || !token || !targetOrigin || callbackMessage === undefined || (callbackMessage !== null && callbackMessage.length > MAX_CALLBACK_MESSAGE_LENGTH)) {
        throw new ConnectRefused('bad_request');
      }
      const browserBinding = ensureBrowserCookie(request, reply, deps.publicUrl, org.slug);
      const url = await beginConnect(deps, org, { connectorId: id, token, targetOrigin, callbackMessage, browserBinding });
      return reply.code(303).header('cache-control', 'no-store').redirect(url, 303);
    } catch (error) {
      if (error instanceof ConnectRefused) return refusedPage(request, reply, error);
      throw error;
    }
  });

  scope.get(CALLBACK_PATH, PAGE, async (request, reply) => {
    const org = request.org.org;
    const query = readQuery(request);
    try {
      const [state, code, error] = ['state', 'code', 'error'].map((name) => single(query, name));
      if (state === undefined || code === undefined || error === undefined) throw new ConnectRefused('attempt_unknown');
      const cookie = request.cookies[BROWSER_COOKIE];
      const outcome = await finishConnect(deps, org, {
        state,
        code,
        error,
        param: (name) => single(query, name) ?? null,
        browserBinding: cookie === undefined || cookie === '' ? null : cookie,
      });
      if (outcome.finish === 'redirect') return reply.header('cache-control', 'no-store').redirect(redirectTarget(outcome), 303);
      // The postMessage variant: callbackMessage (or { message, error }) posted to exactly targetOrigin.
      const page = renderConnectResultPage({ branding: brandingOf(request.org), callbackMessage: outcome.callbackMessage ?? '', targetOrigin: outcome.targetOrigin, error: outcome.error });
      return sendPage(reply, page);
    } catch (error) {
      if (error instanceof ConnectRefused) return refusedPage(request, reply, error);
      throw error;
    }
  });
}

function refusedPage(request: FastifyRequest, reply: FastifyReply, refusal: ConnectRefused): FastifyReply {
  request.log.info({ reason: refusal.reason, ...(typeof refusal.cause === 'string' ? { detail: refusal.cause } : {}) }, 'connect flow refused');
  return sendPage(reply.code(refusal.status), renderErrorPage({ branding: brandingOf(request.org), title: refusal.title, message: refusal.description, requestId: request.id }));
}
