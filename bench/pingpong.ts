/**
 * mpi4ts side of the ping-pong benchmark (peers: bench/peers/pingpong.c and
 * pingpong_mpi4py.py, same method). Run as `npx mpi4ts -n 2 bench/pingpong.ts [cases]`.
 *
 * Cases are "kind:bytes:iters,..." from the first argument that looks like one,
 * else $BENCH_CASES, else the anchor's set. Kinds: `buf` = Send/Recv on
 * `MPI.alloc(Uint8Array, n)` (the fast path), `plain` = Send/Recv on
 * `new Uint8Array(n)`, `obj` = send/recv of a small object, `warm:8:ms` = rounds of
 * those loops at 8 bytes for `ms` milliseconds, unreported (start-up warm-up). Each case: a
 * 1-byte handshake, warm-up round trips (iters/10, or iters up to 20000), a handshake, iters timed round
 * trips; one-way time = round trip / 2 on rank 0, printed as a key=value line.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { parseCases } from './cases.js';

const DEFAULT_CASES =
  'warm:8:500,buf:8:20000,buf:1024:20000,buf:65536:20000,buf:1048576:1000,buf:4194304:200,buf:16777216:200,obj:0:20000,' +
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

async function bufferLoop(buf: Uint8Array, it: number): Promise<void> {
  if (rank === 0) {
    for (let i = 0; i < it; i++) {
      await comm.Send(buf, 1, 0);
      await comm.Recv(buf, 1, 0);
    }
  } else if (rank === 1) {
    for (let i = 0; i < it; i++) {
      await comm.Recv(buf, 0, 0);
      await comm.Send(buf, 0, 0);
    }
  }
}

const MSG = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' };
let lastObject: unknown;
async function objectLoop(it: number): Promise<void> {
  if (rank === 0) {
    for (let i = 0; i < it; i++) {
      await comm.send(MSG, 1, 0);
      lastObject = await comm.recv(1, 0);
    }
  } else if (rank === 1) {
    for (let i = 0; i < it; i++) {
      const m = await comm.recv(0, 0);
      await comm.send(m, 0, 0);
    }
  }
}

/**
 * Rounds of the timed loops (8 bytes in `MPI.alloc` and in plain memory, small objects) until rank
 * 0 has spent `ms` milliseconds: the JIT compiles the very functions the timed phases run, with
 * both kinds of buffer, as in a long-running program.
 */
async function warmUp(ms: number): Promise<void> {
  const buffers = [MPI.alloc(Uint8Array, 8), new Uint8Array(8)];
  const go = new Uint8Array(1);
  const t0 = MPI.Wtime();
  for (;;) {
    if (rank === 0) {
      go[0] = MPI.Wtime() - t0 < ms / 1000 ? 1 : 0;
      await comm.Send(go, 1, 2);
    } else if (rank === 1) {
      await comm.Recv(go, 0, 2);
    }
    if (go[0] !== 1) return;
    for (const buf of buffers) await bufferLoop(buf, 200);
    await objectLoop(200);
  }
}

/**
 * Untimed rounds before a case: the peers' iters/10, but as many as are timed when that is cheap,
 * since V8 compiles a hot loop only after some ten thousand rounds (C and Python have no JIT to
 * wait for, so this changes nothing for them).
 */
function warmUpRounds(iters: number): number {
  return Math.max(1, Math.floor(iters / 10), iters <= 20000 ? iters : 0);
}

/** Warm-up then timed phase; returns the one-way time in seconds. */
async function measure(loop: (it: number) => Promise<void>, iters: number): Promise<number> {
  await handshake();
  // In several calls: V8 optimizes an async loop function between calls, not in the middle of one.
  const rounds = warmUpRounds(iters);
  for (let k = 0; k < 4; k++) await loop(Math.max(1, Math.floor(rounds / 4)));
  await handshake();
  const t0 = MPI.Wtime();
  await loop(iters);
  return (MPI.Wtime() - t0) / iters / 2;
}

for (const c of parseCases(DEFAULT_CASES)) {
  if (c.name === 'warm') {
    await warmUp(c.iters);
    continue;
  }
  if (c.name === 'obj') {
    const t = await measure(objectLoop, c.iters);
    if (rank === 0) {
      if (JSON.stringify(lastObject) !== JSON.stringify(MSG)) throw new Error(`object came back as ${JSON.stringify(lastObject)}`);
      console.log(`op=pingpong kind=obj bytes=0 iters=${c.iters} one_way_us=${(t * 1e6).toFixed(3)}`);
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
  const t = await measure((it) => bufferLoop(buf, it), c.iters);
  if (c.bytes > 0 && rank <= 1 && (buf[0] !== 1 || buf[c.bytes - 1] !== 1)) {
    throw new Error(`rank ${rank}: ${c.name} buffer of ${c.bytes} B holds wrong data after ping-pong`);
  }
  if (rank === 0) {
    console.log(
      `op=pingpong kind=${c.name} bytes=${c.bytes} iters=${c.iters} one_way_us=${(t * 1e6).toFixed(3)} ` +
        `MBps=${(c.bytes / t / 1e6).toFixed(1)}`,
    );
  }
}
