/**
 * mpi4ts side of the collectives benchmark (peers: bench/peers/collectives.c and
 * collectives_mpi4py.py, same method). Run as `npx mpi4ts -n 4 bench/collectives.ts [cases]`.
 *
 * Cases are "op:bytes:iters,..." (op: barrier, bcast, allreduce, alltoall) from
 * the first argument that looks like one, else $BENCH_CASES, else the anchor's
 * Barrier and Allreduce of 1,048,576 doubles. `bytes` is the Bcast buffer, the
 * Allreduce vector (bytes/8 doubles, SUM) or the Alltoall block sent to each
 * rank. Each case: warm-up calls (iters/10, or iters up to 20000, at least 10000 up to 64 KiB), a Barrier, iters timed calls; the
 * slowest rank's mean time per call is printed by rank 0 as a key=value line.
 * Results are checked after the timed loop; a wrong one throws (the job fails).
 * `warm:0:ms` is an untimed start-up warm-up: for `ms` milliseconds, rank 0
 * sends a go/stop flag to each rank, then a Barrier.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { type Case, parseCases } from './cases.js';

const DEFAULT_CASES = 'warm:0:500,barrier:0:20000,allreduce:8388608:50';
/** Calls of up to this many bytes are cheap enough to warm up 10,000 times. */
const SHORT = 64 * 1024;

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

/** The largest of every rank's value, on rank 0. */
async function maxOnRoot(t: number): Promise<number> {
  return (await comm.reduce(t, MPI.MAX, 0)) ?? t;
}

/**
 * Flag messages, Barriers and small Bcasts, Allreduces and Alltoalls until rank 0 has spent `ms`
 * milliseconds (it sends 0 to stop): the JIT compiles the paths the timed phases take.
 */
async function warmUp(ms: number): Promise<void> {
  const flag = new Uint8Array(1);
  const small = new Float64Array(1);
  const smallOut = new Float64Array(1);
  const blocks = new Uint8Array(8 * size);
  const blocksOut = new Uint8Array(8 * size);
  const t0 = MPI.Wtime();
  for (let go = 1; go !== 0; ) {
    if (rank === 0) {
      go = MPI.Wtime() - t0 < ms / 1000 ? 1 : 0;
      flag[0] = go;
      for (let r = 1; r < size; r++) await comm.Send(flag, r, 97);
    } else {
      await comm.Recv(flag, 0, 97);
      go = flag[0] ?? 0;
    }
    await comm.Barrier();
    await comm.Bcast(flag, 0);
    await comm.Allreduce(small, smallOut, MPI.SUM);
    await comm.Alltoall(blocks, blocksOut);
  }
}

function fail(c: Case, what: string): never {
  throw new Error(`rank ${rank}: ${c.name} of ${c.bytes} B gave a wrong result (${what})`);
}

type Bench = { readonly call: () => Promise<unknown>; readonly check: () => void };

async function repeat(call: () => Promise<unknown>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await call();
}

/** The call to time and the check to run after it; undefined for an unknown op. */
function prepare(c: Case): Bench | undefined {
  const n = c.bytes;
  switch (c.name) {
    case 'barrier':
      return { call: () => comm.Barrier(), check: () => undefined };
    case 'bcast': {
      const a = MPI.alloc(Uint8Array, n);
      a.fill(rank === 0 ? 7 : 0);
      return {
        call: () => comm.Bcast(a, 0),
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
        call: () => comm.Allreduce(a, b, MPI.SUM),
        check: () => {
          if (count > 0 && (b[0] !== want || b[count - 1] !== want)) fail(c, `got ${b[0]}, expected ${want}`);
        },
      };
    }
    case 'alltoall': {
      const a = MPI.alloc(Uint8Array, n * size);
      const b = MPI.alloc(Uint8Array, n * size);
      for (let j = 0; j < size; j++) a.fill((rank * 31 + j) & 255, j * n, (j + 1) * n);
      return {
        call: () => comm.Alltoall(a, b),
        check: () => {
          for (let i = 0; i < size && n > 0; i++) {
            const want = (i * 31 + rank) & 255;
            if (b[i * n] !== want || b[(i + 1) * n - 1] !== want) fail(c, `block from rank ${i} holds ${b[i * n]}`);
          }
        },
      };
    }
    default:
      return undefined;
  }
}

for (const c of parseCases(DEFAULT_CASES)) {
  if (c.name === 'warm') {
    await warmUp(c.iters);
    continue;
  }
  const bench = prepare(c);
  if (bench === undefined) continue;
  const { call } = bench;
  // As many untimed calls as timed ones when that is cheap, and at least 10,000 of a short call, in
  // several runs of the loop: V8 compiles a hot path only after thousands of calls, and an async loop
  // between its runs (C and Python have no JIT to wait for).
  const warm = Math.max(1, Math.floor(c.iters / 10), c.iters <= 20000 ? c.iters : 0, c.bytes <= SHORT ? 10000 : 0);
  for (let k = 0; k < 4; k++) await repeat(call, Math.max(1, Math.floor(warm / 4)));
  await comm.Barrier();
  const t0 = MPI.Wtime();
  await repeat(call, c.iters);
  const t = await maxOnRoot((MPI.Wtime() - t0) / c.iters);
  bench.check();
  if (rank === 0) console.log(`op=${c.name} ranks=${size} bytes=${c.bytes} iters=${c.iters} us=${(t * 1e6).toFixed(3)}`);
}
