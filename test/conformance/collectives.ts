/**
 * Conformance chapter: collective communication (MPI-4.1 chapter 6), every
 * collective for values and for buffers, every op on every datatype against a
 * sequential reference, IN_PLACE forms, v-forms with uneven and zero counts,
 * short and long messages (so that every algorithm runs), user ops
 * (commutative, not, throwing), nonblocking forms, several collectives in
 * flight on one or more communicators, and argument errors. An SPMD program
 * for any number of ranks on any transport; see cases.ts for how cases run
 * and report. Mismatched collectives, which must fail the job, are in
 * test/programs/collective_mismatch.ts.
 *
 * @module
 */
import { type Datatype, MPI, type TypedArray, type ValueFunction } from 'mpi4ts';
import { type Case, check, runCases, sleep } from './cases.js';

type Op = InstanceType<typeof MPI.Op>;

// Every case runs on a Dup of COMM_WORLD: the same ranks and size.
const { rank, size } = MPI.COMM_WORLD;
const ranks = Array.from({ length: size }, (_, r) => r);
const roots = [...new Set([0, size - 1, Math.floor(size / 2)])];

/** Byte k of rank r's block: a pattern that differs per rank and position. */
const byteOf = (r: number, k: number): number => (r * 37 + k * 11 + 5) & 0xff;
const block = (r: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => byteOf(r, k));
const packed = (counts: readonly number[]): number[] => counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));

// ------------------------------------------ sequential reference of the buffer reductions
type Ref = number | bigint;
interface TypeInfo { dt: Datatype; bits: number; signed: boolean; float: boolean; big: boolean }
const typeInfo: TypeInfo[] = [
  { dt: MPI.SIGNED_CHAR, bits: 8, signed: true, float: false, big: false },
  { dt: MPI.UNSIGNED_CHAR, bits: 8, signed: false, float: false, big: false },
  { dt: MPI.SHORT, bits: 16, signed: true, float: false, big: false },
  { dt: MPI.UNSIGNED_SHORT, bits: 16, signed: false, float: false, big: false },
  { dt: MPI.INT, bits: 32, signed: true, float: false, big: false },
  { dt: MPI.UNSIGNED, bits: 32, signed: false, float: false, big: false },
  { dt: MPI.LONG, bits: 64, signed: true, float: false, big: true },
  { dt: MPI.UNSIGNED_LONG, bits: 64, signed: false, float: false, big: true },
  { dt: MPI.INT8_T, bits: 8, signed: true, float: false, big: false },
  { dt: MPI.UINT16_T, bits: 16, signed: false, float: false, big: false },
  { dt: MPI.INT64_T, bits: 64, signed: true, float: false, big: true },
  { dt: MPI.UINT64_T, bits: 64, signed: false, float: false, big: true },
  { dt: MPI.FLOAT, bits: 32, signed: true, float: true, big: false },
  { dt: MPI.DOUBLE, bits: 64, signed: true, float: true, big: false },
  { dt: MPI.C_BOOL, bits: 8, signed: false, float: false, big: false },
  { dt: MPI.BYTE, bits: 8, signed: false, float: false, big: false },
];
const opNames = ['SUM', 'PROD', 'MAX', 'MIN', 'LAND', 'LOR', 'LXOR', 'BAND', 'BOR', 'BXOR'] as const;
type OpName = (typeof opNames)[number];
function applies(op: OpName, t: TypeInfo): boolean {
  if (t.dt === MPI.C_BOOL) return op === 'LAND' || op === 'LOR' || op === 'LXOR';
  if (t.dt === MPI.BYTE) return op === 'BAND' || op === 'BOR' || op === 'BXOR';
  if (t.float) return op === 'SUM' || op === 'PROD' || op === 'MAX' || op === 'MIN';
  return true;
}
/** Rank r's element i for `op` on type `t`: small enough that float results are exact. */
function input(op: OpName, t: TypeInfo, r: number, i: number): number {
  const h = (r * 7 + i * 13 + 3) % 11;
  // A C bool holds only 0 or 1 (MPI libraries rely on it); other integers try logical ops on 2 as well.
  if (t.dt === MPI.C_BOOL) return (r + i) % 3 === 0 ? 0 : 1;
  if (op === 'LAND' || op === 'LOR' || op === 'LXOR') return (r + i) % 3 === 0 ? 0 : (h % 2) + 1;
  if (op === 'PROD') return t.float ? (h % 3) + 1 : h - (t.signed ? 5 : 0) + (t.signed ? 0 : 1);
  if (op === 'BAND' || op === 'BOR' || op === 'BXOR') return (h * 37 + r * 101 + i) & ((1 << Math.min(t.bits, 16)) - 1);
  return (t.signed ? h - 5 : h) * (t.float ? 1.5 : 1) + (op === 'SUM' ? r : 0);
}
function wrap(t: TypeInfo, x: bigint): bigint {
  return t.signed ? BigInt.asIntN(t.bits, x) : BigInt.asUintN(t.bits, x);
}
function combineRef(op: OpName, t: TypeInfo, a: Ref, b: Ref): Ref {
  if (t.float) {
    const x = a as number; const y = b as number;
    const r = op === 'SUM' ? x + y : op === 'PROD' ? x * y : op === 'MAX' ? Math.max(x, y) : Math.min(x, y);
    return t.bits === 32 ? Math.fround(r) : r;
  }
  const x = BigInt(a); const y = BigInt(b);
  const table: Record<OpName, () => bigint> = {
    SUM: () => x + y, PROD: () => x * y, MAX: () => (x > y ? x : y), MIN: () => (x < y ? x : y),
    LAND: () => BigInt(x !== 0n && y !== 0n), LOR: () => BigInt(x !== 0n || y !== 0n),
    LXOR: () => BigInt((x !== 0n) !== (y !== 0n)), BAND: () => x & y, BOR: () => x | y, BXOR: () => x ^ y,
  };
  return wrap(t, table[op]());
}
function vectorOf(t: TypeInfo, values: readonly number[]): TypedArray {
  const a = new t.dt.arrayType!(values.length) as TypedArray;
  values.forEach((v, i) => {
    if (t.big) (a as BigInt64Array)[i] = wrap(t, BigInt(v));
    else (a as Float64Array)[i] = v;
  });
  return a;
}
function asRefs(t: TypeInfo, a: TypedArray): Ref[] {
  return Array.from(a as ArrayLike<number | bigint>, (v) => (t.float ? Number(v) : BigInt(v)));
}
function reference(op: OpName, t: TypeInfo, n: number, upTo: number, from = 0): Ref[] {
  const out: Ref[] = [];
  for (let i = 0; i < n; i++) {
    const first = vectorOf(t, [input(op, t, from, i)]);
    let acc: Ref = t.float ? Number(first[0]) : BigInt(first[0]!);
    for (let r = from + 1; r <= upTo; r++) {
      const v = vectorOf(t, [input(op, t, r, i)]);
      acc = combineRef(op, t, acc, t.float ? Number(v[0]) : BigInt(v[0]!));
    }
    out.push(acc);
  }
  return out;
}
const mineFor = (op: OpName, t: TypeInfo, n: number): TypedArray =>
  vectorOf(t, Array.from({ length: n }, (_, i) => input(op, t, rank, i)));


const cases: Case[] = [
  {
    name: 'a communicator of one rank (COMM_SELF): every collective gives this rank its own data, in place too',
    run: async () => {
      const self = MPI.COMM_SELF;
      const mine = Float64Array.of(rank + 0.5, -rank, 3);
      const got = new Float64Array(3);
      const fresh = (): Float64Array => got.fill(-7);
      for (let round = 0; round < 3; round++) {
        await self.Barrier();
        const bc = Int32Array.of(rank, round);
        await self.Bcast(bc, 0);
        check.deepEqual([...bc], [rank, round], 'Bcast leaves the buffer');
        await self.Reduce(mine, fresh(), MPI.PROD, 0);
        check.deepEqual([...got], [...mine], 'Reduce: no op on one contribution');
        await self.Allreduce(mine, fresh(), MPI.SUM);
        check.deepEqual([...got], [...mine], 'Allreduce');
        await self.Scan(mine, fresh(), MPI.MAX);
        check.deepEqual([...got], [...mine], 'Scan');
        await self.Exscan(mine, fresh(), MPI.SUM);
        check.deepEqual([...got], [-7, -7, -7], 'Exscan leaves rank 0 receive buffer as it was');
        await self.Reduce_scatter_block(mine, fresh(), MPI.SUM);
        check.deepEqual([...got], [...mine], 'Reduce_scatter_block');
        await self.Gather(mine, fresh(), 0);
        check.deepEqual([...got], [...mine], 'Gather');
        await self.Allgather(mine, fresh());
        check.deepEqual([...got], [...mine], 'Allgather');
        await self.Scatter(mine, fresh(), 0);
        check.deepEqual([...got], [...mine], 'Scatter');
        await self.Alltoall(mine, fresh());
        check.deepEqual([...got], [...mine], 'Alltoall');
        // A byte view of other memory, and IN_PLACE, which leaves the buffer as it is.
        const bytes = new Uint8Array(24);
        await self.Allreduce([new Uint8Array(mine.buffer), MPI.BYTE], [bytes, MPI.BYTE], MPI.BOR);
        check.deepEqual([...new Float64Array(bytes.buffer)], [...mine], 'Allreduce of bytes');
        const inPlace = mine.slice();
        await self.Allreduce(MPI.IN_PLACE, inPlace, MPI.SUM);
        await self.Reduce(MPI.IN_PLACE, inPlace, MPI.SUM, 0);
        await self.Allgather(MPI.IN_PLACE, inPlace);
        await self.Alltoall(MPI.IN_PLACE, inPlace);
        check.deepEqual([...inPlace], [...mine], 'IN_PLACE forms');
      }
      // Calls made while a nonblocking one is pending complete in their order, with their values.
      const pending = self.Ibcast(Int32Array.of(rank), 0);
      const nb = new Float64Array(3);
      const later = self.Iallreduce(mine, nb, MPI.SUM);
      await self.Allreduce(mine, fresh(), MPI.MIN);
      await MPI.Request.Waitall([pending, later]);
      check.deepEqual([...nb], [...mine], 'Iallreduce');
      check.deepEqual([...got], [...mine], 'Allreduce after nonblocking calls');
    },
  },
  {
    name: 'Barrier: nobody leaves early, every rank late in turn, more communicators than barrier flags',
    run: async (comm) => {
      await comm.Barrier();
      // Causality, not durations: rank 0 reads the clock before it enters; no rank may read a smaller one after leaving.
      if (rank === 0) await sleep(60);
      const arrived = Date.now();
      await comm.Barrier();
      const left = Date.now();
      const zeroArrived = await comm.bcast(arrived, 0);
      check.ok(left >= zeroArrived, 'Barrier: no rank leaves before rank 0 arrives');
      await comm.barrier();
      for (let i = 0; i < 50; i++) await comm.Barrier();
      // Every rank in turn arrives late, on this communicator and on a copy freed after (whose flags, on shm, go back).
      for (const target of [comm, await comm.Dup()]) {
        for (let late = 0; late < size; late++) {
          if (rank === late) await sleep(5);
          const before = Date.now();
          await target.Barrier();
          const after = Date.now();
          const arrivals = await comm.allgather(before);
          check.ok(arrivals.every((t) => t <= after), `Barrier: rank ${rank} left before rank ${late} arrived`);
        }
        if (target !== comm) target.Free();
      }
      // More communicators with barriers than the shm transport has barrier flags for, live at once, then freed.
      const many: (typeof comm)[] = [];
      for (let i = 0; i < 80; i++) {
        const dup = await comm.Dup();
        await dup.Barrier();
        many.push(dup);
      }
      await Promise.all(many.map((c) => c.Barrier()));
      for (const c of many) c.Free();
      for (let i = 0; i < 80; i++) {
        const dup = await comm.Dup();
        await dup.Barrier();
        await dup.Barrier();
        dup.Free();
      }
      check.deepEqual(await comm.allreduce(1), size, 'Barrier: flags given back');
    },
  },
  {
    name: 'object forms: bcast, scatter, gather from several roots; allgather and alltoall, with one large value',
    run: async (comm) => {
      for (const root of roots) {
        const value = { from: root, list: [1, 'two', 3n], nested: new Map([[1, new Float32Array([1.5])]]) };
        check.deepEqual(await comm.bcast(rank === root ? value : undefined, root), value, `bcast from ${root}`);
        const big = 'x'.repeat(100_000) + root;
        check.deepEqual(await comm.bcast(rank === root ? big : null, root), big, `bcast of a long string from ${root}`);

        const items = ranks.map((r) => ({ to: r, by: root, pad: 'p'.repeat(r * 100) }));
        check.deepEqual(await comm.scatter(rank === root ? items : undefined, root), items[rank], `scatter from ${root}`);

        const gathered = await comm.gather({ r: rank, s: String(rank).repeat(rank) }, root);
        if (rank === root) check.deepEqual(gathered, ranks.map((r) => ({ r, s: String(r).repeat(r) })), `gather to ${root}`);
        else check.deepEqual(gathered, undefined, `gather gives undefined off the root ${root}`);
      }
      check.deepEqual(await comm.allgather([rank, `r${rank}`]), ranks.map((r) => [r, `r${r}`]), 'allgather');
      // One value too large for the shm transport's shared area sends every rank over messages.
      const sized = (r: number): unknown => (r === size - 1 ? 'L'.repeat(4000) : r);
      check.deepEqual(await comm.allgather(sized(rank)), ranks.map(sized), 'allgather with one large value');
      check.deepEqual(await comm.allreduce(`${sized(rank)}`, MPI.SUM), ranks.map(sized).join(''), 'allreduce with one large value');
      for (const root of roots) {
        const all = await comm.gather(sized(rank), root);
        check.deepEqual(all, rank === root ? ranks.map(sized) : undefined, `gather to ${root} with one large value`);
        check.deepEqual(await comm.bcast(rank === root ? sized(root) : undefined, root), sized(root), `bcast from ${root}, sized`);
        check.deepEqual(await comm.reduce(`${sized(rank)}`, MPI.SUM, root), rank === root ? ranks.map(sized).join('') : undefined,
          `reduce to ${root} with one large value`);
      }
      check.deepEqual(await comm.alltoall(ranks.map((j) => `${rank}->${j}`)), ranks.map((i) => `${i}->${rank}`), 'alltoall');
      check.deepEqual(await comm.alltoall(ranks.map((j) => (j === rank ? undefined : new Int16Array([rank, j])))),
        ranks.map((i) => (i === rank ? undefined : new Int16Array([i, rank]))), 'alltoall of typed arrays');
    },
  },
  {
    name: 'short broadcasts from every root in turn, with late ranks and reductions between',
    run: async (comm) => {
      // Checked without counting each round: 300 rounds of counted checks would say nothing more.
      let rounds = 0;
      for (let i = 0; i < 300; i++) {
        const root = i % size;
        if (rank === (i * 7) % size && i % 3 === 0) await sleep(1);
        const buf = rank === root ? Float64Array.of(i, root) : new Float64Array(2);
        await comm.Bcast(buf, root);
        if (buf[0] !== i || buf[1] !== root) check.deepEqual(Array.from(buf), [i, root], `Bcast round ${i}`);
        const value = await comm.bcast(rank === root ? { i, root } : null, root);
        if ((value as { i: number }).i !== i) check.deepEqual(value, { i, root }, `bcast round ${i}`);
        if (i % 5 === 0) check.deepEqual(await comm.allreduce(i), i * size, `allreduce between broadcasts, round ${i}`);
        rounds++;
      }
      check.equal(rounds, 300);
    },
  },
  {
    name: 'runs of short Scans and Exscans, with late ranks and other calls between that write the same blocks',
    run: async (comm) => {
      // On shm, a Scan's rank writes its block again once the next rank has read it, within a run of Scans, and
      // once every rank has after any other call: runs of 1 to 25 Scans, an Exscan or an Allreduce between them.
      let rounds = 0;
      for (let i = 0; i < 400; i++) {
        if (rank === (i * 5) % size && i % 7 === 0) await sleep(1);
        const mine = Float64Array.of(rank + i, 1);
        const scanned = new Float64Array(2);
        await comm.Scan(mine, scanned, MPI.SUM);
        const want = (rank + 1) * i + (rank * (rank + 1)) / 2;
        if (scanned[0] !== want || scanned[1] !== rank + 1) check.deepEqual(Array.from(scanned), [want, rank + 1], `Scan ${i}`);
        if (i % 25 === 24) {
          const before = Int32Array.of(rank * 10);
          await comm.Exscan(MPI.IN_PLACE, before, MPI.SUM);
          if (rank > 0 && before[0] !== 5 * rank * (rank - 1)) check.deepEqual(before[0], 5 * rank * (rank - 1), `Exscan after ${i}`);
        } else if (i % 11 === 10) {
          check.deepEqual(await comm.allreduce(i), i * size, `allreduce after Scan ${i}`);
        }
        rounds++;
      }
      check.equal(rounds, 400);
    },
  },
  {
    name: 'object reductions: allreduce, reduce, scan and exscan of every op against a sequential reference',
    run: async (comm) => {
      const prefix = <T>(f: (r: number) => T, combine: (a: T, b: T) => T, upTo: number): T => {
        let acc = f(0);
        for (let r = 1; r <= upTo; r++) acc = combine(acc, f(r));
        return acc;
      };
      interface Case { name: string; op: Op | ValueFunction<string>; value: (r: number) => unknown;
        combine: (a: unknown, b: unknown) => unknown }
      const cases: Case[] = [
        { name: 'SUM numbers', op: MPI.SUM, value: (r) => r + 0.5, combine: (a, b) => (a as number) + (b as number) },
        { name: 'SUM bigints', op: MPI.SUM, value: (r) => BigInt(r) << 70n, combine: (a, b) => (a as bigint) + (b as bigint) },
        { name: 'SUM strings', op: MPI.SUM, value: (r) => `<${r}>`, combine: (a, b) => (a as string) + (b as string) },
        { name: 'SUM arrays', op: MPI.SUM, value: (r) => [r, [r]], combine: (a, b) => [...(a as unknown[]), ...(b as unknown[])] },
        { name: 'SUM typed arrays', op: MPI.SUM, value: (r) => Int32Array.of(r, -r, 1),
          combine: (a, b) => (a as Int32Array).map((x, i) => x + (b as Int32Array)[i]!) },
        { name: 'PROD', op: MPI.PROD, value: (r) => r + 1, combine: (a, b) => (a as number) * (b as number) },
        { name: 'MAX', op: MPI.MAX, value: (r) => (r * 7) % 5, combine: (a, b) => Math.max(a as number, b as number) },
        { name: 'MIN strings', op: MPI.MIN, value: (r) => `s${(r * 3) % 4}`, combine: (a, b) => ((a as string) <= (b as string) ? a : b) },
        { name: 'MAX arrays', op: MPI.MAX, value: (r) => [r % 2, r], combine: (a, b) => {
          const x = a as number[]; const y = b as number[];
          return x[0]! > y[0]! || (x[0] === y[0] && x[1]! >= y[1]!) ? x : y;
        } },
        { name: 'LAND', op: MPI.LAND, value: (r) => r !== 1, combine: (a, b) => (a as boolean) && (b as boolean) },
        { name: 'LOR', op: MPI.LOR, value: (r) => r === size - 1, combine: (a, b) => (a as boolean) || (b as boolean) },
        { name: 'LXOR', op: MPI.LXOR, value: (r) => r % 3 === 0, combine: (a, b) => Boolean(a) !== Boolean(b) },
        { name: 'BAND', op: MPI.BAND, value: (r) => 0xff ^ (1 << r), combine: (a, b) => (a as number) & (b as number) },
        { name: 'BOR', op: MPI.BOR, value: (r) => 1 << r, combine: (a, b) => (a as number) | (b as number) },
        { name: 'BXOR bigints', op: MPI.BXOR, value: (r) => BigInt(r * 5) << 40n, combine: (a, b) => (a as bigint) ^ (b as bigint) },
        { name: 'MAXLOC bare', op: MPI.MAXLOC, value: (r) => (r * 7) % 4,
          combine: (a, b) => pickLoc(a, b, 1) },
        { name: 'MINLOC pairs', op: MPI.MINLOC, value: (r) => [(r * 5) % 3, 100 + r], combine: (a, b) => pickLoc(a, b, -1) },
        { name: 'user concat (non-commutative)', op: MPI.Op.Create((a: string, b: string) => `${a}|${b}`),
          value: (r) => `${r}`, combine: (a, b) => `${String(a)}|${String(b)}` },
        // mpi4py's value reductions take any callable: a plain function (associative, as MPI asks of every op), in rank order.
        { name: 'a function as the op (non-commutative)', op: (a: string, b: string) => `${a}.${b}`,
          value: (r) => `v${r}`, combine: (a, b) => `${String(a)}.${String(b)}` },
      ];
      function pickLoc(a: unknown, b: unknown, sign: number): unknown {
        const x = a as [number, number]; const y = b as [number, number];
        if (x[0] === y[0]) return x[1] <= y[1] ? x : y;
        return (x[0] - y[0]) * sign > 0 ? x : y;
      }
      for (const c of cases) {
        const located = c.op === MPI.MAXLOC || c.op === MPI.MINLOC;
        const value = (r: number): unknown => (located && typeof c.value(r) === 'number' ? [c.value(r), r] : c.value(r));
        const total = prefix(value, c.combine, size - 1);
        check.deepEqual(await comm.allreduce(c.value(rank), c.op), total, `allreduce ${c.name}`);
        for (const root of roots) {
          const got = await comm.reduce(c.value(rank), c.op, root);
          check.deepEqual(got, rank === root ? total : undefined, `reduce ${c.name} to ${root}`);
        }
        check.deepEqual(await comm.scan(c.value(rank), c.op), prefix(value, c.combine, rank), `scan ${c.name}`);
        check.deepEqual(await comm.exscan(c.value(rank), c.op), rank === 0 ? undefined : prefix(value, c.combine, rank - 1),
          `exscan ${c.name}`);
      }
      check.deepEqual(await comm.allreduce(rank), (size * (size - 1)) / 2, 'allreduce defaults to MPI.SUM');
      // A user op that throws fails the call on every rank that folds; the communicator goes on. (With a power of
      // two every rank folds, whatever the algorithm; otherwise a rank may wait for a fold that failed elsewhere.)
      if (size > 1 && (size & (size - 1)) === 0) {
        const failing = MPI.Op.Create((a: number, b: number) => {
          if (a + b >= 0) throw new RangeError(`no fold of ${a} and ${b}`);
          return a + b;
        });
        await check.rejects(comm.allreduce(rank, failing), /no fold of \d+ and \d+/);
        check.deepEqual(await comm.allreduce(1), size, 'allreduce after an op that threw');
      }
    },
  },
  {
    name: 'Bcast of 0 bytes to 1 MiB from several roots, and of [buf, count, datatype]',
    run: async (comm) => {
      for (const n of [0, 1, 1000, 70_000, 300_000, 1 << 20]) {
        for (const root of roots) {
          const buf = rank === root ? block(root, n) : new Uint8Array(n);
          await comm.Bcast(buf, root);
          check.deepEqual(buf, block(root, n), `Bcast of ${n} bytes from ${root}`);
        }
      }
      {
        const data = new Float64Array(5).fill(rank === 0 ? 2.5 : 0);
        await comm.Bcast([data, 3, MPI.DOUBLE], 0);
        check.deepEqual(Array.from(data), rank === 0 ? [2.5, 2.5, 2.5, 2.5, 2.5] : [2.5, 2.5, 2.5, 0, 0], 'Bcast of [buf, count, datatype]');
      }
    },
  },
  {
    name: 'Bcast from MPI.alloc memory (read in place on shm), changed by the root right after, into either kind of buffer',
    run: async (comm) => {
      for (const n of [1025, 70_000, 200_000, 300_000]) {
        for (const root of roots) {
          // An odd offset into the shared heap, and members' buffers of both kinds.
          const buf = rank === root || rank % 2 === 1 ? MPI.alloc(Uint8Array, n + 3).subarray(3) : new Uint8Array(n);
          if (rank === root) buf.set(block(root, n));
          await comm.Bcast(buf, root);
          // Once its Bcast returned, the root may reuse its buffer: no member may see this.
          if (rank === root) buf.fill(0xee);
          else check.deepEqual(buf, block(root, n), `Bcast of ${n} bytes of MPI.alloc memory from ${root}`);
          await comm.Barrier();
        }
      }
      // Many in a row, each root's buffer rewritten at once: members read each call's data, never a later one's.
      const buf = MPI.alloc(Float64Array, 4096);
      for (let i = 0; i < 40; i++) {
        if (rank === i % size) buf.fill(i);
        await comm.Bcast(buf, i % size);
        check.deepEqual([buf[0], buf[4095]], [i, i], `Bcast ${i} of MPI.alloc memory`);
        if (rank === i % size) buf.fill(-1);
      }
    },
  },
  {
    name: 'Allreduce of more than 1 KiB from MPI.alloc memory (read in place on shm), IN_PLACE too, sent buffers changed right after the call',
    run: async (comm) => {
      // Every rank's vectors from MPI.alloc memory (by reference on shm), then odd ranks' plain (over messages).
      for (const plainOdd of [false, true]) {
        const heap = (n: number): boolean => !plainOdd || rank % 2 === 0 || n < 0;
        // The last (with more ranks, the last two) in two exchanges on shm (reduce-scatter, allgather), in uneven
        // slices: the last into MPI.alloc memory, which the others read.
        for (const n of [129, 8750, 37_500, 262_147]) {
          const send = heap(n) ? MPI.alloc(Float64Array, n + 1).subarray(1) : new Float64Array(n);
          for (let k = 0; k < n; k++) send[k] = rank * 1000 + k;
          const sum = n === 262_147 && heap(n) ? MPI.alloc(Float64Array, n) : new Float64Array(n);
          await comm.Allreduce(send, sum, MPI.SUM);
          // Once its Allreduce returned, a rank may reuse its vector: no other rank may see this.
          send.fill(-1e9);
          const expected = Float64Array.from({ length: n }, (_, k) => 1000 * size * (size - 1) / 2 + size * k);
          check.deepEqual(sum, expected, `Allreduce SUM of ${n} doubles${plainOdd ? ', odd ranks\' plain' : ''}`);
          // In place: every rank folds into scratch while the others still read its vector.
          const both = heap(n) ? MPI.alloc(Float64Array, n) : new Float64Array(n);
          for (let k = 0; k < n; k++) both[k] = rank * 1000 + k;
          await comm.Allreduce(MPI.IN_PLACE, both, MPI.SUM);
          check.deepEqual(both, expected, `Allreduce IN_PLACE SUM of ${n} doubles${plainOdd ? ', odd ranks\' plain' : ''}`);
        }
        for (const n of [1025, 4099]) {
          const bytes = heap(n) ? MPI.alloc(Uint8Array, n + 3).subarray(3) : new Uint8Array(n);
          bytes.set(block(rank, n));
          const least = MPI.alloc(Uint8Array, n);
          await comm.Allreduce(bytes, least, MPI.MIN);
          bytes.fill(0);
          const expected = Uint8Array.from({ length: n }, (_, k) => Math.min(...ranks.map((r) => byteOf(r, k))));
          check.deepEqual(least, expected, `Allreduce MIN of ${n} bytes${plainOdd ? ', odd ranks\' plain' : ''}`);
        }
      }
      // Many in a row, each vector rewritten at once: every rank folds each call's vectors, never a later one's.
      const send = MPI.alloc(Int32Array, 1000);
      const most = new Int32Array(1000);
      for (let i = 0; i < 40; i++) {
        send.fill(rank === i % size ? i + 1000 : i);
        await comm.Allreduce(send, most, MPI.MAX);
        check.deepEqual([most[0], most[999]], [i + 1000, i + 1000], `Allreduce ${i} of MPI.alloc memory`);
        send.fill(1 << 30);
      }
    },
  },
  {
    name: 'Gather and Scatter of equal blocks, IN_PLACE at the root',
    run: async (comm) => {
      for (const n of [1, 3, 10_000]) {
        for (const root of roots) {
          // Gather: equal blocks of Int32, then in place at the root
          const mine = Int32Array.from({ length: n }, (_, k) => rank * 1000 + k);
          const all = rank === root ? new Int32Array(n * size) : null;
          await comm.Gather(mine, all, root);
          if (rank === root) {
            check.deepEqual(Array.from(all!), ranks.flatMap((r) => Array.from({ length: n }, (_, k) => r * 1000 + k)), `Gather ${n} to ${root}`);
            const inPlace = new Int32Array(n * size);
            inPlace.set(mine, n * rank);
            await comm.Gather(MPI.IN_PLACE, inPlace, root);
            check.deepEqual(inPlace, all, `Gather IN_PLACE ${n} to ${root}`);
          } else {
            await comm.Gather(mine, null, root);
          }
          // Scatter: the root's blocks, then in place at the root
          const source = rank === root ? Float64Array.from({ length: n * size }, (_, k) => k + 0.25) : null;
          const part = new Float64Array(n);
          await comm.Scatter(source, part, root);
          check.deepEqual(Array.from(part), Array.from({ length: n }, (_, k) => rank * n + k + 0.25), `Scatter ${n} from ${root}`);
          if (rank === root) await comm.Scatter(source, MPI.IN_PLACE, root);
          else await comm.Scatter(null, part.fill(0), root);
          if (rank !== root) check.deepEqual(part[n - 1], rank * n + n - 1 + 0.25, `Scatter IN_PLACE ${n} from ${root}`);
        }
      }
    },
  },
  {
    // The mpi transport hands these to MPI's uniform calls, which take blocks end to end (through a packed copy here).
    name: 'Gather, Scatter, Allgather and Alltoall of equal blocks at gapped displacements',
    run: async (comm) => {
      const n = 2;
      const counts = ranks.map(() => n);
      // Rank r's block at (size - 1 - r) * (n + 1): in reverse rank order, one element apart.
      const displs = ranks.map((r) => (size - 1 - r) * (n + 1));
      const length = size * (n + 1);
      /** A buffer of blocks at `displs`, element k of rank r's block `value(r, k)`, -1 between them. */
      const laidOut = (value: (r: number, k: number) => number): Int32Array => {
        const out = new Int32Array(length).fill(-1);
        for (const r of ranks) for (let k = 0; k < n; k++) out[displs[r]! + k] = value(r, k);
        return out;
      };
      const mine = Int32Array.of(rank * 10, rank * 10 + 1);
      for (const root of roots) {
        const all = new Int32Array(length).fill(-1);
        await comm.Gather(mine, rank === root ? [all, [counts, displs], MPI.INT] : null, root);
        if (rank === root) check.deepEqual(all, laidOut((r, k) => r * 10 + k), `Gather to ${root}`);
        const part = new Int32Array(n);
        await comm.Scatter(rank === root ? [laidOut((r, k) => r * 10 + k), [counts, displs], MPI.INT] : null, part, root);
        check.deepEqual(part, mine, `Scatter from ${root}`);
      }
      const gathered = new Int32Array(length).fill(-1);
      await comm.Allgather(mine, [gathered, [counts, displs], MPI.INT]);
      check.deepEqual(gathered, laidOut((r, k) => r * 10 + k), 'Allgather');
      // Block j of this rank's send holds rank * 100 + j * 10 + k, and lands in rank j's block of this rank.
      const into = new Int32Array(length).fill(-1);
      await comm.Alltoall([laidOut((j, k) => rank * 100 + j * 10 + k), [counts, displs], MPI.INT], [into, [counts, displs], MPI.INT]);
      check.deepEqual(into, laidOut((r, k) => r * 100 + rank * 10 + k), 'Alltoall');
    },
  },
  {
    name: 'Gatherv and Scatterv with uneven, empty and gapped blocks',
    run: async (comm) => {
      for (const scale of [1, 3000]) {
        for (const root of roots) {
          // Gatherv: rank r gives (r % 3) * scale bytes (zero for some), placed with gaps
          const counts = ranks.map((r) => (r % 3) * scale);
          const displs = packed(counts).map((d, i) => d + 2 * i);
          const extent = displs[size - 1]! + counts[size - 1]! + 2;
          const recv = rank === root ? new Uint8Array(extent).fill(0xee) : null;
          await comm.Gatherv(block(rank, counts[rank]!), rank === root ? [recv!, [counts, displs], MPI.BYTE] : null, root);
          if (rank === root) {
            for (const r of ranks) check.deepEqual(recv!.subarray(displs[r], displs[r]! + counts[r]!), block(r, counts[r]!), `Gatherv block ${r}`);
            check.ok(recv![displs[0]! + counts[0]!] === 0xee, 'Gatherv leaves the gaps alone');
            const inPlace = new Uint8Array(extent);
            inPlace.set(block(rank, counts[rank]!), displs[rank]);
            await comm.Gatherv(MPI.IN_PLACE, [inPlace, [counts, displs], MPI.BYTE], root);
            for (const r of ranks) check.deepEqual(inPlace.subarray(displs[r], displs[r]! + counts[r]!), block(r, counts[r]!), `Gatherv IN_PLACE ${r}`);
          } else {
            await comm.Gatherv(block(rank, counts[rank]!), null, root);
          }
          // Scatterv: rank r gets ((r + 1) % 3) * scale elements of Int16
          const scounts = ranks.map((r) => ((r + 1) % 3) * scale);
          const sdispls = packed(scounts).map((d, i) => d + i);
          let source: Int16Array | undefined;
          if (rank === root) {
            source = new Int16Array(sdispls[size - 1]! + scounts[size - 1]!);
            for (const r of ranks) source.set(Int16Array.from({ length: scounts[r]! }, (_, k) => r * 100 + k), sdispls[r]);
          }
          const mine = new Int16Array(scounts[rank]!);
          await comm.Scatterv(rank === root ? [source!, [scounts, sdispls], MPI.SHORT] : null, mine, root);
          check.deepEqual(Array.from(mine), Array.from({ length: scounts[rank]! }, (_, k) => rank * 100 + k), `Scatterv from ${root} (scale ${scale})`);
        }
      }
    },
  },
  {
    name: 'Allgather, IN_PLACE too',
    run: async (comm) => {
      for (const n of [0, 2, 20_000]) {
        const mine = Float32Array.from({ length: n }, (_, k) => rank + k / 4);
        const all = new Float32Array(n * size);
        await comm.Allgather(mine, all);
        const expected = ranks.flatMap((r) => Array.from({ length: n }, (_, k) => r + k / 4));
        check.deepEqual(Array.from(all), expected, `Allgather of ${n}`);
        const inPlace = new Float32Array(n * size);
        inPlace.set(mine, n * rank);
        await comm.Allgather(MPI.IN_PLACE, inPlace);
        check.deepEqual(Array.from(inPlace), expected, `Allgather IN_PLACE of ${n}`);
      }
    },
  },
  {
    name: 'Allgatherv with uneven and empty blocks, IN_PLACE too',
    run: async (comm) => {
      for (const scale of [1, 20_000]) {
        const counts = ranks.map((r) => ((r * 2) % 3) * scale);
        const displs = packed(counts).map((d, i) => d + 3 * i);
        const recv = new Uint8Array(displs[size - 1]! + counts[size - 1]!);
        await comm.Allgatherv(block(rank, counts[rank]!), [recv, [counts, displs], MPI.BYTE]);
        for (const r of ranks) check.deepEqual(recv.subarray(displs[r], displs[r]! + counts[r]!), block(r, counts[r]!), `Allgatherv ${scale} block ${r}`);
        const inPlace = new Uint8Array(recv.length);
        inPlace.set(block(rank, counts[rank]!), displs[rank]);
        await comm.Allgatherv(MPI.IN_PLACE, [inPlace, [counts, displs], MPI.BYTE]);
        for (const r of ranks) check.deepEqual(inPlace.subarray(displs[r], displs[r]! + counts[r]!), block(r, counts[r]!), `Allgatherv IN_PLACE block ${r}`);
      }
    },
  },
  {
    name: 'Alltoall, IN_PLACE too',
    run: async (comm) => {
      for (const n of [1, 5, 40_000]) {
        const mark = (i: number, j: number, k: number): number => (i * 131 + j * 17 + k) & 0x7fff;
        const out = Int16Array.from({ length: n * size }, (_, x) => mark(rank, Math.floor(x / n), x % n));
        const into = new Int16Array(n * size);
        await comm.Alltoall(out, into);
        const expected = Array.from({ length: n * size }, (_, x) => mark(Math.floor(x / n), rank, x % n));
        check.deepEqual(Array.from(into), expected, `Alltoall of ${n}`);
        const inPlace = Int16Array.from(out);
        await comm.Alltoall(MPI.IN_PLACE, inPlace);
        check.deepEqual(Array.from(inPlace), expected, `Alltoall IN_PLACE of ${n}`);
      }
    },
  },
  {
    name: 'Alltoall of more than 1 KiB from MPI.alloc memory (read in place on shm), sent blocks changed right after the call',
    run: async (comm) => {
      const mark = (i: number, j: number, k: number): number => i * 1e6 + j * 1e4 + k;
      // Every rank's blocks in MPI.alloc memory (by reference on shm), then odd ranks' plain (over messages), then in
      // place on every rank; plain arrays on some ranks and [buffer, datatype] on others, which must meet.
      for (const form of ['heap', 'odd ranks plain', 'in place'] as const) {
        for (const n of [129, 4000, 20_000]) {
          const heap = form !== 'odd ranks plain' || rank % 2 === 0;
          const out = heap ? MPI.alloc(Float64Array, n * size + 1).subarray(1) : new Float64Array(n * size);
          for (let x = 0; x < n * size; x++) out[x] = mark(rank, Math.floor(x / n), x % n);
          const into = MPI.alloc(Float64Array, n * size);
          if (form === 'in place') {
            into.set(out);
            await comm.Alltoall(MPI.IN_PLACE, rank % 2 === 0 ? into : [into, MPI.DOUBLE]);
          } else {
            await comm.Alltoall(rank % 2 === 0 ? out : [out, MPI.DOUBLE], rank % 2 === 1 ? into : [into, MPI.DOUBLE]);
          }
          // Once its Alltoall returned, a rank may reuse its blocks: no other rank may see this.
          out.fill(-1);
          const expected = Float64Array.from({ length: n * size }, (_, x) => mark(Math.floor(x / n), rank, x % n));
          check.deepEqual(into, expected, `Alltoall of ${n} doubles per block, ${form}`);
        }
      }
      // Many in a row, each send buffer rewritten at once: every rank copies each call's blocks, never a later one's.
      const out = MPI.alloc(Uint8Array, 600 * size);
      const into = new Uint8Array(600 * size);
      for (let i = 0; i < 40; i++) {
        for (let j = 0; j < size; j++) out.fill((i * 7 + rank * 3 + j) & 0xff, j * 600, j * 600 + 600);
        await comm.Alltoall(out, into);
        check.deepEqual(ranks.map((j) => [into[j * 600], into[j * 600 + 599]]),
          ranks.map((j) => [(i * 7 + j * 3 + rank) & 0xff, (i * 7 + j * 3 + rank) & 0xff]), `Alltoall ${i} of MPI.alloc memory`);
        out.fill(0xee);
      }
    },
  },
  {
    name: 'Alltoallv with uneven and empty blocks',
    run: async (comm) => {
      for (const scale of [1, 50_000]) {
        const len = (i: number, j: number): number => ((i + 2 * j) % 3) * scale;
        const mark = (i: number, j: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (i * 50 + j * 5 + k) & 0xff);
        const sendCounts = ranks.map((j) => len(rank, j));
        const sendDispls = packed(sendCounts);
        const recvCounts = ranks.map((i) => len(i, rank));
        const recvDispls = packed(recvCounts).map((d, i) => d + i);
        const send = new Uint8Array(sendDispls[size - 1]! + sendCounts[size - 1]!);
        for (const j of ranks) send.set(mark(rank, j, sendCounts[j]!), sendDispls[j]);
        const recv = new Uint8Array(recvDispls[size - 1]! + recvCounts[size - 1]!);
        await comm.Alltoallv([send, [sendCounts, sendDispls], MPI.BYTE], [recv, [recvCounts, recvDispls], MPI.BYTE]);
        for (const i of ranks) check.deepEqual(recv.subarray(recvDispls[i], recvDispls[i]! + recvCounts[i]!), mark(i, rank, recvCounts[i]!), `Alltoallv ${scale} from ${i}`);
      }
    },
  },
  {
    name: 'Allreduce, Reduce, Scan and Exscan of every op on every datatype against a reference; ERR_OP where an op does not apply',
    run: async (comm) => {
      for (const t of typeInfo) {
        for (const opName of opNames) {
          const op = MPI[opName];
          const n = 9;
          if (!applies(opName, t)) {
            await check.rejectsMPI(comm.Allreduce([mineFor('SUM', t, 1), t.dt], [new t.dt.arrayType!(1) as TypedArray, t.dt], op), MPI.ERR_OP,
              new RegExp(`MPI_${opName} does not apply to ${t.dt.name}`));
            continue;
          }
          const what = `${opName} on ${t.dt.name}`;
          const total = reference(opName, t, n, size - 1);
          const out = new t.dt.arrayType!(n) as TypedArray;
          await comm.Allreduce([mineFor(opName, t, n), t.dt], [out, t.dt], op);
          check.deepEqual(asRefs(t, out), total, `Allreduce ${what}`);
          const inPlace = mineFor(opName, t, n);
          await comm.Allreduce(MPI.IN_PLACE, [inPlace, t.dt], op);
          check.deepEqual(asRefs(t, inPlace), total, `Allreduce IN_PLACE ${what}`);
          const root = size - 1;
          const atRoot = rank === root ? new t.dt.arrayType!(n) as TypedArray : null;
          await comm.Reduce([mineFor(opName, t, n), t.dt], atRoot === null ? null : [atRoot, t.dt], op, root);
          if (rank === root) check.deepEqual(asRefs(t, atRoot!), total, `Reduce ${what}`);
          const inPlaceAt0 = mineFor(opName, t, n);
          await comm.Reduce(rank === 0 ? MPI.IN_PLACE : [inPlaceAt0, t.dt], rank === 0 ? [inPlaceAt0, t.dt] : null, op, 0);
          if (rank === 0) check.deepEqual(asRefs(t, inPlaceAt0), total, `Reduce IN_PLACE ${what}`);
          const scanned = new t.dt.arrayType!(n) as TypedArray;
          await comm.Scan([mineFor(opName, t, n), t.dt], [scanned, t.dt], op);
          check.deepEqual(asRefs(t, scanned), reference(opName, t, n, rank), `Scan ${what}`);
          const ex = mineFor(opName, t, n);
          await comm.Exscan(MPI.IN_PLACE, [ex, t.dt], op);
          if (rank > 0) check.deepEqual(asRefs(t, ex), reference(opName, t, n, rank - 1), `Exscan IN_PLACE ${what}`);
        }
      }
    },
  },
  {
    name: 'long vectors: ring algorithms in segments, odd lengths, IN_PLACE',
    run: async (comm) => {
      for (const n of [4099, 200_003]) {
        const mine = Float64Array.from({ length: n }, (_, i) => (i % 1000) + rank);
        const expected = (i: number): number => size * (i % 1000) + (size * (size - 1)) / 2;
        const sums = new Float64Array(n);
        await comm.Allreduce(mine, sums, MPI.SUM);
        check.ok(sums.every((v, i) => v === expected(i)), `Allreduce of ${n} doubles`);
        const inPlace = Float64Array.from(mine);
        await comm.Allreduce(MPI.IN_PLACE, inPlace, MPI.SUM);
        check.ok(inPlace.every((v, i) => v === expected(i)), `Allreduce IN_PLACE of ${n} doubles`);
        for (const root of roots) {
          const atRoot = rank === root ? new Float64Array(n) : null;
          await comm.Reduce(mine, atRoot, MPI.SUM, root);
          if (rank === root) check.ok(atRoot!.every((v, i) => v === expected(i)), `Reduce of ${n} doubles to ${root}`);
          if (rank === root) {
            const here = Float64Array.from(mine);
            await comm.Reduce(MPI.IN_PLACE, here, MPI.SUM, root);
            check.ok(here.every((v, i) => v === expected(i)), `Reduce IN_PLACE of ${n} doubles to ${root}`);
          } else {
            await comm.Reduce(mine, null, MPI.SUM, root);
          }
        }
        // 8-bit sums wrap, as C's do (Open MPI 4.1's AVX kernels saturated them at 127 and 255; the mpi transport
        // leaves those kernels out).
        const signed = new Int8Array(n);
        await comm.Allreduce(Int8Array.from({ length: n }, (_, i) => 100 + (i % 7)), signed, MPI.SUM);
        check.ok(signed.every((v, i) => v === Int8Array.of(size * (100 + (i % 7)))[0]), `Allreduce SUM of ${n} int8, wrapping`);
        const unsigned = Uint8Array.from({ length: n }, (_, i) => 200 + (i % 7));
        await comm.Allreduce(MPI.IN_PLACE, unsigned, MPI.SUM);
        check.ok(unsigned.every((v, i) => v === ((size * (200 + (i % 7))) & 0xff)), `Allreduce IN_PLACE SUM of ${n} uint8, wrapping`);
        const maxed = new Int32Array(n);
        await comm.Allreduce(Int32Array.from({ length: n }, (_, i) => (i * 7 + rank * 3) % 101), maxed, MPI.MAX);
        check.ok(maxed.every((v, i) => v === Math.max(...ranks.map((r) => (i * 7 + r * 3) % 101))), `Allreduce MAX of ${n} ints`);
      }
    },
  },
  {
    name: 'a vector shorter than the number of ranks, and an empty one',
    run: async (comm) => {
      const one = Float64Array.of(rank);
      await comm.Allreduce(MPI.IN_PLACE, one, MPI.SUM);
      check.deepEqual(one[0], (size * (size - 1)) / 2, 'Allreduce of 1 element');
      const none = new Float64Array(0);
      await comm.Allreduce(MPI.IN_PLACE, none, MPI.SUM);
      await comm.Reduce(rank === 0 ? MPI.IN_PLACE : none, rank === 0 ? none : null, MPI.SUM, 0);
    },
  },
  {
    name: 'MAXLOC and MINLOC on every pair datatype, ties to the smaller index',
    run: async (comm) => {
      const n = 4;
      const value = (r: number, i: number): number => ((r + i) % 3) * 10 - i;
      const layouts = [
        { dt: MPI.DOUBLE_INT, get: (v: DataView, at: number) => v.getFloat64(at, true), set: (v: DataView, at: number, x: number) => v.setFloat64(at, x, true), index: 8 },
        { dt: MPI.FLOAT_INT, get: (v: DataView, at: number) => v.getFloat32(at, true), set: (v: DataView, at: number, x: number) => v.setFloat32(at, x, true), index: 4 },
        { dt: MPI.LONG_INT, get: (v: DataView, at: number) => Number(v.getBigInt64(at, true)), set: (v: DataView, at: number, x: number) => v.setBigInt64(at, BigInt(x), true), index: 8 },
        { dt: MPI.TWOINT, get: (v: DataView, at: number) => v.getInt32(at, true), set: (v: DataView, at: number, x: number) => v.setInt32(at, x, true), index: 4 },
        { dt: MPI.SHORT_INT, get: (v: DataView, at: number) => v.getInt16(at, true), set: (v: DataView, at: number, x: number) => v.setInt16(at, x, true), index: 4 },
      ];
      for (const layout of layouts) {
        const bytes = layout.dt.Get_size();
        const mine = new Uint8Array(bytes * n);
        const view = new DataView(mine.buffer);
        for (let i = 0; i < n; i++) {
          layout.set(view, bytes * i, value(rank, i));
          view.setInt32(bytes * i + layout.index, rank * 2, true);
        }
        for (const [name, op, pick] of [['MAXLOC', MPI.MAXLOC, Math.max], ['MINLOC', MPI.MINLOC, Math.min]] as const) {
          const out = new Uint8Array(bytes * n);
          await comm.Allreduce([mine, layout.dt], [out, layout.dt], op);
          const ov = new DataView(out.buffer);
          const scanned = new Uint8Array(bytes * n);
          await comm.Scan([mine, layout.dt], [scanned, layout.dt], op);
          const sv = new DataView(scanned.buffer);
          for (let i = 0; i < n; i++) {
            const best = pick(...ranks.map((r) => value(r, i)));
            check.deepEqual([layout.get(ov, bytes * i), ov.getInt32(bytes * i + layout.index, true)],
              [best, 2 * ranks.find((r) => value(r, i) === best)!], `${name} on ${layout.dt.Get_name()}`);
            const upTo = ranks.slice(0, rank + 1);
            const prefixBest = pick(...upTo.map((r) => value(r, i)));
            check.deepEqual([layout.get(sv, bytes * i), sv.getInt32(bytes * i + layout.index, true)],
              [prefixBest, 2 * upTo.find((r) => value(r, i) === prefixBest)!], `Scan ${name} on ${layout.dt.Get_name()}`);
          }
        }
      }
      // The documented JS layout: a Float64Array of [value, _, value, _] with the indices in an Int32Array view.
      const pairs = new Float64Array(2);
      pairs[0] = rank % 2;
      new Int32Array(pairs.buffer)[2] = rank;
      const best = new Float64Array(2);
      await comm.Allreduce([pairs, MPI.DOUBLE_INT], [best, MPI.DOUBLE_INT], MPI.MAXLOC);
      check.deepEqual([best[0], new Int32Array(best.buffer)[2]], [size > 1 ? 1 : 0, size > 1 ? 1 : 0], 'MAXLOC with the Float64Array layout');
    },
  },
  {
    name: 'user ops: commutative, non-commutative in rank order, on values; a freed op; Reduce_local',
    run: async (comm) => {
      const absMax = MPI.Op.Create((inv: Float64Array, inout: Float64Array) => {
        for (let i = 0; i < inv.length; i++) if (Math.abs(inv[i]!) > Math.abs(inout[i]!)) inout[i] = inv[i]!;
      }, true);
      check.ok(absMax.Is_commutative() && absMax.is_commutative && !absMax.is_predefined, 'Op.Create commutative flags');
      const v = Float64Array.of(rank % 2 === 0 ? -rank : rank, 1);
      const out = new Float64Array(2);
      await comm.Allreduce(v, out, absMax);
      check.deepEqual(Array.from(out), [(size - 1) % 2 === 0 ? -(size - 1) : size - 1, 1], 'commutative user op');

      const digits = (x: number): number => String(x).length;
      const concat = MPI.Op.Create((a: Float64Array, b: Float64Array) => b.map((y, i) => a[i]! * 10 ** digits(y) + y));
      check.ok(!concat.Is_commutative(), 'Op.Create defaults to non-commutative');
      const word = (from: number, upTo: number, i: number): number =>
        Number(ranks.slice(from, upTo + 1).map((r) => ((r + i) % 9) + 1).join(''));
      for (const n of [3, 20_000]) {
        const mine = Float64Array.from({ length: n }, (_, i) => ((rank + i) % 9) + 1);
        const all = new Float64Array(n);
        await comm.Allreduce(mine, all, concat);
        check.ok(all.every((x, i) => x === word(0, size - 1, i)), `non-commutative Allreduce of ${n} in rank order`);
        for (const root of roots) {
          const atRoot = rank === root ? new Float64Array(n) : null;
          await comm.Reduce(mine, atRoot, concat, root);
          if (rank === root) check.ok(atRoot!.every((x, i) => x === word(0, size - 1, i)), `non-commutative Reduce of ${n} to ${root}`);
        }
        const sc = new Float64Array(n);
        await comm.Scan(mine, sc, concat);
        check.ok(sc.every((x, i) => x === word(0, rank, i)), `non-commutative Scan of ${n}`);
        const ex = new Float64Array(n);
        await comm.Exscan(mine, ex, concat);
        if (rank > 0) check.ok(ex.every((x, i) => x === word(0, rank - 1, i)), `non-commutative Exscan of ${n}`);
      }
      // The same op on values (typed arrays element-wise) gives the same answer.
      const asValue = await comm.allreduce(Float64Array.of(rank + 1), concat) as Float64Array;
      check.deepEqual(asValue[0], Number(ranks.map((r) => r + 1).join('')), 'user op on values');
      concat.Free();
      await check.rejectsMPI(comm.Allreduce(Float64Array.of(1), new Float64Array(1), concat), MPI.ERR_OP, /freed/);
      check.throwsMPI(() => MPI.SUM.Free(), MPI.ERR_OP, /predefined/);
      const acc = Float64Array.of(1, 2);
      MPI.SUM.Reduce_local(Float64Array.of(10, 20), acc);
      check.deepEqual(Array.from(acc), [11, 22], 'Op.Reduce_local');
    },
  },
  {
    name: 'Reduce_scatter and Reduce_scatter_block: uneven and empty blocks, without recvcounts, nonblocking, IN_PLACE',
    run: async (comm) => {
      for (const scale of [1, 3000]) {
        const counts = ranks.map((r) => ((r + 1) % 3) * scale);
        const total = counts.reduce((a, b) => a + b, 0);
        const offset = packed(counts)[rank]!;
        const send = Int32Array.from({ length: total }, (_, k) => (k % 1000) * 10 + rank);
        const expect = Array.from({ length: counts[rank]! }, (_, k) => size * ((offset + k) % 1000) * 10 + (size * (size - 1)) / 2);
        const recv = new Int32Array(counts[rank]!);
        await comm.Reduce_scatter(send, recv, counts, MPI.SUM);
        check.deepEqual(Array.from(recv), expect, `Reduce_scatter (scale ${scale})`);
        // without recvcounts each rank gets what its receive buffer holds: the counts are gathered (mpi4py)
        const sized = new Int32Array(counts[rank]!).fill(-1);
        await comm.Reduce_scatter(send, sized, null, MPI.SUM);
        check.deepEqual(Array.from(sized), expect, `Reduce_scatter without recvcounts (scale ${scale})`);
        // nonblocking, with the next collective started at different times: the calls still match in call order
        const sizedToo = new Int32Array(counts[rank]!).fill(-1);
        const pending = comm.Ireduce_scatter(send, sizedToo);
        if (rank === 0) await sleep(20);
        const next = comm.allreduce(rank);
        await pending.Wait();
        check.deepEqual(Array.from(sizedToo), expect, `Ireduce_scatter without recvcounts (scale ${scale})`);
        check.deepEqual(await next, (size * (size - 1)) / 2, 'a collective started while an Ireduce_scatter without recvcounts runs');
        const inPlace = Int32Array.from(send);
        await check.rejectsMPI(comm.Reduce_scatter(MPI.IN_PLACE, inPlace, null, MPI.SUM), MPI.ERR_COUNT, /recvcounts/);
        await comm.Reduce_scatter(MPI.IN_PLACE, inPlace, counts, MPI.SUM);
        check.deepEqual(Array.from(inPlace.subarray(0, counts[rank])), expect, `Reduce_scatter IN_PLACE (scale ${scale})`);
        const n = 2 * scale;
        const blockSend = Float64Array.from({ length: n * size }, (_, k) => k + rank);
        const mine = new Float64Array(n);
        await comm.Reduce_scatter_block(blockSend, mine, MPI.SUM);
        check.deepEqual(Array.from(mine), Array.from({ length: n }, (_, k) => size * (rank * n + k) + (size * (size - 1)) / 2),
          `Reduce_scatter_block (scale ${scale})`);
        const blockInPlace = Float64Array.from(blockSend);
        await comm.Reduce_scatter_block(MPI.IN_PLACE, blockInPlace, MPI.MAX);
        check.deepEqual(Array.from(blockInPlace.subarray(0, n)), Array.from({ length: n }, (_, k) => rank * n + k + size - 1),
          `Reduce_scatter_block IN_PLACE (scale ${scale})`);
      }
      // recvcounts count elements of the receive spec's datatype (§6.10.1), here pairs of doubles, not doubles
      const pair = MPI.DOUBLE.Create_contiguous(2).Commit();
      const pairCounts = ranks.map((r) => (r % 2) + 1);
      const pairStart = 2 * packed(pairCounts)[rank]!;
      const pairSend = Float64Array.from({ length: 2 * pairCounts.reduce((a, b) => a + b, 0) }, (_, k) => k + rank);
      const pairs = new Float64Array(2 * pairCounts[rank]!).fill(-1);
      await comm.Reduce_scatter([pairSend, pair], [pairs, pair], pairCounts, MPI.SUM);
      check.deepEqual(Array.from(pairs), Array.from(pairs, (_, k) => size * (pairStart + k) + (size * (size - 1)) / 2),
        'Reduce_scatter of pairs, recvcounts in pairs');
      pair.Free();
    },
  },
  {
    name: 'nonblocking collectives; Test polls one to completion; collectives started together complete in call order',
    run: async (comm) => {
      const b = Float64Array.from({ length: 3 }, (_, i) => (rank === 1 % size ? i + 1 : 0));
      const gathered = rank === 0 ? new Int32Array(size) : null;
      const part = new Int32Array(1);
      const all = new Int32Array(size);
      const exchanged = new Int32Array(size);
      const reduced = rank === 0 ? new Float64Array(2) : null;
      const allSum = new Float64Array(2);
      const requests = [
        comm.Ibarrier(),
        comm.Ibcast(b, 1 % size),
        comm.Igather(Int32Array.of(rank * 3), gathered, 0),
        comm.Iscatter(rank === 0 ? Int32Array.from(ranks, (r) => r * 5) : null, part, 0),
        comm.Iallgather(Int32Array.of(rank + 100), all),
        comm.Ialltoall(Int32Array.from(ranks, (j) => rank * 10 + j), exchanged),
        comm.Ireduce(Float64Array.of(rank, 1), reduced, MPI.SUM, 0),
        comm.Iallreduce(Float64Array.of(rank, 1), allSum, MPI.SUM),
      ];
      check.ok(requests.every((r) => r instanceof MPI.Request), 'I-forms return Requests');
      await MPI.Request.Waitall(requests);
      check.ok(requests.every((r) => r.Test()), 'completed Requests test true');
      check.deepEqual(Array.from(b), [1, 2, 3], 'Ibcast');
      if (rank === 0) check.deepEqual(Array.from(gathered!), ranks.map((r) => r * 3), 'Igather');
      check.deepEqual(part[0], rank * 5, 'Iscatter');
      check.deepEqual(Array.from(all), ranks.map((r) => r + 100), 'Iallgather');
      check.deepEqual(Array.from(exchanged), ranks.map((i) => i * 10 + rank), 'Ialltoall');
      if (rank === 0) check.deepEqual(Array.from(reduced!), [(size * (size - 1)) / 2, size], 'Ireduce');
      check.deepEqual(Array.from(allSum), [(size * (size - 1)) / 2, size], 'Iallreduce');
      // A Request polled with Test completes once the event loop runs.
      const late = comm.Iallreduce(MPI.IN_PLACE, Float64Array.of(1), MPI.SUM);
      let polls = 0;
      while (!late.Test()) {
        polls++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      check.ok(polls >= 0, 'Test eventually sees an Iallreduce complete');
      // Collectives started together without waiting in between complete in call order.
      const values = await Promise.all([comm.allreduce(rank), comm.bcast(rank === 0 ? 'x' : undefined, 0), comm.allgather(rank)]);
      check.deepEqual(values, [(size * (size - 1)) / 2, 'x', ranks], 'collectives started together');
    },
  },
  {
    name: 'message specs as in mpi4py: per-rank counts, null where unused, the same buffer as IN_PLACE',
    run: async (comm) => {
      const root = size - 1;
      const spare = 2; // elements past the blocks, which no call may touch
      const gathered = new Int32Array(3 * size + spare);
      for (const start of [
        () => comm.Gather([Int32Array.of(rank, rank, rank, 99), 3, MPI.INT], rank === root ? [gathered, 3, MPI.INT] : null, root),
        () => comm.Igather([Int32Array.of(rank, rank, rank), 3, MPI.INT], rank === root ? [gathered, 3, MPI.INT] : null, root).Wait(),
        () => comm.Gatherv([Int32Array.of(rank, rank, rank), 3], rank === root ? [gathered, 3] : null, root),
      ]) {
        gathered.fill(-1);
        await start();
        if (rank === root) {
          check.deepEqual(Array.from(gathered), [...ranks.flatMap((r) => [r, r, r]), -1, -1], 'Gather: the count of [buf, count, datatype] is per rank');
        }
      }
      const source = rank === root ? Int32Array.from({ length: 2 * size + spare }, (_, k) => k) : null;
      for (const start of [
        (part: Int32Array) => comm.Scatter(source && [source, 2, MPI.INT], [part, 2, MPI.INT], root),
        (part: Int32Array) => comm.Iscatter(source && [source, 2, MPI.INT], part, root).Wait(),
        (part: Int32Array) => comm.Scatterv(source && [source, 2, MPI.INT], part, root),
      ]) {
        const part = Int32Array.of(-1, -1, -1);
        await start(part.subarray(0, 2));
        check.deepEqual(Array.from(part), [2 * rank, 2 * rank + 1, -1], 'Scatter: the count of [buf, count, datatype] is per rank');
      }
      const all = new Float64Array(2 * size + spare);
      for (const start of [
        () => comm.Allgather([Float64Array.of(rank, -rank, 7), 2, MPI.DOUBLE], [all, 2, MPI.DOUBLE]),
        () => comm.Iallgather([Float64Array.of(rank, -rank), 2, MPI.DOUBLE], [all, 2]).Wait(),
        () => comm.Allgatherv(Float64Array.of(rank, -rank), [all, 2, MPI.DOUBLE]),
      ]) {
        all.fill(-1);
        await start();
        check.deepEqual(Array.from(all), [...ranks.flatMap((r) => [r, -r]), -1, -1], 'Allgather: the count of [buf, count, datatype] is per rank');
      }
      const out = Int32Array.from({ length: 2 * size + spare }, (_, k) => rank * 100 + k);
      const incoming = new Int32Array(2 * size + spare);
      for (const start of [
        () => comm.Alltoall([out, 2, MPI.INT], [incoming, 2, MPI.INT]),
        () => comm.Ialltoall([out, 2], [incoming, 2]).Wait(),
        () => comm.Alltoallv([out, 2, MPI.INT], [incoming, 2, MPI.INT]),
      ]) {
        incoming.fill(-1);
        await start();
        check.deepEqual(Array.from(incoming), [...ranks.flatMap((j) => [j * 100 + 2 * rank, j * 100 + 2 * rank + 1]), -1, -1],
          'Alltoall: the count of [buf, count, datatype] is per rank');
      }
      // v-forms without counts split the buffer as evenly as it goes, the first blocks one longer (mpi4py)
      const uneven = new Int32Array(2 * size + 1).fill(-1);
      await comm.Allgatherv(new Int32Array(rank === 0 ? 3 : 2).fill(rank), uneven);
      check.deepEqual(Array.from(uneven), [0, 0, 0, ...ranks.slice(1).flatMap((r) => [r, r])], 'Allgatherv: uneven blocks without counts');
      // null where the buffer does not matter: Gather and Reduce off the root, Scatter's send buffer off the root
      const rootSum = rank === root ? new Float64Array(1) : null;
      await comm.Reduce(Float64Array.of(rank), rootSum, MPI.SUM, root);
      if (rank === root) check.deepEqual(rootSum![0], (size * (size - 1)) / 2, 'Reduce with null off the root');
      const mine = new Int32Array(1);
      await comm.Scatterv(rank === root ? [Int32Array.from(ranks, (r) => r * 5), [ranks.map(() => 1), null]] : null,
        rank === root ? MPI.IN_PLACE : mine, root);
      if (rank !== root) check.deepEqual(mine[0], rank * 5, 'Scatterv with null displacements, IN_PLACE at the root, null elsewhere');
      // the same memory as send and receive buffer is IN_PLACE
      const sums = Float64Array.of(rank, 1);
      await comm.Allreduce(sums, sums, MPI.SUM);
      check.deepEqual(Array.from(sums), [(size * (size - 1)) / 2, size], 'Allreduce(buf, buf)');
      const prefix = Int32Array.of(rank + 1);
      await comm.Scan(prefix, prefix, MPI.SUM);
      check.deepEqual(prefix[0], ((rank + 1) * (rank + 2)) / 2, 'Scan(buf, buf)');
      const total = Float64Array.of(rank);
      await comm.Reduce(total, rank === root ? total : null, MPI.SUM, root);
      check.deepEqual(total[0], rank === root ? (size * (size - 1)) / 2 : rank, 'Reduce(buf, buf) at the root');
      const table = new Int32Array(size).fill(-1);
      table[rank] = rank * 7;
      await comm.Allgather(table.subarray(rank, rank + 1), table);
      check.deepEqual(Array.from(table), ranks.map((r) => r * 7), 'Allgather of this rank\'s own block of the receive buffer');
      const column = new Int32Array(size).fill(-1);
      column[rank] = rank * 3;
      await comm.Gather(rank === root ? column.subarray(root, root + 1) : Int32Array.of(rank * 3), rank === root ? column : null, root);
      if (rank === root) check.deepEqual(Array.from(column), ranks.map((r) => r * 3), 'Gather of the root\'s own block');
      const dealt = Int32Array.from(ranks, (r) => r * 9);
      const got = rank === root ? dealt.subarray(root, root + 1) : new Int32Array(1);
      await comm.Scatter(rank === root ? dealt : null, got, root);
      check.deepEqual(got[0], rank * 9, 'Scatter into the root\'s own block');
      const swapped = Int32Array.from(ranks, (j) => rank * 100 + j);
      await comm.Alltoall(swapped, swapped);
      check.deepEqual(Array.from(swapped), ranks.map((j) => j * 100 + rank), 'Alltoall(buf, buf)');
    },
  },
  {
    name: 'collectives on a Split communicator, and on two communicators at once',
    run: async (comm) => {
      const half = (await comm.Split(rank % 2, -rank))!;
      const members = ranks.filter((r) => r % 2 === rank % 2).reverse();
      check.deepEqual(await half.allgather(rank), members, 'allgather on a Split communicator');
      const sum = new Float64Array(1);
      await half.Allreduce(Float64Array.of(rank), sum, MPI.SUM);
      check.deepEqual(sum[0], members.reduce((a, b) => a + b, 0), 'Allreduce on a Split communicator');
      const dup = await comm.Dup();
      const [x, y] = await Promise.all([dup.allreduce(1), comm.allreduce(2)]);
      check.deepEqual([x, y], [size, 2 * size], 'collectives on two communicators at once');
    },
  },
  {
    name: 'argument errors',
    run: async (comm) => {
      await check.rejectsMPI(comm.Bcast(new Uint8Array(1), size), MPI.ERR_ROOT, /invalid root/);
      await check.rejectsMPI(comm.bcast(1, -1), MPI.ERR_ROOT, /invalid root/);
      await check.rejectsMPI(comm.Allreduce(Float64Array.of(1), new Float64Array(1), MPI.BAND), MPI.ERR_OP, /MPI_BAND does not apply to MPI_DOUBLE/);
      await check.rejectsMPI(comm.Allreduce(Int32Array.of(1), new Int32Array(1), 'sum' as unknown as Op), MPI.ERR_OP, /expected an op/);
      // A function serves as the op of the value reductions only, as in mpi4py.
      await check.rejectsMPI(comm.Allreduce(Int32Array.of(1), new Int32Array(1), ((a: number) => a) as unknown as Op), MPI.ERR_OP,
        /expected an op such as MPI.SUM, got/);
      await check.rejectsMPI(comm.allreduce(1, 'sum' as never), MPI.ERR_OP, /expected an op such as MPI.SUM or a function of two values/);
      await check.rejectsMPI(comm.Allreduce(Float64Array.of(1, 2), new Float64Array(1), MPI.SUM), MPI.ERR_COUNT, /receive buffer/);
      await check.rejectsMPI(comm.Allreduce(Float64Array.of(1), new Float32Array(1), MPI.SUM), MPI.ERR_TYPE, /MPI_DOUBLE/);
      await check.rejectsMPI(comm.Allgather(new Int32Array(2), new Int32Array(2 * size + 1)), MPI.ERR_COUNT, /equal blocks|block of the receive buffer/);
      if (size > 1) {
        await check.rejectsMPI(comm.Reduce(MPI.IN_PLACE, new Float64Array(1), MPI.SUM, (rank + 1) % size), MPI.ERR_BUFFER, /IN_PLACE/);
        await check.rejectsMPI(comm.alltoall([1]), MPI.ERR_ARG, /array of/);
      }
      check.throwsMPI(() => comm.Ibcast(new Uint8Array(1), size + 3), MPI.ERR_ROOT, /invalid root/);
    },
  },
  {
    name: 'a pending Ibarrier does not hold up point-to-point on the same communicator',
    run: async (comm) => {
      const right = (rank + 1) % size;
      const left = (rank - 1 + size) % size;
      const barrier = comm.Ibarrier();
      const into = new Uint8Array(4);
      const send = comm.Isend(block(rank, 4), right, 1);
      await comm.Recv(into, left, 1);
      await send.Wait();
      await barrier.Wait();
      check.deepEqual(into, block(left, 4));
    },
  },
  {
    name: 'Alltoallv IN_PLACE with equal blocks',
    run: async (comm) => {
      const mark = (i: number, j: number): number[] => [(i * 50 + j * 5) & 0xff, (i * 50 + j * 5 + 1) & 0xff];
      const two = ranks.map(() => 2);
      const inPlace = Uint8Array.from(ranks.flatMap((j) => mark(rank, j)));
      await comm.Alltoallv(MPI.IN_PLACE, [inPlace, [two, packed(two)], MPI.BYTE]);
      check.deepEqual(Array.from(inPlace), ranks.flatMap((i) => mark(i, rank)));
    },
  },
  {
    name: 'a user op that throws fails the collective on every rank, and the next collective works',
    minRanks: 2,
    run: async (comm) => {
      const broken = MPI.Op.Create(() => {
        throw new Error('this op is broken');
      }, true);
      await check.rejects(comm.Allreduce(Float64Array.of(1), new Float64Array(1), broken), /this op is broken|threw on rank \d+/);
      const after = new Float64Array(1);
      await comm.Allreduce(Float64Array.of(2), after, MPI.SUM);
      check.equal(after[0], 2 * size);
    },
  },
  {
    name: 'a user op that throws in large reductions fails the call on every rank; the communicator stays usable',
    minRanks: 2,
    run: async (comm) => {
      const n = 1 << 15; // 256 KiB of doubles: past the eager limit, on the ring and pipelined paths
      // Which ranks apply the op depends on the algorithm: the op throws wherever it runs. Those ranks reject with
      // its own error, the others with an MPIError naming the call and a rank where it threw.
      const broken = MPI.Op.Create((_inv: Float64Array, _inout: Float64Array) => {
        throw new Error('this op is broken here');
      }, true);
      const input = Float64Array.from({ length: n }, (_, i) => i + rank);
      const expectFailure = async (promise: Promise<unknown>, call: string): Promise<void> => {
        await check.rejects(promise,
          new RegExp(`^Error: this op is broken here$|^MPIError: rank ${rank}: ${call}: the user-defined op .* threw on rank \\d+, so the result is undefined$`));
      };
      const counts = ranks.map(() => n / size | 0);
      const total = counts.reduce((a, b) => a + b, 0);
      for (const k of [0, 1]) {
        await expectFailure(comm.Allreduce(input, new Float64Array(n), broken), 'Comm.Allreduce');
        await expectFailure(comm.Reduce(input, rank === k ? new Float64Array(n) : null, broken, k), 'Comm.Reduce');
        await expectFailure(comm.Reduce_scatter(input.subarray(0, total), new Float64Array(counts[rank]!), counts, broken),
          'Comm.Reduce_scatter');
        await expectFailure(comm.Scan(input, new Float64Array(n), broken), 'Comm.Scan');
        await expectFailure(comm.Iallreduce(input, new Float64Array(n), broken).Wait(), 'Comm.Iallreduce');
        // the next collectives on the communicator see none of the failed calls' messages
        const out = new Float64Array(n);
        await comm.Allreduce(input, out, MPI.SUM);
        for (const i of [0, 1, n >> 1, n - 1]) check.equal(out[i], size * i + (size * (size - 1)) / 2, `Allreduce [${i}] after the failures`);
        check.equal(await comm.allreduce(rank + k), (size * (size - 1)) / 2 + size * k, 'allreduce after the failures');
      }
    },
  },
  {
    name: 'large reductions wait for a late rank with the event loop running; large Reduce, Allgatherv, Reduce_scatter, user op',
    run: async (comm) => {
      const n = 1 << 15; // 256 KiB of doubles: above every size threshold
      const rankSum = (size * (size - 1)) / 2;
      const input = (seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i + rank * seed);
      const expectSum = (out: Float64Array, seed: number, what: string, offset = 0): void => {
        for (const i of [0, 1, out.length >> 1, out.length - 1]) check.equal(out[i], size * (i + offset) + seed * rankSum, `${what} [${i}]`);
      };
      // Rank 0 joins only once every other rank has sent it a message from a timer that fires while that rank's
      // Allreduce waits: a wait that held the event loop would never let the timer run (the job would deadlock).
      const side = await comm.Dup();
      const out = new Float64Array(n);
      let ticked = false;
      if (rank !== 0) {
        setTimeout(() => {
          ticked = true;
          void side.send(rank, 0, 1);
        }, 1);
      } else {
        for (let r = 1; r < size; r++) check.equal(await side.recv(r, 1), r, 'a tick sent while the Allreduce waits');
      }
      await comm.Allreduce(input(1), out, MPI.SUM);
      if (rank !== 0) check.ok(ticked, 'the event loop ran a timer while rank 0 was late');
      side.Free();
      expectSum(out, 1, 'large Allreduce');
      const inPlace = input(2);
      await comm.Allreduce(MPI.IN_PLACE, inPlace, MPI.SUM);
      expectSum(inPlace, 2, 'large Allreduce IN_PLACE');
      const root = 1 % size;
      const atRoot = rank === root ? new Float64Array(n) : null;
      await comm.Reduce(input(3), atRoot, MPI.SUM, root);
      if (rank === root) expectSum(atRoot!, 3, 'large Reduce');
      const gathered = new Uint8Array(n * size);
      await comm.Allgatherv(block(rank, n), [gathered, [ranks.map(() => n), ranks.map((r) => r * n)], MPI.BYTE]);
      for (const r of ranks) check.deepEqual(gathered.subarray(r * n, (r + 1) * n), block(r, n), `large Allgatherv block ${r}`);
      const share = Math.floor(n / size);
      const scattered = new Float64Array(share);
      await comm.Reduce_scatter(input(4).subarray(0, share * size), scattered, ranks.map(() => share), MPI.SUM);
      expectSum(scattered, 4, 'large Reduce_scatter', rank * share);
      const maxAbs = MPI.Op.Create((invec: Float64Array, inout: Float64Array) => {
        for (let i = 0; i < invec.length; i++) if (Math.abs(invec[i]!) > Math.abs(inout[i]!)) inout[i] = invec[i]!;
      }, true);
      const signed = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1 : 1) * (i + rank));
      const best = new Float64Array(n);
      await comm.Allreduce(signed, best, maxAbs);
      for (const i of [0, 1, n - 1]) check.equal(best[i], (i % 2 === 0 ? -1 : 1) * (i + size - 1), `large user op [${i}]`);
      maxAbs.Free();
      // By reference on shm (MPI.alloc, 2 MiB: a reduce-scatter and an allgather at any number of ranks), with one
      // rank late: the others wait past their fast paths' spin, in either exchange.
      for (const late of [0, size - 1]) {
        const long = MPI.alloc(Float64Array, 1 << 18);
        for (let i = 0; i < long.length; i++) long[i] = i + rank * (5 + late);
        const longSum = MPI.alloc(Float64Array, long.length);
        if (rank === late) await new Promise((resolve) => setTimeout(resolve, 30));
        await (late === 0 ? comm.Allreduce(long, longSum, MPI.SUM) : comm.Allreduce(MPI.IN_PLACE, long, MPI.SUM));
        expectSum(late === 0 ? longSum : long, 5 + late, `Allreduce of MPI.alloc memory, rank ${late} late`);
      }
    },
  },
  {
    name: 'collectives in flight together, small and large, on one communicator and on two in opposite orders',
    run: async (comm) => {
      const n = 1 << 15;
      const rankSum = (size * (size - 1)) / 2;
      const input = (seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i + rank * seed);
      const expectSum = (out: Float64Array, seed: number, what: string): void => {
        for (const i of [0, 1, n >> 1, n - 1]) check.equal(out[i], size * i + seed * rankSum, `${what} [${i}]`);
      };
      // Several at once on one communicator: they match in call order.
      const [x, y] = [new Float64Array(n), new Float64Array(n)];
      const small = rank === 0 ? block(0, 100) : new Uint8Array(100);
      await Promise.all([comm.Allreduce(input(6), x, MPI.SUM), comm.Bcast(small, 0), comm.Allreduce(input(7), y, MPI.SUM)]);
      expectSum(x, 6, 'first of three');
      expectSum(y, 7, 'third of three');
      check.deepEqual(small, block(0, 100));
      // Two communicators, called in opposite orders on even and odd ranks: neither may wait for the other.
      const other = await comm.Dup();
      for (let round = 0; round < 10; round++) {
        const onComm = new Float64Array(n);
        const onOther = new Float64Array(n);
        const first = (): Promise<void> => comm.Allreduce(input(8), onComm, MPI.SUM);
        const second = (): Promise<void> => other.Allreduce(input(9), onOther, MPI.SUM);
        await Promise.all(rank % 2 === 0 ? [first(), second()] : [second(), first()]);
        expectSum(onComm, 8, `comm, crossed, round ${round}`);
        expectSum(onOther, 9, `other, crossed, round ${round}`);
      }
      // A Split of one communicator while a large collective runs on the other, crossed too.
      const later = new Float64Array(n);
      const reduce = (): Promise<unknown> => comm.Allreduce(input(10), later, MPI.SUM);
      const split = (): Promise<unknown> => other.Split(0, rank).then((c) => c?.Free());
      await Promise.all(rank % 2 === 0 ? [reduce(), split()] : [split(), reduce()]);
      expectSum(later, 10, 'comm, crossed with a Split');
      other.Free();
    },
  },
];

await runCases('collectives', cases);
