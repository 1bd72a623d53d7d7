/**
 * What V8's optimizing compilers do during a user's first loop, per small case: a measure that
 * does not depend on the machine's load (issue 12). Run as
 * `node --import tsx bench/jit_report.ts [--ranks 2] [--iters 20000] [--only bcast,buf] [--node PATH]
 * [--node-flags "--some-v8-flag"] [--job] [--verbose]`
 * after `npm run build`.
 *
 * Each case runs alone in a fresh job (`node bin/mpi4ts.js -n R bench/<program>.ts <case>`, shm
 * transport), so its loop is the program's first. With `--job`, the cases of each program run in
 * one job, one after another, as in `npm run bench`: a case's loop then finds the code that the
 * cases before it made hot, and pays what a new kind of call costs code optimized without it (a
 * deoptimization and a recompile where a call site or property read sees a new target or class).
 * With
 * `BENCH_JIT_TRACE=1` the program turns `--trace-opt` and `--trace-deopt` on right before its
 * first loop and off right after it (bench/cases.ts `jitTrace`). This script reads that trace
 * and prints per case:
 *
 * - `compiles`, `compile_ms`: optimizing compiles completed during the loop (TurboFan, and
 *   Maglev on Node 22+ as `maglev`), all ranks together, and their summed compile time; the
 *   top functions by compile time follow.
 * - `deopts`: deoptimizations (eager, soft, lazy) during the loop, with the reasons and functions.
 * - `slow50`: iterations of the first loop over 50 us (the largest count over the ranks; for a
 *   ping-pong, round trips over 50 us, on rank 0), warm-up iterations included: the count of
 *   stalls, not their length, so it means the same on a loaded machine.
 *
 * Compile time is wall time of a compiler thread and grows with the load; the counts do not.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const ranks = Number(option('ranks', '2'));
const iters = Number(option('iters', '20000'));
const node = option('node', process.env['BENCH_NODE'] ?? process.execPath);
const only = option('only', '').split(',').filter((s) => s !== '');
const verbose = process.argv.includes('--verbose');
const oneJob = process.argv.includes('--job');
/** Extra node/V8 flags for the jobs (to try a flag), space-separated. */
const nodeFlags = option('node-flags', '').split(' ').filter((s) => s !== '');

/** program, case name, bytes. */
const CASES: readonly (readonly [string, string, number])[] = [
  ['pingpong', 'buf', 8], ['pingpong', 'plain', 8], ['pingpong', 'obj', 0],
  ['collectives', 'barrier', 0], ['collectives', 'bcast', 8], ['collectives', 'allreduce', 8],
  ['collectives', 'alltoall', 8], ['collectives', 'reduce', 8], ['collectives', 'scan', 8],
  ['collectives', 'gather', 8], ['collectives', 'allgather', 8], ['collectives', 'sendrecv', 8],
  ['collectives', 'objbcast', 0], ['collectives', 'objgather', 0],
];

const COMPILED = /completed (?:compiling|optimizing) 0x[0-9a-f]+ <JSFunction ([^(]*?) ?\(sfi.*?\(target (TURBOFAN|TURBOFAN_JS|MAGLEV)\)( OSR)? - took ([\d.]+), ([\d.]+), ([\d.]+) ms/;
const DEOPT = /\[bailout \(kind: ([\w-]+)(?:, reason: ([^)]*))?\): begin\. deoptimizing 0x[0-9a-f]+ <JSFunction ([^(]*?) ?\(sfi/;

interface Row {
  readonly label: string;
  compiles: number;
  maglev: number;
  compileMs: number;
  deopts: number;
  slow: string;
  mean: string;
  readonly byFunction: Map<string, { count: number; ms: number }>;
  readonly deoptList: Map<string, number>;
}

const rows: Row[] = [];
/** The rows by case, `name:bytes`, as the programs' trace markers and result lines name them. */
const rowOf = new Map<string, Row>();
/** The jobs to run: one per case, or with `--job` one per program. */
const jobs: { readonly program: string; readonly specs: string[] }[] = [];
for (const [program, name, bytes] of CASES) {
  if (only.length > 0 && !only.includes(name)) continue;
  if (program === 'pingpong' && ranks !== 2) continue;
  const row: Row = { label: `${name} ${bytes} B`, compiles: 0, maglev: 0, compileMs: 0, deopts: 0, slow: 'n/a', mean: 'n/a',
    byFunction: new Map(), deoptList: new Map() };
  rows.push(row);
  rowOf.set(`${name}:${bytes}`, row);
  const spec = `${name}:${bytes}:${iters}`;
  const same = oneJob ? jobs.find((j) => j.program === program) : undefined;
  if (same !== undefined) same.specs.push(spec);
  else jobs.push({ program, specs: [spec] });
}

// V8 prints its trace through C's stdout, which a pipe buffers in blocks; line by line (coreutils' stdbuf), its lines
// stay in order with the programs' markers, which tell whose loop a line belongs to.
const lineBuffered = spawnSync('stdbuf', ['--version']).status === 0;
if (oneJob && !lineBuffered) throw new Error('--job needs stdbuf (coreutils) on PATH: without it, trace lines can land in the wrong case');
for (const { program, specs } of jobs) {
  const command = [node, ...nodeFlags, path.join(ROOT, 'bin', 'mpi4ts.js'), '-n', String(program === 'pingpong' ? 2 : ranks),
    path.join(ROOT, 'bench', `${program}.ts`), specs.join(',')];
  const out = spawnSync(lineBuffered ? 'stdbuf' : command[0]!, lineBuffered ? ['-oL', ...command] : command.slice(1), {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000 * specs.length, maxBuffer: 256 << 20,
    env: { ...process.env, BENCH_JIT_TRACE: '1', BENCH_CASES: specs.join(',') },
  });
  if (out.status !== 0) {
    console.error(`${program} ${specs.join(',')}: exit ${out.status}\n${out.stderr.slice(-2000)}`);
    continue;
  }
  // Trace lines of the ranks can interleave mid-line: split on '[' as well as on newlines.
  let row: Row | undefined;
  for (const piece of out.stdout.split(/\n|(?=\[(?:completed|bailout|marking|compiling))|(?=jit_trace=)/)) {
    const begin = /^jit_trace=begin (\S+)/.exec(piece);
    if (begin !== null) row = rowOf.get(begin[1]!);
    // `op=allreduce ranks=2 bytes=8 ...`, `op=pingpong kind=buf bytes=8 ...`
    const result = /^op=(\S+) (?:kind=(\S+) )?.*?bytes=(\d+)/.exec(piece);
    if (result !== null) {
      const done = rowOf.get(`${result[2] ?? result[1]}:${result[3]}`);
      if (done !== undefined) {
        done.slow = /slow50=(\S+)/.exec(piece)?.[1] ?? 'n/a';
        done.mean = /(?:one_way_us|us)=(\S+)/.exec(piece)?.[1] ?? 'n/a';
      }
    }
    if (row === undefined) continue;
    const c = COMPILED.exec(piece);
    if (c !== null && piece.includes('completed compiling')) {
      const ms = Number(c[4]) + Number(c[5]) + Number(c[6]);
      if (c[2] === 'MAGLEV') row.maglev++;
      else row.compiles++;
      row.compileMs += ms;
      const key = `${c[1] || '(anonymous)'}${c[2] === 'MAGLEV' ? ' [maglev]' : ''}${c[3] ?? ''}`;
      const f = row.byFunction.get(key) ?? { count: 0, ms: 0 };
      f.count++;
      f.ms += ms;
      row.byFunction.set(key, f);
    }
    const d = DEOPT.exec(piece);
    if (d !== null) {
      row.deopts++;
      const key = `${d[3] || '(anonymous)'} (${d[1]}: ${d[2] ?? ''})`;
      row.deoptList.set(key, (row.deoptList.get(key) ?? 0) + 1);
    }
  }
}

console.log(`node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()} ${nodeFlags.join(' ')}, ${ranks} ranks (ping-pong: 2), ` +
  `${iters} iterations, ${oneJob ? 'the cases of a program in one job' : 'each case in its own job'}\n`);
console.log('| case | TurboFan compiles | Maglev compiles | compile ms | deopts | iterations > 50 us | mean us |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.compiles} | ${r.maglev} | ${r.compileMs.toFixed(1)} | ${r.deopts} | ${r.slow} | ${r.mean} |`);
}
for (const r of rows) {
  console.log(`\n${r.label}:`);
  const top = [...r.byFunction].sort((a, b) => b[1].ms - a[1].ms).slice(0, verbose ? 1000 : 12);
  console.log('  compiles: ' + top.map(([f, v]) => `${f}${v.count > 1 ? ` x${v.count}` : ''} ${v.ms.toFixed(1)}`).join(', '));
  if (r.deoptList.size > 0) console.log('  deopts: ' + [...r.deoptList].map(([k, n]) => `${k}${n > 1 ? ` x${n}` : ''}`).join('; '));
}
