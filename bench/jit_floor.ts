/**
 * The floor under a small collective's first-loop mean at 2 ranks on 2 cores: what V8's compiles cost a
 * loop that does almost nothing else (issue 12). Run as
 * `node [--no-opt] bin/mpi4ts.js -n 2 bench/jit_floor.ts [iters]` after `npm run build`.
 *
 * Each rank adds one double with its partner's through a window from `Win.Allocate_shared`: it writes
 * its value and a call number into its own segment, spins until the partner's call number catches up,
 * and reads the partner's value (two slots by parity, so a value is never overwritten before it is
 * read). A call returns a resolved Promise that the loop awaits, as a user awaits `Allreduce`. The
 * loop is timed like bench/collectives.ts (one plain loop, its first tenth untimed); rank 0 prints the
 * mean, p50 and p99, and every iteration over 200 us with its index.
 *
 * Measured (2026-12-02, 2000 iterations, Node 20, 2 cores): a mean of 1.8-4.3 us against a p50 of
 * 0.25-0.6 us, the gap made of 2-6 stalls of 0.35-7.5 ms, each a TurboFan compile on a rank's thread
 * (`--trace-opt`: the spin, then the loop function itself) while the partner spins; with `--no-opt` a
 * mean of 0.3-0.6 us and no stall over 200 us. mpi4py's Allreduce of 8 B had a mean of 0.83-1.1 us in
 * the same minutes.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { summarize } from './cases.js';
import { pairWindow } from './pair_window.js';

const comm = MPI.COMM_WORLD;
// Per segment: the call number (Int32 at byte 0) and the value slots (Float64 at bytes 8 and 16).
const { rank, iters, win, own, partner } = await pairWindow('jit_floor', 24, 2000);
const ownCall = new Int32Array(own.buffer, own.byteOffset, 1);
const partnerCall = new Int32Array(partner.buffer, partner.byteOffset, 1);
const ownValues = new Float64Array(own.buffer, own.byteOffset + 8, 2);
const partnerValues = new Float64Array(partner.buffer, partner.byteOffset + 8, 2);
const RESOLVED = Promise.resolve();
let calls = 0;

function waitForPartner(call: number): void {
  while (Atomics.load(partnerCall, 0) < call) { /* spin: the partner has a core of its own */ }
}

/** The sum of `value` over both ranks into `out[0]`. */
function sum(value: number, out: Float64Array): Promise<void> {
  const call = ++calls;
  ownValues[call & 1] = value;
  Atomics.store(ownCall, 0, call);
  waitForPartner(call);
  out[0] = value + partnerValues[call & 1]!;
  return RESOLVED;
}

const out = new Float64Array(1);
const warm = Math.max(1, Math.floor(iters / 10));
const times = new Float64Array(warm + iters + 1);

async function loop(): Promise<void> {
  const n = times.length - 1;
  for (let i = 0; i < n; i++) {
    times[i] = performance.now();
    await sum(rank + 1, out);
    if (out[0] !== 3) throw new Error(`rank ${rank}: the sum is ${out[0]}, not 3`);
  }
  times[n] = performance.now();
}

await comm.Barrier();
await loop();
if (rank === 0) {
  const { mean, p50, p99 } = summarize(times, warm, 1);
  const stalls: string[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const us = (times[i + 1]! - times[i]!) * 1000;
    if (us > 200) stalls.push(`${us.toFixed(0)} us at ${i}`);
  }
  console.log(`iters=${iters} us=${mean.toFixed(3)} p50_us=${p50.toFixed(3)} p99_us=${p99.toFixed(3)} ` +
    `stalls_over_200us=[${stalls.join(', ')}]`);
}
await win.Free();
