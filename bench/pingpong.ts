/**
 * mpi4ts side of the ping-pong benchmark (peers: bench/peers/pingpong.c and
 * pingpong_mpi4py.py, same method). Run as `npx mpi4ts -n 2 bench/pingpong.ts [cases]`.
 *
 * Cases are "kind:bytes:iters,..." from the first argument that looks like one,
 * else $BENCH_CASES, else the anchor's set. Kinds: `buf` = Send/Recv on
 * `MPI.alloc(Uint8Array, n)` (the fast path), `plain` = Send/Recv on
 * `new Uint8Array(n)`, `obj` = send/recv of a small object.
 *
 * Each case runs as a user writes it: a 1-byte handshake, then one plain loop
 * in a single call of `iters / 10` untimed round trips followed by `iters` timed
 * ones, with a timestamp per round trip on rank 0. No warm-up calls or phases
 * come before: the first case is a program's first loop. Rank 0 prints the mean
 * one-way time (round trip / 2) and the p50 and p99 of the per-round-trip
 * one-way times. Then the same loop function runs a second time
 * (`warmed_us`): the number once V8 has optimized the loop between calls.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { type Case, jitTrace, parseCases, slowIterations, summarize } from './cases.js';

const DEFAULT_CASES =
  'buf:8:20000,buf:1024:20000,buf:65536:20000,buf:1048576:1000,buf:4194304:200,buf:16777216:200,obj:0:20000,' +
  'plain:8:20000,plain:1024:20000,plain:65536:20000,plain:1048576:1000,plain:4194304:200,plain:16777216:200';

const comm = MPI.COMM_WORLD;
const rank = comm.rank;
if (comm.size < 2) throw new Error('pingpong needs at least 2 ranks (npx mpi4ts -n 2 bench/pingpong.ts)');

const hs = new Uint8Array(1);
async function handshake(): Promise<void> {
  if (rank === 0) {
    await comm.Send(hs, 1, 1);
    await comm.Recv(hs, 1, 1);
  } else if (rank === 1) {
    await comm.Recv(hs, 0, 1);
    await comm.Send(hs, 0, 1);
  }
}

/** `times.length - 1` round trips; rank 0 stamps the start of each, and the end of the last. */
async function bufferLoop(buf: Uint8Array, times: Float64Array): Promise<void> {
  const it = times.length - 1;
  if (rank === 0) {
    for (let i = 0; i < it; i++) {
      times[i] = performance.now();
      await comm.Send(buf, 1, 0);
      await comm.Recv(buf, 1, 0);
    }
    times[it] = performance.now();
  } else if (rank === 1) {
    for (let i = 0; i < it; i++) {
      await comm.Recv(buf, 0, 0);
      await comm.Send(buf, 0, 0);
    }
  }
}

const MSG = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' };
let lastObject: unknown;
async function objectLoop(times: Float64Array): Promise<void> {
  const it = times.length - 1;
  if (rank === 0) {
    for (let i = 0; i < it; i++) {
      times[i] = performance.now();
      await comm.send(MSG, 1, 0);
      lastObject = await comm.recv(1, 0);
    }
    times[it] = performance.now();
  } else if (rank === 1) {
    for (let i = 0; i < it; i++) {
      const m = await comm.recv(0, 0);
      await comm.send(m, 0, 0);
    }
  }
}

/**
 * Runs `loop` over case `c`'s `iters` timed round trips behind `iters / 10` untimed ones, twice
 * (the second call is the warmed-up number); returns the key=value fields of the one-way times.
 */
async function measure(c: Case, loop: (times: Float64Array) => Promise<void>): Promise<string> {
  const iters = c.iters;
  const warm = Math.max(1, Math.floor(iters / 10));
  const times = new Float64Array(warm + iters + 1);
  await handshake();
  jitTrace(true, `${c.name}:${c.bytes}`);
  await loop(times);
  jitTrace(false, `${c.name}:${c.bytes}`);
  const first = summarize(times, warm, 2);
  const slow = slowIterations(times, 50);
  await handshake();
  await loop(times);
  const second = summarize(times, warm, 2);
  return `one_way_us=${first.mean.toFixed(3)} p50_us=${first.p50.toFixed(3)} p99_us=${first.p99.toFixed(3)} ` +
    `warmed_us=${second.mean.toFixed(3)} slow50=${slow}`;
}

for (const c of parseCases(DEFAULT_CASES)) {
  if (c.name === 'obj') {
    const fields = await measure(c, objectLoop);
    if (rank === 0) {
      if (JSON.stringify(lastObject) !== JSON.stringify(MSG)) throw new Error(`object came back as ${JSON.stringify(lastObject)}`);
      console.log(`op=pingpong kind=obj bytes=0 iters=${c.iters} ${fields}`);
    }
    continue;
  }
  if (c.name !== 'buf' && c.name !== 'plain') continue;
  let buf: Uint8Array;
  try {
    buf = c.name === 'buf' ? MPI.alloc(Uint8Array, c.bytes) : new Uint8Array(c.bytes);
  } catch (err) {
    // Both ranks fail the same way before any message, so skipping the case is safe.
    if (rank === 0) console.log(`op=pingpong kind=${c.name} bytes=${c.bytes} error=${String(err).replace(/\s+/g, '_')}`);
    continue;
  }
  buf.fill(rank === 0 ? 1 : 2);
  const fields = await measure(c, (times) => bufferLoop(buf, times));
  if (c.bytes > 0 && rank <= 1 && (buf[0] !== 1 || buf[c.bytes - 1] !== 1)) {
    throw new Error(`rank ${rank}: ${c.name} buffer of ${c.bytes} B holds wrong data after ping-pong`);
  }
  if (rank === 0) {
    const oneWayUs = Number(/one_way_us=(\S+)/.exec(fields)?.[1]);
    console.log(`op=pingpong kind=${c.name} bytes=${c.bytes} iters=${c.iters} ${fields} MBps=${(c.bytes / oneWayUs).toFixed(1)}`);
  }
}
