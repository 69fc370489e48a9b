import { hiddenInputs, html, type RenderedPage, type SafeHtml } from '../http/html.ts';
import type { Permission } from '../staff/permissions.ts';
import { ASSETS_PATH, CONSOLE_SCRIPT, CONSOLE_STYLESHEET } from './assets.ts';
import { FLASH_MESSAGES, type FlashKey } from './flash.ts';

/** A section of the console: an entry of the nav, shown to the roles that may read it. */
export interface Section {
  readonly id: 'overview' | 'clients' | 'registrations' | 'constituents' | 'staff' | 'connectors' | 'webhooks' | 'audit' | 'settings';
  readonly label: string;
  /** Relative to the console's URL. */
  readonly path: string;
  /** What the section's pages read: without it the entry is not shown (the use cases refuse anyway). */
  readonly permission: Permission;
}

/**
 * The sections built so far, in the nav's order. Registrations, constituents, staff, connectors,
 * audit and settings come with their pages: a nav entry without a page would be a dead link.
 */
export const SECTIONS: readonly Section[] = [
  { id: 'overview', label: 'Overview', path: '', permission: 'org:read' },
  { id: 'clients', label: 'OAuth clients', path: 'clients', permission: 'clients:read' },
  { id: 'registrations', label: 'Registrations', path: 'registrations', permission: 'clients:read' },
  { id: 'constituents', label: 'Constituents', path: 'constituents', permission: 'constituents:read' },
  { id: 'staff', label: 'Staff and API access', path: 'staff', permission: 'staff:read' },
  { id: 'connectors', label: 'Connectors', path: 'connectors', permission: 'connectors:read' },
  { id: 'webhooks', label: 'Webhooks', path: 'webhooks', permission: 'webhooks:read' },
  { id: 'audit', label: 'Audit log', path: 'audit', permission: 'audit:read' },
  { id: 'settings', label: 'Settings', path: 'settings', permission: 'org:read' },
];

/** What every console page shows around its content: who is signed in where, and what they may see. */
export interface ConsoleFrame {
  readonly orgName: string;
  readonly email: string;
  readonly role: string;
  readonly permissions: ReadonlySet<Permission>;
  /** `PUBLIC_URL/o/<slug>/console` (no trailing slash). */
  readonly consoleUrl: string;
  /** The sign-out form's CSRF token. */
  readonly signOutToken: string;
}

export interface ConsolePageOptions {
  /** The `<title>` (after the org's name) and the page's one `<h1>`. */
  readonly title: string;
  readonly section: Section['id'] | null;
  readonly body: SafeHtml;
  /** A message of a finished action (Post/Redirect/Get), by its fixed key. */
  readonly flash?: FlashKey | null;
  /**
   * Scripts of this origin the page's body loads itself (the login widget's live preview), by
   * exact URL, added to the CSP's script-src. Never a URL built from request data.
   */
  readonly extraScripts?: readonly string[];
  /**
   * Pages of this origin the page frames (the settings' sign-in preview), by exact URL: the CSP's
   * frame-src, absent otherwise (default-src 'none' then forbids every frame). Never request data.
   */
  readonly extraFrames?: readonly string[];
}

/** The URL of a console page, `path` relative to the console (no leading slash). */
export function consoleHref(frame: Pick<ConsoleFrame, 'consoleUrl'>, path: string): string {
  return `${frame.consoleUrl}/${path}`;
}

/**
 * One layout for every console page: a skip link, a header with the org and the signed-in user
 * (and sign-out), the nav of the sections the role may read, then `<main>`. The CSP allows exactly
 * the console's stylesheet and script (by URL; nothing inline), forms posting only to this
 * origin, no framing.
 */
export function renderConsolePage(frame: ConsoleFrame, options: ConsolePageOptions): RenderedPage {
  const assets = `${frame.consoleUrl}/${ASSETS_PATH}`;
  const css = `${assets}/${CONSOLE_STYLESHEET.name}`;
  const js = `${assets}/${CONSOLE_SCRIPT.name}`;
  const visible = SECTIONS.filter((section) => frame.permissions.has(section.permission));
  const flash = options.flash ? FLASH_MESSAGES[options.flash] : null;
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ${frame.orgName} console</title>
<link rel="stylesheet" href="${css}">
<script src="${js}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="top">
<div class="top-inner">
<span class="org">${frame.orgName}</span>
<div class="who">
<span>Signed in as <strong>${frame.email}</strong> (${frame.role.replace('_', ' ')})</span>
<form method="post" action="${consoleHref(frame, 'logout')}">
${hiddenInputs({ csrf_token: frame.signOutToken })}
<button type="submit" class="secondary">Sign out</button>
</form>
</div>
</div>
<nav class="sections" aria-label="Console sections">
<ul>${visible.map((section) => html`<li><a href="${consoleHref(frame, section.path)}"${section.id === options.section ? html` aria-current="page"` : null}>${section.label}</a></li>`)}</ul>
</nav>
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${flash ? html`<p class="notice" role="status">${flash}</p>` : null}
${options.body}
</main>
</body>
</html>
`;
  const origin = new URL(frame.consoleUrl).origin;
  const csp = [
    "default-src 'none'",
    `style-src ${css}`,
    `script-src ${[js, ...(options.extraScripts ?? [])].join(' ')}`,
    ...(options.extraFrames !== undefined && options.extraFrames.length > 0 ? [`frame-src ${options.extraFrames.join(' ')}`] : []),
    // The clipboard needs nothing more; forms post to this origin only, and so do their redirects.
    `form-action ${origin}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html: document.value, csp };
}
