import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.ts';
import { describeStore, type StoreDescription } from '../db/open.ts';
import { asStorageError } from '../db/storage-error.ts';
import { RootKeyError } from '../keys/root-key.ts';
import { systemClock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { clientCreate } from './client.ts';
import { UsageError, type CliIo, type Command } from './command.ts';
import { connectorsConnectLink, connectorsStatus } from './connectors.ts';
import { constituentCreate } from './constituent.ts';
import { keysList, keysRotate } from './keys.ts';
import { migrate } from './migrate.ts';
import { orgCreate } from './org.ts';
import { purge } from './purge.ts';
import { scopeSet } from './scope.ts';
import { staffCreate } from './staff.ts';
import { start } from './start.ts';
import { tryCommand } from './try.ts';
import { TryFailure } from './try-flow.ts';
import { vaultRotate } from './vault.ts';

const COMMANDS: readonly Command[] = [start, migrate, orgCreate, constituentCreate, clientCreate, staffCreate, scopeSet, keysRotate, keysList, vaultRotate, connectorsStatus, connectorsConnectLink, purge, tryCommand];

/** Exit statuses: 0 done, 1 failed (the message says why), 2 bad arguments. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/**
 * Runs one CLI invocation. Returns the exit status; never calls process.exit itself, so `start`
 * keeps serving after it returns.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const command = COMMANDS.find((c) => startsWithWords(argv, c.name));
  if (command === undefined) {
    const asked = argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
    if (asked === '' || argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(overview());
      return asked === '' && !argv.includes('--help') && !argv.includes('-h') ? EXIT.usage : EXIT.ok;
    }
    return fail(io, json, 'usage', `unknown command '${asked}'`, { usage: overview() });
  }
  const rest = argv.slice(command.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandUsage(command));
    return EXIT.ok;
  }
  let store: StoreDescription | undefined;
  try {
    const { values, positionals } = parseArguments(command, rest);
    const config = loadConfig(io.env);
    // Every command works on a store: name it first, so that one run with another environment
    // than the server's says so. With --json, stderr stays empty on success (scripts may treat
    // any output there as a failure) and an error object names the store instead (fail).
    if (command.usesStore !== false) {
      store = describeStore(config);
      if (!json) io.stderr.write(`gatehouse: store ${store.dialect} ${store.location}\n`);
    }
    const output = await command.run({ values, positionals, config, clock: systemClock, io, json });
    io.stdout.write(json ? `${JSON.stringify(output.json)}\n` : output.text);
    return EXIT.ok;
  } catch (error) {
    const [code, message] = describeFailure(error);
    return fail(io, json, code, message, { store, usage: error instanceof UsageError ? commandUsage(command) : undefined });
  }
}

/** An error as the CLI reports it: its code (in --json errors) and its one-line message. */
function describeFailure(error: unknown): [code: string, message: string] {
  if (error instanceof UsageError) return ['usage', error.message];
  if (error instanceof ConfigError) return ['invalid_config', error.message];
  if (error instanceof DomainError) return [error.code, error.message];
  if (error instanceof RootKeyError) return ['storage', error.message];
  if (error instanceof TryFailure) return [error.code, error.message];
  const storageError = asStorageError(error);
  if (storageError !== undefined) return ['storage', storageError.message];
  const listen = error as NodeJS.ErrnoException;
  if (['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND'].includes(listen.code ?? '')) {
    return ['listen', `cannot listen: ${listen.message}; choose another PORT or HOST`];
  }
  return ['internal', `unexpected error: ${(error as Error).stack ?? String(error)}`];
}

function parseArguments(command: Command, args: readonly string[]): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...command.options, json: { type: 'boolean' } },
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const expected = command.positionals ?? [];
  if (parsed.positionals.length < expected.length) throw new UsageError(`missing <${expected[parsed.positionals.length]}>`);
  if (parsed.positionals.length > expected.length) throw new UsageError(`unexpected argument '${parsed.positionals[expected.length]}'`);
  for (const [name, value] of Object.entries(parsed.values)) {
    const declared = command.options[name];
    // allowNegative accepts --no-<x> for every boolean; only `--no-consent` means something.
    if (value === false && declared?.type === 'boolean' && name !== 'consent') throw new UsageError(`unknown option '--no-${name}'`);
  }
  return parsed;
}

function startsWithWords(argv: readonly string[], name: string): boolean {
  return name.split(' ').every((word, i) => argv[i] === word);
}

/**
 * Reports a failure on stderr: one line, or with --json one object, which names the store the
 * command worked on (`store`, `store_location`) once the configuration was read.
 */
function fail(io: CliIo, json: boolean, code: string, message: string, context: { readonly usage?: string | undefined; readonly store?: StoreDescription | undefined } = {}): number {
  const { usage, store } = context;
  if (json) io.stderr.write(`${JSON.stringify({ error: code, message, ...(store === undefined ? {} : { store: store.dialect, store_location: store.location }) })}\n`);
  else io.stderr.write(`gatehouse: ${message}\n${usage === undefined ? '' : `\n${usage}`}`);
  return code === 'usage' ? EXIT.usage : EXIT.failed;
}

function commandUsage(command: Command): string {
  return `usage: gatehouse ${command.synopsis}\n  ${command.summary}\n`;
}

function overview(): string {
  const lines = COMMANDS.map((c) => `  gatehouse ${c.synopsis}\n      ${c.summary}`);
  return `usage: gatehouse <command> [options]\n\n${lines.join('\n')}\n\nEvery command reads the server's environment (DATA_DIR, DATABASE_URL, PUBLIC_URL, …) and accepts --json.\n`;
}
