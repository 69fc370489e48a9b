import type { FastifyReply } from 'fastify';
import type { PageBranding, RenderedPage } from './html.ts';

/** Sends a rendered page with its own CSP; pages carry per-request state, so nothing is cached. */
export function sendPage(reply: FastifyReply, page: RenderedPage): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', page.csp)
    .header('cache-control', 'no-store')
    .send(page.html);
}

/**
 * What the page kit needs of an organization to brand its pages: its name, logo and colours.
 * A shape, not the organization's type: http/ knows no capability (docs/decisions/0004).
 */
export interface BrandedOrganization {
  readonly name: string;
  readonly settings: { readonly logoUrl: string | null; readonly primaryColor: string | null; readonly accentColor: string | null };
}

/** The org's name, logo and colours, as set through `PATCH /api/v2/org`, for every page of the org. */
export function brandingOf(ctx: { readonly org: BrandedOrganization }): PageBranding {
  const { logoUrl, primaryColor, accentColor } = ctx.org.settings;
  return { orgName: ctx.org.name, logoUrl, primaryColor, accentColor };
}
