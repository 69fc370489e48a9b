/**
 * The `scheduler_refresh` scenario (issue 12): the background refresh's throughput and cost with
 * 10,000 connectors due at once, on each store. Unlike the HTTP scenarios no load generator takes
 * part: a worker process (bench/scheduler-refresh-worker.ts, pinned like the servers) prepares
 * the connectors, then runs one refreshDue pass with the server's settings (batches of 50, 8
 * refreshes in flight) against a local OAuth token endpoint served here, in the bench process: a
 * rotating refresh-token grant that refuses a spent token (invalid_grant), as a provider with
 * reuse detection does, and answers in microseconds, so that what is measured is Gatehouse's side:
 * refreshes per second, and the worker's CPU time per refresh (the token endpoint's is not in it).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';

export const SCHEDULER_CONNECTORS = 10_000;

export interface SchedulerRefreshResult {
  readonly dialect: 'sqlite' | 'postgres';
  readonly refreshed: number;
  readonly failed: number;
  readonly needsReauth: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly cpuMicrosPerRefresh: number | null;
}

/** A token endpoint with rotating refresh tokens: each one works once; a second use is invalid_grant. */
async function startTokenEndpoint(): Promise<{ readonly url: string; readonly calls: () => number; close(): Promise<void> }> {
  const spent = new Set<string>();
  let calls = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls += 1;
      const params = new URLSearchParams(body);
      const presented = params.get('refresh_token');
      const json = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(value));
      if (request.url !== '/token' || params.get('grant_type') !== 'refresh_token' || presented === null) return json(400, { error: 'invalid_request' });
      if (spent.has(presented)) return json(400, { error: 'invalid_grant', error_description: 'refresh token already used' });
      spent.add(presented);
      json(200, { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: 3600, refresh_token: randomBytes(24).toString('base64url') });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}/token`, calls: () => calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function runWorker(args: readonly string[], cpu: number | undefined): Promise<SchedulerRefreshResult> {
  const node = [process.execPath, fileURLToPath(new URL('./scheduler-refresh-worker.ts', import.meta.url)), ...args];
  const [command, ...commandArgs] = cpu === undefined ? node : ['taskset', '--cpu-list', String(cpu), ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(command!, commandArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`scheduler-refresh-worker ${args[0]} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as SchedulerRefreshResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Runs the scenario on SQLite, and on PostgreSQL when `postgresUrl` is given; the worker pinned to `cpu` when given. */
export async function measureSchedulerRefresh(options: { readonly postgresUrl?: string; readonly cpu?: number; readonly connectors?: number }): Promise<SchedulerRefreshResult[]> {
  const connectors = String(options.connectors ?? SCHEDULER_CONNECTORS);
  const endpoint = await startTokenEndpoint();
  try {
    const results = [await runWorker(['sqlite', endpoint.url, connectors], options.cpu)];
    if (options.postgresUrl !== undefined) results.push(await runWorker(['postgres', endpoint.url, connectors, options.postgresUrl], options.cpu));
    return results;
  } finally {
    await endpoint.close();
  }
}

export function describeSchedulerRefresh(result: SchedulerRefreshResult): string {
  const cpu = result.cpuMicrosPerRefresh === null ? 'n/a' : `${result.cpuMicrosPerRefresh.toFixed(0)} µs`;
  const problems = result.failed + result.needsReauth > 0 ? `  ${result.failed} failed, ${result.needsReauth} needs_reauth` : '';
  return `scheduler_refresh (${result.dialect}): ${result.refreshed} connectors refreshed in ${result.seconds.toFixed(1)} s: ${result.perSecond.toFixed(0)}/s, CPU ${cpu} per refresh${problems}`;
}
