import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));

/** What the numbers depend on, for the report. */
export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly date: string;
  /** Filesystem of the SQLite data directory: tmpfs would make "durable" fsyncs free. */
  readonly tmpFilesystem: string;
  /** The Gatehouse code measured: `git describe` of the checkout, marked when src/ has local changes. */
  readonly revision: string;
}

export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    tmpFilesystem: filesystemOf(tmpdir()),
    revision: revision(),
  };
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function filesystemOf(path: string): string {
  try {
    const lines = execFileSync('df', ['-T', path], { encoding: 'utf8' }).trim().split('\n');
    const [device, type] = lines[lines.length - 1]!.split(/\s+/);
    return `${path} is on ${type} (${device})`;
  } catch {
    return `${path} (filesystem unknown)`;
  }
}

function revision(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPOSITORY, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPOSITORY, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} with local changes in src/` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/**
 * Where the bench runs its processes. The fair comparison on a small machine (the issue's, and
 * the project's ground rules on this 2-core one): every server under test on one CPU, the load
 * generator on another, so that neither takes CPU time from the other and a server's CPU per
 * operation is its own work, not its share of a contended CPU.
 */
export interface Placement {
  /** The CPUs, when pinning is on; else why not. */
  readonly pinning: { readonly serverCpu: number; readonly generatorCpu: number } | { readonly off: string };
  /** wrk's version line, when wrk can be run; else why not. */
  readonly wrk: { readonly version: string } | { readonly off: string };
}

/**
 * Pins this process (every thread of it: autocannon runs here) to the generator's CPU, and says
 * which CPU the servers get. Pinning needs `taskset` (util-linux) and two CPUs this process may
 * run on; the first two of them are taken (CPU 0 for the load generator, 1 for the servers on a
 * 2-CPU machine).
 */
export function placeProcesses(): Placement {
  return { pinning: pinThisProcess(), wrk: wrkVersion() };
}

function pinThisProcess(): Placement['pinning'] {
  const cpus = allowedCpus();
  if (cpus.length < 2) return { off: `this process may run on ${cpus.length === 1 ? 'one CPU only' : 'an unknown set of CPUs'} (${availableParallelism()} available), and pinning needs two` };
  const [generatorCpu, serverCpu] = cpus as [number, number];
  try {
    execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(generatorCpu), String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'taskset not found (util-linux)' : `taskset failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
    return { off: reason };
  }
  return { serverCpu, generatorCpu };
}

/** The CPUs this process may run on, from /proc/self/status (`Cpus_allowed_list: 0-1,4`); empty when unknown. */
function allowedCpus(): number[] {
  try {
    const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (list === undefined) return [];
    return list.split(',').flatMap((range) => {
      const [from, to = from] = range.split('-').map(Number) as [number, number?];
      return Number.isInteger(from) && Number.isInteger(to) ? Array.from({ length: to! - from + 1 }, (_, i) => from + i) : [];
    });
  } catch {
    return [];
  }
}

function wrkVersion(): Placement['wrk'] {
  // `wrk --version` prints its version line and usage, and exits with status 1.
  const result = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined) return { off: (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'wrk not found (Debian package wrk)' : `wrk cannot be run: ${result.error.message}` };
  const line = /^wrk \S+/.exec(result.stdout)?.[0];
  return line === undefined ? { off: `wrk answered no version line: ${result.stdout.slice(0, 80)}` } : { version: line.slice('wrk '.length) };
}
