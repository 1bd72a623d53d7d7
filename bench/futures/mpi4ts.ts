// mpi4ts/futures side of the benchmark, started by run.ts as
// `mpi4ts -n 1 bench/futures/mpi4ts.ts` (spawned workers) or
// `mpi4ts -n 3 -m futures bench/futures/mpi4ts.ts` (the world's ranks).
import { MPI } from 'mpi4ts';
import { MPIPoolExecutor } from 'mpi4ts/futures';
import { CPU_TASKS, CPU_WORK, type Measurement, TINY_TASKS, WARMUP, WORKERS, cpuOnly, threadCpuSeconds, threadCpuSince, mark, timeline, timelineStart, writeTimeline } from './cases.js';

type Tasks = { sqrt(x: number): number; cpu(n: number): number; cpuTimed(n: number): [number, number, number, number] };

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

const pool = await new MPIPoolExecutor<Tasks>({ module: new URL('./tasks.mjs', import.meta.url), maxWorkers: WORKERS }).bootup();
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
await drain(pool.map('sqrt', range(WARMUP)));

const tiny = async (chunksize: number): Promise<number> => {
  const t0 = performance.now();
  const results = await drain(pool.map('sqrt', range(TINY_TASKS), { chunksize }));
  if (results.length !== TINY_TASKS || results[TINY_TASKS - 1] !== Math.sqrt(TINY_TASKS - 1)) throw new Error('wrong results');
  return TINY_TASKS / ((performance.now() - t0) / 1000);
};
const tinyChunk1 = cpuOnly ? NaN : await tiny(1);
const submitted = performance.now();
const viaSubmit = cpuOnly ? [Math.sqrt(TINY_TASKS - 1)] : await Promise.all(range(TINY_TASKS).map((i) => pool.submit('sqrt', i)));
if (viaSubmit[viaSubmit.length - 1] !== Math.sqrt(TINY_TASKS - 1)) throw new Error('wrong results');
const tinySubmit = TINY_TASKS / ((performance.now() - submitted) / 1000);
const tinyChunk100 = cpuOnly ? NaN : await tiny(100);
mark('start');
const managerBefore = threadCpuSeconds();
const t0 = performance.now();
let sums: number[];
if (timeline === undefined) {
  sums = await drain(pool.map('cpu', Array.from({ length: CPU_TASKS }, () => CPU_WORK)));
} else {
  timelineStart();
  // The same map with each task's start, end and thread, and when the manager saw each result.
  const seen: number[] = [];
  const timed: [number, number, number, number][] = [];
  for await (const r of pool.map('cpuTimed', Array.from({ length: CPU_TASKS }, () => CPU_WORK))) {
    seen.push(performance.timeOrigin + performance.now());
    timed.push(r);
  }
  sums = timed.map((r) => r[0]);
  writeTimeline(timeline, performance.timeOrigin + t0, performance.timeOrigin + performance.now(), timed, seen);
}
const cpuSeconds = (performance.now() - t0) / 1000;
const cpuManagerSeconds = threadCpuSince(managerBefore);
mark('end');
await pool.shutdown();
const where = MPI.COMM_WORLD.size > 1 ? '-m futures' : 'spawned';
const measurement: Measurement = {
  pool: `mpi4ts/futures (${MPI.Get_library_version().startsWith('Open MPI') ? 'mpi' : 'shm'}, ${where})`,
  tinyChunk1, tinySubmit, tinyChunk100, cpuSeconds, cpuCheck: sums.reduce((a, b) => a + b, 0), cpuManagerSeconds,
};
console.log(JSON.stringify(measurement));
