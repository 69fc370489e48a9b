import { html, pageShell } from './html.ts';
import type { PageBranding, RenderedPage } from './html.ts';

export interface ErrorPageModel {
  /** Absent when the organization itself is unknown. */
  readonly branding?: PageBranding | null;
  readonly title: string;
  readonly message: string;
  /** The request id, so a person can quote it to support and we can find the log line. */
  readonly requestId?: string;
}

/**
 * Shown instead of redirecting when the client or its redirect URI could not be verified: an
 * error must never be sent to an unverified URI (RFC 6749 §4.1.2.1, RFC 9700 §4.11).
 */
export function renderErrorPage(model: ErrorPageModel): RenderedPage {
  const body = html`<p>${model.message}</p>
${model.requestId ? html`<p class="muted">If you contact support, give them this reference: <code>${model.requestId}</code></p>` : null}`;
  return pageShell({ title: model.title, branding: model.branding ?? null, body });
}
