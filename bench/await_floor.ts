/**
 * The floor under an 8-byte ping-pong of any Promise-returning `Send`/`Recv` at 2 ranks: the same
 * loop as bench/pingpong.ts, over calls that do nothing but move 8 bytes through shared memory
 * (issue 12). Run as `node bin/mpi4ts.js -n 2 bench/await_floor.ts [iters]` after `npm run build`,
 * next to `bench/peers/pingpong_mpi4py.py buf:8:<iters>` under `mpiexec -n 2`.
 *
 * Each rank owns a segment of a window from `Win.Allocate_shared`: a message number (Int32 at byte
 * 0) and an 8-byte slot (byte 8). `send` copies the 8 bytes into the rank's slot and stores the next
 * number; `recv` spins until the partner's number reaches the one it expects and copies the partner's
 * slot out (a sender waits for the next round trip before it writes again, so a slot is never
 * overwritten unread). Both return a resolved Promise that the loop awaits, as a user awaits `Send`
 * and `Recv`. As in bench/pingpong.ts, `iters / 10` untimed round trips come before `iters` timed
 * ones in one loop; rank 0 prints their one-way mean (round trip / 2), p50 and p99, and the mean of
 * the same loop run a second time (`warmed_us`).
 *
 * Measured (2026-12-03, 200,000 round trips, Node 20, 2 cores, in one quarter of an hour): this
 * floor 0.31-0.42 us one-way, mpi4ts's `Send`/`Recv` of a plain 8-byte array 0.85-0.92, mpi4py's
 * 0.84-0.85. So 0.8x mpi4py's time (about 0.68 us) is some 0.3 us above the floor of any API whose
 * calls return Promises: what mpi4ts spends over this loop (posting a receive, the spin's slices as
 * microtasks, matching, the send's arguments and record) is where the rest must come from.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { summarize } from './cases.js';
import { pairWindow } from './pair_window.js';

const comm = MPI.COMM_WORLD;
const { rank, iters, win, own, partner } = await pairWindow('await_floor', 16, 200000);
const ownNumber = new Int32Array(own.buffer, own.byteOffset, 1);
const partnerNumber = new Int32Array(partner.buffer, partner.byteOffset, 1);
const ownSlot = new Uint8Array(own.buffer, own.byteOffset + 8, 8);
const partnerSlot = new Uint8Array(partner.buffer, partner.byteOffset + 8, 8);
const RESOLVED = Promise.resolve();
let sent = 0;
let received = 0;

function send(buf: Uint8Array): Promise<void> {
  for (let i = 0; i < 8; i++) ownSlot[i] = buf[i]!;
  Atomics.store(ownNumber, 0, ++sent);
  return RESOLVED;
}

function recv(buf: Uint8Array): Promise<void> {
  const expected = ++received;
  while (Atomics.load(partnerNumber, 0) < expected) { /* spin: the partner has a core of its own */ }
  for (let i = 0; i < 8; i++) buf[i] = partnerSlot[i]!;
  return RESOLVED;
}

const buf = new Uint8Array(8);
const warm = Math.max(1, Math.floor(iters / 10));
const times = new Float64Array(warm + iters + 1);

/** Round trips with one timestamp each on rank 0; the byte travels there and back, one more each time. */
async function loop(): Promise<void> {
  const n = times.length - 1;
  for (let i = 0; i < n; i++) {
    if (rank === 0) {
      times[i] = performance.now();
      buf[0] = i & 0xff;
      await send(buf);
      await recv(buf);
      if (buf[0] !== ((i + 1) & 0xff)) throw new Error(`rank 0: round trip ${i} brought ${buf[0]} back`);
    } else {
      await recv(buf);
      buf[0] = (buf[0]! + 1) & 0xff;
      await send(buf);
    }
  }
  times[n] = performance.now();
}

await comm.Barrier();
await loop();
const first = rank === 0 ? summarize(times, warm, 2) : undefined;
await comm.Barrier();
await loop();
if (first !== undefined) {
  const warmed = summarize(times, warm, 2);
  console.log(`op=await_floor bytes=8 iters=${iters} one_way_us=${first.mean.toFixed(3)} p50_us=${first.p50.toFixed(3)} ` +
    `p99_us=${first.p99.toFixed(3)} warmed_us=${warmed.mean.toFixed(3)}`);
}
await win.Free();
