import { randomBytes } from 'node:crypto';
import { isHexColor, normalizeLogoUrl } from '../lib/branding-values.ts';

/** How an organization's pages look: its name, and optionally its logo and colours. */
export interface PageBranding {
  readonly orgName: string;
  /** Shown only when it is an absolute `https:` URL. */
  readonly logoUrl?: string | null;
  /** Used only when it is exactly `#rrggbb`; anything else falls back to the default. */
  readonly primaryColor?: string | null;
  /** Links and focus rings: used only when it is exactly `#rrggbb` and reads on white. */
  readonly accentColor?: string | null;
}

/**
 * A page ready to send: the route answers with `html` as `text/html; charset=utf-8` and `csp` as
 * the `Content-Security-Policy` header (the nonce in it is fresh for every render).
 */
export interface RenderedPage {
  readonly html: string;
  readonly csp: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // Old IE treated the backtick as an attribute quote; escaping it costs nothing.
  '`': '&#96;',
};

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Markup that is safe to insert as is. Only `html` and the helpers in this file make one; page
 * code never wraps a string it did not write itself.
 */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** What `html` accepts between `${}`: strings and numbers are escaped, `SafeHtml` is kept. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function renderValue(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template for markup: every interpolated string is escaped, so a page cannot forget to.
 * Attribute values must sit inside double quotes in the template.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** `<input type="hidden">` for each entry, in order. */
export function hiddenInputs(fields: Readonly<Record<string, string>>): SafeHtml {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

/** A CSP nonce: 144 random bits in base64 (CSP3 asks for at least 128). */
export function newCspNonce(): string {
  return randomBytes(18).toString('base64');
}

const DEFAULT_PRIMARY = '#1d4ed8';
const WHITE = '#ffffff';
const NEAR_BLACK = '#111827';
const BLACK = '#000000';

/** The branding colour if it is exactly `#rrggbb`, so nothing else can reach the stylesheet. */
export function safePrimaryColor(color: string | null | undefined): string {
  return isHexColor(color) ? color.toLowerCase() : DEFAULT_PRIMARY;
}

/**
 * The logo URL, normalized, if the org's branding rules allow it (absolute `https:`, a host name,
 * no credentials); else null. The same rule the settings were validated with.
 */
export function safeLogoUrl(url: string | null | undefined): string | null {
  return normalizeLogoUrl(url) ?? null;
}

// WCAG 2.2 relative luminance and contrast ratio (§1.4.3, §1.4.11).
function luminance(hex: string): number {
  const channel = (offset: number): number => {
    const c = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/**
 * The text colour for a `#rrggbb` background: white or near-black, whichever contrasts more, and
 * black where neither reaches WCAG 1.4.3's 4.5:1 (mid tones such as #ff0000: near-black gives
 * 4.44:1 there). White or black always reaches 4.58:1.
 */
export function textColorOn(background: string): string {
  const best = contrastRatio(background, WHITE) >= contrastRatio(background, NEAR_BLACK) ? WHITE : NEAR_BLACK;
  return contrastRatio(background, best) >= 4.5 ? best : BLACK;
}

/**
 * Every kind of text field a page may use, styled alike (one border, width and focus ring): a field
 * missing here would be a small browser-default box beside full-width ones. Radios and checkboxes
 * have their own rule; hidden inputs show nothing.
 */
const FIELD_SELECTORS: readonly string[] = [
  'input[type=text]',
  'input[type=email]',
  'input[type=url]',
  'input[type=password]',
  'input[type=search]',
  'input[type=tel]',
  'input[type=number]',
  'textarea',
  'select',
];

/**
 * The stylesheet. The primary colour only fills buttons, their text in textColorOn's colour.
 * Links and focus rings take the accent colour, else the primary, else the default blue: the
 * first that reads on white (WCAG 1.4.3 text 4.5:1, which also covers 1.4.11's 3:1 for the focus
 * indicator).
 */
function stylesheet(primaryColor: string, accentColor: string | null): string {
  const onPrimary = textColorOn(primaryColor);
  const accent = [accentColor, primaryColor].find((c): c is string => c !== null && contrastRatio(c, WHITE) >= 4.5) ?? DEFAULT_PRIMARY;
  return `
:root{--primary:${primaryColor};--on-primary:${onPrimary};--accent:${accent};color-scheme:light}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;background:#f3f4f6;color:#111827;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-size:1rem;line-height:1.5}
.page{max-width:28rem;margin:0 auto;padding:2rem 1rem}
.page.wide{max-width:40rem}
[hidden]{display:none!important}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap;border:0}
.brand{margin:0 0 1.5rem;text-align:center}
.brand img{max-height:3.5rem;max-width:100%;height:auto}
.brand-name{font-size:1.125rem;font-weight:600}
main{background:#fff;border:1px solid #d1d5db;border-radius:.75rem;padding:1.5rem}
@media (min-width:30rem){.page{padding-top:4rem}main{padding:2rem}}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem;overflow-wrap:anywhere}
p{margin:0 0 1rem}
.lead{color:#374151;overflow-wrap:anywhere}
.muted{color:#4b5563;font-size:.875rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
${FIELD_SELECTORS.join(',')}{display:block;width:100%;min-height:2.75rem;margin:0;padding:.5rem .75rem;font:inherit;color:inherit;background:#fff;border:1px solid #6b7280;border-radius:.375rem}
textarea{min-height:5rem;resize:vertical}
[aria-invalid=true]{border-color:#b91c1c}
fieldset{margin:1rem 0 0;padding:0;border:0;min-width:0}
legend{padding:0;font-weight:600}
label.choice{display:flex;gap:.625rem;align-items:flex-start;margin:.5rem 0 0;font-weight:400}
input[type=radio],input[type=checkbox]{flex:none;width:1.25rem;height:1.25rem;margin:.125rem 0 0;accent-color:var(--accent)}
button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.5rem 1rem;font:inherit;font-weight:600;line-height:1.25;border:2px solid var(--primary);border-radius:.375rem;background:var(--primary);color:var(--on-primary);cursor:pointer}
button.secondary{background:#fff;color:#111827;border-color:#6b7280}
a.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.5rem 1rem;font-weight:600;line-height:1.25;text-align:center;text-decoration:none;border:2px solid #6b7280;border-radius:.375rem;background:#fff;color:#111827}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
.actions button,.actions .button{flex:1 1 10rem}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.alert{margin:1rem 0;padding:.75rem 1rem;border:1px solid #b91c1c;border-left-width:.375rem;border-radius:.375rem;background:#fef2f2;color:#7f1d1d}
.alert>p{margin:0}
.alert ul{margin:.25rem 0 0;padding-left:1.25rem}
.alert a{color:inherit}
.field-error{margin:0 0 .25rem;color:#b91c1c;font-size:.875rem;font-weight:600}
.scopes{margin:.5rem 0 1rem;padding-left:1.25rem}
.scopes li{margin:.25rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.credential{margin:1.25rem 0}
.credential-head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem .75rem;margin-bottom:.375rem}
.credential-label{flex:1 1 auto;margin:0;font-weight:600}
.copy-status{color:#166534;font-size:.875rem;font-weight:600}
.credential-value{overflow-x:auto;padding:.625rem .75rem;border:1px solid #d1d5db;border-radius:.375rem;background:linear-gradient(to right,#f9fafb 40%,rgba(249,250,251,0)) left/2rem 100% no-repeat local,linear-gradient(to left,#f9fafb 40%,rgba(249,250,251,0)) right/2rem 100% no-repeat local,radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.25),transparent) left/.75rem 100% no-repeat scroll,radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.25),transparent) right/.75rem 100% no-repeat scroll,#f9fafb}
.credential-value code{display:block;white-space:pre;overflow-wrap:normal;-webkit-user-select:all;user-select:all}
@media (forced-colors:active){button,a.button{border:2px solid ButtonText}}
`;
}

export interface PageShellOptions {
  /** The `<title>` and the page's one `<h1>`. */
  readonly title: string;
  /** Omitted on pages shown before the organization is known, or with no branding at all. */
  readonly branding?: PageBranding | null;
  /** What follows the heading inside `<main>`. */
  readonly body: SafeHtml;
  /**
   * Inline JavaScript the page needs, written by us (never built from request data). Its
   * presence adds `script-src 'nonce-…'` to the CSP; without it, no script may run.
   */
  readonly script?: string;
  /** `wide` for pages that show long values (client credentials, redirect URIs); `narrow` by default. */
  readonly width?: 'narrow' | 'wide';
}

/**
 * A complete HTML document and its Content-Security-Policy. The policy allows only the inline
 * style (and script) carrying this render's nonce, images only from the logo's origin (none
 * without a logo), and no framing.
 * It has no `form-action`: browsers apply it to the redirect after a form post too, which goes
 * to the client's redirect URI, an origin we cannot list.
 */
export function pageShell(options: PageShellOptions): RenderedPage {
  const nonce = newCspNonce();
  const branding = options.branding ?? null;
  const logoUrl = safeLogoUrl(branding?.logoUrl);
  const header = branding
    ? html`<header class="brand">${
        logoUrl
          ? html`<img src="${logoUrl}" alt="${branding.orgName}" referrerpolicy="no-referrer">`
          : html`<span class="brand-name">${branding.orgName}</span>`
      }</header>`
    : null;
  const script =
    options.script === undefined
      ? null
      : // `</` cannot appear in our scripts, but make sure it never closes the element early.
        html`<script nonce="${nonce}">${new SafeHtml(options.script.replace(/<\//g, '<\\/'))}</script>`;
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${options.title}</title>
<style nonce="${nonce}">${new SafeHtml(stylesheet(safePrimaryColor(branding?.primaryColor), isHexColor(branding?.accentColor) ? branding.accentColor.toLowerCase() : null))}</style>
</head>
<body>
<div class="${options.width === 'wide' ? 'page wide' : 'page'}">
${header}
<main>
<h1>${options.title}</h1>
${options.body}
</main>
</div>
${script}
</body>
</html>
`;
  const directives = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    ...(script ? [`script-src 'nonce-${nonce}'`] : []),
    // The origin, not the URL: a path may hold `;` or `,`, which would end the directive.
    ...(logoUrl ? [`img-src ${new URL(logoUrl).origin}`] : []),
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ];
  return { html: document.value, csp: directives.join('; ') };
}
