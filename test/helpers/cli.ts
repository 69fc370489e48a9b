import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gatehouse.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `gatehouse` command in a child process, as a script would. */
export function gatehouse(args: readonly string[], env: Record<string, string>, node = process.execPath): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(node, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** Parses stdout as exactly one JSON object and nothing else, after a clean exit. */
export function onlyJson(run: CliRun): Record<string, unknown> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout.endsWith('\n')).toBe(true);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/**
 * The store a command run with `env` names: `store` and `store_location` in its --json errors,
 * and `gatehouse: store <dialect> <location>` (storeLine) first on stderr without --json.
 */
export function storeOf(env: Record<string, string>): { readonly store: 'sqlite' | 'postgres'; readonly store_location: string } {
  return env.DATABASE_URL === undefined
    ? { store: 'sqlite', store_location: resolve(env.DATA_DIR ?? 'data', 'gatehouse.db') }
    : { store: 'postgres', store_location: env.DATABASE_URL };
}

export function storeLine(env: Record<string, string>): string {
  const { store, store_location } = storeOf(env);
  return `gatehouse: store ${store} ${store_location}\n`;
}
