/**
 * `npm run bench`: measures mpi4ts and, when installed, its peers (C over mpicc +
 * mpiexec, and mpi4py) in one run, and prints one side-by-side table with
 * ratios and targets. Each measurement is a subprocess with a timeout that
 * prints `key=value` lines; a failed one becomes "n/a (reason)" in its cells.
 *
 * Flags: --quick (smoke run), --only pingpong|collectives|rma|io|futures (io, the collective file write and
 * read of 256 MiB at 4 ranks, runs only when asked for), --ranks 2,4,8,
 * --write (table into BENCHMARKS.md between the bench markers), --file PATH
 * (instead of BENCHMARKS.md), --section NAME (between the markers of that name
 * instead, e.g. one table per Node.js major), --timeout SECONDS (per
 * subprocess, default 120), --rounds N (default 3, 1 with --quick).
 *
 * Rounds: this VM runs a program up to twice as fast or slow from one run to
 * the next, seconds apart, so a ratio of two single runs can be off by that
 * much. Each program runs N times on every side, the sides taking turns
 * (round 1 of mpi4ts, mpi4py and C, then round 2, ...), and each cell is the
 * median of its N values (every field alike: mean, p50, p99). The parallel
 * I/O runs once (minutes of disk writes).
 * `$BENCH_NODE` names the node binary that runs mpi4ts (default: this one).
 * `--only futures` runs the task-pool benchmark instead (`bench/futures/run.ts`:
 * mpi4ts/futures against piscina and mpi4py.futures, tiny tasks per second at
 * chunksize 1 and 100 and a CPU-bound map; one round with --quick, else three).
 * `--only observe` measures what `--trace` and `--profile` add per MPI call
 * (`bench/observe/run.ts`).
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rankV8Flags } from '../src/launcher/v8flags.js';
import { lineFloor } from './line_floor.js';
import { buildMachineStalls, describeStalls, machineStalls } from './machine_stalls.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The markers of a table in BENCHMARKS.md: the main one, or the one `--section name` names. */
const markers = (name: string | undefined): { begin: string; end: string } =>
  name === undefined ? { begin: '<!-- bench:begin -->', end: '<!-- bench:end -->' }
    : { begin: `<!-- bench:${name}:begin -->`, end: `<!-- bench:${name}:end -->` };

/** mpi4ts on its embedded transport, mpi4ts on the native MPI transport, and the peers. */
type Impl = 'mpi4ts' | 'mpi4ts-mpi' | 'mpi4py' | 'c';
type Program = 'pingpong' | 'collectives' | 'rma' | 'io';
type Rec = Readonly<Record<string, string>>;
type Unit = 'us' | 'ms' | 'GB/s';

const IMPLS: readonly Impl[] = ['mpi4ts', 'mpi4ts-mpi', 'mpi4py', 'c'];
const KiB = 1024;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------- options

interface Options {
  readonly quick: boolean;
  readonly only: Program | undefined;
  readonly ranks: readonly number[];
  readonly write: boolean;
  readonly file: string;
  readonly section: string | undefined;
  readonly timeoutS: number;
  readonly rounds: number;
}

const USAGE = `usage: node --import tsx bench/run.ts [--quick] [--only pingpong|collectives|rma|io|futures|observe]
       [--ranks 2,4,8] [--write] [--file BENCHMARKS.md] [--section NAME] [--timeout 120] [--rounds 3]`;

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      ranks: { type: 'string' },
      write: { type: 'boolean', default: false },
      file: { type: 'string' },
      section: { type: 'string' },
      timeout: { type: 'string' },
      rounds: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only;
  if (only !== undefined && only !== 'pingpong' && only !== 'collectives' && only !== 'rma' && only !== 'io') {
    usage(`--only takes pingpong, collectives, rma or io, not ${only}`);
  }
  const ranks = (values.ranks ?? (values.quick ? '2,4' : '2,4,8')).split(',').map(Number);
  if (ranks.some((n) => !Number.isInteger(n) || n < 1)) usage(`--ranks takes rank counts of 1 or more, not ${values.ranks}`);
  if (values.section !== undefined && !/^[a-z0-9-]+$/.test(values.section)) {
    usage(`--section takes a name of lower-case letters, digits and dashes, not ${values.section}`);
  }
  const timeoutS = Number(values.timeout ?? '120');
  if (!(timeoutS > 0)) usage(`--timeout takes seconds, not ${values.timeout}`);
  const rounds = Number(values.rounds ?? (values.quick ? '1' : '3'));
  if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds takes a count of 1 or more, not ${values.rounds}`);
  return {
    quick: values.quick,
    only: only as Program | undefined,
    ranks,
    write: values.write,
    file: path.resolve(ROOT, values.file ?? 'BENCHMARKS.md'),
    section: values.section,
    timeoutS,
    rounds,
  };
}

function usage(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

// ---------------------------------------------------------------- cases

const PINGPONG_SIZES = [8, KiB, 64 * KiB, MiB, 4 * MiB, 16 * MiB];
const PINGPONG_QUICK = [8, 64 * KiB, 4 * MiB];
const COLL_SIZES = [8, 64, KiB, 64 * KiB, MiB, 8 * MiB];
const COLL_QUICK = [8, 64 * KiB, MiB];
const COLL_OPS = ['bcast', 'allreduce', 'alltoall'] as const;
const ANCHOR_ALLREDUCE = 8 * MiB; // 1,048,576 doubles
/** Calls measured at one short size only (8 bytes per rank; Reduce and Scan of one double, SUM, to or from rank 0; Sendrecv, a halo exchange around the ring). */
const SHORT_OPS = ['reduce', 'scan', 'gather', 'allgather', 'sendrecv'] as const;
const SHORT_LABELS: Record<(typeof SHORT_OPS)[number], string> = {
  reduce: 'Reduce (SUM, doubles, to rank 0)',
  scan: 'Scan (SUM, doubles)',
  gather: 'Gather (per rank, to rank 0)',
  allgather: 'Allgather (per rank)',
  sendrecv: 'Sendrecv around the ring (per rank)',
};
const SHORT_BYTES = 8;
/** Object collectives (lower-case calls on a small object); C has none. */
const OBJECT_OPS = ['objbcast', 'objgather', 'objallreduce'] as const;
const OBJECT_LABELS: Record<(typeof OBJECT_OPS)[number], string> = {
  objbcast: 'bcast of a small object',
  objgather: 'gather of a small object',
  objallreduce: 'allreduce of a number',
};
/** The node binary that runs mpi4ts: `$BENCH_NODE`, else the one running this script. */
const NODE = process.env['BENCH_NODE'] ?? process.execPath;

/** The anchors' ping-pong iteration counts. */
function pingpongIters(bytes: number, quick: boolean): number {
  const n = bytes <= 64 * KiB ? 20000 : bytes <= MiB ? 1000 : 200;
  return quick ? n / 10 : n;
}

function collectiveIters(op: string, bytes: number, ranks: number, quick: boolean): number {
  let n: number;
  if (op === 'barrier') n = 20000;
  else if (op === 'allreduce' && bytes === ANCHOR_ALLREDUCE && ranks === 2) n = 50; // the anchor's count
  else n = bytes <= KiB ? 2000 : bytes <= 64 * KiB ? 500 : bytes <= MiB ? 100 : 20;
  return quick ? Math.max(5, Math.floor(n / 10)) : n;
}

function pingpongCases(quick: boolean): string {
  const sizes = quick ? PINGPONG_QUICK : PINGPONG_SIZES;
  const buf = sizes.map((n) => `buf:${n}:${pingpongIters(n, quick)}`);
  const plain = sizes.map((n) => `plain:${n}:${pingpongIters(n, quick)}`);
  return [...buf, `obj:0:${quick ? 2000 : 20000}`, ...plain].join(',');
}

function collectiveCases(ranks: number, quick: boolean): string {
  const sizes = quick ? COLL_QUICK : COLL_SIZES;
  const cases = [`barrier:0:${collectiveIters('barrier', 0, ranks, quick)}`];
  for (const op of COLL_OPS) for (const n of sizes) cases.push(`${op}:${n}:${collectiveIters(op, n, ranks, quick)}`);
  for (const op of SHORT_OPS) cases.push(`${op}:${SHORT_BYTES}:${collectiveIters(op, SHORT_BYTES, ranks, quick)}`);
  for (const op of OBJECT_OPS) cases.push(`${op}:0:${collectiveIters(op, 0, ranks, quick)}`);
  if (ranks === 2 && !sizes.includes(ANCHOR_ALLREDUCE)) {
    cases.push(`allreduce:${ANCHOR_ALLREDUCE}:${collectiveIters('allreduce', ANCHOR_ALLREDUCE, 2, quick)}`);
  }
  return cases.join(',');
}

/** One-sided (bench/rma.ts): Put and Get latency and bandwidth with Lock_all + Flush, a Fetch_and_op counter. */
const RMA_SIZES = [8, 4 * MiB];

function rmaCases(quick: boolean): string {
  const iters = (n: number): number => (n <= KiB ? 20000 : 200) / (quick ? 10 : 1);
  const cases = RMA_SIZES.flatMap((n) => [`put:${n}:${iters(n)}`, `get:${n}:${iters(n)}`]);
  return [...cases, `fop:8:${iters(8)}`].join(',');
}

// ---------------------------------------------------------------- peers

interface Command {
  readonly cmd: string;
  readonly args: readonly string[];
}

interface Peer {
  readonly impl: Impl;
  /** Why this implementation cannot run here, if it cannot. */
  readonly missing: string | undefined;
  readonly command: (program: Program, ranks: number, cases: string) => Command;
}

interface MpiInfo {
  readonly mpiexec: string | undefined;
  readonly mpicc: string | undefined;
  /** E.g. "Open MPI 4.1.4". */
  readonly version: string | undefined;
  readonly openmpi: boolean;
}

function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir !== '' && existsSync(file)) return file;
  }
  return undefined;
}

function detectMpi(): MpiInfo {
  const mpiexec = which('mpiexec');
  const mpicc = which('mpicc');
  let version: string | undefined;
  let openmpi = false;
  if (mpiexec !== undefined) {
    const out = spawnSync(mpiexec, ['--version'], { encoding: 'utf8', timeout: 10000 });
    const text = `${out.stdout ?? ''}${out.stderr ?? ''}`;
    const ompi = /(?:OpenRTE|Open MPI)\)?\s+([\d.]+)/.exec(text);
    const mpich = /Version:\s+([\d.]+\S*)/.exec(text);
    if (ompi !== null) {
      version = `Open MPI ${ompi[1] ?? ''}`;
      openmpi = true;
    } else if (/HYDRA/.test(text) && mpich !== null) version = `MPICH ${mpich[1] ?? ''}`;
    else version = text.split('\n')[0]?.trim();
  }
  return { mpiexec, mpicc, version, openmpi };
}

function mpiexecArgs(mpi: MpiInfo, ranks: number): string[] {
  const args = ['-n', String(ranks)];
  if (mpi.openmpi && ranks > os.availableParallelism()) args.push('--oversubscribe');
  return args;
}

/** Builds the C peers into `dir`; returns why it could not. */
function buildC(mpi: MpiInfo, dir: string): string | undefined {
  if (mpi.mpicc === undefined || mpi.mpiexec === undefined) return 'not installed';
  for (const program of ['pingpong', 'collectives', 'rma'] as const) {
    const src = path.join(ROOT, 'bench', 'peers', `${program}.c`);
    const out = spawnSync(mpi.mpicc, ['-O2', '-o', path.join(dir, program), src], { encoding: 'utf8', timeout: 120000 });
    if (out.status !== 0) {
      notes.push(`C peer ${program}.c did not build: ${tail(`${out.stderr ?? ''}${out.error?.message ?? ''}`, 3)}`);
      return 'build failed';
    }
  }
  return undefined;
}

/** A Python that can import mpi4py and numpy (the one on PATH may be a pyenv without them). */
function findPython(): string | undefined {
  const candidates = [process.env['BENCH_PYTHON'], '/usr/bin/python3', which('python3'), which('python')];
  for (const py of candidates) {
    if (py === undefined || !existsSync(py)) continue;
    const out = spawnSync(py, ['-c', 'import mpi4py, numpy'], { timeout: 30000 });
    if (out.status === 0) return py;
  }
  return undefined;
}

function pythonModuleVersion(py: string, module: string): string | undefined {
  const out = spawnSync(py, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8', timeout: 30000 });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function detectPeers(mpi: MpiInfo, cdir: string, python: string | undefined): Peer[] {
  const launcher = path.join(ROOT, 'bin', 'mpi4ts.js');
  const ts: Peer = {
    impl: 'mpi4ts',
    missing: !existsSync(path.join(ROOT, 'dist', 'index.js'))
      ? 'not built'
      : !existsSync(launcher)
        ? 'no launcher'
        : undefined,
    command: (program, ranks, cases) => ({
      cmd: NODE,
      args: [launcher, '-n', String(ranks), path.join('bench', `${program}.ts`), cases],
    }),
  };
  const addon = path.join(ROOT, 'native', 'build', 'Release', 'mpi4ts_native.node');
  // The same mpi4ts programs, started by mpiexec: they pick the native transport themselves. Node starts each rank
  // there, so the V8 flags that mpi4ts gives its own ranks go on node's command line, as `mpi4ts --transport mpi` does.
  const major = Number(/^v(\d+)/.exec(nodeVersion())?.[1] ?? 0);
  const native: Peer = {
    impl: 'mpi4ts-mpi',
    missing: mpi.mpiexec === undefined ? 'no mpiexec' : !existsSync(addon) ? 'addon not built (npx mpi4ts build-mpi)' : ts.missing,
    command: (program, ranks, cases) => ({
      cmd: mpi.mpiexec ?? 'mpiexec',
      args: [...mpiexecArgs(mpi, ranks), NODE, ...rankV8Flags([], process.env, major),
        launcher, path.join('bench', `${program}.ts`), cases],
    }),
  };
  const py: Peer = {
    impl: 'mpi4py',
    missing: mpi.mpiexec === undefined || python === undefined ? 'not installed' : undefined,
    command: (program, ranks, cases) => ({
      cmd: mpi.mpiexec ?? 'mpiexec',
      args: [...mpiexecArgs(mpi, ranks), python ?? 'python3', path.join(ROOT, 'bench', 'peers', `${program}_mpi4py.py`), cases],
    }),
  };
  const c: Peer = {
    impl: 'c',
    missing: buildC(mpi, cdir),
    command: (program, ranks, cases) => ({
      cmd: mpi.mpiexec ?? 'mpiexec',
      args: [...mpiexecArgs(mpi, ranks), path.join(cdir, program), cases],
    }),
  };
  return [ts, native, py, c];
}

// ---------------------------------------------------------------- running

interface Outcome {
  readonly records: readonly Rec[];
  /** Short reason the program failed, for the cells it did not report. */
  readonly failure: string | undefined;
}

const notes: string[] = [];
const running = new Set<number>();

function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join(' | ').slice(0, 400);
}

/** The most telling line of a failed program's stderr: the first error line, not a stack frame. */
function reasonOf(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !/^[-=*]{5,}$/.test(l));
  const line = lines.find((l) => /error|fail|abort|deadlock|killed|exception/i.test(l)) ?? lines.at(-1) ?? '';
  return line.slice(0, 300);
}

/** A line of only key=value tokens, with an `op` key. */
function parseLine(line: string): Rec | undefined {
  const tokens = line.trim().split(/\s+/);
  const rec: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) return undefined;
    rec[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return rec['op'] !== undefined ? rec : undefined;
}

/** Every process below `pid` (from Linux's /proc; empty elsewhere). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  for (let todo = [pid]; todo.length > 0; ) {
    const next = todo.flatMap((p) => children.get(p) ?? []);
    found.push(...next);
    todo = next;
  }
  return found;
}

/** Signals the process group led by `pid`, and `pid` itself if it leads none. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone, or not a group leader
    }
  }
}

function runOne(peer: Peer, program: Program, ranks: number, cases: string, timeoutS: number): Promise<Outcome> {
  const { cmd, args } = peer.command(program, ranks, cases);
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_CASES: cases };
  if (process.getuid?.() === 0) {
    env['OMPI_ALLOW_RUN_AS_ROOT'] = '1';
    env['OMPI_ALLOW_RUN_AS_ROOT_CONFIRM'] = '1';
  }
  const what = `${peer.impl} ${program} -n ${ranks}`;
  process.stderr.write(`[bench] ${what} ... `);
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-65536)));
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let below: number[] = [];
    let hardKill: NodeJS.Timeout | undefined;
    const killAll = (signal: NodeJS.Signals): void => {
      for (const p of pid !== undefined ? [pid, ...below] : below) killGroup(p, signal);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid === undefined) return;
      below = descendants(pid); // now, before they are orphaned: Open MPI puts ranks in groups of their own
      killAll('SIGTERM');
      hardKill = setTimeout(() => killAll('SIGKILL'), 3000);
      // A process outside the tree may hold the pipes open: give up on them.
      setTimeout(() => finish(`timeout ${timeoutS} s`, reasonOf(stderr)), 6000).unref();
    }, timeoutS * 1000);
    let done = false;
    const finish = (failure: string | undefined, detail: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (timedOut) {
        clearTimeout(hardKill);
        killAll('SIGKILL');
      }
      if (pid !== undefined) running.delete(pid);
      const records = stdout.split('\n').flatMap((l): Rec[] => {
        const r = parseLine(l);
        return r === undefined ? [] : [r];
      });
      const secs = ((Date.now() - start) / 1000).toFixed(1);
      process.stderr.write(`${failure === undefined ? 'ok' : `FAILED (${failure})`}, ${records.length} results, ${secs} s\n`);
      if (failure !== undefined) notes.push(`${what}: ${failure}${detail !== '' ? `: ${detail}` : ''}`);
      for (const r of records) {
        const error = r['error'];
        if (error !== undefined) notes.push(`${what}: ${r['op'] ?? ''}${r['kind'] !== undefined ? ` ${r['kind']}` : ''}: ${error.replace(/_/g, ' ')}`);
      }
      resolve({ records, failure });
    };
    child.on('error', (err) => finish('spawn failed', err.message));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`timeout ${timeoutS} s`, reasonOf(stderr));
      else if (code === 0) finish(undefined, '');
      else finish(code !== null ? `exit ${code}` : `signal ${signal ?? '?'}`, reasonOf(stderr));
    });
  });
}

// ---------------------------------------------------------------- table

type Cell = { readonly value: number } | { readonly na: string };

interface Row {
  readonly label: string;
  readonly unit: Unit;
  /** The headline number: the mean of the timed iterations. */
  readonly cell: (impl: Impl) => Cell;
  /** A time field of the record (`p50_us`, `p99_us`, `warmed_us`), in the row's unit. */
  readonly timeField: (impl: Impl, field: string) => Cell;
  readonly target?: { readonly text: string; readonly met: (v: number, row: Row) => boolean | undefined };
}

type Line = Row | { readonly group: string };

class Results {
  /** Each program's runs, one per round. */
  private readonly runs = new Map<string, Outcome[]>();
  constructor(private readonly peers: readonly Peer[]) {}

  add(impl: Impl, program: Program, ranks: number, outcome: Outcome): void {
    const key = `${impl}/${program}/${ranks}`;
    const runs = this.runs.get(key);
    if (runs === undefined) this.runs.set(key, [outcome]);
    else runs.push(outcome);
  }

  /**
   * The median over the rounds of `field` (scaled) in the records of `impl`'s runs that match `want`; a
   * round that did not report it makes the cell n/a (a failure is not hidden by the rounds that passed).
   */
  find(impl: Impl, program: Program, ranks: number, want: Rec, field: string, scale: number): Cell {
    const missing = this.peers.find((p) => p.impl === impl)?.missing;
    if (missing !== undefined) return { na: missing };
    const runs = this.runs.get(`${impl}/${program}/${ranks}`);
    if (runs === undefined) return { na: 'not run' };
    const values: number[] = [];
    for (const run of runs) {
      const rec = run.records.find((r) => Object.entries(want).every(([k, v]) => r[k] === v));
      if (rec === undefined) return { na: run.failure ?? 'not reported' };
      const error = rec['error'];
      if (error !== undefined) return { na: error.replace(/_/g, ' ').slice(0, 30) };
      const v = Number(rec[field]);
      if (!Number.isFinite(v)) return { na: `bad ${field}` };
      values.push(v * scale);
    }
    return { value: median(values) };
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fmtBytes(n: number): string {
  if (n >= MiB) return `${n / MiB} MiB`;
  if (n >= KiB) return `${n / KiB} KiB`;
  return `${n} B`;
}

function fmtValue(v: number, unit: Unit): string {
  const digits = v < 1 ? 3 : v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${v.toFixed(digits)} ${unit}`;
}

function fmtCell(c: Cell, unit: Unit): string {
  return 'value' in c ? fmtValue(c.value, unit) : `n/a (${c.na})`;
}

/** mpi4ts time ÷ peer time (for bandwidth: peer GB/s ÷ mpi4ts GB/s); below 1 = mpi4ts faster. */
function ratio(row: Row, peer: Impl, of: Impl = 'mpi4ts'): string {
  const a = row.cell(of);
  const b = row.cell(peer);
  if (!('value' in a) || !('value' in b) || a.value <= 0 || b.value <= 0) return '';
  const r = row.unit === 'GB/s' ? b.value / a.value : a.value / b.value;
  return `${r.toFixed(2)}x`;
}

function targetText(row: Row): string {
  if (row.target === undefined) return '';
  const c = row.cell('mpi4ts');
  const met = 'value' in c ? row.target.met(c.value, row) : undefined;
  return met === undefined ? row.target.text : `${row.target.text} ${met ? '✓' : '✗'}`;
}

const atMost = (limit: number, unit: Unit) => ({ text: `≤ ${limit} ${unit}`, met: (v: number) => v <= limit });
const atLeast = (limit: number, unit: Unit) => ({ text: `≥ ${limit} ${unit}`, met: (v: number) => v >= limit });

/** Whether a run measures `program`: the one `--only` names, else every one but io (minutes of disk writes). */
function wants(opts: Options, program: Program): boolean {
  return opts.only === undefined ? program !== 'io' : opts.only === program;
}

/** The io program's cases: collective write and read of a 256 MiB array, and one process's plain write. */
const IO_BYTES = 256 * MiB;
const IO_RANKS = 4;
const ioCases = (quick: boolean): string => ['fswrite', 'write', 'read'].map((op) => `${op}:${IO_BYTES}:${quick ? 1 : 10}`).join(',');

function ioLines(res: Results): Line[] {
  const row = (op: string, label: string): Row => ({
    label,
    unit: 'GB/s',
    cell: (impl) => (impl === 'c' || (op === 'fswrite' && impl === 'mpi4py') ? { na: 'not measured' }
      : res.find(impl, 'io', IO_RANKS, { op }, 'gbps', 1)),
    timeField: (impl, f) => (impl === 'c' || f === 'warmed_us' ? { na: 'not measured' }
      : inUnit(res.find(impl, 'io', IO_RANKS, { op }, f, 1), 'GB/s', IO_BYTES)),
  });
  const reference = row('fswrite', 'fs.writeFileSync of 256 MiB by one process');
  const atLeastOf = (share: number) => ({
    text: `≥ ${share}x one writer`,
    met: (v: number) => {
      const single = reference.cell('mpi4ts');
      return 'value' in single ? v >= share * single.value : undefined;
    },
  });
  return [
    { group: `Parallel I/O, ${IO_RANKS} ranks, 256 MiB 2D array, subarray view` },
    reference,
    { ...row('write', 'File.Write_all (Open, Set_view, Write_all, Close)'), target: atLeastOf(0.8) },
    row('read', 'File.Read_all (Open, Set_view, Read_all, Close)'),
  ];
}

function buildLines(res: Results, opts: Options): Line[] {
  const lines: Line[] = [];
  if (opts.only === 'io') lines.push(...ioLines(res));
  if (wants(opts, 'pingpong')) {
    const sizes = opts.quick ? PINGPONG_QUICK : PINGPONG_SIZES;
    const pp = (kind: 'buf' | 'plain', n: number, label: string, withTarget: boolean): Row => {
      const unit: Unit = n <= KiB ? 'us' : 'GB/s';
      const field = unit === 'us' ? 'one_way_us' : 'MBps';
      const scale = unit === 'us' ? 1 : 1e-3;
      // The peers have one kind of buffer: their row is the same in both mpi4ts variants.
      const want = (impl: Impl): Rec => ({ kind: impl.startsWith('mpi4ts') ? kind : 'buf', bytes: String(n) });
      return {
        label,
        unit,
        cell: (impl) => res.find(impl, 'pingpong', 2, want(impl), field, scale),
        timeField: (impl, f) => inUnit(res.find(impl, 'pingpong', 2, want(impl), f, 1), unit, n),
        ...(!withTarget ? {} : n === 8 ? { target: atMost(0.5, 'us') } : n === 4 * MiB ? { target: atLeast(8, 'GB/s') } : {}),
      };
    };
    lines.push({ group: 'Ping-pong, 2 ranks, one-way (MPI.alloc)' });
    for (const n of sizes) lines.push(pp('buf', n, `Send/Recv ${fmtBytes(n)}`, true));
    lines.push({
      label: 'send/recv small object',
      unit: 'us',
      cell: (impl) => (impl === 'c' ? { na: 'no object API' } : res.find(impl, 'pingpong', 2, { kind: 'obj' }, 'one_way_us', 1)),
      timeField: (impl, f) => (impl === 'c' ? { na: 'no object API' } : res.find(impl, 'pingpong', 2, { kind: 'obj' }, f, 1)),
      target: atMost(2, 'us'),
    });
    lines.push({ group: 'Ping-pong, 2 ranks, one-way (plain Uint8Array)' });
    for (const n of sizes) lines.push(pp('plain', n, `Send/Recv ${fmtBytes(n)}, plain`, false));
  }
  if (wants(opts, 'collectives')) {
    const sizes = opts.quick ? COLL_QUICK : COLL_SIZES;
    for (const ranks of opts.ranks) {
      lines.push({ group: `Collectives, ${ranks} rank${ranks === 1 ? '' : 's'}` });
      const coll = (op: string, n: number, label: string, unit: Unit): Row => ({
        label,
        unit,
        cell: (impl) => res.find(impl, 'collectives', ranks, { op, bytes: String(n) }, 'us', unit === 'ms' ? 1e-3 : 1),
        timeField: (impl, f) => res.find(impl, 'collectives', ranks, { op, bytes: String(n) }, f, unit === 'ms' ? 1e-3 : 1),
      });
      lines.push({ ...coll('barrier', 0, 'Barrier', 'us'), ...(ranks === 2 ? { target: atMost(0.5, 'us') } : {}) });
      if (ranks === 2) {
        const anchor = coll('allreduce', ANCHOR_ALLREDUCE, 'Allreduce 1,048,576 doubles (8 MiB)', 'ms');
        lines.push({
          ...anchor,
          target: {
            text: '≤ C',
            met: (v, row) => {
              const c = row.cell('c');
              return 'value' in c ? v <= c.value : undefined;
            },
          },
        });
      }
      for (const op of COLL_OPS) {
        const name = op === 'bcast' ? 'Bcast' : op === 'allreduce' ? 'Allreduce (SUM, doubles)' : 'Alltoall (per rank)';
        for (const n of sizes) {
          if (op === 'allreduce' && n === ANCHOR_ALLREDUCE && ranks === 2) continue; // the anchor row above
          lines.push(coll(op, n, `${name} ${fmtBytes(n)}`, n >= MiB ? 'ms' : 'us'));
        }
      }
      for (const op of SHORT_OPS) lines.push(coll(op, SHORT_BYTES, `${SHORT_LABELS[op]} ${fmtBytes(SHORT_BYTES)}`, 'us'));
      for (const op of OBJECT_OPS) {
        const row = coll(op, 0, OBJECT_LABELS[op], 'us');
        lines.push({
          ...row,
          cell: (impl) => (impl === 'c' ? { na: 'no object API' } : row.cell(impl)),
          timeField: (impl, f) => (impl === 'c' ? { na: 'no object API' } : row.timeField(impl, f)),
        });
      }
    }
  }
  if (wants(opts, 'rma')) {
    lines.push({ group: 'One-sided, 2 ranks, Lock_all epoch (Win.Allocate)' });
    const rma = (kind: string, n: number, label: string, unit: Unit, target?: Row['target']): Row => {
      const field = unit === 'us' ? 'us' : 'MBps';
      const scale = unit === 'us' ? 1 : 1e-3;
      const want = { op: 'rma', kind, bytes: String(n) };
      return {
        label,
        unit,
        cell: (impl) => res.find(impl, 'rma', 2, want, field, scale),
        timeField: (impl, f) => inUnit(res.find(impl, 'rma', 2, want, f, 1), unit, n),
        ...(target !== undefined ? { target } : {}),
      };
    };
    // Targets (issue 14): Put/Get 8 B at most half mpi4py's time, the counter at least twice its throughput.
    const vsMpi4py = (factor: number) => ({
      text: `≤ ${factor}x mpi4py`,
      met: (v: number, row: Row) => {
        const p = row.cell('mpi4py');
        return 'value' in p ? v <= factor * p.value : undefined;
      },
    });
    for (const n of RMA_SIZES) {
      const unit: Unit = n <= KiB ? 'us' : 'GB/s';
      lines.push(rma('put', n, `Put ${fmtBytes(n)} + Flush`, unit, n === 8 ? vsMpi4py(0.5) : undefined));
      lines.push(rma('get', n, `Get ${fmtBytes(n)} + Flush`, unit, n === 8 ? vsMpi4py(0.5) : undefined));
    }
    lines.push(rma('fop', 8, 'Fetch_and_op counter + Flush (both ranks)', 'us', vsMpi4py(0.5)));
  }
  return lines;
}

/** A time in microseconds as the row shows it: GB/s for `bytes` per iteration, or as it is. */
function inUnit(c: Cell, unit: Unit, bytes: number): Cell {
  if (!('value' in c) || unit !== 'GB/s') return c;
  return c.value > 0 ? { value: bytes / c.value / 1e3 } : { na: 'zero time' };
}

/** The headline table: means of the timed iterations, ratios, targets, and mpi4ts's warmed-up mean. */
function renderTable(lines: readonly Line[], cLabel: string): string {
  const header = ['Measurement', 'mpi4ts (shm)', 'mpi4ts (mpi)', 'mpi4py', cLabel, 'shm ÷ mpi4py', 'shm ÷ C',
    'mpi ÷ mpi4py', 'mpi ÷ C', 'target (shm)', 'shm, 2nd call'];
  return markdownTable(header, lines, (l) => [
    ...IMPLS.map((impl) => fmtCell(l.cell(impl), l.unit)),
    ratio(l, 'mpi4py'),
    ratio(l, 'c'),
    ratio(l, 'mpi4py', 'mpi4ts-mpi'),
    ratio(l, 'c', 'mpi4ts-mpi'),
    targetText(l),
    fmtCell(l.timeField('mpi4ts', 'warmed_us'), l.unit),
  ]);
}

/** The per-iteration medians and 99th percentiles of every implementation. */
function renderPercentiles(lines: readonly Line[], cLabel: string): string {
  const header = ['Measurement', ...IMPLS.map((impl) => `${impl === 'c' ? cLabel : implLabel[impl]} p50 / p99`),
    'shm ÷ mpi4py, p50', 'shm ÷ C, p50'];
  const pair = (l: Row, impl: Impl): string => {
    const [p50, p99] = [l.timeField(impl, 'p50_us'), l.timeField(impl, 'p99_us')];
    return 'value' in p50 && 'value' in p99 ? `${fmtValue(p50.value, l.unit)} / ${fmtValue(p99.value, l.unit)}` : fmtCell(p50, l.unit);
  };
  const p50Ratio = (l: Row, peer: Impl): string =>
    ratio({ ...l, cell: (impl) => l.timeField(impl, 'p50_us') }, peer);
  return markdownTable(header, lines, (l) => [...IMPLS.map((impl) => pair(l, impl)), p50Ratio(l, 'mpi4py'), p50Ratio(l, 'c')]);
}

const implLabel: Readonly<Record<Impl, string>> = { 'mpi4ts': 'mpi4ts (shm)', 'mpi4ts-mpi': 'mpi4ts (mpi)', 'mpi4py': 'mpi4py', 'c': 'C' };

function markdownTable(header: readonly string[], lines: readonly Line[], cells: (row: Row) => string[]): string {
  const rows: string[][] = lines.map((l) =>
    'group' in l ? [`**${l.group}**`, ...new Array<string>(header.length - 1).fill('')] : [l.label, ...cells(l)],
  );
  const width = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const pad = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c + ' '.repeat(Math.max(0, (width[i] ?? 0) - [...c].length))).join(' | ')} |`;
  return [pad(header), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(pad)].join('\n');
}

// ---------------------------------------------------------------- machine and BENCHMARKS.md

interface Machine {
  readonly cpu: string;
  readonly nproc: number;
  readonly memGiB: string;
  readonly node: string;
  readonly mpi: string;
  readonly mpi4py: string;
  readonly os: string;
}

function describeMachine(mpi: MpiInfo, python: string | undefined): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1] !== undefined) cpu = m[1].trim();
  } catch {
    // not Linux
  }
  return {
    cpu,
    nproc: os.availableParallelism(),
    memGiB: (os.totalmem() / 2 ** 30).toFixed(0),
    node: nodeVersion(),
    mpi: mpi.version ?? 'no MPI installed',
    mpi4py: python !== undefined ? `mpi4py ${pythonModuleVersion(python, 'mpi4py') ?? '?'} (${python})` : 'no mpi4py',
    os: `${os.type()} ${os.release()}`,
  };
}

/** The version of the node that runs mpi4ts (`v20.20.2`), asked of it once. */
function nodeVersion(): string {
  if (NODE === process.execPath) return process.version;
  if (nodeVersionSeen === undefined) {
    const out = spawnSync(NODE, ['--version'], { encoding: 'utf8', timeout: 10000 });
    nodeVersionSeen = out.status === 0 ? out.stdout.trim() : `? (${NODE})`;
  }
  return nodeVersionSeen;
}
let nodeVersionSeen: string | undefined;

/** A floor of `bench/line_floor.ts` as text: microseconds, or why there is none. */
function microseconds(floor: number | undefined): string {
  return floor === undefined ? 'not measured (one core, or too slow)' : `${floor.toFixed(3)} us`;
}

function machineLine(m: Machine): string {
  return `${m.nproc} cores (nproc), ${m.cpu}, ${m.memGiB} GiB RAM, ${m.os}; Node ${m.node}, ${m.mpi}, ${m.mpi4py}`;
}

const LEGEND = `Every case is one plain loop in a single call, as a user writes it, on every side: its first
tenth is untimed warm-up, the rest is timed, and nothing runs before it. Each program runs \`--rounds\`
times on every side (the header says how many; the parallel I/O once), the sides taking turns, and
every cell is the median of those runs: this VM runs a program up to twice as fast or slow from one run to the next. Ping-pong: one-way time =
round trip / 2 between ranks 0 and 1; mpi4ts on \`MPI.alloc(Uint8Array, n)\` buffers, then on plain
\`new Uint8Array(n)\` (the peers have one kind of buffer, shown in both). Collectives: the slowest
rank's mean time per call; sizes are the Bcast buffer, the reductions' vector (bytes / 8 doubles)
and the block each rank sends (Alltoall: to each rank). "shm, 2nd call" is mpi4ts (shm) running the same loop
function a second time, once V8 has optimized it between calls. The second table gives the
median and 99th percentile of the per-iteration times (the slowest rank's, for collectives).
One-sided: rank 0's mean time per \`Put\` or \`Get\` + \`Flush(1)\` in a \`Lock_all\` epoch on a window from
\`Win.Allocate\`, and per \`Fetch_and_op\` + \`Flush(0)\` on a counter at rank 0 that both ranks hit.
mpi4ts (shm) is the embedded transport (\`npx mpi4ts -n 2\`); mpi4ts (mpi) is the same program under
mpiexec on the native transport, over the same Open MPI as the peers. Ratios are mpi4ts time ÷ peer
time (GB/s rows: peer GB/s ÷ mpi4ts GB/s): below 1.00x, mpi4ts is faster. ✓ / ✗: whether mpi4ts
on shm meets its target. Details: bench/README.md.`;

function newFileHeader(m: Machine): string {
  return `# Benchmarks

mpi4ts measured side by side with C MPI and mpi4py, all three in the same run on the same
machine, by \`npm run bench\` (\`bench/run.ts\`; what each row measures is in \`bench/README.md\`).

Machine of the numbers below:

- ${m.nproc} cores (\`nproc\`), ${m.cpu}, ${m.memGiB} GiB RAM, ${m.os}
- Node ${m.node}; ${m.mpi}; ${m.mpi4py}

How to run:

\`\`\`sh
npm run bench                       # measure and print the table
npm run bench -- --write            # ... and replace the table below
npm run bench -- --quick            # smoke run: fewer sizes and iterations
npm run bench -- --only collectives --ranks 2,4
\`\`\`

Read the ratios more than the absolute numbers: on a small or shared (virtual) machine the
absolute numbers move by tens of percent from one run to the next, but the three implementations
are measured back to back in one run, so their ratios are far steadier. At more ranks than cores
every implementation is oversubscribed and the numbers mostly measure the scheduler.

`;
}

function writeSection(file: string, name: string | undefined, section: string, m: Machine): void {
  const { begin, end } = markers(name);
  const block = `${begin}\n${section}\n${end}`;
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${newFileHeader(m)}${block}\n`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const b = text.indexOf(begin);
  const e = text.indexOf(end, b);
  const next = b >= 0 && e >= 0 ? text.slice(0, b) + block + text.slice(e + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

// ---------------------------------------------------------------- main

/** `--only futures`: the task-pool benchmark, which prints its own table. */
function runFuturesBenchmark(argv: readonly string[]): number {
  const rounds = argv.includes('--quick') ? '1' : '3';
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/futures/run.ts'), rounds],
    { cwd: ROOT, stdio: 'inherit' });
  return run.status ?? 1;
}

/** `--only observe`: what --trace and --profile cost per call (`bench/observe/run.ts`). */
function runObserveBenchmark(argv: readonly string[]): number {
  const rounds = argv.includes('--quick') ? '1' : '5';
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/observe/run.ts'), rounds],
    { cwd: ROOT, stdio: 'inherit' });
  return run.status ?? 1;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const only = argv.indexOf('--only');
  const onlyName = only >= 0 ? argv[only + 1] : argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (onlyName === 'futures') {
    process.exitCode = runFuturesBenchmark(argv);
    return;
  }
  if (onlyName === 'observe') {
    process.exitCode = runObserveBenchmark(argv);
    return;
  }
  const opts = parseOptions(argv);
  const mpi = detectMpi();
  const python = mpi.mpiexec !== undefined ? findPython() : undefined;
  const cdir = mkdtempSync(path.join(os.tmpdir(), 'mpi4ts-bench-'));
  const onSignal = (): void => {
    for (const pid of running) for (const p of [...descendants(pid), pid]) killGroup(p, 'SIGKILL');
    rmSync(cdir, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const peers = detectPeers(mpi, cdir, python);
    const machine = describeMachine(mpi, python);
    const cLabel = `C (${mpi.version ?? 'MPI'})`;
    process.stderr.write(`[bench] ${machineLine(machine)}\n`);
    const floorBefore = await lineFloor();
    process.stderr.write(`[bench] cache-line floor (flag ping-pong, one-way): ${microseconds(floorBefore)}\n`);
    const compiler = which('cc') ?? which('gcc') ?? mpi.mpicc;
    const stallProbe = compiler === undefined ? undefined : buildMachineStalls(compiler, cdir);
    const stallsBefore = stallProbe === undefined ? undefined : machineStalls(stallProbe);
    process.stderr.write(`[bench] machine stalls per core: ${describeStalls(stallsBefore)}\n`);
    for (const p of peers) if (p.missing !== undefined) process.stderr.write(`[bench] ${p.impl}: ${p.missing}, skipped\n`);
    const results = new Results(peers);
    const available = peers.filter((p) => p.missing === undefined);
    if (wants(opts, 'io')) {
      const cases = ioCases(opts.quick);
      for (const p of available.filter((peer) => peer.impl !== 'c')) {
        results.add(p.impl, 'io', IO_RANKS, await runOne(p, 'io', IO_RANKS, cases, opts.timeoutS));
      }
    }
    for (let round = 1; round <= opts.rounds; round++) {
      if (opts.rounds > 1) process.stderr.write(`[bench] round ${round} of ${opts.rounds}\n`);
      if (wants(opts, 'pingpong')) {
        const cases = pingpongCases(opts.quick);
        for (const p of available) results.add(p.impl, 'pingpong', 2, await runOne(p, 'pingpong', 2, cases, opts.timeoutS));
      }
      if (wants(opts, 'collectives')) {
        for (const ranks of opts.ranks) {
          const cases = collectiveCases(ranks, opts.quick);
          for (const p of available) {
            results.add(p.impl, 'collectives', ranks, await runOne(p, 'collectives', ranks, cases, opts.timeoutS));
          }
        }
      }
      if (wants(opts, 'rma')) {
        const cases = rmaCases(opts.quick);
        for (const p of available) results.add(p.impl, 'rma', 2, await runOne(p, 'rma', 2, cases, opts.timeoutS));
      }
    }
    const floorAfter = await lineFloor();
    process.stderr.write(`[bench] cache-line floor after the run: ${microseconds(floorAfter)}\n`);
    const stallsAfter = stallProbe === undefined ? undefined : machineStalls(stallProbe);
    process.stderr.write(`[bench] machine stalls per core after the run: ${describeStalls(stallsAfter)}\n`);
    const lines = buildLines(results, opts);
    const table = renderTable(lines, cLabel);
    const percentiles = renderPercentiles(lines, cLabel);
    const flags = [
      opts.quick ? '--quick' : '',
      opts.only !== undefined ? `--only ${opts.only}` : '',
      wants(opts, 'collectives') ? `--ranks ${opts.ranks.join(',')}` : '',
      `--rounds ${opts.rounds}`,
    ].filter((f) => f !== '').join(' ');
    const section = [
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/run.ts${flags !== '' ? ` ${flags}` : ''}\` on ${machineLine(machine)}.`,
      `Cache-line floor (a two-thread flag ping-pong, one-way; \`bench/line_floor.ts\`): ${microseconds(floorBefore)} before the run, ${microseconds(floorAfter)} after.`,
      `Machine stalls (a thread per core reading the clock for 300 ms, gaps of 5 us or more; \`bench/machine_stalls.c\`): ${describeStalls(stallsBefore)} before the run; ${describeStalls(stallsAfter)} after.`,
      '',
      table,
      '',
      percentiles,
      '',
      LEGEND,
      ...(notes.length > 0 ? ['', 'Notes from this run:', '', ...[...new Set(notes)].map((n) => `- ${n}`)] : []),
    ].join('\n');
    console.log(`\n${section}`);
    if (opts.write) {
      writeSection(opts.file, opts.section, section, machine);
      process.stderr.write(`[bench] wrote ${path.relative(process.cwd(), opts.file)}\n`);
    }
  } finally {
    rmSync(cdir, { recursive: true, force: true });
  }
}

await main();
