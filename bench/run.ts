/**
 * `npm run bench [-- --write] [--rounds 5] [--seconds 3] [--warmup 1] [--no-postgres] [--only <scenario,…>] [--no-oidc-provider]`
 *
 * `--only discovery,userinfo` measures those scenarios alone (ids of bench/scenarios.ts), and
 * `--no-oidc-provider` leaves the peer out: both are for working on one path, never for the
 * recorded table (`--write` refuses them). `BENCH_CPU_PROF=<dir>` starts the Gatehouse servers
 * with `--cpu-prof`, writing a V8 CPU profile per server into <dir> when it stops.
 *
 * Starts Gatehouse on SQLite, oidc-provider (in memory) and, when PostgreSQL answers at
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), Gatehouse on PostgreSQL,
 * each in its own process on a loopback port. Every server under test is pinned to one CPU and the
 * load generator to another (taskset; bench/machine.ts): wrk sends the single-request scenarios,
 * autocannon (in this process) the sign-in flow. Without taskset, two CPUs or wrk, it says so and
 * runs as before (unpinned, autocannon). Gatehouse logs as `npm start` does (the default
 * LOG_LEVEL, JSON lines on stdout, pointed at /dev/null). For every scenario it warms each server
 * up, then runs alternating rounds (the server order rotates each round) at 50 connections, and
 * prints the medians, the ratio of each Gatehouse to oidc-provider and the issue's targets. One
 * more Gatehouse on SQLite, at LOG_LEVEL=warn, joins the discovery scenario: the logging line
 * compares its CPU per request with the default level's. With --write, the table and that line
 * also go into docs/performance.md. Servers are stopped at the end, also on errors and ^C.
 * Last, `scheduler_refresh` (bench/scheduler-refresh.ts): the connectors' background refresh,
 * 10,000 connectors due at once, refreshes per second and CPU µs per refresh on each store.
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { discover } from './client.ts';
import { CONNECTIONS, measureLoad, type Generator, type GeneratorPlacement, type Load } from './load.ts';
import { describeMachine, placeProcesses, type Machine, type Placement } from './machine.ts';
import { CONFIG_DEFAULTS } from '../src/config/config.ts';
import { CEILING, describeLoggingOverhead, describeProxyOverhead, DIRECT_RESOURCE, loggingOverheadOf, markdownTable, POSTGRES_CEILING, proxyOverheadOf, rowsFor, textTable, type LoggingOverhead, type ProxyOverhead, type RoundResult, type Row } from './report.ts';
import { RESOURCE_URL_ENV } from './protocol.ts';
import { prepareTarget, SCENARIOS, type RunShape, type ScenarioId, type Target } from './scenarios.ts';
import { describeSchedulerRefresh, measureSchedulerRefresh, SCHEDULER_CONNECTORS } from './scheduler-refresh.ts';
import { startCeiling, startServer, type BenchServer, type Child } from './servers.ts';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REPORT_PATH = fileURLToPath(new URL('../docs/performance.md', import.meta.url));
const BEGIN = '<!-- bench:begin: written by `npm run bench -- --write`; edits between these markers are overwritten -->';
const END = '<!-- bench:end -->';
/** The level the logging line compares the default with: the issue measured discovery at warn (no request is logged there). */
const QUIET_LOG_LEVEL = 'warn';
/**
 * Where Gatehouse's stdout (its logs) goes: the write system calls are paid as with a file or a
 * pipe, but no disk or log collector competes with the servers for the two CPUs and the disk
 * that SQLite and PostgreSQL fsync to.
 */
const SERVER_LOG_PATH = '/dev/null';

interface Options {
  readonly write: boolean;
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly postgres: boolean;
  readonly only: ReadonlySet<ScenarioId> | undefined;
  readonly peer: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      write: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      'no-postgres': { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-oidc-provider': { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, raw: string, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be a whole number from 1 to ${max}`);
    return value;
  };
  const options: Options = {
    write: values.write,
    rounds: positive('rounds', values.rounds, 15),
    seconds: positive('seconds', values.seconds, 60),
    warmupSeconds: positive('warmup', values.warmup, 60),
    postgres: !values['no-postgres'],
    only: values.only === undefined ? undefined : parseScenarioIds(values.only),
    peer: !values['no-oidc-provider'],
  };
  if (options.write && (options.only !== undefined || !options.peer)) throw new Error('--write records the whole comparison: drop --only and --no-oidc-provider');
  return options;
}

function parseScenarioIds(list: string): ReadonlySet<ScenarioId> {
  const known = new Set<string>([...SCENARIOS.map((s) => s.id), 'scheduler_refresh']);
  const ids = list.split(',').map((id) => id.trim());
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new Error(`--only: unknown scenario ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  return new Set(ids as ScenarioId[]);
}

/** The PostgreSQL server's version when it answers within 2 s, else why not. */
async function probePostgres(connectionString: string): Promise<{ version: string } | { unreachable: string }> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return { version: rows[0]!.server_version };
  } catch (error) {
    return { unreachable: (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Flushes PostgreSQL's dirty pages before a run, so that its checkpointer does not write (and
 * fsync) in the middle of the next server's run after a write-heavy PostgreSQL run: every server
 * shares the disk and the two CPUs. Needs a role allowed to CHECKPOINT; without one, runs go on unsettled.
 */
async function checkpointPostgres(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('checkpoint');
  } catch {
    // Not allowed or not reachable: measure anyway.
  } finally {
    await client.end().catch(() => {});
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function formatRun(m: RoundResult): string {
  const cpu = m.cpuMicrosPerOp === undefined ? '' : `  server CPU ${m.cpuMicrosPerOp.toFixed(0)} µs/op`;
  return `${m.perSecond.toFixed(0).padStart(6)}/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  ${m.succeeded} ok${m.failed > 0 ? `  ${m.failed} FAILED` : ''}${cpu}`;
}

/**
 * CPU time (user + system) a process has used so far, µs, from /proc (Linux); undefined
 * elsewhere. Per operation it shows what a change costs even when other work shares the CPUs.
 */
function cpuMicrosOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After the command name: utime and stime are fields 14 and 15 of proc(5), in clock ticks (100 Hz).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** Round r runs the servers starting from the r-th, so no server always goes first (or right after another). */
function rotated<T>(items: readonly T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** Something measured in a scenario: a server's plan, or the calibration server's static answer. */
interface Participant {
  readonly name: string;
  readonly origin: string;
  /** The server's process, whose CPU time per operation is logged beside each run. */
  readonly pid?: number;
  /** The line this one is compared with: it is measured right after it, instead of last. */
  readonly follows?: string;
  plan(run: RunShape): Promise<Load>;
}

/** The calibration server joins the discovery scenario: both are one GET answered with about 1.6 KB of JSON. */
function ceilingParticipant(url: string, pid: number): Participant {
  return {
    name: CEILING,
    origin: url,
    pid,
    plan: async () => ({ kind: 'repeat', request: { method: 'GET', path: '/' }, expected: { status: 200 } }),
  };
}

/** The PostgreSQL calibration joins the client_credentials scenario: both are one POST making one durable write. */
function postgresCeilingParticipant(url: string, pid: number): Participant {
  return {
    name: POSTGRES_CEILING,
    origin: url,
    pid,
    plan: async () => ({
      kind: 'repeat',
      request: { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=api' },
      expected: { status: 200 },
    }),
  };
}

/**
 * The proxy scenario's direct line: the same GET, sent straight to the resource server with a key
 * of its own, so the proxied line's latency minus this one's is what the proxy adds.
 */
function directResourceParticipant(url: string, pid: number, path: string): Participant {
  return {
    name: DIRECT_RESOURCE,
    origin: url,
    pid,
    plan: async () => ({ kind: 'repeat', request: { method: 'GET', path, headers: { authorization: 'Bearer direct-bench-key' } }, expected: { status: 200, bodyIncludes: '"data"' } }),
  };
}

/** Lines measured in one scenario only (calibrations, the quieter Gatehouse), by the scenario they join. */
type Calibrations = Partial<Record<ScenarioId, Participant[]>>;

/** A line of one scenario only: a prepared Gatehouse that runs the scenario's own requests, right after the line it is compared with. */
function scenarioParticipant(target: Target, scenario: ScenarioId, follows: string): Participant {
  const plan = SCENARIOS.find((s) => s.id === scenario)!.plan;
  return { name: target.ready.name, origin: target.origin, pid: target.pid, follows, plan: (run) => plan(target, run) };
}

/** The rows of the table, every round of every line, and the load generator, by scenario. */
interface Measured {
  readonly rows: Row[];
  readonly rounds: ReadonlyMap<ScenarioId, ReadonlyMap<string, readonly RoundResult[]>>;
  readonly generators: ReadonlyMap<ScenarioId, Generator>;
}

async function measureAll(targets: readonly Target[], calibrations: Calibrations, settle: () => Promise<void>, options: Options, generator: GeneratorPlacement): Promise<Measured> {
  const rows: Row[] = [];
  const roundsByScenario = new Map<ScenarioId, ReadonlyMap<string, readonly RoundResult[]>>();
  const generators = new Map<ScenarioId, Generator>();
  for (const scenario of SCENARIOS.filter((s) => options.only === undefined || options.only.has(s.id))) {
    const participants: Participant[] = targets.filter((target) => scenario.runsOn?.(target) ?? true).map((target) => ({ name: target.ready.name, origin: target.origin, pid: target.pid, plan: (run) => scenario.plan(target, run) }));
    for (const extra of calibrations[scenario.id] ?? []) {
      // Next to the line it is compared with (back to back in every round where the rotation does
      // not wrap between them), so that the machine's drift cancels out.
      const at = extra.follows === undefined ? -1 : participants.findIndex((p) => p.name === extra.follows);
      participants.splice(at === -1 ? participants.length : at + 1, 0, extra);
    }
    const rounds = new Map<string, RoundResult[]>(participants.map((p) => [p.name, []]));
    const previous = new Map<string, number>();
    const run = async (participant: Participant, warmup: boolean): Promise<RoundResult> => {
      const seconds = warmup ? options.warmupSeconds : options.seconds;
      const load = await participant.plan({ warmup, seconds, previousPerSecond: previous.get(participant.name) });
      await settle();
      const cpuBefore = cpuMicrosOf(participant.pid);
      const result = await measureLoad(participant.origin, load, seconds, generator);
      const cpuAfter = cpuMicrosOf(participant.pid);
      generators.set(scenario.id, result.generator);
      previous.set(participant.name, result.perSecond);
      const cpuMicros = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
      return { ...result, cpuMicrosPerOp: cpuMicros === undefined || result.succeeded === 0 ? undefined : cpuMicros / result.succeeded };
    };
    for (const participant of participants) {
      log(`${scenario.label} | warm-up ${participant.name}: ${formatRun(await run(participant, true))}`);
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const participant of rotated(participants, round)) {
        const result = await run(participant, false);
        rounds.get(participant.name)!.push(result);
        log(`${scenario.label} | round ${round + 1}/${options.rounds} ${participant.name}: ${formatRun(result)}`);
      }
    }
    rows.push(...rowsFor(scenario.id, scenario.label, rounds));
    roundsByScenario.set(scenario.id, rounds);
  }
  return { rows, rounds: roundsByScenario, generators };
}

/** Targets met and judged: the table's, and the logging line's when it was measured. */
function targetsMet(rows: readonly Row[], logging: LoggingOverhead | undefined): { met: number; judged: number } {
  const judged = rows.filter((r) => r.verdict !== undefined);
  const met = judged.filter((r) => r.verdict === 'PASS').length + (logging?.verdict === 'PASS' ? 1 : 0);
  return { met, judged: judged.length + (logging === undefined ? 0 : 1) };
}

function loggingLine(logging: LoggingOverhead | undefined, measured: boolean): string {
  if (logging !== undefined) return describeLoggingOverhead(logging, { level: CONFIG_DEFAULTS.logLevel, quietLevel: QUIET_LOG_LEVEL });
  return measured ? 'Logging overhead: not measured (no CPU figures from /proc on this system).' : 'Logging overhead: not measured (discovery was left out).';
}

/** How the processes were placed on the CPUs: said before the run, and in the report. */
function describePinning(placement: Placement): string {
  if ('off' in placement.pinning) {
    return `Placement: NOT PINNED (${placement.pinning.off}): the servers and the load generator share the CPUs as the kernel schedules them, as the bench did before pinning; CPU µs/op is not comparable with a pinned run's.`;
  }
  const { serverCpu, generatorCpu } = placement.pinning;
  return (
    `Placement: every server under test pinned to CPU ${serverCpu} (taskset --cpu-list ${serverCpu}), the load generator to CPU ${generatorCpu} (wrk, and the bench process, where autocannon runs); ` +
    `PostgreSQL is a system service the bench does not start, so its backends are not pinned and run where the kernel puts them.`
  );
}

/** Which load generator sends what: said before the run, and in the report. */
function describeGenerators(placement: Placement): string {
  const autocannon = `autocannon ${packageVersion('autocannon')}`;
  if ('off' in placement.wrk) return `Load generator: ${placement.wrk.off}: ${autocannon}, in the bench process, sends every scenario, as before.`;
  return `Load generators: wrk ${placement.wrk.version} (one thread) sends the single-request scenarios, ${autocannon} (in the bench process) the two-request sign-in flow.`;
}

/** The generator of each scenario measured, below the table. */
function generatorsLine(generators: ReadonlyMap<ScenarioId, Generator>): string {
  const by = (generator: Generator): string[] => SCENARIOS.filter((s) => generators.get(s.id) === generator).map((s) => s.label);
  const parts = (['wrk', 'autocannon'] as const).filter((g) => by(g).length > 0).map((g) => `${g}: ${by(g).join(', ')}`);
  return `Load generator by scenario: ${parts.join('; ')}.`;
}

function reportSection(
  rows: readonly Row[],
  logging: LoggingOverhead | undefined,
  proxy: readonly ProxyOverhead[],
  generators: ReadonlyMap<ScenarioId, Generator>,
  machine: Machine,
  placement: Placement,
  options: Options,
  servers: readonly BenchServer[],
  postgres: string,
  scheduler: readonly string[],
): string {
  const { met, judged } = targetsMet(rows, logging);
  const pinned = 'serverCpu' in placement.pinning;
  return [
    BEGIN,
    '',
    `Gatehouse ${machine.revision}. Run of ${machine.date}: nproc ${machine.cpus}, CPU ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM, Node ${machine.node}, ` +
      `oidc-provider ${packageVersion('oidc-provider')}, PostgreSQL ${postgres}.`,
    `${describePinning(placement)} ${describeGenerators(placement)}`,
    `${CONNECTIONS} connections, no pipelining; per scenario and server a ${options.warmupSeconds} s warm-up, then ${options.rounds} alternating rounds of ` +
      `${options.seconds} s (token authorization_code: as many prepared codes as the previous run's rate × ${options.seconds} s); medians of the rounds; ` +
      `"vs oidc-provider" is the median of the per-round ratios (both servers of a round run back to back, so the machine's drift between rounds cancels out). ` +
      `"CPU µs/op" is the server process's CPU time (user + system, all its threads) per successful operation: what an operation costs, whatever the load generator can drive. ` +
      `The "${CEILING}" line is a framework-less server answering a fixed 1.6 KB JSON: the most any server can do here ${pinned ? 'on one CPU' : 'with the load generator on the same CPUs'}. ` +
      `The "${POSTGRES_CEILING}" line is a framework-less server making one prepared, autocommitted INSERT into this PostgreSQL per request (pool of 10): the most a server that stores each token in it can do here. ` +
      `Gatehouse logs as \`npm start\` does (LOG_LEVEL=${CONFIG_DEFAULTS.logLevel}, one JSON access line per request on stdout, here ${SERVER_LOG_PATH}); ` +
      `the "LOG_LEVEL=${QUIET_LOG_LEVEL}" line is the same server logging no requests, for the logging line.`,
    '',
    markdownTable(rows),
    '',
    generatorsLine(generators),
    '',
    `${loggingLine(logging, true)}`,
    '',
    describeProxyOverhead(proxy),
    '',
    `Background refresh of connectors (${SCHEDULER_CONNECTORS.toLocaleString('en')} due at once, one pass with the server's settings, against a local token endpoint with rotating refresh tokens; CPU is the refreshing process's):`,
    '',
    ...scheduler.map((line) => `- ${line}`),
    '',
    `${met} of ${judged} targets met.`,
    '',
    'Stores:',
    '',
    ...servers.map((s) => `- ${s.message.name}: ${s.message.store}`),
    `- ${machine.tmpFilesystem}`,
    '',
    END,
  ].join('\n');
}

/** Replaces the generated section of docs/performance.md, keeping the text around it. */
function writeReport(section: string): void {
  if (!existsSync(REPORT_PATH)) {
    writeFileSync(REPORT_PATH, `# Performance\n\n${section}\n`);
    return;
  }
  const current = readFileSync(REPORT_PATH, 'utf8');
  const begin = current.indexOf('<!-- bench:begin');
  const end = current.indexOf(END);
  const next = begin === -1 || end === -1 ? `${current.trimEnd()}\n\n${section}\n` : current.slice(0, begin) + section + current.slice(end + END.length);
  writeFileSync(REPORT_PATH, next);
}

function packageVersion(name: string): string {
  const path = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const startedAt = Date.now();
  // Before pinning: once pinned, this process sees one CPU.
  const machine = describeMachine();
  const placement = placeProcesses();
  log(describePinning(placement));
  log(describeGenerators(placement));
  const serverCpu = 'serverCpu' in placement.pinning ? placement.pinning.serverCpu : undefined;
  const generator: GeneratorPlacement = { wrk: 'version' in placement.wrk, cpu: 'generatorCpu' in placement.pinning ? placement.pinning.generatorCpu : undefined };
  const servers: BenchServer[] = [];
  const ceilings: Child<unknown>[] = [];
  let stopping: Promise<unknown> | undefined;
  const stopAll = (): Promise<unknown> => (stopping ??= Promise.all([...servers, ...ceilings].map((s) => s.stop())));
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));

  try {
    const probe = options.postgres ? await probePostgres(DATABASE_URL) : { unreachable: 'skipped (--no-postgres)' };
    const postgres = 'version' in probe ? probe.version : `not measured: ${probe.unreachable}`;
    if ('unreachable' in probe) log(`PostgreSQL ${postgres}`);

    // The proxy scenario's provider, before the Gatehouse servers that seed a connector to it.
    // Not pinned: on the server's CPU it would compete with the proxy it is measured through.
    const measuresProxy = options.only === undefined || options.only.has('connector_proxy');
    const resource = measuresProxy ? await startCeiling('./resource-server.ts', []) : undefined;
    if (resource !== undefined) ceilings.push(resource);

    // Gatehouse as `npm start` runs it: the default log level, logs on stdout.
    const serverLog = openSync(SERVER_LOG_PATH, 'w');
    const asStarted = { env: { LOG_LEVEL: CONFIG_DEFAULTS.logLevel, ...(resource === undefined ? {} : { [RESOURCE_URL_ENV]: resource.message.url }) }, stdout: serverLog, cpu: serverCpu };
    const gatehouseSqlite = await startServer('./gatehouse-server.ts', ['sqlite'], asStarted);
    servers.push(gatehouseSqlite);
    // Production mode, as deployed (its development-only behaviour off).
    if (options.peer) servers.push(await startServer('./oidc-provider-server.ts', [], { env: { NODE_ENV: 'production' }, cpu: serverCpu }));
    if ('version' in probe) servers.push(await startServer('./gatehouse-server.ts', ['postgres', DATABASE_URL], asStarted));
    // The same Gatehouse logging no requests, for the logging line (discovery only).
    const measuresDiscovery = options.only === undefined || options.only.has('discovery');
    const quiet = measuresDiscovery ? await startServer('./gatehouse-server.ts', ['sqlite'], { env: { LOG_LEVEL: QUIET_LOG_LEVEL }, stdout: serverLog, cpu: serverCpu }) : undefined;
    if (quiet !== undefined) servers.push(quiet);
    closeSync(serverLog);

    const calibration = await startCeiling('./ceiling-server.ts', [], { cpu: serverCpu });
    ceilings.push(calibration);
    const calibrations: Calibrations = { discovery: [ceilingParticipant(calibration.message.url, calibration.pid)] };
    if ('version' in probe) {
      const postgresCalibration = await startCeiling('./ceiling-postgres-server.ts', [DATABASE_URL], { cpu: serverCpu });
      ceilings.push(postgresCalibration);
      calibrations.client_credentials = [postgresCeilingParticipant(postgresCalibration.message.url, postgresCalibration.pid)];
    }

    if (resource !== undefined) {
      // The path the proxy calls (the api_base_url `/v1`, then the scenario's path and query).
      const proxied = gatehouseSqlite.message.connectorProxy?.path;
      const path = proxied === undefined ? '/v1/items?limit=10' : `/v1/${proxied.split('/proxy/')[1]}`;
      calibrations.connector_proxy = [directResourceParticipant(resource.message.url, resource.pid, path)];
    }

    const targets: Target[] = [];
    for (const server of servers) {
      const target = { ...(await prepareTarget(server.message, await discover(server.message.issuer))), pid: server.pid };
      if (server === quiet) calibrations.discovery!.unshift(scenarioParticipant(target, 'discovery', gatehouseSqlite.message.name));
      else targets.push(target);
      log(`${server.message.name} ready at ${server.message.issuer} (pid ${server.pid})`);
    }

    const { rows, rounds, generators } = await measureAll(targets, calibrations, 'version' in probe ? () => checkpointPostgres(DATABASE_URL) : async () => {}, options, generator);
    const discoveryRounds = rounds.get('discovery');
    const logging = quiet === undefined || discoveryRounds === undefined ? undefined : loggingOverheadOf(discoveryRounds, gatehouseSqlite.message.name, quiet.message.name);
    process.stdout.write(`\n${textTable(rows)}\n\n${generatorsLine(generators)}\n${describePinning(placement)}\n`);
    process.stdout.write(`${loggingLine(logging, measuresDiscovery)}\n`);
    const proxyRounds = rounds.get('connector_proxy');
    const proxy = proxyRounds === undefined ? [] : proxyOverheadOf(proxyRounds);
    if (measuresProxy) process.stdout.write(`${describeProxyOverhead(proxy)}\n`);
    // The background refresh: no load generator, its own worker process (bench/scheduler-refresh.ts).
    const scheduler: string[] = [];
    if (options.only === undefined || options.only.has('scheduler_refresh')) {
      if ('version' in probe) await checkpointPostgres(DATABASE_URL);
      for (const result of await measureSchedulerRefresh({ postgresUrl: 'version' in probe ? DATABASE_URL : undefined, cpu: serverCpu })) scheduler.push(describeSchedulerRefresh(result));
      process.stdout.write(`${scheduler.join('\n')}\n`);
    }
    const { met, judged } = targetsMet(rows, logging);
    process.stdout.write(`${met} of ${judged} targets met. Took ${Math.round((Date.now() - startedAt) / 1000)} s.\n`);
    if (options.write) {
      writeReport(reportSection(rows, logging, proxy, generators, machine, placement, options, servers, postgres, scheduler));
      process.stdout.write(`Wrote ${REPORT_PATH}\n`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
