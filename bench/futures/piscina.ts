// piscina side of the benchmark: the same tasks file, the same thread count.
// Its tiny tasks are one run() each, awaited with Promise.all (both columns).
// chunksize 100 has no piscina equivalent other than a task that loops
// over 100 items, which is what it runs.
import { Piscina } from 'piscina';
import { CPU_TASKS, CPU_WORK, type Measurement, TINY_TASKS, WARMUP, WORKERS, cpuOnly, threadCpuSeconds, threadCpuSince, mark, timeline, timelineStart, writeTimeline } from './cases.js';

const pool = new Piscina({ filename: new URL('./tasks.mjs', import.meta.url).href, minThreads: WORKERS, maxThreads: WORKERS });
await Promise.all(Array.from({ length: WARMUP }, (_, i) => pool.run(i, { name: 'sqrt' })));

let t0 = performance.now();
const tiny = await Promise.all(Array.from({ length: cpuOnly ? 0 : TINY_TASKS }, (_, i) => pool.run(i, { name: 'sqrt' }) as Promise<number>));
if (!cpuOnly && tiny[TINY_TASKS - 1] !== Math.sqrt(TINY_TASKS - 1)) throw new Error('wrong results');
const tinyChunk1 = TINY_TASKS / ((performance.now() - t0) / 1000);

const chunked = new Piscina({ filename: new URL('./chunk.mjs', import.meta.url).href, minThreads: WORKERS, maxThreads: WORKERS });
await chunked.run([0, 1]);
t0 = performance.now();
const chunks = await Promise.all(Array.from({ length: cpuOnly ? 0 : TINY_TASKS / 100 }, (_, c) =>
  chunked.run(Array.from({ length: 100 }, (_, i) => c * 100 + i)) as Promise<number[]>));
if (!cpuOnly && chunks.flat().length !== TINY_TASKS) throw new Error('wrong results');
const tinyChunk100 = TINY_TASKS / ((performance.now() - t0) / 1000);

mark('start');
const managerBefore = threadCpuSeconds();
t0 = performance.now();
let sums: number[];
if (timeline === undefined) {
  sums = await Promise.all(Array.from({ length: CPU_TASKS }, () => pool.run(CPU_WORK, { name: 'cpu' }) as Promise<number>));
} else {
  timelineStart();
  // The same map with each task's start, end and thread, and when the main thread saw each result.
  const seen: number[] = new Array(CPU_TASKS);
  const timed = await Promise.all(Array.from({ length: CPU_TASKS }, (_, i) =>
    (pool.run(CPU_WORK, { name: 'cpuTimed' }) as Promise<[number, number, number, number]>).then((r) => {
      seen[i] = performance.timeOrigin + performance.now();
      return r;
    })));
  sums = timed.map((r) => r[0]);
  writeTimeline(timeline, performance.timeOrigin + t0, performance.timeOrigin + performance.now(), timed, seen);
}
const cpuSeconds = (performance.now() - t0) / 1000;
const cpuManagerSeconds = threadCpuSince(managerBefore);
mark('end');
await pool.destroy();
await chunked.destroy();
const measurement: Measurement = { pool: `piscina ${WORKERS} threads`, tinyChunk1, tinySubmit: tinyChunk1, tinyChunk100, cpuSeconds, cpuCheck: sums.reduce((a, b) => a + b, 0), cpuManagerSeconds };
console.log(JSON.stringify(measurement));
