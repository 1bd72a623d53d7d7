// Alternated runs of the CPU-bound map alone (BENCH_CPU_ONLY=1), with
// timelines: mpi4ts/futures (-m futures, spawned, and under mpiexec when
// asked) and piscina take turns, each round in a new order, and the medians
// of each round's ratios to piscina are printed, for wall time and for the
// process's CPU time during the map (which a loaded machine disturbs less).
// Usage: node --import tsx bench/futures/timeline/alternate.ts [rounds] [dir] [mpi]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Timeline } from '../cases.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 10);
const dir = process.argv[3] ?? '/tmp/mpi4ts-timelines';
const withMpi = process.argv[4] === 'mpi';
mkdirSync(dir, { recursive: true });
const node = process.execPath;
const contenders: Record<string, { command: string; args: string[] }> = {
  'm-futures': { command: node, args: ['bin/mpi4ts.js', '-n', '3', '-m', 'futures', 'bench/futures/mpi4ts.ts'] },
  spawned: { command: node, args: ['bin/mpi4ts.js', '-n', '1', 'bench/futures/mpi4ts.ts'] },
  piscina: { command: node, args: ['--import', 'tsx', 'bench/futures/piscina.ts'] },
  ...(withMpi ? { mpi: { command: 'mpiexec', args: ['--oversubscribe', '-n', '3', node, 'bin/mpi4ts.js', '-m', 'futures', 'bench/futures/mpi4ts.ts'] } } : {}),
};
const names = Object.keys(contenders);
const results: Record<string, { wall: number; cpu: number }>[] = [];
for (let round = 0; round < rounds; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]!);
  const got: Record<string, { wall: number; cpu: number }> = {};
  for (const name of order) {
    const file = `${dir}/${name}-${round}.json`;
    const c = contenders[name]!;
    const run = spawnSync(c.command, c.args, { cwd: root, encoding: 'utf8', timeout: 120_000,
      env: { ...process.env, BENCH_CPU_ONLY: '1', BENCH_TIMELINE: file, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } });
    if (run.status !== 0) {
      process.stderr.write(`${name} failed: ${run.stderr}\n`);
      continue;
    }
    const t = JSON.parse(readFileSync(file, 'utf8')) as Timeline;
    got[name] = { wall: t.t1 - t.t0, cpu: t.processCpu };
  }
  results.push(got);
  console.log(`round ${round}: ${order.map((n) => `${n} ${got[n]?.wall.toFixed(0)} ms (cpu ${got[n]?.cpu.toFixed(0)})`).join(', ')}`);
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
for (const name of names) {
  const walls = results.flatMap((r) => (r[name] ? [r[name]!.wall] : []));
  const cpus = results.flatMap((r) => (r[name] ? [r[name]!.cpu] : []));
  const wallRatios = results.flatMap((r) => (r[name] && r['piscina'] ? [r[name]!.wall / r['piscina']!.wall] : []));
  const cpuRatios = results.flatMap((r) => (r[name] && r['piscina'] ? [r[name]!.cpu / r['piscina']!.cpu] : []));
  console.log(`${name}: median ${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)}), process CPU ${median(cpus).toFixed(0)} ms; ` +
    `against piscina: wall ${median(wallRatios).toFixed(3)}x, CPU ${median(cpuRatios).toFixed(3)}x (medians of ${wallRatios.length} rounds)`);
}
