/**
 * Ping-pong and Allreduce through the native `mpi` transport, at the
 * transport level (Endpoint.isend / irecv and `await op.wait()`), with the
 * method of the mpi4py peer (bench/peers/pingpong_mpi4py.py): a barrier,
 * iters/10 warm-up round trips, a barrier, iters timed round trips; one-way
 * time = round trip / 2, printed by rank 0. One untimed warm-up run first, so
 * that V8 has optimised the path (mpi4py's C-compiled path needs none).
 *
 *   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
 *     mpiexec -n 2 node --import tsx bench/native_pingpong.ts
 *
 * Lines: `mpi4ts-mpi Send bytes=<n> one_way_us=<t> MBps=<rate>`, the same for
 * receives of unknown size (`recv-unknown-size`, the object path),
 * `allreduce_1M_doubles_ms`, `allreduce_1_double_us` and `barrier_us`.
 * Compare with `mpiexec -n 2 python3 bench/peers/pingpong_mpi4py.py` and with C
 * (`bench/peers/pingpong.c`); results of the full suite are in BENCHMARKS.md.
 *
 * @module
 */
import { datatypes } from '../src/datatype/index.js';
import { Op } from '../src/op/op.js';
import { createMpiTransport } from '../src/transport/mpi/transport.js';
import type { Operation } from '../src/transport/transport.js';

const t = createMpiTransport();
const world = t.world;
const rank = world.rank;
if (world.size < 2) throw new Error('run with 2 ranks: mpiexec -n 2 node --import tsx bench/native_pingpong.ts');
const peer = rank === 0 ? 1 : 0;
const active = rank < 2;

function fail(op: Operation): never {
  throw op.error;
}

/** Seconds per one-way trip over `iters` round trips of `n` bytes (unknown size on the receiving side if `object`). */
async function pingpong(n: number, iters: number, object: boolean): Promise<number> {
  const buf = new Uint8Array(n).fill(1);
  const into = object ? undefined : buf;
  let t0 = 0;
  for (let phase = 0; phase < 2; phase++) {
    const it = phase === 0 ? Math.max(1, Math.floor(iters / 10)) : iters;
    await world.collectives.barrier();
    t0 = t.wtime();
    if (!active) continue;
    // One `await op.wait()` per operation, as a blocking Send/Recv of the API does.
    for (let i = 0; i < it; i++) {
      if (rank === 0) {
        const s = world.isend(buf, peer, 0, false);
        await s.wait();
        if (s.error !== undefined) fail(s);
        const r = world.irecv(into, peer, 0);
        await r.wait();
        if (r.error !== undefined) fail(r);
      } else {
        const r = world.irecv(into, peer, 0);
        await r.wait();
        if (r.error !== undefined) fail(r);
        const s = world.isend(buf, peer, 0, false);
        await s.wait();
        if (s.error !== undefined) fail(s);
      }
    }
    if (phase === 1) return (t.wtime() - t0) / it / 2;
  }
  return 0;
}

const sizes = (process.env.BENCH_SIZES ?? '8,1024,65536,1048576,4194304,16777216').split(',').map(Number);
const say = (line: string): void => {
  if (rank === 0) console.log(line);
};
say(`mpi4ts-mpi library="${t.libraryVersion().split(',')[0]}" thread_level=${t.threadLevelName} ranks=${world.size}`);

// Warm-up of the JIT on this code path, untimed: the iters/10 warm-up rounds of
// the mpi4py peer's method are too few for V8 to optimise it, so the first size would be off.
await pingpong(8, 50000, false);
await pingpong(64, 10000, true);

for (const n of sizes) {
  const iters = n <= 65536 ? 20000 : n <= 1048576 ? 1000 : 200;
  const s = await pingpong(n, iters, false);
  say(`mpi4ts-mpi Send bytes=${n} one_way_us=${(s * 1e6).toFixed(3)} MBps=${(n / s / 1e6).toFixed(1)}`);
}
for (const n of [64, 65536, 1048576]) {
  const s = await pingpong(n, n <= 65536 ? 20000 : 1000, true);
  say(`mpi4ts-mpi recv-unknown-size bytes=${n} one_way_us=${(s * 1e6).toFixed(3)} MBps=${(n / s / 1e6).toFixed(1)}`);
}

{
  const n = 1 << 20;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const b = new Float64Array(n);
  const sum = new Op('MPI_SUM', true, () => undefined, () => undefined);
  await world.collectives.allreduce(a, b, n, datatypes.DOUBLE, sum);
  await world.collectives.barrier();
  let t0 = t.wtime();
  for (let i = 0; i < 50; i++) await world.collectives.allreduce(a, b, n, datatypes.DOUBLE, sum);
  say(`mpi4ts-mpi allreduce_1M_doubles_ms=${(((t.wtime() - t0) / 50) * 1e3).toFixed(3)}`);
  const one = new Float64Array(1);
  const out = new Float64Array(1);
  await world.collectives.barrier();
  t0 = t.wtime();
  for (let i = 0; i < 20000; i++) await world.collectives.allreduce(one, out, 1, datatypes.DOUBLE, sum);
  say(`mpi4ts-mpi allreduce_1_double_us=${(((t.wtime() - t0) / 20000) * 1e6).toFixed(3)}`);
  await world.collectives.barrier();
  t0 = t.wtime();
  for (let i = 0; i < 20000; i++) await world.collectives.barrier();
  say(`mpi4ts-mpi barrier_us=${(((t.wtime() - t0) / 20000) * 1e6).toFixed(3)}`);
}
