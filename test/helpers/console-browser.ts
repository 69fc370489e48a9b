import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { expect } from 'vitest';

// The checks every browser test of the console and the hosted pages makes, in one place: Debian's
// chromium (playwright-core, no browser download), axe-core in light and dark, no sideways scroll
// at 375 px, the CSP-violation listener, and the docs/console/ screenshots (only with SCREENSHOTS=1:
// their pixels change with every run's ids and dates, and a plain `npm test` leaves the tree clean).

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');
const WRITE_SCREENSHOTS = process.env.SCREENSHOTS === '1';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The desktop viewport of the screenshots; the narrow one is 375 × 812. */
export const DESKTOP = { width: 1280, height: 860 } as const;

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: ReadonlyArray<{ readonly target: unknown }>;
}

/** Debian's chromium, headless; a missing browser fails with how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  if (WRITE_SCREENSHOTS) mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects what the browser reports as refused by a page's Content-Security-Policy. */
export class CspWatch {
  readonly violations: string[] = [];

  /** Listens on `page`'s console messages; returns the page. */
  watch(page: Page): Page {
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) this.violations.push(message.text());
    });
    return page;
  }
}

/**
 * axe-core's serious and critical violations of the document, in light and in dark, each prefixed
 * with `label` when given. `frame` is the page's main frame unless another is named (a preview).
 */
export async function accessibilityProblems(page: Page, options: { readonly label?: string; readonly frame?: Frame } = {}): Promise<string[]> {
  const target = options.frame ?? page.mainFrame();
  const prefix = options.label === undefined ? '' : `${options.label} `;
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Evaluated through the DevTools protocol, which the page's CSP does not govern.
    await target.evaluate(AXE_SOURCE);
    const violations = (await target.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
    for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') problems.push(`${prefix}${colorScheme} ${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return problems;
}

/**
 * Light and dark, desktop and 375 px wide (into docs/console/<name>-<scheme>-<width>.png with
 * SCREENSHOTS=1); the page never scrolls sideways at 375 px. Each shot is taken either way, so a
 * page that fails to render fails here.
 */
export async function screenshots(page: Page, name: string, options: { readonly desktop?: { readonly width: number; readonly height: number } } = {}): Promise<void> {
  const desktop = options.desktop ?? DESKTOP;
  for (const [label, viewport] of [['desktop', desktop], ['375', { width: 375, height: 812 }]] as const) {
    await page.setViewportSize(viewport);
    if (label === '375') expect(await page.evaluate('document.documentElement.scrollWidth'), `${name} overflows at 375 px`).toBeLessThanOrEqual(375);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const shot = await page.screenshot({ fullPage: true });
      if (WRITE_SCREENSHOTS) writeFileSync(join(SHOTS, `${name}-${colorScheme}-${label}.png`), shot);
    }
  }
  await page.setViewportSize(desktop);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Both checks: no serious or critical axe-core violation (light and dark), then `screenshots`. */
export async function judge(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page), name).toEqual([]);
  await screenshots(page, name);
}
