import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('layering', () => {
  // Regression: src/accounts/constituent-admin.ts imported the oauth session and token
  // repositories, writing oauth tables from the accounts capability. Other capabilities call the
  // domain functions of src/oauth (revokeEverythingOfAccount, …); only db/ knows the table types.
  it('no capability outside src/oauth touches its repositories or tables', () => {
    const offending = sourceFiles(SRC)
      .map((path) => relative(SRC, path))
      .filter((path) => !path.startsWith('oauth/') && !path.startsWith('db/'))
      .flatMap((path) => {
        const imports = [...readFileSync(join(SRC, path), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
        return imports.filter((spec) => /\/oauth\/(.+\/)?[\w-]+\.(repository|table)\.ts$/.test(spec)).map((spec) => `${path} → ${spec}`);
      });
    expect(offending).toEqual([]);
  });
});
