import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { COPY_SCRIPT } from '../http/copy-script.ts';

/**
 * The console's one stylesheet and one script, served from our origin under the console's path
 * with their content's hash in the name: a page's CSP names these exact URLs (no inline style or
 * script, no nonce to carry), and the files can be cached for a year, since a change is a new name.
 */

// Colours meet WCAG 2.2 AA in both schemes: body text and links at least 4.5:1 on their surface,
// field borders, focus rings and chart bars at least 3:1 (1.4.11).
const STYLESHEET = `
:root{color-scheme:light dark;--bg:#f3f4f6;--surface:#fff;--text:#111827;--muted:#4b5563;--line:#d1d5db;--field:#6b7280;--accent:#1d4ed8;--on-accent:#fff;--danger:#b91c1c;--danger-bg:#fef2f2;--ok:#166534;--ok-bg:#f0fdf4;--code-bg:#f9fafb;--bar-a:#1d4ed8;--bar-b:#b91c1c}
@media (prefers-color-scheme:dark){:root{--bg:#0f172a;--surface:#1e293b;--text:#f1f5f9;--muted:#cbd5e1;--line:#475569;--field:#94a3b8;--accent:#93c5fd;--on-accent:#0f172a;--danger:#fca5a5;--danger-bg:#3b1d24;--ok:#86efac;--ok-bg:#14301f;--code-bg:#0f172a;--bar-a:#93c5fd;--bar-b:#fca5a5}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-size:1rem;line-height:1.5}
[hidden]{display:none!important}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap;border:0}
.skip-link{position:absolute;left:.5rem;top:-10rem;z-index:10;padding:.5rem 1rem;background:var(--surface);color:var(--accent);border:2px solid var(--accent);border-radius:.375rem}
.skip-link:focus{top:.5rem}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.top{background:var(--surface);border-bottom:1px solid var(--line)}
.top-inner{max-width:64rem;margin:0 auto;padding:.75rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.org{font-weight:700;font-size:1.125rem;overflow-wrap:anywhere}
.who{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;color:var(--muted);font-size:.875rem;overflow-wrap:anywhere}
.who form{margin:0}
nav.sections{max-width:64rem;margin:0 auto;padding:0 1rem}
nav.sections ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}
nav.sections a{display:inline-block;padding:.625rem .75rem;text-decoration:none;font-weight:600;border-bottom:3px solid transparent}
nav.sections a[aria-current=page]{color:var(--text);border-bottom-color:var(--accent)}
main{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.125rem;margin:2rem 0 .75rem}
.panel>h2:first-child{margin-top:0}
p{margin:0 0 1rem}
.muted{color:var(--muted);font-size:.875rem}
.panel{background:var(--surface);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 1.5rem}
@media (min-width:40rem){.panel{padding:1.5rem 2rem}}
dl.facts{display:grid;grid-template-columns:minmax(0,1fr);gap:.25rem 1.5rem;margin:0}
@media (min-width:40rem){dl.facts{grid-template-columns:12rem minmax(0,1fr)}}
dl.facts dt{font-weight:600;margin-top:.5rem}
dl.facts dd{margin:0;min-width:0}
.copyable{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;min-width:0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.value{display:block;max-width:100%;overflow-x:auto;padding:.375rem .625rem;border:1px solid var(--line);border-radius:.375rem;background:var(--code-bg);white-space:pre;overflow-wrap:normal;-webkit-user-select:all;user-select:all}
.copy-status{color:var(--ok);font-size:.875rem;font-weight:600}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
.hint{margin:0 0 .25rem;color:var(--muted);font-size:.875rem}
input[type=text],input[type=number],input[type=email],input[type=url],textarea,select{display:block;width:100%;max-width:40rem;min-height:2.75rem;margin:0;padding:.5rem .75rem;font:inherit;color:inherit;background:var(--surface);border:1px solid var(--field);border-radius:.375rem}
textarea{min-height:5rem;resize:vertical;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
[aria-invalid=true]{border-color:var(--danger);border-width:2px}
fieldset{margin:1rem 0 0;padding:0;border:0;min-width:0}
legend{padding:0;font-weight:600}
label.choice{display:flex;gap:.625rem;align-items:flex-start;margin:.5rem 0 0;font-weight:400}
input[type=radio],input[type=checkbox]{flex:none;width:1.25rem;height:1.25rem;margin:.125rem 0 0;accent-color:var(--accent)}
button,a.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.5rem 1rem;font:inherit;font-weight:600;line-height:1.25;text-decoration:none;border:2px solid var(--accent);border-radius:.375rem;background:var(--accent);color:var(--on-accent);cursor:pointer}
button.secondary,a.button.secondary{background:var(--surface);color:var(--text);border-color:var(--field)}
.who button{min-height:2.25rem;padding:.25rem .75rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
.alert{margin:0 0 1.5rem;padding:.75rem 1rem;border:1px solid var(--danger);border-left-width:.375rem;border-radius:.375rem;background:var(--danger-bg)}
.alert>p{margin:0}
.alert ul{margin:.25rem 0 0;padding-left:1.25rem}
.notice{margin:0 0 1.5rem;padding:.75rem 1rem;border:1px solid var(--ok);border-left-width:.375rem;border-radius:.375rem;background:var(--ok-bg)}
.field-error{margin:0 0 .25rem;color:var(--danger);font-size:.875rem;font-weight:600}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9375rem}
caption{text-align:left;font-weight:600;padding:0 0 .5rem}
th,td{text-align:left;padding:.5rem .75rem;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{display:block;width:100%;max-width:48rem;height:auto}
.chart text{fill:var(--text);font-size:12px;font-family:inherit}
.chart .axis{stroke:var(--field);stroke-width:1}
.chart .bar-a{fill:var(--bar-a)}
.chart .bar-b{fill:var(--bar-b)}
.legend{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;margin:.5rem 0 1rem;padding:0;font-size:.875rem}
.swatch{display:inline-block;width:.875rem;height:.875rem;margin-right:.375rem;vertical-align:-.125rem;border-radius:.125rem}
.swatch.a{background:var(--bar-a)}
.swatch.b{background:var(--bar-b)}
.widget-preview{margin:.25rem 0 0;padding:1rem;border:1px dashed var(--field);border-radius:.375rem;background:#fff}
h3.hint{font-weight:600;margin:1rem 0 .25rem}
.badge{display:inline-block;padding:0 .5rem;border:1px solid var(--field);border-radius:1rem;font-size:.8125rem}
@media (forced-colors:active){button,a.button{border:2px solid ButtonText}.chart .bar-a,.chart .bar-b,.swatch{forced-color-adjust:none}}
/* Registrations, client lifecycle, custom scopes: the button of a step that revokes or deletes (AA on white text in light, dark text in dark). */
button.danger{background:var(--danger);border-color:var(--danger);color:var(--surface)}
/* Constituents and audit log (constituent-pages.ts, audit-pages.ts): the filters side by side on a wide screen, compact details. */
.filters{display:grid;grid-template-columns:minmax(0,1fr);gap:0 1.5rem;align-items:start}
@media (min-width:48rem){.filters{grid-template-columns:repeat(2,minmax(0,1fr))}}
ul.details{list-style:none;margin:0;padding:0;font-size:.875rem}
table.audit{min-width:44rem}
table.audit td:nth-child(2) code{overflow-wrap:normal;white-space:nowrap}
td form{margin:0}
input[type=password]{display:block;width:100%;max-width:40rem;min-height:2.75rem;margin:0;padding:.5rem .75rem;font:inherit;color:inherit;background:var(--surface);border:1px solid var(--field);border-radius:.375rem}
/* Staff and API access (staff-pages.ts): a table's row of small forms, the permission table's marks. */
.row-actions{display:flex;flex-wrap:wrap;gap:.5rem}
.row-actions form{margin:0}
.permission-table td.allowed{text-align:center}
.status-form{margin-top:1rem}
.staff-roles{margin-top:2rem}
code.key-name{white-space:nowrap}
/* A visually hidden text in a table (the buttons' names) is absolutely positioned: the table's scroller must contain it, or it widens the page at 375 px. */
.table-wrap{position:relative}
/* Connectors and webhooks (console-D): the event boxes, the delivery log, long URLs to copy wrapped (not a scrolling box). */
.webhook-events{margin:0 0 0 1.875rem}
.delivery{margin:0 0 1rem}
.delivery-head{margin:1rem 0 0;font-size:1rem;font-weight:600;overflow-wrap:anywhere}
.delivery-head+.muted{margin:0 0 .25rem;overflow-wrap:anywhere}
#connect-link,#redirect-uri{white-space:pre-wrap;overflow-wrap:anywhere}
/* Overview charts (overview-page.ts): a count stated above its chart; a third series (3:1 on the surface in both schemes). */
.stat{margin:0 0 .5rem}.stat strong{font-size:1.5rem;font-variant-numeric:tabular-nums}
:root{--bar-c:#047857}
@media (prefers-color-scheme:dark){:root{--bar-c:#6ee7b7}}
.chart .bar-c{fill:var(--bar-c)}
.swatch.c{background:var(--bar-c)}
details.chart-numbers{margin:0 0 .5rem}
details.chart-numbers>summary{padding:.5rem 0;cursor:pointer;font-weight:600;color:var(--accent)}
@media (forced-colors:active){.chart .bar-c{forced-color-adjust:none}}
/* Settings and branding (settings-pages.ts): the form beside the sign-in preview on wide screens, under it on narrow ones. */
.settings-layout{display:grid;grid-template-columns:minmax(0,1fr);gap:0 1.5rem}
@media (min-width:60rem){.settings-layout{grid-template-columns:minmax(0,1fr) minmax(0,1fr);align-items:start}.settings-layout .panel{padding:1.5rem}}
.settings-layout fieldset+fieldset,.settings-layout fieldset+label{margin-top:1.5rem}
iframe.sign-in-preview{display:block;width:100%;height:36rem;border:1px solid var(--field);border-radius:.375rem;background:#f3f4f6}
`;

/** The Copy buttons (one source with the hosted pages'), then the console's own behaviours. */
const SCRIPT = `${COPY_SCRIPT}
// Settings and branding (settings-pages.ts): the sign-in preview follows the form as the person
// types, by the form's own Preview button (it posts into the preview's frame); nothing is saved.
(function () {
  'use strict';
  document.querySelectorAll('form[data-live-preview]').forEach(function (form) {
    var preview = form.querySelector('button[formtarget]');
    if (!preview || typeof form.requestSubmit !== 'function') return;
    var timer;
    form.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { form.requestSubmit(preview); }, 400);
    });
  });
})();
`;

interface Asset {
  readonly name: string;
  readonly contentType: string;
  readonly body: string;
}

function hashed(stem: string, extension: string, contentType: string, body: string): Asset {
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { name: `${stem}-${digest}.${extension}`, contentType, body };
}

export const CONSOLE_STYLESHEET = hashed('console', 'css', 'text/css; charset=utf-8', STYLESHEET);
export const CONSOLE_SCRIPT = hashed('console', 'js', 'text/javascript; charset=utf-8', SCRIPT);
const ASSETS = new Map([CONSOLE_STYLESHEET, CONSOLE_SCRIPT].map((asset) => [asset.name, asset]));

/** Where the console's assets live, relative to the console's URL. */
export const ASSETS_PATH = 'assets';

/**
 * `GET /console/assets/<name>`: the current stylesheet and script, immutable for a year (their
 * name changes with their content); any other name is a 404.
 */
export function registerConsoleAssets(scope: FastifyInstance): void {
  scope.get<{ Params: { name: string } }>(`/console/${ASSETS_PATH}/:name`, async (request, reply) => {
    const asset = ASSETS.get(request.params.name);
    if (asset === undefined) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found');
    return reply.header('content-type', asset.contentType).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
  });
}
