/**
 * The machine's floor under every shared-memory call at the time of a run: one-way time of a bare
 * flag ping-pong between two threads (one `Atomics.store`, a spin on `Atomics.load`), in
 * microseconds. `bench/run.ts` measures it before and after a run and writes both in the run's
 * header. A VM moves cache lines between its cores at speeds that change within minutes (0.07 us
 * one-way on one day's run, 0.22-0.24 us on another's): the small shared-memory calls of mpi4ts,
 * which move a few lines per call, slow with it, where mpi4py's per-call time is mostly its
 * interpreter's, so a run's ratios say as much about its phase as about the code. Not an MPI call.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Round trips per batch; the floor is the median of the batches' one-way times. */
const ROUND_TRIPS = 200_000;
const BATCHES = 5;
/** A batch that takes longer (threads that share a core, a loaded machine) ends the measure early. */
const BATCH_LIMIT_MS = 1000;
/** How long the partner's thread may take to start. */
const STARTUP_LIMIT_MS = 10_000;

/** The partner: answers each number the main thread stores at word 0 by storing it at word 16 (another cache line). */
const PARTNER = `
const { workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.buffer);
for (let i = 1; i <= workerData.total; i++) {
  while (Atomics.load(flags, 0) !== i);
  Atomics.store(flags, 16, i);
}
`;

/**
 * The median one-way time of {@link BATCHES} batches of {@link ROUND_TRIPS} flag round trips, in
 * microseconds; undefined with fewer than two cores (the two threads would take turns on one, a
 * time slice per round trip), when a batch outlasts {@link BATCH_LIMIT_MS}, or when the partner
 * does not answer within {@link STARTUP_LIMIT_MS}.
 */
export async function lineFloor(): Promise<number | undefined> {
  if (availableParallelism() < 2) return undefined;
  const buffer = new SharedArrayBuffer(128);
  const flags = new Int32Array(buffer);
  const worker = new Worker(PARTNER, { eval: true, workerData: { buffer, total: ROUND_TRIPS * BATCHES + 1 } });
  // An untimed first round trip, while the partner's thread starts (bounded: a thread that never answers ends it).
  let n = 1;
  Atomics.store(flags, 0, n);
  const started = performance.now();
  while (Atomics.load(flags, 16) !== n && performance.now() - started < STARTUP_LIMIT_MS);
  const oneWay: number[] = [];
  for (let batch = 0; batch < BATCHES && Atomics.load(flags, 16) === n; batch++) {
    const start = performance.now();
    let i = 0;
    for (; i < ROUND_TRIPS; i++) {
      n++;
      Atomics.store(flags, 0, n);
      while (Atomics.load(flags, 16) !== n);
      if ((i & 1023) === 1023 && performance.now() - start > BATCH_LIMIT_MS) break;
    }
    if (i < ROUND_TRIPS) break;
    oneWay.push(((performance.now() - start) * 1000) / ROUND_TRIPS / 2);
  }
  await worker.terminate();
  oneWay.sort((a, b) => a - b);
  return oneWay.length === BATCHES ? oneWay[BATCHES >> 1] : undefined;
}
