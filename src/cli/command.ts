import type { ParseArgsOptionsConfig } from 'node:util';
import type { Config } from '../config/config.ts';
import type { Storage } from '../db/database.ts';
import { hasGatehouseSchema, migrateToLatest } from '../db/migrate.ts';
import { openStorage } from '../db/open.ts';
import { StorageError } from '../db/storage-error.ts';
import type { Clock } from '../lib/clock.ts';
import type { Organization } from '../orgs/organization.ts';
import { getOrganizationBySlug } from '../orgs/orgs.ts';

export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface CommandInput {
  readonly values: ParsedValues;
  readonly positionals: readonly string[];
  readonly config: Config;
  readonly clock: Clock;
  readonly io: CliIo;
  readonly json: boolean;
}

/** What a command prints: `json` with --json (exactly one object on stdout), `text` otherwise. */
export interface CommandOutput {
  readonly json: Record<string, unknown>;
  readonly text: string;
}

export interface Command {
  /** The words that select it, e.g. `org create`. */
  readonly name: string;
  readonly summary: string;
  /** Synopsis shown in usage messages, without the leading `gatehouse`. */
  readonly synopsis: string;
  readonly options: ParseArgsOptionsConfig;
  /** Names of the positional arguments, all required. */
  readonly positionals?: readonly string[];
  /** False for a command that opens no store (`try` only talks HTTP); it then names none. Default true. */
  readonly usesStore?: boolean;
  run(input: CommandInput): Promise<CommandOutput>;
}

/** Bad arguments: printed with the command's usage, exit status 2. */
export class UsageError extends Error {}

export function requiredString(values: ParsedValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalString(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} needs a value`);
  return value;
}

export function stringList(values: ParsedValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => {
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`);
    return v;
  });
}

/**
 * Opens the configured store, which must exist (only `start` and `migrate` create one: a command
 * run without the server's DATA_DIR or DATABASE_URL fails, naming the store, and creates
 * nothing), brings its schema up to date (safe while a server runs), runs `work` and closes the
 * store whatever happens.
 */
export async function withStorage<T>(config: Config, work: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(config, { create: false });
  try {
    if (!(await hasGatehouseSchema(storage))) {
      throw new StorageError(
        `${storage.dialect === 'sqlite' ? 'the SQLite database' : 'PostgreSQL'} at ${storage.location}${storage.schema === undefined ? '' : ` (schema ${storage.schema})`} ` +
          `holds no Gatehouse store: point DATA_DIR or DATABASE_URL at the server's, or run 'gatehouse migrate' to create one there`,
      );
    }
    await migrateToLatest(storage);
    return await work(storage);
  } finally {
    await storage.close();
  }
}

export function orgBySlug(storage: Storage, slug: string): Promise<Organization> {
  return getOrganizationBySlug(storage.db, slug);
}
