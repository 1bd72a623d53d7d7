/**
 * Load-independent measures of small collectives as a user writes them: heap bytes allocated
 * per call and CPU time per call, per rank, for one plain loop (no warm-up before it). Run as
 * `node --max-semi-space-size=128 --min-semi-space-size=128 bin/mpi4ts.js -n 2 bench/alloc.ts [cases]`
 * (the large young generation keeps a garbage collection out of the measured stretch; a stretch
 * with one is reported as such). Cases as in `collectives.ts` (`op:bytes:iters`); the bytes are
 * measured over the last half of the loop.
 *
 * @module
 */
import { createHook } from 'node:async_hooks';
import { getHeapStatistics } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { MPI } from 'mpi4ts';
import { parseCases } from './cases.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
let gcs = 0;
new PerformanceObserver((list) => { gcs += list.getEntries().length; }).observe({ entryTypes: ['gc'] });
// BENCH_COUNT_PROMISES=1: also count the Promises made per call (a hook that slows every Promise down).
let promises = 0;
if (process.env['BENCH_COUNT_PROMISES'] === '1') {
  createHook({ init: (_id, type) => { if (type === 'PROMISE') promises++; } }).enable();
}
const MSG = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' };

for (const c of parseCases('noop:0:4000,barrier:0:4000,bcast:8:4000,allreduce:8:4000,alltoall:8:4000,objbcast:0:4000,objgather:0:4000')) {
  const n = c.bytes;
  const a = MPI.alloc(Uint8Array, Math.max(8, n) * size);
  const b = MPI.alloc(Uint8Array, Math.max(8, n) * size);
  const fa = new Float64Array(a.buffer, a.byteOffset, Math.max(1, n >> 3));
  const fb = new Float64Array(b.buffer, b.byteOffset, Math.max(1, n >> 3));
  const one = a.subarray(0, n);
  const all = a.subarray(0, n * size);
  const into = b.subarray(0, n * size);
  const resolved = Promise.resolve();
  const call = ((): (() => Promise<unknown>) => {
    switch (c.name) {
      case 'noop': return () => resolved;
      case 'barrier': return () => comm.Barrier();
      case 'bcast': return () => comm.Bcast(one, 0);
      case 'allreduce': return () => comm.Allreduce(fa, fb, MPI.SUM);
      case 'alltoall': return () => comm.Alltoall(all, into);
      case 'objbcast': return () => comm.bcast(rank === 0 ? MSG : undefined, 0);
      case 'objgather': return () => comm.gather(MSG, 0);
      default: throw new Error(`unknown case ${c.name}`);
    }
  })();
  await comm.Barrier();
  const half = c.iters >> 1;
  let heap0 = 0, gc0 = 0, cpu0 = process.cpuUsage(), t0 = 0, promises0 = 0;
  // One plain loop, as a user writes it; the measured stretch is its second half.
  for (let i = 0; i < c.iters; i++) {
    if (i === half) {
      await new Promise((r) => setImmediate(r));
      promises0 = promises; gc0 = gcs; heap0 = getHeapStatistics().used_heap_size; cpu0 = process.cpuUsage(); t0 = performance.now();
    }
    await call();
  }
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const heap1 = getHeapStatistics().used_heap_size;
  const made = promises - promises0;
  await new Promise((r) => setImmediate(r));
  const m = c.iters - half;
  const line = `op=${c.name} bytes=${n} ranks=${size} rank=${rank} bytes_per_call=${((heap1 - heap0) / m).toFixed(0)}` +
    `${gcs !== gc0 ? '(gc)' : ''} user_us=${(cpu.user / m).toFixed(2)} sys_us=${(cpu.system / m).toFixed(2)} ` +
    `wall_us=${((t1 - t0) * 1000 / m).toFixed(2)} promises_per_call=${(made / m).toFixed(2)}`;
  const lines = await comm.gather(line, 0);
  if (rank === 0) for (const l of lines!) console.log(l);
}
