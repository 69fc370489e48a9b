/**
 * Medians, ratios against oidc-provider, the targets, and the table in two forms: aligned
 * text for the terminal and markdown for docs/performance.md.
 */
import { CONNECTIONS, type Measurement } from './load.ts';
import type { ScenarioId } from './scenarios.ts';

export const BASELINE = 'oidc-provider';
/** The calibration line: a bare node:http server's static answer (bench/ceiling-server.ts). */
export const CEILING = 'ceiling: bare node:http';
/** The PostgreSQL calibration line: bare node:http making one prepared INSERT per request (bench/ceiling-postgres-server.ts). */
export const POSTGRES_CEILING = 'ceiling: node:http + pg INSERT';

/** What a line must reach to PASS: a req/s ratio over oidc-provider and/or a p99 bound. */
export interface Goal {
  readonly minRatio?: number;
  readonly maxP99Ms?: number;
}

/**
 * The targets. On durable SQLite: ratios per scenario, and p99 ≤ 10 ms at 50 connections
 * on every line; on PostgreSQL: ≥ 1.5× on every scenario. oidc-provider is the baseline (no goal).
 */
export function goalFor(server: string, scenario: ScenarioId): Goal | undefined {
  // Issue 11 measures the connector hub's credential reads without a target (and oidc-provider has none to compare).
  if (scenario === 'connector_credentials') return undefined;
  // Issue 12 asks for the proxy's added latency (proxyOverheadOf), not a rate.
  if (scenario === 'connector_proxy') return undefined;
  if (server === 'gatehouse-sqlite') {
    const ratios: Partial<Record<ScenarioId, number>> = { discovery: 4, client_credentials: 2.5, userinfo: 4, introspection: 4, flow: 2 };
    return { minRatio: ratios[scenario], maxP99Ms: 10 };
  }
  if (server === 'gatehouse-postgres') return { minRatio: 1.5 };
  return undefined;
}

export interface Row {
  readonly scenario: ScenarioId;
  readonly label: string;
  readonly server: string;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median server CPU time per operation, µs; undefined where /proc is not available. */
  readonly cpuMicrosPerOp: number | undefined;
  /** Failed operations over all measured rounds (warm-up excluded). */
  readonly failed: number;
  readonly rounds: number;
  /**
   * The median over the rounds of (this server's req/s ÷ oidc-provider's in the same round), for
   * every line but oidc-provider's. Taken per round because the machine's speed drifts between
   * rounds (a shared VM: the same work was measured up to 1.6× faster a minute later), and both
   * servers of one round run back to back.
   */
  readonly ratio: number | undefined;
  readonly goal: Goal | undefined;
  readonly verdict: 'PASS' | 'MISS' | undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One row per server of one scenario: the median of each figure over its rounds. */
/** One round of one server: its measurement and the server's CPU time per operation (from /proc, when known). */
export interface RoundResult extends Measurement {
  readonly cpuMicrosPerOp: number | undefined;
}

export function rowsFor(scenario: ScenarioId, label: string, rounds: ReadonlyMap<string, readonly RoundResult[]>): Row[] {
  const baselineRuns = rounds.get(BASELINE);
  const summaries = [...rounds].map(([server, runs]) => ({
    server,
    ratio:
      server === BASELINE || baselineRuns === undefined || baselineRuns.length !== runs.length
        ? undefined
        : median(runs.map((run, round) => run.perSecond / baselineRuns[round]!.perSecond).filter((r) => Number.isFinite(r))),
    perSecond: median(runs.map((r) => r.perSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuMicrosPerOp: runs.every((r) => r.cpuMicrosPerOp !== undefined) ? median(runs.map((r) => r.cpuMicrosPerOp!)) : undefined,
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    rounds: runs.length,
  }));
  return summaries.map((s) => {
    const goal = goalFor(s.server, scenario);
    return { scenario, label, ...s, goal, verdict: verdictOf(goal, s.ratio, s.p99Ms, s.failed) };
  });
}

/** The proxy scenario's line of direct calls to the resource server (bench/resource-server.ts). */
export const DIRECT_RESOURCE = 'direct: resource server';

/** What the proxy adds to a GET: per round, a proxied line's p50 and p99 minus the direct line's, then the medians. */
export interface ProxyOverhead {
  readonly server: string;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  readonly rounds: number;
}

export function proxyOverheadOf(rounds: ReadonlyMap<string, readonly RoundResult[]>): ProxyOverhead[] {
  const direct = rounds.get(DIRECT_RESOURCE);
  if (direct === undefined) return [];
  return [...rounds]
    .filter(([server, runs]) => server !== DIRECT_RESOURCE && runs.length === direct.length && runs.length > 0)
    .map(([server, runs]) => ({
      server,
      addedP50Ms: median(runs.map((run, round) => run.p50Ms - direct[round]!.p50Ms)),
      addedP99Ms: median(runs.map((run, round) => run.p99Ms - direct[round]!.p99Ms)),
      rounds: runs.length,
    }));
}

/** The proxy line, for the terminal and for docs/performance.md. */
export function describeProxyOverhead(overheads: readonly ProxyOverhead[]): string {
  if (overheads.length === 0) return 'Proxy overhead: not measured.';
  const parts = overheads.map((o) => `${o.server} +${o.addedP50Ms.toFixed(2)} ms p50, +${o.addedP99Ms.toFixed(2)} ms p99`);
  return `Proxy overhead (connector proxy GET against the same GET sent directly to the resource server, at ${CONNECTIONS} connections; median of per-round differences): ${parts.join('; ')}.`;
}

/** The logging target: logging at the default level adds at most this much to a discovery request's CPU. */
export const LOGGING_OVERHEAD_LIMIT = 0.1;

/** What logging at the default level costs: one server's discovery CPU against the same server's at a quieter level. */
export interface LoggingOverhead {
  readonly server: string;
  readonly quietServer: string;
  /** Medians over the rounds, µs of server CPU per request. */
  readonly cpuMicrosPerOp: number;
  readonly quietCpuMicrosPerOp: number;
  /**
   * The median over the rounds of (CPU per request ÷ the quiet server's in the same round) − 1:
   * taken per round, as the ratios to oidc-provider are, because the machine's speed drifts.
   */
  readonly overhead: number;
  readonly rounds: number;
  readonly verdict: 'PASS' | 'MISS';
}

/** The logging overhead from the discovery rounds of both servers; undefined when either lacks CPU figures. */
export function loggingOverheadOf(rounds: ReadonlyMap<string, readonly RoundResult[]>, server: string, quietServer: string): LoggingOverhead | undefined {
  const logged = rounds.get(server);
  const quiet = rounds.get(quietServer);
  if (logged === undefined || quiet === undefined || logged.length === 0 || logged.length !== quiet.length) return undefined;
  if ([...logged, ...quiet].some((r) => r.cpuMicrosPerOp === undefined)) return undefined;
  const overhead = median(logged.map((r, round) => r.cpuMicrosPerOp! / quiet[round]!.cpuMicrosPerOp!)) - 1;
  const failed = [...logged, ...quiet].some((r) => r.failed > 0);
  return {
    server,
    quietServer,
    cpuMicrosPerOp: median(logged.map((r) => r.cpuMicrosPerOp!)),
    quietCpuMicrosPerOp: median(quiet.map((r) => r.cpuMicrosPerOp!)),
    overhead,
    rounds: logged.length,
    verdict: !failed && overhead <= LOGGING_OVERHEAD_LIMIT ? 'PASS' : 'MISS',
  };
}

/** The logging line, for the terminal and for docs/performance.md. */
export function describeLoggingOverhead(o: LoggingOverhead, levels: { readonly level: string; readonly quietLevel: string }): string {
  const sign = o.overhead >= 0 ? '+' : '−';
  return (
    `Logging overhead (discovery, server CPU per request): ${o.server} at LOG_LEVEL=${levels.level} (the default) ${o.cpuMicrosPerOp.toFixed(0)} µs, ` +
    `at LOG_LEVEL=${levels.quietLevel} ${o.quietCpuMicrosPerOp.toFixed(0)} µs: ${sign}${Math.abs(o.overhead * 100).toFixed(1)} % ` +
    `(median of ${o.rounds} per-round ratios; target ≤ ${LOGGING_OVERHEAD_LIMIT * 100} %): ${o.verdict}`
  );
}

function verdictOf(goal: Goal | undefined, ratio: number | undefined, p99Ms: number, failed: number): 'PASS' | 'MISS' | undefined {
  if (goal === undefined) return undefined;
  // A line with failed requests measured something other than the scenario.
  if (failed > 0) return 'MISS';
  if (goal.minRatio !== undefined && (ratio === undefined || ratio < goal.minRatio)) return 'MISS';
  if (goal.maxP99Ms !== undefined && !(p99Ms <= goal.maxP99Ms)) return 'MISS';
  return 'PASS';
}

function describeGoal(goal: Goal | undefined): string {
  if (goal === undefined) return '';
  const parts = [];
  if (goal.minRatio !== undefined) parts.push(`≥ ${goal.minRatio}×`);
  if (goal.maxP99Ms !== undefined) parts.push(`p99 ≤ ${goal.maxP99Ms} ms`);
  return parts.join(', ');
}

const HEADINGS = ['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/op', 'vs oidc-provider', 'failed', 'target', 'result'] as const;

function cells(row: Row): string[] {
  return [
    row.label,
    row.server,
    row.perSecond.toFixed(0),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    row.cpuMicrosPerOp === undefined ? '' : row.cpuMicrosPerOp.toFixed(0),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
    String(row.failed),
    describeGoal(row.goal),
    row.verdict ?? '',
  ];
}

/** Right-aligns the numeric columns. */
const NUMERIC = new Set([2, 3, 4, 5, 6, 7]);

export function textTable(rows: readonly Row[]): string {
  const table = [[...HEADINGS], ...rows.map(cells)];
  const widths = HEADINGS.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  return table
    .map((line) => line.map((cell, column) => (NUMERIC.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd())
    .join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const head = `| ${HEADINGS.join(' | ')} |`;
  const rule = `|${HEADINGS.map((_, column) => (NUMERIC.has(column) ? '---:' : '---')).join('|')}|`;
  return [head, rule, ...rows.map((row) => `| ${cells(row).join(' | ')} |`)].join('\n');
}
