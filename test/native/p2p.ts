// Point-to-point on the native mpi transport, values checked: buffer and
// object (unknown size) ping-pong from 0 bytes to 4 MiB, Ssend, Iprobe/Probe
// envelopes, ANY_SOURCE/ANY_TAG, PROC_NULL, truncation, errors from MPI,
// posting order of object receives, and an event loop that keeps running.
// 2 or more ranks.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ANY_SOURCE, ANY_TAG, PROC_NULL } from '../../src/constants.js';
import { ErrorClass } from '../../src/errors.js';
import { all, done, isMPIError, pattern, run, sleep, transport } from './helpers.js';

const world = transport.world;
const { rank, size } = world;

await run('p2p', 2, async () => {
  assert.equal(transport.name, 'mpi');
  assert.equal(transport.worldRank, rank);
  assert.equal(transport.worldSize, size);
  assert.equal(transport.self.size, 1);
  assert.equal(transport.self.rank, 0);
  assert.ok(transport.wtick() > 0 && transport.wtick() < 1);
  assert.ok(transport.processorName().length > 0);
  assert.match(transport.libraryVersion(), /MPI/);
  assert.equal(world.sendCopyLimit, 0);
  const f = transport.alloc(Float64Array, 10);
  assert.ok(f instanceof Float64Array && f.length === 10);

  // Pairs (0,1), (2,3), ...; an odd last rank sits out the pair tests.
  const peer = rank ^ 1;
  const paired = peer < size;

  // --- ping-pong into buffers, eager and rendezvous sizes
  for (const n of [0, 1, 8, 1000, 65536, 200_000, 4 * 1024 * 1024]) {
    if (!paired) break;
    const out = pattern(n, rank);
    const into = new Uint8Array(n);
    if (rank < peer) {
      await done(world.isend(out, peer, n % 1000, false));
      const r = await done(world.irecv(into, peer, n % 1000));
      assert.deepEqual(r.envelope, { source: peer, tag: n % 1000, byteLength: n });
    } else {
      const r = await done(world.irecv(into, peer, n % 1000));
      assert.equal(r.envelope?.byteLength, n);
      await done(world.isend(out, peer, n % 1000, false));
    }
    assert.ok(Buffer.from(into).equals(Buffer.from(pattern(n, peer))), `buffer ping-pong of ${n} bytes`);
  }

  // --- typed arrays other than bytes go through as their bytes, with no copy
  if (paired) {
    const values = Float64Array.from({ length: 100 }, (_, i) => i * 0.5 + rank);
    const got = new Float64Array(100);
    const send = world.isend(new Uint8Array(values.buffer), peer, 3, false);
    await done(world.irecv(new Uint8Array(got.buffer), peer, 3));
    await done(send);
    assert.deepEqual(Array.from(got), Array.from(values, (v) => v - rank + peer));
  }

  // --- bytes of unknown size (object messages): MPI_Improbe + MPI_Imrecv
  for (const n of [0, 10, 70_000, 3 * 1024 * 1024]) {
    if (!paired) break;
    const send = world.isend(pattern(n, rank + 1), peer, 11, false);
    const r = await done(world.irecv(undefined, peer, 11));
    await done(send);
    assert.ok(r.data instanceof Uint8Array);
    assert.equal(r.data.byteLength, n);
    assert.ok(Buffer.from(r.data).equals(Buffer.from(pattern(n, peer + 1))), `object message of ${n} bytes`);
    assert.deepEqual(r.envelope, { source: peer, tag: 11, byteLength: n });
  }

  // --- object receives match in posting order, whichever is awaited first
  if (paired) {
    if (rank < peer) {
      const first = world.irecv(undefined, peer, ANY_TAG);
      const second = world.irecv(undefined, peer, ANY_TAG);
      await done(second);
      await done(first);
      assert.equal(Buffer.from(first.data as Uint8Array).toString(), 'first');
      assert.equal(Buffer.from(second.data as Uint8Array).toString(), 'second');
      assert.equal(first.envelope?.tag, 21);
      assert.equal(second.envelope?.tag, 22);
    } else {
      await sleep(20); // both receives are pending before anything arrives
      await done(world.isend(new Uint8Array(Buffer.from('first')), peer, 21, false));
      await done(world.isend(new Uint8Array(Buffer.from('second')), peer, 22, false));
    }
  }

  // --- Ssend completes only once matched; the event loop runs meanwhile
  await world.collectives.barrier(); // both ranks of a pair start their clocks together
  if (paired) {
    if (rank < peer) {
      const t0 = performance.now();
      const op = world.isend(pattern(8, 1), peer, 5, true);
      assert.equal(op.test(), false, 'Ssend completed before the receive was posted');
      assert.match(op.describe(), /Ssend\(dest=\d+, tag=5, 8 bytes\)/);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      await done(op);
      clearInterval(timer);
      const waited = performance.now() - t0;
      assert.ok(waited >= 50, `Ssend returned after ${waited.toFixed(1)} ms, before the receiver posted (100 ms)`);
      assert.ok(ticks >= 5, `the event loop ran only ${ticks} timer ticks while waiting`);
    } else {
      await sleep(100);
      await done(world.irecv(new Uint8Array(8), peer, 5));
    }
  }

  // --- Iprobe / Probe envelopes
  if (paired) {
    if (rank > peer) {
      await done(world.isend(pattern(24, 9), peer, 7, false));
    } else {
      const env = await world.probe(ANY_SOURCE, ANY_TAG);
      assert.deepEqual(env, { source: peer, tag: 7, byteLength: 24 });
      assert.deepEqual(world.iprobe(peer, 7), { source: peer, tag: 7, byteLength: 24 });
      assert.equal(world.iprobe(peer, 8), undefined);
      const r = await done(world.irecv(new Uint8Array(24), env.source, env.tag));
      assert.deepEqual(r.envelope, env);
      assert.equal(world.iprobe(ANY_SOURCE, 7), undefined);
    }
  }

  // --- ANY_SOURCE / ANY_TAG: everyone sends to rank 0 (after the barrier, so that
  // no message of this section can reach the probes above)
  await world.collectives.barrier();
  if (rank === 0) {
    const seen = new Map<number, number>();
    for (let i = 1; i < size; i++) {
      const into = new Uint8Array(4);
      const r = await done(world.irecv(into, ANY_SOURCE, ANY_TAG));
      const env = r.envelope!;
      assert.equal(env.tag, 100 + env.source);
      assert.equal(new DataView(into.buffer).getInt32(0, true), env.source * 1000);
      seen.set(env.source, env.tag);
    }
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: size - 1 }, (_, i) => i + 1));
  } else {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setInt32(0, rank * 1000, true);
    await done(world.isend(v, 0, 100 + rank, false));
  }

  await world.collectives.barrier(); // nothing later may reach the wildcard receives above

  // --- PROC_NULL: completes at once, empty envelope
  {
    await done(world.isend(pattern(8, 0), PROC_NULL, 0, false));
    const r = await done(world.irecv(new Uint8Array(8), PROC_NULL, 0));
    assert.deepEqual(r.envelope, { source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
    const o = await done(world.irecv(undefined, PROC_NULL, 3));
    assert.deepEqual(o.envelope, { source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
    assert.equal(o.data?.byteLength, 0);
  }

  // --- truncation: ERR_TRUNCATE, with MPI's error string
  if (paired) {
    if (rank > peer) {
      await done(world.isend(pattern(16, 3), peer, 9, false));
    } else {
      const op = world.irecv(new Uint8Array(8), peer, 9);
      await op.wait(); // never rejects: the error is on the operation
      isMPIError(op.error, ErrorClass.ERR_TRUNCATE, /truncat/i);
      assert.match(op.error!.message, new RegExp(`rank ${peer} \\(tag 9\\)`));
    }
  }

  // --- errors MPI reports: invalid rank, invalid tag
  {
    const bad = world.isend(pattern(8, 0), size + 5, 0, false);
    assert.equal(bad.test(), true);
    isMPIError(bad.error, ErrorClass.ERR_RANK);
    const badTag = world.isend(pattern(8, 0), 0, -5, false);
    await badTag.wait();
    isMPIError(badTag.error, ErrorClass.ERR_TAG);
  }

  // --- many pending operations at once: a ring of 1 MiB messages, all posted first
  {
    const right = (rank + 1) % size;
    const left = (rank - 1 + size) % size;
    const n = 1 << 20;
    const rounds = 4;
    const recvs = Array.from({ length: rounds }, () => new Uint8Array(n));
    const ops = [];
    for (let k = 0; k < rounds; k++) ops.push(world.irecv(recvs[k], left, 40 + k));
    for (let k = 0; k < rounds; k++) ops.push(world.isend(pattern(n, rank * 10 + k), right, 40 + k, false));
    await all(ops);
    for (let k = 0; k < rounds; k++) {
      assert.ok(Buffer.from(recvs[k]!).equals(Buffer.from(pattern(n, left * 10 + k))), `ring round ${k}`);
    }
  }

  // --- test() drives progress without waiting
  await world.collectives.barrier(); // the sender's 30 ms start together with the receiver's polls
  if (paired) {
    if (rank < peer) {
      const op = world.irecv(new Uint8Array(8), peer, 77);
      let polls = 0;
      while (!op.test()) {
        polls++;
        await sleep(1);
      }
      assert.ok(polls > 0, 'the message was there before the receive was posted');
      assert.equal(op.error, undefined);
      assert.equal(await op.wait(), undefined);
    } else {
      await sleep(30);
      await done(world.isend(pattern(8, 0), peer, 77, false));
    }
  }

  // --- a pending receive keeps its buffer alive: GC cannot free memory MPI still writes to
  if (paired) {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    if (rank < peer) {
      let weak: WeakRef<Uint8Array> | undefined;
      const op = ((): ReturnType<typeof world.irecv> => {
        const buf = new Uint8Array(1 << 20);
        weak = new WeakRef(buf);
        return world.irecv(buf, peer, 88);
      })();
      for (let i = 0; i < 5; i++) {
        gc();
        await sleep(5);
      }
      assert.ok(weak!.deref() !== undefined, 'the buffer of a pending receive was collected');
      await done(world.isend(pattern(8, 0), peer, 89, false)); // now the peer sends
      await done(op);
      assert.equal(op.envelope?.byteLength, 1 << 20);
      assert.ok(Buffer.from(weak!.deref()!).equals(Buffer.from(pattern(1 << 20, peer))));
    } else {
      await done(world.irecv(new Uint8Array(8), peer, 89));
      await done(world.isend(pattern(1 << 20, rank), peer, 88, false));
    }
  }

  // --- a long wait does not keep a core busy: after the active window the engine sleeps
  if (paired) {
    if (rank < peer) {
      const before = process.cpuUsage();
      const t0 = performance.now();
      await done(world.irecv(new Uint8Array(8), peer, 90));
      const wall = performance.now() - t0;
      const used = process.cpuUsage(before);
      const cpu = (used.user + used.system) / 1000;
      assert.ok(wall >= 400, `waited only ${wall} ms`);
      assert.ok(cpu < 0.5 * wall, `a ${wall.toFixed(0)} ms wait used ${cpu.toFixed(0)} ms of CPU`);
    } else {
      await sleep(500);
      await done(world.isend(pattern(8, 0), peer, 90, false));
    }
  }

  // --- COMM_SELF talks to itself
  {
    const self = transport.self;
    const send = self.isend(pattern(100, 4), 0, 1, false);
    const r = await done(self.irecv(undefined, 0, 1));
    await done(send);
    assert.ok(Buffer.from(r.data as Uint8Array).equals(Buffer.from(pattern(100, 4))));
    assert.equal(self.worldRankOf(0), rank);
  }
});
