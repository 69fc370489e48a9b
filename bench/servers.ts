import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isServerMessage, type ServerListening, type ServerReady } from './protocol.ts';

/** How long a server may take to migrate, seed (one argon2 hash) and listen. */
const START_TIMEOUT_MS = 30_000;
/** How long a server gets to close its store after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

export interface Child<M> {
  readonly message: M;
  readonly pid: number;
  stop(): Promise<void>;
}

export type BenchServer = Child<ServerReady>;

export interface ChildOptions {
  readonly env?: Record<string, string>;
  /** A file descriptor for the child's stdout (its logs), else it shares the orchestrator's. */
  readonly stdout?: number;
  /** The CPU the child (every thread of it) is pinned to with `taskset -c`; unpinned when undefined. */
  readonly cpu?: number;
}

/** An OAuth server child (bench/gatehouse-server.ts, bench/oidc-provider-server.ts). */
export async function startServer(file: string, args: readonly string[], options: ChildOptions = {}): Promise<BenchServer> {
  const child = await startChild(file, args, options);
  if (child.message.type !== 'ready') {
    await child.stop();
    throw new Error(`${file} did not report as an OAuth server`);
  }
  return { ...child, message: child.message };
}

/** A calibration child: bench/ceiling-server.ts, bench/ceiling-postgres-server.ts with its connection string, or the proxy scenario's bench/resource-server.ts. */
export async function startCeiling(file: './ceiling-server.ts' | './ceiling-postgres-server.ts' | './resource-server.ts', args: readonly string[], options: ChildOptions = {}): Promise<Child<ServerListening>> {
  const child = await startChild(file, args, options);
  if (child.message.type !== 'listening') {
    await child.stop();
    throw new Error(`${file} did not report its URL`);
  }
  return { ...child, message: child.message };
}

/**
 * Starts `bench/<file>` in its own Node process (so the load generator never shares the server's
 * event loop) and waits for its first message.
 */
function startChild(file: string, args: readonly string[], options: ChildOptions): Promise<Child<ServerReady | ServerListening>> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const profileDir = process.env.BENCH_CPU_PROF;
  const profile = profileDir !== undefined && file.includes('gatehouse') ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const node = [process.execPath, ...profile, path, ...args];
  // taskset execs node in its own process, so the child's pid (for /proc/<pid>/stat) and its IPC
  // channel are node's.
  const [command, ...commandArgs] = options.cpu === undefined ? node : ['taskset', '--cpu-list', String(options.cpu), ...node];
  const child = spawn(command!, commandArgs, { stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...options.env } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not report ready within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${file} could not be started: ${error.message}`));
    });
    // Once resolved, a later exit rejects nothing (a settled promise ignores it).
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.on('message', (message: unknown) => {
      if (!isServerMessage(message)) return;
      clearTimeout(timer);
      if (message.type === 'failed') reject(new Error(`${file} failed to start: ${message.message}`));
      else resolve({ message, pid: child.pid!, stop: () => stopChild(child) });
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited in time. Resolves once it is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
