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
  // Below every capability; `keys/` holds the root key, sealing and signing keys (its `key-admin.ts` is a use case).
  const FOUNDATIONS = ['lib', 'config', 'db', 'http', 'keys', 'outbound'];

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
  const DOMAIN_FOLDERS = ['accounts', 'audit', 'clients', 'connectors', 'orgs', 'staff', 'oauth', 'keys'];
  const EDGE = ['http', 'api', 'interactions', 'console'];
  it('domain folders import neither Fastify nor the edge, except in their *.routes.ts', () => {
    const offending = IMPORTS.filter((i) => DOMAIN_FOLDERS.includes(folderOf(i.file)) && !i.file.endsWith('.routes.ts'))
      .filter((i) => (i.ours ? EDGE.includes(folderOf(i.target)) : i.target === 'fastify' || i.target.startsWith('@fastify/')))
      .map(show);
    expect(offending).toEqual([]);
  });

  // The protocol core knows no page: the hosted pages (interactions/, console/) call it, and its
  // errors are rendered by each transport, never by oauth/ itself.
  it('oauth/ imports no page', () => {
    const PAGES = (target: string): boolean => ['interactions', 'console'].includes(folderOf(target)) || ['http/html.ts', 'http/pages.ts', 'http/error-page.ts'].includes(target);
    const offending = IMPORTS.filter((i) => i.file.startsWith('oauth/') && i.ours && PAGES(i.target)).map(show);
    expect(offending).toEqual([]);
  });

  // Repositories are a capability's storage: another capability calls its domain functions or
  // use cases instead (docs/architecture.md, "A request flows").
  it('a repository is imported only by its own capability', () => {
    const offending = IMPORTS.filter((i) => i.ours && i.target.endsWith('.repository.ts') && !FOUNDATIONS.includes(folderOf(i.target)) && folderOf(i.file) !== folderOf(i.target)).map(show);
    expect(offending).toEqual([]);
  });

  // Rows stay in storage: repositories map them to domain values and back, so a domain or use-case
  // file never sees a column name (db/database.ts composes the row types into the schema).
  it('only repositories and db/ import row types (*.table.ts)', () => {
    const offending = IMPORTS.filter((i) => i.ours && i.target.endsWith('.table.ts'))
      .filter((i) => !i.file.endsWith('.repository.ts') && !i.file.endsWith('.table.ts') && folderOf(i.file) !== 'db')
      .map(show);
    expect(offending).toEqual([]);
  });

  // Every staff operation is one use case (`*-admin.ts`) owning its transaction and audit event;
  // the API's routes and the CLI translate and render only, so neither can write a use case twice.
  it('management routes and CLI commands open no transaction and record no audit event themselves', () => {
    const managementRoutes = new Set(IMPORTS.filter((i) => i.target === 'api/management-api.ts' && i.file.endsWith('.routes.ts')).map((i) => i.file));
    expect(managementRoutes.size).toBeGreaterThan(4);
    const offending = IMPORTS.filter((i) => managementRoutes.has(i.file) || i.file.startsWith('cli/'))
      .filter((i) => i.target === 'db/transaction.ts' || i.target === 'audit/audit.ts')
      .map(show);
    expect(offending).toEqual([]);
  });

  // The layers of docs/architecture.md, by file: wiring, edge (transports, pages, *.routes.ts), use
  // cases (*-admin.ts), domain (with its repositories), foundations. Folders are cut by layer, so a
  // capability's routes calling another's use case while that one's domain calls the first's
  // domain is no circle; a circle between two units is one: the knot issue 10 untied.
  const unitOf = (file: string): string | undefined => {
    const folder = folderOf(file);
    if (folder === '' || folder === 'cli') return undefined;
    if (['api', 'interactions', 'console'].includes(folder) || file.endsWith('.routes.ts')) return `${folder} (edge)`;
    if (file.endsWith('-admin.ts')) return `${folder} (use cases)`;
    return FOUNDATIONS.includes(folder) ? undefined : `${folder} (domain)`;
  };
  const isFoundation = (file: string): boolean => FOUNDATIONS.includes(folderOf(file)) && unitOf(file) === undefined;
  it('no circle between units above the foundations (a folder cut by layer)', () => {
    const arrows = new Map<string, Set<string>>();
    for (const i of IMPORTS.filter((i) => i.ours)) {
      const from = unitOf(i.file);
      const to = unitOf(i.target);
      if (from === undefined || to === undefined || from === to) continue;
      arrows.set(from, (arrows.get(from) ?? new Set()).add(to));
    }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...(arrows.get(from) ?? [])].some((next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))));
    const circles = [...arrows].flatMap(([from, targets]) => [...targets].filter((to) => reaches(to, from)).map((to) => `${from} → ${to}`));
    expect(circles).toEqual([]);
  });

  it('foundations import nothing above them (db/ composes the row types of every capability, as types)', () => {
    const offending = IMPORTS.filter((i) => i.ours && isFoundation(i.file) && !isFoundation(i.target))
      .filter((i) => !(folderOf(i.file) === 'db' && i.typeOnly && i.target.endsWith('.table.ts')))
      .map(show);
    expect(offending).toEqual([]);
  });

  // Handlers get their input typed from their route's schemas (apiRoute), so they never cast it.
  it('management handlers cast no request input', () => {
    const managementRoutes = [...new Set(IMPORTS.filter((i) => i.target === 'api/management-api.ts' && i.file.endsWith('.routes.ts')).map((i) => i.file))];
    const CAST = /\b(?:body|params|query|fields)\b(?:\.\w+)*!?\)?\s+as\s|\b(?:params|query|body)\.\w+!/;
    const offending = managementRoutes.flatMap((file) =>
      readFileSync(join(SRC, file), 'utf8')
        .split('\n')
        // Code only: a comment may say "the body as the change".
        .flatMap((line, n) => (CAST.test(line) && !/^\s*(?:\*|\/\/|\/\*)/.test(line) ? [`${file}:${n + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });

  // The hub is an OAuth client; oauth/ is the server. They share only the pure pieces in lib/
  // (PKCE, Basic credentials, form encoding): an upstream's error must never surface as our own
  // protocol error, nor our server's rules shape an upstream call.
  it('connectors/ and oauth/ import nothing of each other', () => {
    const offending = IMPORTS.filter((i) => i.ours && ((folderOf(i.file) === 'connectors' && folderOf(i.target) === 'oauth') || (folderOf(i.file) === 'oauth' && folderOf(i.target) === 'connectors'))).map(show);
    expect(offending).toEqual([]);
  });
});
