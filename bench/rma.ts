/**
 * mpi4ts side of the one-sided benchmark (peers: bench/peers/rma.c and
 * rma_mpi4py.py, same method). Run as `npx mpi4ts -n 2 bench/rma.ts [cases]`.
 *
 * Cases are "kind:bytes:iters,..." from the first argument that looks like one,
 * else $BENCH_CASES, else the defaults. Kinds, all in a passive-target epoch
 * (`Win.Lock_all`) on a window from `Win.Allocate`: `put` = `Put` of `bytes`
 * bytes from rank 0 into rank 1 then `Flush(1)`; `get` = `Get` of `bytes` from
 * rank 1 then `Flush(1)`; `fop` = both ranks add 1 to a 64-bit counter at rank
 * 0 with `Fetch_and_op` then `Flush(0)` (the counter of a task farm).
 *
 * Each case runs as a user writes it: one plain loop in a single call, its
 * first tenth untimed warm-up, a timestamp per iteration on rank 0; rank 0
 * prints the mean time per operation and the p50 and p99, then the same loop
 * a second time (`warmed_us`). `fop` checks the counter's final value.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { parseCases, summarize } from './cases.js';

const DEFAULT_CASES = 'put:8:20000,get:8:20000,put:4194304:200,get:4194304:200,fop:8:20000';

const comm = MPI.COMM_WORLD;
const rank = comm.rank;
if (comm.size !== 2) throw new Error('rma runs at 2 ranks (npx mpi4ts -n 2 bench/rma.ts)');

const cases = parseCases(DEFAULT_CASES);
const largest = Math.max(8, ...cases.map((c) => c.bytes));
const win = await MPI.Win.Allocate(largest, 1, null, comm);

/** Rank 0 puts into (or gets from) rank 1, `times.length - 1` times, a flush after each. */
async function transferLoop(kind: 'put' | 'get', buf: Uint8Array, times: Float64Array): Promise<void> {
  const it = times.length - 1;
  await win.Lock_all();
  if (rank === 0) {
    for (let i = 0; i < it; i++) {
      times[i] = performance.now();
      if (kind === 'put') win.Put(buf, 1);
      else win.Get(buf, 1);
      await win.Flush(1);
    }
    times[it] = performance.now();
  }
  await win.Unlock_all();
  await comm.Barrier();
}

/** Both ranks add 1 to the counter at rank 0, `times.length - 1` times each. */
async function counterLoop(times: Float64Array): Promise<void> {
  const it = times.length - 1;
  const one = BigInt64Array.of(1n);
  const old = new BigInt64Array(1);
  await win.Lock_all();
  for (let i = 0; i < it; i++) {
    times[i] = performance.now();
    win.Fetch_and_op(one, old, 0, 0, MPI.SUM);
    await win.Flush(0);
  }
  times[it] = performance.now();
  await win.Unlock_all();
  await comm.Barrier();
}

async function measure(loop: (times: Float64Array) => Promise<void>, iters: number): Promise<string> {
  const warm = Math.max(1, Math.floor(iters / 10));
  const times = new Float64Array(warm + iters + 1);
  await comm.Barrier();
  await loop(times);
  const first = summarize(times, warm, 1);
  await comm.Barrier();
  await loop(times);
  const second = summarize(times, warm, 1);
  return `us=${first.mean.toFixed(3)} p50_us=${first.p50.toFixed(3)} p99_us=${first.p99.toFixed(3)} ` +
    `warmed_us=${second.mean.toFixed(3)}`;
}

const counter = new BigInt64Array(win.tomemory().buffer, win.tomemory().byteOffset, 1);
for (const c of cases) {
  if (c.name === 'fop') {
    if (rank === 0) counter[0] = 0n;
    const fields = await measure(counterLoop, c.iters);
    const expected = BigInt(2 * 2 * (c.iters + Math.max(1, Math.floor(c.iters / 10))));
    if (rank === 0 && counter[0] !== expected) throw new Error(`counter is ${counter[0]}, not ${expected}`);
    if (rank === 0) console.log(`op=rma kind=fop bytes=8 iters=${c.iters} ${fields}`);
    continue;
  }
  if (c.name !== 'put' && c.name !== 'get') continue;
  const buf = MPI.alloc(Uint8Array, c.bytes).fill(c.name === 'put' ? 7 : 0);
  if (rank === 1) win.tomemory().fill(9, 0, c.bytes);
  await comm.Barrier();
  const kind = c.name;
  const fields = await measure((times) => transferLoop(kind, buf, times), c.iters);
  if (rank === 0 && kind === 'get' && (buf[0] !== 9 || buf[c.bytes - 1] !== 9)) throw new Error('Get brought wrong data');
  if (rank === 1 && kind === 'put' && win.tomemory()[c.bytes - 1] !== 7) throw new Error('Put left wrong data');
  if (rank === 0) {
    const us = Number(/us=(\S+)/.exec(fields)?.[1]);
    console.log(`op=rma kind=${kind} bytes=${c.bytes} iters=${c.iters} ${fields} MBps=${(c.bytes / us).toFixed(1)}`);
  }
}
await win.Free();
