import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

interface Import {
  /** The importing file, relative to src/ (`http/forms.ts`). */
  readonly file: string;
  /** The imported file relative to src/ (`lib/url-encoded.ts`), or the package (`fastify`, `@fastify/cookie`). */
  readonly target: string;
  readonly ours: boolean;
  /**
   * `import type …` or `export type … from`: erased, no code of the target runs. Not
   * `import { type X }`, which still loads the module (an empty import under verbatimModuleSyntax).
   */
  readonly typeOnly: boolean;
}

// Every `import … from '…'` and `export … from '…'`, over several lines too.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/g;

const IMPORTS: readonly Import[] = sourceFiles(SRC).flatMap((path) => {
  const file = relative(SRC, path).split(sep).join('/');
  return [...readFileSync(path, 'utf8').matchAll(IMPORT)].map((match): Import => {
    const spec = match[2]!;
    const ours = spec.startsWith('.');
    return { file, target: ours ? posix.normalize(posix.join(posix.dirname(file), spec)) : spec, ours, typeOnly: match[1] !== undefined };
  });
});

const show = (i: Import): string => `${i.file} → ${i.target}`;
const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '');

describe('layering', () => {
  it('reads the imports it checks', () => {
    // Without this, a regular expression that matched nothing would let every rule below pass.
    const ofApp = IMPORTS.filter((i) => i.file === 'app.ts').map((i) => `${i.target}${i.typeOnly ? ' (type)' : ''}`);
    expect(ofApp).toContain('http/forms.ts');
    expect(ofApp).toContain('fastify');
    expect(ofApp).toContain('db/database.ts (type)');
    expect(IMPORTS.length).toBeGreaterThan(500);
  });

  // Regression: src/accounts/constituent-admin.ts imported the oauth session and token
  // repositories, writing oauth tables from the accounts capability. Other capabilities call the
  // domain functions of src/oauth (revokeEverythingOfAccount, …); only db/ knows the table types.
  it('no capability outside src/oauth touches its repositories or tables', () => {
    const offending = IMPORTS.filter((i) => i.ours && !i.file.startsWith('oauth/') && !i.file.startsWith('db/'))
      .filter((i) => /^oauth\/(.+\/)?[\w-]+\.(repository|table)\.ts$/.test(i.target))
      .map(show);
    expect(offending).toEqual([]);
  });

  it('lib/ imports nothing of ours outside lib/', () => {
    const offending = IMPORTS.filter((i) => i.file.startsWith('lib/') && i.ours && !i.target.startsWith('lib/')).map(show);
    expect(offending).toEqual([]);
  });

  // The edge shared by every transport knows no capability (docs/decisions/0004). db/ sits beside
  // it among the foundations: its types may be named (`Storage` for /readyz), but no value of it
  // is imported, so http/ runs no query of its own.
  it('http/ imports only lib/, config/ and types of db/', () => {
    const offending = IMPORTS.filter((i) => i.file.startsWith('http/') && i.ours)
      .filter((i) => !['http', 'lib', 'config'].includes(folderOf(i.target)) && !(folderOf(i.target) === 'db' && i.typeOnly))
      .map(show);
    expect(offending).toEqual([]);
  });

  // The wiring assembles the routes: app.ts registers them, management-routes.ts is the table of
  // the management API's routes. Nothing else imports a routes file.
  const WIRING = (file: string): boolean => file === 'app.ts' || file === 'main.ts' || file === 'management-routes.ts' || file.startsWith('cli/');
  it('no file imports a *.routes.ts but the wiring', () => {
    const offending = IMPORTS.filter((i) => i.ours && i.target.endsWith('.routes.ts') && !WIRING(i.file)).map(show);
    expect(offending).toEqual([]);
  });

  // Domain code is plain functions over typed values; the routes files (`*.routes.ts`) in the
  // same folders are the edge, and they alone speak HTTP.
  const DOMAIN_FOLDERS = ['accounts', 'clients', 'orgs', 'staff', 'oauth', 'keys'];
  const EDGE = ['http', 'api', 'interactions'];
  it('domain folders import neither Fastify nor the edge, except in their *.routes.ts', () => {
    const offending = IMPORTS.filter((i) => DOMAIN_FOLDERS.includes(folderOf(i.file)) && !i.file.endsWith('.routes.ts'))
      .filter((i) => (i.ours ? EDGE.includes(folderOf(i.target)) : i.target === 'fastify' || i.target.startsWith('@fastify/')))
      .map(show);
    expect(offending).toEqual([]);
  });
});
