// Alternated runs of the CPU-bound map alone (BENCH_CPU_ONLY=1), with
// timelines: mpi4ts/futures (-m futures, spawned, and under mpiexec when
// asked) and piscina take turns, each round in a new order, and the medians
// of each round's ratios to piscina are printed, for wall time and for the
// process's CPU time during the map (which a loaded machine disturbs less).
// Usage: node --import tsx bench/futures/timeline/alternate.ts [rounds] [dir] [mpi] [full] [nopace]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Timeline } from '../cases.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 10);
const dir = process.argv[3] ?? '/tmp/mpi4ts-timelines';
const withMpi = process.argv.slice(4).includes('mpi');
/** `full`: each program runs its tiny-task cases first, as in the benchmark, rather than the CPU-bound map alone. */
const full = process.argv.slice(4).includes('full');
mkdirSync(dir, { recursive: true });
const node = process.execPath;
/** `nopace`: also the mpi4ts contenders with pacing off (MPI4TS_FUTURES_PACE=0), to compare. */
const noPace = process.argv.slice(4).includes('nopace');
const contenders: Record<string, { command: string; args: string[]; env?: Record<string, string> }> = {
  'm-futures': { command: node, args: ['bin/mpi4ts.js', '-n', '3', '-m', 'futures', 'bench/futures/mpi4ts.ts'] },
  spawned: { command: node, args: ['bin/mpi4ts.js', '-n', '1', 'bench/futures/mpi4ts.ts'] },
  piscina: { command: node, args: ['--import', 'tsx', 'bench/futures/piscina.ts'] },
  ...(withMpi ? { mpi: { command: 'mpiexec', args: ['--oversubscribe', '-n', '3', node, 'bin/mpi4ts.js', '-m', 'futures', 'bench/futures/mpi4ts.ts'] } } : {}),
};
if (noPace) {
  for (const name of Object.keys(contenders)) {
    if (name !== 'piscina') contenders[`${name}-nopace`] = { ...contenders[name]!, env: { MPI4TS_FUTURES_PACE: '0' } };
  }
}
const names = Object.keys(contenders);
type Run = { wall: number; cpu: number; manager: number; gapP50: number };
const results: Record<string, Run>[] = [];
for (let round = 0; round < rounds; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]!);
  const got: Record<string, Run> = {};
  for (const name of order) {
    const file = `${dir}/${name}-${round}.json`;
    const c = contenders[name]!;
    const run = spawnSync(c.command, c.args, { cwd: root, encoding: 'utf8', timeout: 120_000,
      env: { ...process.env, ...c.env, BENCH_CPU_ONLY: full ? '0' : '1', BENCH_TIMELINE: file, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } });
    if (run.status !== 0) {
      process.stderr.write(`${name} failed: ${run.stderr}\n`);
      continue;
    }
    const t = JSON.parse(readFileSync(file, 'utf8')) as Timeline;
    got[name] = { wall: t.t1 - t.t0, cpu: t.processCpu, manager: t.threads.find((x) => x.self)?.ms ?? NaN, gapP50: medianGap(t) };
  }
  results.push(got);
  console.log(`round ${round}: ${order.map((n) => `${n} ${got[n]?.wall.toFixed(0)} ms (cpu ${got[n]?.cpu.toFixed(0)}, manager ${got[n]?.manager.toFixed(1)}, gap p50 ${got[n]?.gapP50.toFixed(3)})`).join(', ')}`);
}
/** The median gap between consecutive tasks of one worker thread, in ms. */
function medianGap(t: Timeline): number {
  const gaps: number[] = [];
  const byThread = new Map<number, (readonly [number, number, number, number])[]>();
  for (const task of t.tasks) byThread.set(task[3], [...(byThread.get(task[3]) ?? []), task]);
  for (const tasks of byThread.values()) {
    tasks.sort((a, b) => a[1] - b[1]);
    for (let i = 1; i < tasks.length; i++) gaps.push(tasks[i]![1] - tasks[i - 1]![2]);
  }
  return median(gaps);
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
for (const name of names) {
  const walls = results.flatMap((r) => (r[name] ? [r[name]!.wall] : []));
  const cpus = results.flatMap((r) => (r[name] ? [r[name]!.cpu] : []));
  const wallRatios = results.flatMap((r) => (r[name] && r['piscina'] ? [r[name]!.wall / r['piscina']!.wall] : []));
  const cpuRatios = results.flatMap((r) => (r[name] && r['piscina'] ? [r[name]!.cpu / r['piscina']!.cpu] : []));
  const managers = results.flatMap((r) => (r[name] ? [r[name]!.manager] : []));
  const gapsP50 = results.flatMap((r) => (r[name] ? [r[name]!.gapP50] : []));
  console.log(`${name}: median ${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)}), process CPU ${median(cpus).toFixed(0)} ms, ` +
    `submitting thread ${median(managers).toFixed(1)} ms, gap between a worker's tasks ${median(gapsP50).toFixed(3)} ms; ` +
    `against piscina: wall ${median(wallRatios).toFixed(3)}x, CPU ${median(cpuRatios).toFixed(3)}x (medians of ${wallRatios.length} rounds)`);
}
