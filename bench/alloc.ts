/**
 * Load-independent measures of small collectives as a user writes them: heap bytes allocated
 * per call and CPU time per call, per rank, for one plain loop (no warm-up before it). Run as
 * `node --max-semi-space-size=128 --min-semi-space-size=128 bin/mpi4ts.js -n 2 bench/alloc.ts [cases]`
 * (the large young generation keeps a garbage collection out of the measured stretch; a stretch
 * with one is reported as such). Cases as in `collectives.ts` (`op:bytes:iters`); the bytes are
 * measured over the last half of the loop (the median over chunks of 50 calls without a garbage
 * collection; `gcs_per_1000_calls` counts the collections, scavenges mostly). `BENCH_DELAY_US=D` makes the last rank sleep D us before
 * each call, so that the other ranks wait about D us in every call: the bytes a wait allocates.
 * Case `sendrecv` is an 8-byte ping-pong between ranks 0 and 1 (`Send` then `Recv`), `objsendrecv`
 * the same with the small object of `objbcast` (`send` then `recv`).
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
// BENCH_DELAY_US=D: the last rank runs D us before each call, so that the others wait (spin) about D us in it.
// It sleeps (Atomics.wait), which allocates nothing and leaves the core to the waiting ranks.
const delayMs = Number(process.env['BENCH_DELAY_US'] ?? '0') / 1000;
const nap = new Int32Array(new SharedArrayBuffer(4));
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
      case 'sendrecv': return rank === 0
        ? async () => { await comm.Send(one, 1, 0); await comm.Recv(b.subarray(0, n), 1, 0); }
        : async () => { if (rank === 1) { await comm.Recv(b.subarray(0, n), 0, 0); await comm.Send(one, 0, 0); } };
      case 'objsendrecv': return rank === 0
        ? async () => { await comm.send(MSG, 1, 0); await comm.recv(1, 0); }
        : async () => { if (rank === 1) await comm.send(await comm.recv(0, 0), 0, 0); };
      default: throw new Error(`unknown case ${c.name}`);
    }
  })();
  await comm.Barrier();
  const half = c.iters >> 1;
  let gc0 = 0, cpu0 = process.cpuUsage(), t0 = 0, promises0 = 0;
  // Heap growth per chunk of calls; a chunk during which a garbage collection ran is left out.
  const CHUNK = 50;
  const perChunk: number[] = [];
  let chunkHeap = 0, chunkGcs = 0;
  // One plain loop, as a user writes it; the measured stretch is its second half.
  for (let i = 0; i < c.iters; i++) {
    if (i === half) {
      await new Promise((r) => setImmediate(r));
      promises0 = promises; gc0 = gcs; cpu0 = process.cpuUsage(); t0 = performance.now();
    }
    if (i >= half && (i - half) % CHUNK === 0) {
      const heap = getHeapStatistics().used_heap_size;
      if (i > half && gcs === chunkGcs) perChunk.push((heap - chunkHeap) / CHUNK);
      chunkHeap = heap; chunkGcs = gcs;
    }
    if (delayMs > 0 && rank === size - 1) Atomics.wait(nap, 0, 0, delayMs);
    await call();
  }
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const made = promises - promises0;
  await new Promise((r) => setImmediate(r));
  const m = c.iters - half;
  perChunk.sort((x, y) => x - y);
  const bytes = perChunk.length === 0 ? 'n/a' : perChunk[perChunk.length >> 1]!.toFixed(0);
  const line = `op=${c.name} bytes=${n} ranks=${size} rank=${rank} bytes_per_call=${bytes} ` +
    `gcs_per_1000_calls=${((gcs - gc0) * 1000 / m).toFixed(1)} user_us=${(cpu.user / m).toFixed(2)} sys_us=${(cpu.system / m).toFixed(2)} ` +
    `wall_us=${((t1 - t0) * 1000 / m).toFixed(2)} promises_per_call=${(made / m).toFixed(2)}`;
  const lines = await comm.gather(line, 0);
  if (rank === 0) for (const l of lines!) console.log(l);
}
