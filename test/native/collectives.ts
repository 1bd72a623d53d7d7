// Every collective of the native mpi transport with values checked, in place
// and not, at any number of ranks (run at 2 and 4): Barrier, Bcast, Gatherv,
// Scatterv, Allgatherv, Alltoallv, Reduce, Allreduce, Reduce_scatter, Scan,
// Exscan; all predefined ops, MINLOC/MAXLOC pairs, user ops (commutative and
// not, and one that throws), large payloads (MPI's blocking calls after a
// vote), and errors MPI reports.
import assert from 'node:assert/strict';
import { type Datatype, datatypes, type TypedArray } from '../../src/datatype.js';
import { ErrorClass } from '../../src/errors.js';
import { Op } from '../../src/op/op.js';
import { done, isMPIError, predefined, run, sleep, transport } from './helpers.js';

const world = transport.world;
const coll = world.collectives;
const { rank, size } = world;
const ranks = Array.from({ length: size }, (_, r) => r);

/** Byte `k` of rank `r`'s block in the data-movement tests. */
const byteOf = (r: number, k: number): number => (r * 37 + k * 11 + 5) & 0xff;
const block = (r: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => byteOf(r, k));
const packed = (counts: readonly number[]): number[] => counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));

async function rejectsWith(p: Promise<unknown>, errorClass: number, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    isMPIError(e, errorClass, pattern);
    return true;
  });
}

await run('collectives', 2, async () => {
  // --- Barrier: nobody leaves before the last one arrives
  {
    const t0 = performance.now();
    if (rank === 0) await sleep(60);
    await coll.barrier();
    assert.ok(performance.now() - t0 >= 50, 'left the barrier before rank 0 arrived');
  }

  // --- a pending collective does not stop point-to-point (it is nonblocking underneath)
  {
    const b = coll.barrier();
    const right = (rank + 1) % size;
    const left = (rank - 1 + size) % size;
    const into = new Uint8Array(4);
    const s = world.isend(block(rank, 4), right, 1, false);
    await done(world.irecv(into, left, 1));
    await done(s);
    await b;
    assert.deepEqual(into, block(left, 4));
  }

  // --- Bcast from every root, several sizes
  for (const n of [0, 1, 1000, 1 << 20]) {
    for (let root = 0; root < size; root++) {
      const buf = rank === root ? block(root, n) : new Uint8Array(n);
      await coll.bcast(buf, root);
      assert.deepEqual(buf, block(root, n), `bcast of ${n} bytes from ${root}`);
    }
  }

  // --- Gatherv: rank i gives i+1 bytes, placed with gaps; then in place at the root
  {
    const counts = ranks.map((r) => r + 1);
    const displs = ranks.map((r) => r * (size + 3));
    const root = size - 1;
    const recv = rank === root ? new Uint8Array(size * (size + 3)).fill(0xee) : undefined;
    await coll.gatherv(block(rank, rank + 1), recv, rank === root ? counts : undefined,
      rank === root ? displs : undefined, root);
    if (rank === root) {
      for (const r of ranks) assert.deepEqual(recv!.subarray(displs[r], displs[r]! + counts[r]!), block(r, r + 1));
      assert.equal(recv![displs[0]! + counts[0]!], 0xee, 'gatherv wrote into a gap');
    }
    const inplace = rank === 0 ? new Uint8Array(size * (size + 3)) : undefined;
    if (rank === 0) inplace!.set(block(0, 1), displs[0]);
    await coll.gatherv(rank === 0 ? undefined : block(rank, rank + 1), inplace, rank === 0 ? counts : undefined,
      rank === 0 ? displs : undefined, 0);
    if (rank === 0) for (const r of ranks) assert.deepEqual(inplace!.subarray(displs[r], displs[r]! + counts[r]!), block(r, r + 1));
  }

  // --- Scatterv: rank i gets 2i+1 bytes; then in place at the root
  for (const inPlace of [false, true]) {
    const counts = ranks.map((r) => 2 * r + 1);
    const displs = packed(counts).map((d, i) => d + i);
    const root = inPlace ? 0 : Math.min(1, size - 1);
    let send: Uint8Array | undefined;
    if (rank === root) {
      send = new Uint8Array(displs[size - 1]! + counts[size - 1]!);
      for (const r of ranks) send.set(block(r, counts[r]!), displs[r]);
    }
    const mine = rank === root && inPlace ? undefined : new Uint8Array(counts[rank]!);
    await coll.scatterv(send, rank === root ? counts : undefined, rank === root ? displs : undefined, mine, root);
    if (mine !== undefined) assert.deepEqual(mine, block(rank, counts[rank]!), `scatterv (in place: ${inPlace})`);
  }

  // --- Allgatherv: rank i gives 3i+2 bytes; then in place
  for (const inPlace of [false, true]) {
    const counts = ranks.map((r) => 3 * r + 2);
    const displs = packed(counts).map((d, i) => d + 2 * i);
    const recv = new Uint8Array(displs[size - 1]! + counts[size - 1]!);
    if (inPlace) recv.set(block(rank, counts[rank]!), displs[rank]);
    await coll.allgatherv(inPlace ? undefined : block(rank, counts[rank]!), recv, counts, displs);
    for (const r of ranks) {
      assert.deepEqual(recv.subarray(displs[r], displs[r]! + counts[r]!), block(r, counts[r]!), `allgatherv block ${r}`);
    }
  }

  // --- Alltoallv: rank i sends (i+j)%3+1 bytes to rank j, each block marked with (i, j)
  {
    const len = (i: number, j: number): number => ((i + j) % 3) + 1;
    const mark = (i: number, j: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => i * 50 + j * 5 + k);
    const sendCounts = ranks.map((j) => len(rank, j));
    const sendDispls = packed(sendCounts);
    const recvCounts = ranks.map((i) => len(i, rank));
    const recvDispls = packed(recvCounts).map((d, i) => d + i);
    const send = new Uint8Array(sendDispls[size - 1]! + sendCounts[size - 1]!);
    for (const j of ranks) send.set(mark(rank, j, sendCounts[j]!), sendDispls[j]);
    const recv = new Uint8Array(recvDispls[size - 1]! + recvCounts[size - 1]!);
    await coll.alltoallv(send, sendCounts, sendDispls, recv, recvCounts, recvDispls);
    for (const i of ranks) {
      assert.deepEqual(recv.subarray(recvDispls[i], recvDispls[i]! + recvCounts[i]!), mark(i, rank, recvCounts[i]!));
    }
    // In place: equal blocks of 2 bytes each way.
    const two = ranks.map(() => 2);
    const twoDispls = packed(two);
    const inplace = new Uint8Array(2 * size);
    for (const j of ranks) inplace.set(mark(rank, j, 2), 2 * j);
    await coll.alltoallv(undefined, two, twoDispls, inplace, two, twoDispls);
    for (const i of ranks) assert.deepEqual(inplace.subarray(2 * i, 2 * i + 2), mark(i, rank, 2));
  }

  // --- Reduce and Allreduce with every predefined arithmetic and logical op
  const sum = (f: (r: number) => number): number => ranks.reduce((a, r) => a + f(r), 0);
  const cases: { op: string; dt: Datatype; make: (r: number, i: number) => number; expect: (i: number) => number }[] = [
    { op: 'MPI_SUM', dt: datatypes.DOUBLE, make: (r, i) => r + i * 0.5, expect: (i) => sum((r) => r + i * 0.5) },
    { op: 'MPI_PROD', dt: datatypes.INT, make: (r, i) => r + i + 1, expect: (i) => ranks.reduce((a, r) => a * (r + i + 1), 1) },
    { op: 'MPI_MAX', dt: datatypes.FLOAT, make: (r, i) => (r * 7 + i) % 5, expect: (i) => Math.max(...ranks.map((r) => (r * 7 + i) % 5)) },
    { op: 'MPI_MIN', dt: datatypes.SHORT, make: (r, i) => (r * 3 + i) % 4 - 2, expect: (i) => Math.min(...ranks.map((r) => (r * 3 + i) % 4 - 2)) },
    { op: 'MPI_BAND', dt: datatypes.UNSIGNED, make: (r, i) => (0xff ^ (1 << r)) + i, expect: (i) => ranks.reduce((a, r) => a & ((0xff ^ (1 << r)) + i), 0xffffffff) >>> 0 },
    { op: 'MPI_BOR', dt: datatypes.UNSIGNED_CHAR, make: (r, i) => (1 << r) | (i & 1), expect: (i) => ranks.reduce((a, r) => a | (1 << r) | (i & 1), 0) },
    { op: 'MPI_BXOR', dt: datatypes.INT, make: (r, i) => r * 5 + i, expect: (i) => ranks.reduce((a, r) => a ^ (r * 5 + i), 0) },
    { op: 'MPI_LAND', dt: datatypes.INT, make: (r, i) => (r + i) % 3, expect: (i) => Number(ranks.every((r) => (r + i) % 3 !== 0)) },
    { op: 'MPI_LOR', dt: datatypes.C_BOOL, make: (r, i) => Number(r === i % size), expect: () => 1 },
    { op: 'MPI_LXOR', dt: datatypes.INT, make: (r, i) => Number(r <= i), expect: (i) => ranks.filter((r) => r <= i).length % 2 },
  ];
  for (const c of cases) {
    const n = 6;
    const make = (): TypedArray => {
      const a = new c.dt.arrayType!(n);
      for (let i = 0; i < n; i++) a[i] = c.make(rank, i);
      return a;
    };
    const expected = Array.from({ length: n }, (_, i) => c.expect(i));
    const op = predefined(c.op);
    const all = new c.dt.arrayType!(n);
    await coll.allreduce(make(), all, n, c.dt, op);
    assert.deepEqual(Array.from(all, Number), expected, `allreduce ${c.op} on ${c.dt.name}`);
    const inplace = make();
    await coll.allreduce(undefined, inplace, n, c.dt, op);
    assert.deepEqual(Array.from(inplace, Number), expected, `in-place allreduce ${c.op}`);
    const root = size - 1;
    const atRoot = rank === root ? new c.dt.arrayType!(n) : undefined;
    await coll.reduce(make(), atRoot, n, c.dt, op, root);
    if (rank === root) assert.deepEqual(Array.from(atRoot!, Number), expected, `reduce ${c.op}`);
    const rootInPlace = make();
    await coll.reduce(rank === 0 ? undefined : make(), rank === 0 ? rootInPlace : undefined, n, c.dt, op, 0);
    if (rank === 0) assert.deepEqual(Array.from(rootInPlace, Number), expected, `in-place reduce ${c.op}`);
  }

  // --- 64-bit integers, and a large Allreduce
  {
    const big = new BigInt64Array([BigInt(rank) << 40n, -BigInt(rank)]);
    const out = new BigInt64Array(2);
    await coll.allreduce(big, out, 2, datatypes.INT64_T, predefined('MPI_SUM'));
    const total = BigInt(sum((r) => r));
    assert.deepEqual(Array.from(out), [total << 40n, -total]);
    const n = 1 << 20;
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = i + rank;
    const b = new Float64Array(n);
    await coll.allreduce(a, b, n, datatypes.DOUBLE, predefined('MPI_SUM'));
    for (const i of [0, 1, n >> 1, n - 1]) assert.equal(b[i], size * i + sum((r) => r));
  }

  // --- MAXLOC / MINLOC on {double, int} pairs (16 bytes each) and {int, int}
  {
    const n = 3;
    const value = (r: number, i: number): number => ((r + i) % 2) * 10 + i; // ties between ranks
    const pairs = new Uint8Array(16 * n);
    const view = new DataView(pairs.buffer);
    for (let i = 0; i < n; i++) {
      view.setFloat64(16 * i, value(rank, i), true);
      view.setInt32(16 * i + 8, rank, true);
    }
    for (const [opName, pick] of [['MPI_MAXLOC', Math.max], ['MPI_MINLOC', Math.min]] as const) {
      const out = new Uint8Array(16 * n);
      await coll.allreduce(pairs, out, n, datatypes.DOUBLE_INT, predefined(opName));
      const ov = new DataView(out.buffer);
      for (let i = 0; i < n; i++) {
        const best = pick(...ranks.map((r) => value(r, i)));
        assert.equal(ov.getFloat64(16 * i, true), best, `${opName} value`);
        assert.equal(ov.getInt32(16 * i + 8, true), ranks.find((r) => value(r, i) === best), `${opName} index (lowest on ties)`);
      }
    }
    const twoInt = new Int32Array([rank % 2, rank]);
    const got = new Int32Array(2);
    await coll.allreduce(new Uint8Array(twoInt.buffer), new Uint8Array(got.buffer), 1, datatypes.TWOINT, predefined('MPI_MAXLOC'));
    assert.deepEqual(Array.from(got), [1, 1]);
  }

  // --- Reduce_scatter: block i (i+1 elements) of the sum lands on rank i; then in place
  {
    const counts = ranks.map((r) => r + 1);
    const total = counts.reduce((a, b) => a + b, 0);
    const offset = packed(counts)[rank]!;
    const send = Int32Array.from({ length: total }, (_, k) => k * 100 + rank);
    const expect = Array.from({ length: counts[rank]! }, (_, k) => size * (offset + k) * 100 + sum((r) => r));
    const recv = new Int32Array(counts[rank]!);
    await coll.reduceScatter(send, recv, counts, datatypes.INT, predefined('MPI_SUM'));
    assert.deepEqual(Array.from(recv), expect);
    const inplace = Int32Array.from(send);
    await coll.reduceScatter(undefined, inplace, counts, datatypes.INT, predefined('MPI_SUM'));
    assert.deepEqual(Array.from(inplace.subarray(0, counts[rank])), expect);
  }

  // --- Scan and Exscan, in place and not
  {
    const mine = (r: number): number[] => [r + 1, 10 * (r + 1)];
    const prefix = (upTo: number): number[] => [0, 1].map((k) => ranks.filter((r) => r <= upTo).reduce((a, r) => a + mine(r)[k]!, 0));
    const out = new Float64Array(2);
    await coll.scan(Float64Array.from(mine(rank)), out, 2, datatypes.DOUBLE, predefined('MPI_SUM'), false);
    assert.deepEqual(Array.from(out), prefix(rank));
    const inplace = Float64Array.from(mine(rank));
    await coll.scan(undefined, inplace, 2, datatypes.DOUBLE, predefined('MPI_SUM'), false);
    assert.deepEqual(Array.from(inplace), prefix(rank));
    const ex = new Float64Array([-1, -1]);
    await coll.scan(Float64Array.from(mine(rank)), ex, 2, datatypes.DOUBLE, predefined('MPI_SUM'), true);
    if (rank > 0) assert.deepEqual(Array.from(ex), prefix(rank - 1)); // undefined on rank 0 (MPI-4.1 §6.11.2)
    const exInPlace = Float64Array.from(mine(rank));
    await coll.scan(undefined, exInPlace, 2, datatypes.DOUBLE, predefined('MPI_SUM'), true);
    if (rank > 0) assert.deepEqual(Array.from(exInPlace), prefix(rank - 1));
  }

  // --- user ops: a commutative one, and decimal concatenation, which is not
  {
    const maxAbs = new Op('user_maxabs', true, (invec, inoutvec, count) => {
      const a = invec as Float64Array;
      const b = inoutvec as Float64Array;
      for (let i = 0; i < count; i++) b[i] = Math.abs(a[i]!) > Math.abs(b[i]!) ? a[i]! : b[i]!;
    }, (a, b) => (Math.abs(a as number) > Math.abs(b as number) ? a : b));
    const v = Float64Array.from([rank % 2 === 0 ? -rank : rank, 1]);
    const out = new Float64Array(2);
    await coll.allreduce(v, out, 2, datatypes.DOUBLE, maxAbs);
    assert.deepEqual(Array.from(out), [(size - 1) % 2 === 0 ? -(size - 1) : size - 1, 1]);

    const digits = (x: number): number => String(x).length;
    const concat = new Op('user_concat', false, (invec, inoutvec, count) => {
      const a = invec as Float64Array;
      const b = inoutvec as Float64Array;
      for (let i = 0; i < count; i++) b[i] = a[i]! * 10 ** digits(b[i]!) + b[i]!;
    }, (a, b) => `${String(a)}${String(b)}`);
    const word = (upTo: number): number => Number(ranks.filter((r) => r <= upTo).map((r) => (r % 9) + 1).join(''));
    const mine = new Float64Array([(rank % 9) + 1, 5]);
    const all = new Float64Array(2);
    await coll.allreduce(mine, all, 2, datatypes.DOUBLE, concat);
    assert.deepEqual(Array.from(all), [word(size - 1), Number('5'.repeat(size))], 'non-commutative allreduce in rank order');
    const atRoot = new Float64Array(2);
    await coll.reduce(mine, rank === 1 ? atRoot : undefined, 2, datatypes.DOUBLE, concat, 1);
    if (rank === 1) assert.equal(atRoot[0], word(size - 1));
    const sc = new Float64Array(2);
    await coll.scan(mine, sc, 2, datatypes.DOUBLE, concat, false);
    assert.equal(sc[0], word(rank), 'non-commutative scan');

    // A user op that throws: the collective rejects on every rank (with the op's own error
    // where it ran, naming that rank elsewhere); later collectives still work.
    const broken = new Op('user_broken', true, () => {
      throw new Error('this op is broken');
    }, () => undefined);
    await assert.rejects(coll.allreduce(Float64Array.of(1), new Float64Array(1), 1, datatypes.DOUBLE, broken),
      /this op is broken|user-defined op user_broken threw on rank \d+/);
    const after = new Float64Array(1);
    await coll.allreduce(Float64Array.of(2), after, 1, datatypes.DOUBLE, predefined('MPI_SUM'));
    assert.equal(after[0], 2 * size);
    // A user op must not call MPI: such a call throws inside it, and the collective rejects.
    const reentrant = new Op('user_reentrant', true, () => {
      world.iprobe(0, 0);
    }, () => undefined);
    await assert.rejects(coll.allreduce(Float64Array.of(1), new Float64Array(1), 1, datatypes.DOUBLE, reentrant),
      /inside a user-defined reduction op|user_reentrant threw on rank/);
  }

  // --- Large payloads: MPI's blocking call once every rank has voted for it (at 2 ranks; on an
  // oversubscribed node the I-forms), waiting for late ranks without blocking the event loop,
  // with user ops, several at once and across communicators in different orders
  {
    const n = 1 << 15; // 256 KiB of doubles: above every threshold
    const input = (seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i + rank * seed);
    const summed = (seed: number, i: number): number => size * i + seed * sum((r) => r);
    const check = (out: Float64Array, seed: number, what: string): void => {
      for (const i of [0, 1, n >> 1, n - 1]) assert.equal(out[i], summed(seed, i), `${what} [${i}]`);
    };
    const SUM = predefined('MPI_SUM');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    if (rank === 0) await sleep(40);
    const out = new Float64Array(n);
    await coll.allreduce(input(1), out, n, datatypes.DOUBLE, SUM);
    clearInterval(timer);
    check(out, 1, 'large allreduce');
    if (rank !== 0) assert.ok(ticks >= 5, `the event loop stood still while rank 0 was late (${ticks} timer ticks)`);
    const inPlace = input(2);
    await coll.allreduce(undefined, inPlace, n, datatypes.DOUBLE, SUM);
    check(inPlace, 2, 'large in-place allreduce');

    const root = 1 % size;
    const atRoot = rank === root ? new Float64Array(n) : undefined;
    await coll.reduce(input(3), atRoot, n, datatypes.DOUBLE, SUM, root);
    if (rank === root) check(atRoot!, 3, 'large reduce');
    const blk = 1 << 15;
    const gathered = new Uint8Array(blk * size);
    await coll.allgatherv(block(rank, blk), gathered, ranks.map(() => blk), ranks.map((r) => r * blk));
    for (const r of ranks) assert.deepEqual(gathered.subarray(r * blk, (r + 1) * blk), block(r, blk), `large allgatherv ${r}`);
    const share = n / size;
    const scattered = new Float64Array(share);
    await coll.reduceScatter(input(4), scattered, ranks.map(() => share), datatypes.DOUBLE, SUM);
    for (const k of [0, share - 1]) assert.equal(scattered[k], summed(4, rank * share + k), 'large reduce_scatter');

    // A user op runs inside the blocking call; one that throws fails the collective everywhere.
    const maxAbs = new Op('user_maxabs_large', true, (invec, inoutvec, count) => {
      const a = invec as Float64Array;
      const b = inoutvec as Float64Array;
      for (let i = 0; i < count; i++) b[i] = Math.abs(a[i]!) > Math.abs(b[i]!) ? a[i]! : b[i]!;
    }, () => undefined);
    const signed = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1 : 1) * (i + rank));
    const best = new Float64Array(n);
    await coll.allreduce(signed, best, n, datatypes.DOUBLE, maxAbs);
    for (const i of [0, 1, n - 1]) assert.equal(best[i], (i % 2 === 0 ? -1 : 1) * (i + size - 1), `large user op [${i}]`);
    const broken = new Op('user_broken_large', true, () => {
      throw new Error('this large op is broken');
    }, () => undefined);
    await assert.rejects(coll.allreduce(input(5), new Float64Array(n), n, datatypes.DOUBLE, broken),
      /this large op is broken|user-defined op user_broken_large threw on rank \d+/);

    // Several at once on one communicator, small and large mixed: MPI sees them in call order.
    const [x, y] = [new Float64Array(n), new Float64Array(n)];
    const small = rank === 0 ? block(0, 100) : new Uint8Array(100);
    await Promise.all([coll.allreduce(input(6), x, n, datatypes.DOUBLE, SUM), coll.bcast(small, 0),
      coll.allreduce(input(7), y, n, datatypes.DOUBLE, SUM)]);
    check(x, 6, 'first of three');
    check(y, 7, 'third of three');
    assert.deepEqual(small, block(0, 100));

    // Two communicators, called in opposite orders on even and odd ranks: the blocking calls
    // must not wait on each other (each rank votes for one only while no other is in flight;
    // without that rule, this loop deadlocks within a few rounds).
    const other = (await world.split(0, rank))!;
    for (let round = 0; round < 10; round++) {
      const onWorld = new Float64Array(n);
      const onOther = new Float64Array(n);
      const first = (): Promise<void> => coll.allreduce(input(8), onWorld, n, datatypes.DOUBLE, SUM);
      const second = (): Promise<void> => other.collectives.allreduce(input(9), onOther, n, datatypes.DOUBLE, SUM);
      await Promise.all(rank % 2 === 0 ? [first(), second()] : [second(), first()]);
      check(onWorld, 8, 'world, crossed');
      check(onOther, 9, 'other, crossed');
    }
    // A split on one communicator while a large collective on another is in flight, crossed too.
    const later = new Float64Array(n);
    const reduceOnWorld = (): Promise<unknown> => coll.allreduce(input(10), later, n, datatypes.DOUBLE, SUM);
    const splitOther = (): Promise<unknown> => other.split(0, rank).then((e) => e?.free());
    await Promise.all(rank % 2 === 0 ? [reduceOnWorld(), splitOther()] : [splitOther(), reduceOnWorld()]);
    check(later, 10, 'world, crossed with a split');
    other.free();
  }

  // --- errors MPI reports
  await rejectsWith(coll.allreduce(Float64Array.of(1), new Float64Array(1), 1, datatypes.DOUBLE, predefined('MPI_BAND')),
    ErrorClass.ERR_OP, /MPI_Allreduce: .*(operation|MPI_Op)/);
  await rejectsWith(coll.reduce(Uint8Array.of(1), new Uint8Array(1), 1, datatypes.C_BOOL, predefined('MPI_SUM'), 0),
    ErrorClass.ERR_OP);
  await rejectsWith(coll.bcast(new Uint8Array(1), size + 2), ErrorClass.ERR_ROOT);
  await rejectsWith(coll.allreduce(Float64Array.of(1), new Float64Array(1), 4, datatypes.DOUBLE, predefined('MPI_SUM')),
    ErrorClass.ERR_COUNT);
});
