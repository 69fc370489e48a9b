import { execFileSync } from 'node:child_process';
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
