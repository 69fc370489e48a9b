import autocannon, { type Request } from 'autocannon';
import { measureWithWrk } from './wrk.ts';

/** Connections held open by the load generator: the "50 connections". */
export const CONNECTIONS = 50;

/** A request not answered in this time counts as failed. */
const REQUEST_TIMEOUT_SECONDS = 10;

/**
 * One operation, sent over and over on every connection: a single request, or a short sequence
 * whose later steps read what earlier ones left in the connection's context (a flow: authorize,
 * then redeem the code from its Location). An operation's latency is the sum of its requests'
 * (each from its write to its complete response), and it succeeds when `succeeded` says so of the
 * last response.
 */
export interface Operation {
  readonly steps: readonly Request[];
  succeeded(status: number, body: string): boolean;
}

export interface Limit {
  /** Run this long… */
  readonly seconds?: number;
  /** …or until this many operations (single-request operations only) were answered. */
  readonly amount?: number;
}

/** One HTTP request, the same bytes every time it is sent (but for a body given per request). */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, as sent on the request line. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What a successful answer is: this status and, when given, a body containing this text. */
export interface Expected {
  readonly status: number;
  readonly bodyIncludes?: string;
}

/**
 * What a scenario sends, described so that either load generator can send it: wrk (a C program
 * with a generated Lua script, bench/wrk.ts) sends every single-request kind, and autocannon (in
 * this process) every kind, flows included.
 *
 * - `repeat`: the same request over and over, for the run's seconds.
 * - `each`: `request` with each of `bodies` once (a code redeemed once); the run ends when all are
 *   answered.
 * - `rotate`: a form POST carrying a token from `pool` in the field `field`; a successful answer's
 *   JSON member of the same name goes back into the pool (a refresh token and its rotation). The
 *   pool holds the current tokens after the run.
 * - `flow`: a sequence of requests (autocannon only).
 */
export type Load =
  | { readonly kind: 'repeat'; readonly request: HttpRequest; readonly expected: Expected }
  | { readonly kind: 'each'; readonly request: HttpRequest; readonly bodies: readonly string[]; readonly expected: Expected }
  | { readonly kind: 'rotate'; readonly request: HttpRequest; readonly formPrefix: string; readonly field: string; readonly pool: string[]; readonly expected: Expected }
  | { readonly kind: 'flow'; readonly operation: Operation };

/** The load generators: wrk for single requests when it is installed, autocannon for the rest. */
export type Generator = 'wrk' | 'autocannon';

export function generatorFor(load: Load, wrkAvailable: boolean): Generator {
  return wrkAvailable && load.kind !== 'flow' ? 'wrk' : 'autocannon';
}

/** Where the load generator runs: wrk on this CPU (`taskset -c`), when pinning is on. */
export interface GeneratorPlacement {
  readonly wrk: boolean;
  readonly cpu: number | undefined;
}

/**
 * Sends `load` to `origin` at CONNECTIONS connections, no pipelining, for `seconds` (an `each`
 * load: until all its requests are answered), with wrk when `placement` allows it, else with
 * autocannon in this process.
 */
export async function measureLoad(origin: string, load: Load, seconds: number, placement: GeneratorPlacement): Promise<Measurement & { readonly generator: Generator }> {
  const generator = generatorFor(load, placement.wrk);
  if (generator === 'wrk' && load.kind !== 'flow') return { ...(await measureWithWrk(origin, load, { seconds, connections: CONNECTIONS, cpu: placement.cpu })), generator };
  const limit: Limit = load.kind === 'each' ? { amount: load.bodies.length } : { seconds };
  return { ...(await measure(origin, autocannonOperation(load), limit)), generator };
}

/** The autocannon operation sending `load`. */
function autocannonOperation(load: Load): Operation {
  if (load.kind === 'flow') return load.operation;
  const { expected } = load;
  const succeeded = (status: number, body: string): boolean => status === expected.status && (expected.bodyIncludes === undefined || body.includes(expected.bodyIncludes));
  const request: Request = { method: load.request.method, path: load.request.path, ...(load.request.headers === undefined ? {} : { headers: { ...load.request.headers } }) };
  switch (load.kind) {
    case 'repeat':
      return { steps: [{ ...request, ...(load.request.body === undefined ? {} : { body: load.request.body }) }], succeeded };
    case 'each': {
      const bodies = [...load.bodies];
      return { steps: [{ ...request, setupRequest: (r) => ({ ...r, body: bodies.pop() ?? 'bodies-exhausted' }) }], succeeded };
    }
    case 'rotate': {
      const { pool, field, formPrefix } = load;
      const step: Request = {
        ...request,
        setupRequest: (r) => ({ ...r, body: `${formPrefix}${new URLSearchParams({ [field]: pool.shift() ?? 'pool-empty' })}` }),
        onResponse: (status, body) => {
          if (status !== expected.status) return;
          const next = (JSON.parse(body) as Record<string, unknown>)[field];
          if (typeof next === 'string') pool.push(next);
        },
      };
      return { steps: [step], succeeded };
    }
  }
}

export interface Measurement {
  /** Successful operations per second, over the time from the start to the last success. */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly succeeded: number;
  /** Wrong answers, connection errors and timeouts. */
  readonly failed: number;
  readonly seconds: number;
}

/**
 * Drives `origin` with autocannon at CONNECTIONS connections (no pipelining) and measures each
 * operation itself: autocannon's own numbers are per request, in whole milliseconds, and its
 * duration rounds up to its next one-second tick.
 */
export async function measure(origin: string, operation: Operation, limit: Limit): Promise<Measurement> {
  if (operation.steps.length === 0) throw new Error('an operation needs at least one request');
  if (limit.amount !== undefined && operation.steps.length !== 1) throw new Error('amount limits single-request operations only');
  const lastStep = operation.steps.length - 1;
  const latencies: number[] = [];
  let failed = 0;
  let lastSuccessAt = 0;

  // Each step's onResponse notes which step answered and, for the last, whether the operation
  // succeeded; autocannon then emits 'response' for the same client synchronously, with the
  // request's latency from its own timer. Requests are not wrapped in a setupRequest, which
  // would make autocannon rebuild every request buffer and load the generator for nothing.
  let answered: { step: number; ok: boolean } = { step: 0, ok: false };
  const steps = operation.steps.map((step, index): Request => {
    const onResponse = step.onResponse;
    return {
      ...step,
      onResponse: (status, body, context, headers) => {
        onResponse?.(status, body, context, headers);
        answered = { step: index, ok: index === lastStep && operation.succeeded(status, body) };
      },
    };
  });
  const elapsedByClient = new Map<object, number>();

  const startedAt = performance.now();
  const instance = autocannon({
    url: origin,
    connections: CONNECTIONS,
    pipelining: 1,
    timeout: REQUEST_TIMEOUT_SECONDS,
    ...(limit.amount !== undefined ? { amount: limit.amount } : { duration: limit.seconds ?? 5 }),
    requests: steps,
  });
  instance.on('response', (client: object, _status: number, _bytes: number, latencyMs: number) => {
    // An operation's latency is the sum of its steps': each next step is written in the same tick
    // as the previous response is read, so nothing is lost between them.
    const elapsed = (elapsedByClient.get(client) ?? 0) + latencyMs;
    if (answered.step !== lastStep) {
      elapsedByClient.set(client, elapsed);
      return;
    }
    elapsedByClient.set(client, 0);
    if (answered.ok) {
      latencies.push(elapsed);
      lastSuccessAt = performance.now();
    } else {
      failed++;
    }
  });
  const result = await instance;
  const seconds = (lastSuccessAt - startedAt) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    perSecond: latencies.length === 0 ? 0 : latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    succeeded: latencies.length,
    failed: failed + result.errors,
    seconds,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The path and query of `url`, as autocannon's requests name them (the origin is the run's). */
export function pathOf(url: string): string {
  const { pathname, search } = new URL(url);
  return pathname + search;
}

/** A header of an autocannon response, whatever case the server wrote its name in. */
export function header(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
