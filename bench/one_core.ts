/**
 * What a small collective costs in CPU time per call, mpi4ts against C MPI, measured where the
 * noise of two cores is gone: 2 ranks sharing one core (`taskset`), both sides yielding the core
 * while they wait (mpi4ts does when ranks outnumber cores; Open MPI with `mpi_yield_when_idle 1`).
 * Run as `node --import tsx bench/one_core.ts [--rounds 5] [--iters 200000]
 * [--ops scan,reduce,gather,bcast,allreduce] [--cpu 0]` after `npm run build`.
 *
 * With more ranks than cores, the ranks of a core take turns, so a collective's mean is about the
 * CPU time of a call times the ranks per core, for C as for mpi4ts (see BENCHMARKS.md): the ratio
 * to C in `npm run bench`'s rows at 4 and 8 ranks on 2 cores follows this one, plus what the two
 * cores add. Here the turns are long (both sides make about 60 calls per context switch), so the
 * mean is the CPU time of the two ranks' calls; the cores' noise, which moves the bench's 4- and
 * 8-rank means by up to 2x between runs, is out of it (these means move by about 10%).
 *
 * Each round runs `bench/collectives.ts` (shm transport) and `bench/peers/collectives.c` once
 * each on the same cases, in turns; the table gives the medians over the rounds of the mean time
 * per call (both ranks' calls together: halve it for one rank's) and their ratio. Linux only
 * (`taskset`); the C column needs `mpicc` and Open MPI's `mpiexec`. Not an MPI call.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    iters: { type: 'string', default: '200000' },
    ops: { type: 'string', default: 'scan,reduce,gather,bcast,allreduce' },
    cpu: { type: 'string', default: '0' },
  },
});
const rounds = Number(values.rounds);
const cases = values.ops.split(',').map((op) => `${op}:8:${values.iters}`).join(',');
const pin = ['taskset', '-c', values.cpu];
const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };

/** `op -> us` of a program's output lines (`op=scan ... us=0.97 ...`); throws with its output when it failed. */
function run(command: string[]): Map<string, number> {
  const out = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', env, timeout: 600_000 });
  if (out.status !== 0) throw new Error(`${command.join(' ')} failed:\n${out.stdout}${out.stderr}`);
  const means = new Map<string, number>();
  for (const line of out.stdout.split('\n')) {
    const found = /^op=(\w+) .*? us=([\d.]+)/.exec(line);
    if (found !== null) means.set(found[1]!, Number(found[2]));
  }
  return means;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (spawnSync('taskset', ['-c', values.cpu, 'true']).status !== 0) {
  console.error(`taskset cannot place a process on CPU ${values.cpu} here`);
  process.exit(1);
}
const cdir = mkdtempSync(path.join(os.tmpdir(), 'mpi4ts-one-core-'));
const peer = path.join(cdir, 'collectives');
const built = spawnSync('mpicc', ['-O2', '-o', peer, path.join(ROOT, 'bench/peers/collectives.c')], { encoding: 'utf8' });
const withC = built.status === 0;
if (!withC) console.error('no C column: mpicc could not build bench/peers/collectives.c');

const ours: Map<string, number>[] = [];
const theirs: Map<string, number>[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`[one_core] round ${round} of ${rounds}\n`);
    ours.push(run([...pin, process.execPath, path.join(ROOT, 'bin/mpi4ts.js'), '-n', '2', path.join(ROOT, 'bench/collectives.ts'),
      cases]));
    if (withC) {
      theirs.push(run([...pin, 'mpiexec', '--oversubscribe', '--bind-to', 'none', '--mca', 'mpi_yield_when_idle', '1', '-n', '2',
        peer, cases]));
    }
  }
} finally {
  rmSync(cdir, { recursive: true, force: true });
}

console.log(`2 ranks on CPU ${values.cpu}, ${values.iters} calls of 8 bytes, medians of ${rounds} rounds (Node ${process.version})`);
console.log('| call | mpi4ts (shm) | C | ratio |');
console.log('|---|---|---|---|');
for (const op of values.ops.split(',')) {
  const mine = median(ours.map((m) => m.get(op) ?? NaN));
  const c = withC ? median(theirs.map((m) => m.get(op) ?? NaN)) : NaN;
  console.log(`| ${op} | ${mine.toFixed(3)} us | ${withC ? `${c.toFixed(3)} us` : 'n/a'} | ${withC ? `${(mine / c).toFixed(2)}x` : ''} |`);
}
