/**
 * mpi4ts side of the collectives benchmark (peers: bench/peers/collectives.c and
 * collectives_mpi4py.py, same method). Run as `npx mpi4ts -n 4 bench/collectives.ts [cases]`.
 *
 * Cases are "op:bytes:iters,..." from the first argument that looks like one, else
 * $BENCH_CASES, else the anchor's Barrier and Allreduce of 1,048,576 doubles. Ops:
 * barrier, bcast, allreduce, reduce, scan, alltoall, gather, allgather (buffer forms; `bytes`
 * is the Bcast buffer, the reductions' vector of bytes/8 doubles with SUM (Reduce to rank 0),
 * or the block each rank sends (Alltoall: to each rank; Gather: to rank 0)), sendrecv (each rank
 * `Sendrecv`s `bytes` to the next rank around the ring and from the one before: a halo exchange), and
 * objbcast, objgather (lower-case `bcast` and `gather` of a small object from / to rank 0),
 * objallreduce (lower-case `allreduce` of a number, MPI.SUM).
 *
 * Each case runs as a user writes it: a Barrier, then one plain loop in a single call of
 * `iters / 10` untimed calls followed by `iters` timed ones, with a timestamp per call. No
 * warm-up calls or phases come before. A Barrier follows the loop, so that a rank that ends it
 * first works out its figures only once every rank has ended it: with ranks above cores, that
 * work (and V8's compiles of it) took the cores of the ranks still in their last calls. Rank 0 prints the slowest rank's mean time per call and
 * the largest per-rank p50 and p99 of the per-call times; then the same loop runs a second time
 * (`warmed_us`, the slowest rank's mean once V8 has optimized the loop between calls). Results
 * are checked after each loop; a wrong one throws (the job fails).
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { type Case, jitTrace, parseCases, slowIterations, summarize } from './cases.js';

const DEFAULT_CASES = 'barrier:0:20000,allreduce:8388608:50';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

/** The largest of every rank's value, on rank 0. */
async function maxOnRoot(t: number): Promise<number> {
  return (await comm.reduce(t, MPI.MAX, 0)) ?? t;
}

function fail(c: Case, what: string): never {
  throw new Error(`rank ${rank}: ${c.name} of ${c.bytes} B gave a wrong result (${what})`);
}

/** The loop to time (one call of it runs `times.length - 1` calls) and the check to run after it. */
type Bench = { readonly loop: (times: Float64Array) => Promise<void>; readonly check: () => void };

const MSG = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' };

/** The loop and check of case `c`; undefined for an unknown op. */
function prepare(c: Case): Bench | undefined {
  const n = c.bytes;
  switch (c.name) {
    case 'barrier':
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            await comm.Barrier();
          }
          times[it] = performance.now();
        },
        check: () => undefined,
      };
    case 'bcast': {
      const a = MPI.alloc(Uint8Array, n);
      a.fill(rank === 0 ? 7 : 0);
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            await comm.Bcast(a, 0);
          }
          times[it] = performance.now();
        },
        check: () => {
          if (n > 0 && (a[0] !== 7 || a[n - 1] !== 7)) fail(c, `got ${a[0]}, expected 7`);
        },
      };
    }
    case 'allreduce': {
      const count = Math.floor(n / 8);
      const a = MPI.alloc(Float64Array, count);
      const b = MPI.alloc(Float64Array, count);
      a.fill(rank + 1);
      const want = (size * (size + 1)) / 2;
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            await comm.Allreduce(a, b, MPI.SUM);
          }
          times[it] = performance.now();
        },
        check: () => {
          if (count > 0 && (b[0] !== want || b[count - 1] !== want)) fail(c, `got ${b[0]}, expected ${want}`);
        },
      };
    }
    case 'reduce':
    case 'scan': {
      const count = Math.floor(n / 8);
      const a = MPI.alloc(Float64Array, count);
      const b = MPI.alloc(Float64Array, count);
      a.fill(rank + 1);
      const scan = c.name === 'scan';
      // Rank 0's result: the sum over all ranks (Reduce) or its own contribution (Scan); the others check their Scan.
      const want = scan ? ((rank + 1) * (rank + 2)) / 2 : (size * (size + 1)) / 2;
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            if (scan) await comm.Scan(a, b, MPI.SUM);
            else await comm.Reduce(a, b, MPI.SUM, 0);
          }
          times[it] = performance.now();
        },
        check: () => {
          if (count > 0 && (scan || rank === 0) && (b[0] !== want || b[count - 1] !== want)) fail(c, `got ${b[0]}, expected ${want}`);
        },
      };
    }
    case 'gather':
    case 'allgather': {
      const a = MPI.alloc(Uint8Array, n).fill(rank + 1);
      const b = MPI.alloc(Uint8Array, n * size);
      const all = c.name === 'allgather';
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            if (all) await comm.Allgather(a, b);
            else await comm.Gather(a, b, 0);
          }
          times[it] = performance.now();
        },
        check: () => {
          for (let r = 0; r < size && n > 0 && (all || rank === 0); r++) {
            if (b[r * n] !== r + 1 || b[(r + 1) * n - 1] !== r + 1) fail(c, `block of rank ${r} holds ${b[r * n]}`);
          }
        },
      };
    }
    case 'alltoall': {
      const a = MPI.alloc(Uint8Array, n * size);
      const b = MPI.alloc(Uint8Array, n * size);
      for (let j = 0; j < size; j++) a.fill((rank * 31 + j) & 255, j * n, (j + 1) * n);
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            await comm.Alltoall(a, b);
          }
          times[it] = performance.now();
        },
        check: () => {
          for (let i = 0; i < size && n > 0; i++) {
            const want = (i * 31 + rank) & 255;
            if (b[i * n] !== want || b[(i + 1) * n - 1] !== want) fail(c, `block from rank ${i} holds ${b[i * n]}`);
          }
        },
      };
    }
    case 'sendrecv': {
      const a = MPI.alloc(Uint8Array, n).fill(rank + 1);
      const b = MPI.alloc(Uint8Array, n);
      const right = (rank + 1) % size;
      const left = (rank + size - 1) % size;
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            await comm.Sendrecv(a, right, 0, b, left, 0);
          }
          times[it] = performance.now();
        },
        check: () => {
          if (n > 0 && (b[0] !== left + 1 || b[n - 1] !== left + 1)) fail(c, `got ${b[0]} from rank ${left}`);
        },
      };
    }
    case 'objbcast': {
      let got: unknown;
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            got = await comm.bcast(rank === 0 ? MSG : undefined, 0);
          }
          times[it] = performance.now();
        },
        check: () => {
          if (JSON.stringify(got) !== JSON.stringify(MSG)) fail(c, `got ${JSON.stringify(got)}`);
        },
      };
    }
    case 'objgather': {
      let got: unknown;
      const mine = { ...MSG, a: rank };
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            got = await comm.gather(mine, 0);
          }
          times[it] = performance.now();
        },
        check: () => {
          const want = rank === 0 ? Array.from({ length: size }, (_, r) => ({ ...MSG, a: r })) : undefined;
          if (JSON.stringify(got) !== JSON.stringify(want)) fail(c, `got ${JSON.stringify(got)}`);
        },
      };
    }
    case 'objallreduce': {
      let got: unknown;
      const mine = rank + 0.5;
      return {
        loop: async (times) => {
          const it = times.length - 1;
          for (let i = 0; i < it; i++) {
            times[i] = performance.now();
            got = await comm.allreduce(mine);
          }
          times[it] = performance.now();
        },
        check: () => {
          if (got !== size * size / 2) fail(c, `got ${String(got)}`);
        },
      };
    }
    default:
      return undefined;
  }
}

for (const c of parseCases(DEFAULT_CASES)) {
  const bench = prepare(c);
  if (bench === undefined) continue;
  const warm = Math.max(1, Math.floor(c.iters / 10));
  const times = new Float64Array(warm + c.iters + 1);
  await comm.Barrier();
  jitTrace(true, `${c.name}:${c.bytes}`);
  await bench.loop(times);
  jitTrace(false, `${c.name}:${c.bytes}`);
  await comm.Barrier();
  bench.check();
  const first = summarize(times, warm, 1);
  const slow = await maxOnRoot(slowIterations(times, 50));
  await comm.Barrier();
  await bench.loop(times);
  await comm.Barrier();
  bench.check();
  const second = summarize(times, warm, 1);
  const mean = await maxOnRoot(first.mean);
  const p50 = await maxOnRoot(first.p50);
  const p99 = await maxOnRoot(first.p99);
  const warmed = await maxOnRoot(second.mean);
  if (rank === 0) {
    console.log(`op=${c.name} ranks=${size} bytes=${c.bytes} iters=${c.iters} us=${mean.toFixed(3)} ` +
      `p50_us=${p50.toFixed(3)} p99_us=${p99.toFixed(3)} warmed_us=${warmed.toFixed(3)} slow50=${slow}`);
  }
}
