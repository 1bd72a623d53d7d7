/**
 * Conformance chapter: one-sided communication (MPI-4.1 chapter 12): window
 * creation and attributes, fence epochs, post-start-complete-wait, passive
 * target (locks, a counter every rank hits 10,000 times, a mutex built on
 * Compare_and_swap), shared windows loaded and stored directly, every
 * predefined op with Accumulate, REPLACE and NO_OP, accumulate ordering, the
 * request-based calls, and misuse (ERR_RMA_RANGE, ERR_RMA_SYNC, ERR_WIN, ...).
 * An SPMD program for 1 or more ranks on any transport; see cases.ts for how
 * cases run and report.
 *
 * @module
 */
import { type Intracomm, MPI } from 'mpi4ts';
import { type Case, check, runCases, sleep } from './cases.js';

const onShm = MPI.Get_library_version().includes('shm transport');

/** Rank `r`'s group for PSCW: the given comm ranks as a group of `comm`. */
function groupOf(comm: Intracomm, ranks: number[]) {
  return comm.Get_group().Incl(ranks);
}

const cases: Case[] = [
  {
    name: 'Allocate and Create: attributes, memory, names, group, Free',
    run: async (comm) => {
      const win = await MPI.Win.Allocate(8 * (comm.rank + 1), 8, null, comm);
      check.equal(win.size, 8 * (comm.rank + 1));
      check.equal(win.disp_unit, 8);
      check.equal(win.flavor, MPI.WIN_FLAVOR_ALLOCATE);
      // One copy of the memory on shm; the mpi transport reports the stricter model for windows that are not shared.
      check.equal(win.model, onShm ? MPI.WIN_UNIFIED : MPI.WIN_SEPARATE);
      check.equal(win.Get_attr(MPI.WIN_MODEL), win.model);
      check.equal(win.base.byteLength, win.size);
      win.base[0] = 7;
      check.equal(win.tomemory()[0], 7, 'base is the window memory');
      win.base[0] = 0;
      const [attrBase, attrSize, attrUnit] = win.attrs;
      check.deepEqual([attrBase.byteLength, attrSize, attrUnit], [win.size, win.size, 8], 'attrs');
      check.equal(win.tomemory().byteLength, 8 * (comm.rank + 1));
      check.ok(win.tomemory().every((b) => b === 0), 'Allocate gives zeroed memory');
      check.equal(win.Get_attr(MPI.WIN_SIZE), win.size);
      check.equal(win.Get_attr(MPI.WIN_CREATE_FLAVOR), MPI.WIN_FLAVOR_ALLOCATE);
      check.equal(win.Get_group().size, comm.size);
      check.equal(win.Get_group().rank, comm.rank);
      win.Set_name('counters');
      check.equal(win.Get_name(), 'counters');
      await win.Free();
      check.ok(win.freed);
      check.throwsMPI(() => win.tomemory(), MPI.ERR_WIN, /Win\.tomemory: counters has been freed/);
      await check.rejectsMPI(win.Fence(), MPI.ERR_WIN, /Win\.Fence/);

      const memory = MPI.alloc(Int32Array, 4);
      memory.fill(comm.rank);
      const created = await MPI.Win.Create(memory, 4, null, comm);
      check.equal(created.flavor, MPI.WIN_FLAVOR_CREATE);
      check.equal(created.size, 16);
      const view = created.tomemory();
      check.equal(new Int32Array(view.buffer, view.byteOffset, 4)[3], comm.rank);
      await created.Free();
      const self = await MPI.Win.Allocate(4);
      check.equal(self.Get_group().size, 1);
      await self.Free();
    },
  },
  {
    name: 'Fence epochs: Put and Get between fences, every rank to every rank',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(4 * Math.max(size, 2), 4, null, comm);
      const mine = new Int32Array(win.tomemory().buffer, win.tomemory().byteOffset, Math.max(size, 2));
      await win.Fence();
      for (let t = 0; t < size; t++) win.Put(Int32Array.of(100 * rank + t), t, rank);
      await win.Fence();
      check.deepEqual(Array.from(mine.subarray(0, size)), Array.from({ length: size }, (_, r) => 100 * r + rank));
      const got = new Int32Array(size);
      const right = (rank + 1) % size;
      win.Get(got, right, [0, size, MPI.INT]);
      await win.Fence();
      check.deepEqual(Array.from(got), Array.from({ length: size }, (_, r) => 100 * r + right));
      // A second epoch overwrites; MODE_NOSUCCEED closes the last one.
      win.Put([Int32Array.of(-1, -2), 2, MPI.INT], right, 0);
      await win.Fence(MPI.MODE_NOSUCCEED);
      check.equal(mine[0], -1);
      check.equal(mine[1], -2);
      check.throwsMPI(() => win.Put(Int32Array.of(1), right), MPI.ERR_RMA_SYNC, /no access epoch/);
      await win.Free();
    },
  },
  {
    name: 'Accumulate with every predefined op, REPLACE and NO_OP; Get_accumulate returns what was there',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(8 * 16, 4, null, comm);
      const bytes = win.tomemory();
      const ints = new Int32Array(bytes.buffer, bytes.byteOffset, 32);
      const doubles = new Float64Array(bytes.buffer, bytes.byteOffset, 16);
      if (rank === 0) {
        ints.set([0, 1, 100, 100, -1, 0, 0, 1, 0, 0]); // SUM PROD MAX MIN BAND BOR BXOR LAND LOR LXOR
      }
      await win.Fence();
      const v = rank + 1;
      const ops = [MPI.SUM, MPI.PROD, MPI.MAX, MPI.MIN, MPI.BAND, MPI.BOR, MPI.BXOR, MPI.LAND, MPI.LOR, MPI.LXOR];
      const values = [v, v, v * 50, v * 50, ~(1 << rank), 1 << rank, 1 << rank, 1, rank === 0 ? 1 : 0, 1];
      ops.forEach((op, i) => win.Accumulate(Int32Array.of(values[i]!), 0, [i, 1, MPI.INT], op));
      win.Accumulate(Float64Array.of(0.5), 0, [16, 1, MPI.DOUBLE], MPI.SUM);   // doubles[8]: ints 16 and 17
      win.Accumulate(Float64Array.of(v * 1.5), 0, [18, 1, MPI.DOUBLE], MPI.MAX);
      await win.Fence();
      if (rank === 0) {
        let product = 1;
        let all = -1;
        let any = 0;
        for (let r = 0; r < size; r++) {
          product *= r + 1;
          all &= ~(1 << r);
          any |= 1 << r;
        }
        check.deepEqual(Array.from(ints.subarray(0, 10)), [
          size * (size + 1) / 2, product, Math.max(100, size * 50), 50, all, any, any, 1, 1, size % 2,
        ]);
        check.equal(doubles[8], 0.5 * size);
        check.equal(doubles[9], size * 1.5);
      }
      // REPLACE from one rank, NO_OP reads.
      if (rank === size - 1) win.Accumulate(Int32Array.of(42, 43), 0, [20, 2, MPI.INT], MPI.REPLACE);
      await win.Fence();
      const before = new Int32Array(2);
      win.Get_accumulate(null, before, 0, [20, 2, MPI.INT], MPI.NO_OP);
      await win.Fence();
      check.deepEqual(Array.from(before), [42, 43]);
      // Get_accumulate: the values seen before each SUM are distinct partial sums.
      const seen = new Int32Array(1);
      win.Get_accumulate(Int32Array.of(1), seen, 0, [24, 1, MPI.INT], MPI.SUM);
      await win.Fence();
      const all = await comm.allgather(seen[0]);
      check.deepEqual(all.slice().sort((a, b) => a - b), Array.from({ length: size }, (_, r) => r));
      // A bigint counter and an op that does not apply.
      const big = new BigInt64Array(1);
      win.Fetch_and_op(BigInt64Array.of(2n), big, 0, 26);
      check.throwsMPI(() => win.Accumulate(Float64Array.of(1), 0, [0, 1, MPI.DOUBLE], MPI.BAND), MPI.ERR_OP, /MPI_BAND/);
      const concat = MPI.Op.Create((a: Int32Array, b: Int32Array) => b.set(a), true);
      check.throwsMPI(() => win.Accumulate(Int32Array.of(1), 0, 0, concat), MPI.ERR_OP, /predefined ops only/);
      await win.Fence();
      if (rank === 0) check.equal(new BigInt64Array(bytes.buffer, bytes.byteOffset, 16)[13], 2n * BigInt(size));
      await win.Free();
    },
  },
  {
    name: 'post-start-complete-wait: rank 0 exposes, the others put; Test ends the exposure',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(4 * size, 4, null, comm);
      const mine = new Int32Array(win.tomemory().buffer, win.tomemory().byteOffset, size);
      const others = Array.from({ length: size - 1 }, (_, i) => i + 1);
      for (let round = 1; round <= 3; round++) {
        if (rank === 0) {
          await win.Post(groupOf(comm, others));
          if (round === 2) {
            while (!win.Test()) await sleep(1);
          } else {
            await win.Wait();
          }
          check.deepEqual(Array.from(mine.subarray(1)), others.map((r) => r * 10 + round));
        } else {
          await win.Start(groupOf(comm, [0]));
          check.throwsMPI(() => win.Put(Int32Array.of(1), size > 2 ? (rank % (size - 1)) + 1 : 1), MPI.ERR_RMA_SYNC);
          win.Put(Int32Array.of(rank * 10 + round), 0, rank);
          await win.Complete();
        }
      }
      await check.rejectsMPI(win.Complete(), MPI.ERR_RMA_SYNC, /Win\.Complete: no access epoch/);
      await check.rejectsMPI(win.Wait(), MPI.ERR_RMA_SYNC, /Win\.Wait/);
      await win.Free();
    },
  },
  {
    name: 'Fetch_and_op on one element: SUM, REPLACE, NO_OP, MAX and a null origin on INT, LONG and SHORT at offsets; Flush errors',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(32, 1, null, comm);
      await win.Lock_all();
      const right = (rank + 1) % size;
      await win.Flush(MPI.PROC_NULL);
      await check.rejectsMPI(win.Flush(size), MPI.ERR_RANK, /Win\.Flush: invalid rank/);
      await check.rejectsMPI(win.Flush_local(-1), MPI.ERR_RANK, /Win\.Flush_local: invalid rank/);
      await comm.Barrier();
      // Each rank works on its right neighbour's window: INT at byte 4, LONG at byte 8, SHORT at byte 18.
      const i32 = new Int32Array(1);
      win.Fetch_and_op(Int32Array.of(5), i32, right, 4, MPI.SUM);
      await win.Flush(right);
      check.equal(i32[0], 0, 'SUM on INT fetched the old value');
      win.Fetch_and_op(Int32Array.of(-7), i32, right, 4, MPI.REPLACE);
      await win.Flush(right);
      check.equal(i32[0], 5, 'REPLACE fetched the sum');
      win.Fetch_and_op(null, i32, right, 4, MPI.NO_OP);
      await win.Flush(right);
      check.equal(i32[0], -7, 'NO_OP with a null origin reads');
      win.Fetch_and_op(Int32Array.of(3), i32, right, 4, MPI.MAX);
      win.Fetch_and_op(Int32Array.of(0), i32, right, 4, MPI.NO_OP);
      await win.Flush(right);
      check.equal(i32[0], 3, 'MAX (not one Atomics op) took the larger');
      const i64 = new BigInt64Array(1);
      win.Fetch_and_op(BigInt64Array.of(-(2n ** 40n)), i64, right, 8, MPI.SUM);
      win.Fetch_and_op(BigInt64Array.of(1n), i64, right, 8, MPI.SUM);
      await win.Flush(right);
      check.equal(i64[0], -(2n ** 40n), 'SUM on LONG at byte 8');
      const i16 = new Int16Array(1);
      win.Fetch_and_op(Int16Array.of(32767), i16, right, 18, MPI.SUM);
      win.Fetch_and_op(Int16Array.of(1), i16, right, 18, MPI.SUM);
      win.Fetch_and_op(Int16Array.of(0), i16, right, 18, MPI.NO_OP);
      await win.Flush(right);
      check.equal(i16[0], -32768, 'SUM on SHORT wraps as a C short does');
      check.throwsMPI(() => win.Fetch_and_op(Int32Array.of(1), i32, right, 30, MPI.SUM), MPI.ERR_RMA_RANGE, /Win\.Fetch_and_op/);
      await win.Unlock_all();
      await comm.Barrier();
      const mine = new DataView(win.tomemory().buffer, win.tomemory().byteOffset, 32);
      check.equal(mine.getInt32(4, true), 3);
      check.equal(mine.getBigInt64(8, true), -(2n ** 40n) + 1n);
      check.equal(mine.getInt16(18, true), -32768);
      await win.Free();
      await check.rejectsMPI(win.Flush(0), MPI.ERR_WIN, /Win\.Flush/);
    },
  },
  {
    name: 'passive target: a counter at rank 0 hit 10,000 times by every rank with Fetch_and_op',
    run: async (comm) => {
      const { rank, size } = comm;
      const hits = 10_000;
      const win = await MPI.Win.Allocate(rank === 0 ? 8 : 0, 8, null, comm);
      const one = BigInt64Array.of(1n);
      const got = new BigInt64Array(1);
      const seen = new Float64Array(hits);
      await win.Lock_all();
      for (let i = 0; i < hits; i++) {
        win.Fetch_and_op(one, got, 0, 0, MPI.SUM);
        await win.Flush(0);
        seen[i] = Number(got[0]);
      }
      await win.Unlock_all();
      await comm.Barrier();
      const total = new BigInt64Array(1);
      await win.Lock(0, MPI.LOCK_SHARED);
      win.Get(total, 0, 0);
      await win.Unlock(0);
      check.equal(total[0], BigInt(size * hits));
      // Every value was fetched exactly once, each rank's in increasing order.
      for (let i = 1; i < hits; i++) if (!(seen[i]! > seen[i - 1]!)) check.ok(false, `fetched ${seen[i]} after ${seen[i - 1]}`);
      const all = new Float64Array(size * hits);
      await comm.Allgather(seen, all);
      all.sort();
      let exact = true;
      for (let i = 0; i < all.length; i++) if (all[i] !== i) exact = false;
      check.ok(exact, 'every counter value was fetched once');
      await win.Free();
    },
  },
  {
    name: 'a mutex built on Compare_and_swap guards a read-modify-write of plain Get and Put',
    run: async (comm) => {
      const { rank, size } = comm;
      const rounds = 20;
      const win = await MPI.Win.Allocate(rank === 0 ? 8 : 0, 4, null, comm);  // [lock word, counter]
      const old = new Int32Array(1);
      const value = new Int32Array(1);
      await win.Lock_all();
      for (let i = 0; i < rounds; i++) {
        for (;;) {
          win.Compare_and_swap(Int32Array.of(rank + 1), Int32Array.of(0), old, 0, 0);
          await win.Flush(0);
          if (old[0] === 0) break;
          await sleep(1);
        }
        win.Get(value, 0, 1);
        await win.Flush(0);
        win.Put(Int32Array.of(value[0]! + 1), 0, 1);
        await win.Flush(0);
        win.Compare_and_swap(Int32Array.of(0), Int32Array.of(rank + 1), old, 0, 0);
        await win.Flush(0);
        check.equal(old[0], rank + 1, 'the lock word held this rank');
      }
      await win.Unlock_all();
      await comm.Barrier();
      await win.Lock(0);
      win.Get(value, 0, 1);
      await win.Unlock(0);
      check.equal(value[0], rounds * size);
      await win.Free();
    },
  },
  {
    name: 'exclusive locks: each rank increments every target under Lock/Unlock; shared locks read',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(8, 8, null, comm);
      const value = new Float64Array(1);
      for (let i = 0; i < 5; i++) {
        for (let t = 0; t < size; t++) {
          await win.Lock(t, MPI.LOCK_EXCLUSIVE);
          win.Get(value, t);
          await win.Flush(t);
          win.Put(Float64Array.of(value[0]! + rank + 1), t);
          await win.Unlock(t);
        }
      }
      await comm.Barrier();
      const read = new Float64Array(1);
      await win.Lock((rank + 1) % size, MPI.LOCK_SHARED);
      win.Get(read, (rank + 1) % size);
      await win.Unlock((rank + 1) % size);
      check.equal(read[0], 5 * size * (size + 1) / 2);
      await win.Free();
    },
  },
  {
    name: 'passive target progress: rank 0 locks, puts and unlocks at rank 1 while rank 1 awaits a Barrier',
    minRanks: 2,
    run: async (comm) => {
      const win = await MPI.Win.Allocate(4 * 256, 4, null, comm);
      if (comm.rank === 0) {
        const data = Int32Array.from({ length: 256 }, (_, i) => i * 3);
        await win.Lock(1);
        win.Put(data, 1);
        await win.Unlock(1);
      }
      await comm.Barrier();
      if (comm.rank === 1) {
        await win.Lock(1);
        const mine = new Int32Array(win.tomemory().buffer, win.tomemory().byteOffset, 256);
        check.equal(mine[255], 255 * 3);
        check.equal(mine[7], 21);
        await win.Unlock(1);
      }
      await win.Free();
    },
  },
  {
    name: 'accumulate ordering: REPLACEs from one origin to one place arrive in order; NO_OP sees the last',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(8 * size, 8, null, comm);
      const target = (rank + 1) % size;
      await win.Lock(target, MPI.LOCK_SHARED);
      for (let i = 1; i <= 200; i++) win.Accumulate(BigInt64Array.of(BigInt(i)), target, rank, MPI.REPLACE);
      const last = new BigInt64Array(1);
      win.Get_accumulate(null, last, target, rank, MPI.NO_OP);
      await win.Unlock(target);
      check.equal(last[0], 200n);
      await win.Free();
    },
  },
  {
    name: 'Flush_local_all, Flush_all and Flush_local in Lock_all: every rank puts into every rank and reads it back',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(4 * size, 4, null, comm);
      await win.Lock_all();
      const mine = Int32Array.of(rank + 1);
      for (let target = 0; target < size; target++) win.Put(mine, target, rank);
      await win.Flush_local_all();
      mine[0] = -1; // the origin may be reused once the puts are complete locally
      await win.Flush_all();
      await comm.Barrier();
      const expected = Array.from({ length: size }, (_, r) => r + 1);
      for (let target = 0; target < size; target++) {
        const all = new Int32Array(size);
        win.Get(all, target);
        await win.Flush_local(target);
        check.deepEqual(Array.from(all), expected, `rank ${target}'s window`);
      }
      await win.Unlock_all();
      await comm.Barrier();
      await win.Free();
    },
  },
  {
    name: 'MAXLOC and MINLOC accumulates on 2INT and DOUBLE_INT pairs, ties to the smaller index',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(64, 1, null, comm);
      const memory = win.tomemory();
      const target = new DataView(memory.buffer, memory.byteOffset, 64);
      if (rank === 0) {
        target.setInt32(0, -1000, true); // 2INT for MAXLOC at byte 0
        target.setInt32(8, 1000, true); // 2INT for MINLOC at byte 8
        target.setFloat64(16, -1e9, true); // DOUBLE_INT for MAXLOC at byte 16
        target.setInt32(24, -1, true);
      }
      await win.Fence();
      // Values 0, 1, 2, 0, 1, 2, ...: the largest and smallest are held by several ranks.
      const value = rank % 3;
      const pair = Int32Array.of(value, rank);
      win.Accumulate([pair, MPI.TWOINT], 0, [0, 1, MPI.TWOINT], MPI.MAXLOC);
      win.Accumulate([pair, MPI.TWOINT], 0, [8, 1, MPI.TWOINT], MPI.MINLOC);
      const real = new Float64Array(2);
      real[0] = value + 0.5;
      new Int32Array(real.buffer)[2] = rank;
      win.Accumulate([real, MPI.DOUBLE_INT], 0, [16, 1, MPI.DOUBLE_INT], MPI.MAXLOC);
      await win.Fence();
      if (rank === 0) {
        const values = Array.from({ length: size }, (_, r) => r % 3);
        const max = Math.max(...values);
        const min = Math.min(...values);
        check.deepEqual([target.getInt32(0, true), target.getInt32(4, true)], [max, values.indexOf(max)], 'MAXLOC on 2INT');
        check.deepEqual([target.getInt32(8, true), target.getInt32(12, true)], [min, values.indexOf(min)], 'MINLOC on 2INT');
        check.deepEqual([target.getFloat64(16, true), target.getInt32(24, true)], [max + 0.5, values.indexOf(max)],
          'MAXLOC on DOUBLE_INT');
      }
      await win.Free();
    },
  },
  {
    name: 'Allocate_shared: every rank loads and stores every segment directly',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate_shared(rank === 0 ? 0 : 16, 8, null, comm);
      check.equal(win.flavor, MPI.WIN_FLAVOR_SHARED);
      check.equal(win.model, MPI.WIN_UNIFIED);
      const [own] = win.Shared_query(rank);
      check.equal(own.byteLength, rank === 0 ? 0 : 16);
      await win.Lock_all();
      if (rank > 0) new Float64Array(own.buffer, own.byteOffset, 2).set([rank, rank * 0.5]);
      win.Sync();
      await comm.Barrier();
      win.Sync();
      for (let r = 1; r < size; r++) {
        const [segment, unit] = win.Shared_query(r);
        check.equal(unit, 8);
        check.deepEqual(Array.from(new Float64Array(segment.buffer, segment.byteOffset, 2)), [r, r * 0.5]);
      }
      await win.Unlock_all();
      const plain = await MPI.Win.Allocate(8, 1, null, comm);
      check.throwsMPI(() => plain.Shared_query(0), MPI.ERR_RMA_FLAVOR, /Win\.Shared_query/);
      await plain.Free();
      await win.Free();
    },
  },
  {
    name: 'request-based calls: Rput, Rget, Raccumulate, Rget_accumulate in a Lock_all epoch',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(4 * 2 * size, 4, null, comm);
      const target = (rank + 1) % size;
      await win.Lock_all();
      await win.Rput(Int32Array.of(rank), target, rank).Wait();
      await win.Raccumulate(Int32Array.of(5), target, size + rank, MPI.SUM).Wait();
      await win.Flush(target);
      const got = new Int32Array(1);
      await win.Rget(got, target, rank).Wait();
      check.equal(got[0], rank);
      const before = new Int32Array(1);
      await win.Rget_accumulate(Int32Array.of(1), before, target, size + rank, MPI.SUM).Wait();
      check.equal(before[0], 5);
      await win.Unlock_all();
      check.throwsMPI(() => win.Rput(Int32Array.of(1), target), MPI.ERR_RMA_SYNC,
        /Win\.Rput: request-based calls need a passive-target epoch/);
      await win.Free();
    },
  },
  {
    name: 'request-based calls that complete later: 1 MiB Rput and Rget, Waitall, a strided origin, Test until done',
    run: async (comm) => {
      const { rank, size } = comm;
      const n = 1 << 18;
      const win = await MPI.Win.Allocate(4 * n, 4, null, comm);
      const target = (rank + 1) % size;
      const source = (rank + size - 1) % size;
      await win.Lock_all();
      const halves = [win.Rput(Int32Array.from({ length: n / 2 }, (_, i) => i ^ rank), target),
        win.Rput(Int32Array.from({ length: n / 2 }, (_, i) => (i + n / 2) ^ rank), target, n / 2)];
      await MPI.Request.Waitall(halves);
      await win.Flush(target);
      await comm.Barrier();
      const got = new Int32Array(n);
      const request = win.Rget(got, target);
      while (!request.Test()) await sleep(0);
      check.ok(got.every((v, i) => v === (i ^ rank)), 'Rget reads what this rank put');
      const mine = new Int32Array(win.tomemory().buffer, win.tomemory().byteOffset, n);
      // (Its last two elements take the left neighbour's accumulates below, maybe already.)
      check.ok(mine.subarray(0, n - 2).every((v, i) => v === (i ^ source)), 'the window holds what the left neighbour put');
      const column = MPI.INT.Create_vector(3, 1, 3).Commit();
      const strided = new Int32Array(9).fill(-1);
      await win.Rget([strided, 1, column], target, [6, 3, MPI.INT]).Wait();
      check.deepEqual(Array.from(strided), [6 ^ rank, -1, -1, 7 ^ rank, -1, -1, 8 ^ rank, -1, -1]);
      const before = new Int32Array(2);
      await MPI.Request.Waitall([win.Rget_accumulate(Int32Array.of(1, 1), before, target, [n - 2, 2, MPI.INT], MPI.SUM),
        win.Raccumulate(Int32Array.of(10, 10), target, [n - 2, 2, MPI.INT], MPI.SUM)]);
      check.deepEqual(Array.from(before), [(n - 2) ^ rank, (n - 1) ^ rank]);
      await win.Unlock_all();
      await comm.Barrier();
      check.deepEqual([mine[n - 2], mine[n - 1]], [((n - 2) ^ source) + 11, ((n - 1) ^ source) + 11]);
      column.Free();
      await win.Free();
    },
  },
  {
    name: 'dynamic windows: memory attached, addresses exchanged with allgather, Put/Get/Accumulate, Detach',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Create_dynamic(null, comm);
      check.equal(win.flavor, MPI.WIN_FLAVOR_DYNAMIC);
      check.equal(win.size, 0);
      check.equal(MPI.Get_address(win.tomemory()), 0);
      const first = MPI.alloc(Int32Array, size);
      const second = MPI.alloc(Float64Array, 2).fill(0); // (MPI.alloc memory may hold old data)
      first.fill(0);
      win.Attach(first);
      win.Attach(second);
      check.equal(MPI.Aint_diff(MPI.Get_address(first.subarray(1)), MPI.Get_address(first)), 4);
      // As an MPI program does: every rank's addresses to every rank, then the addresses as displacements.
      const addresses = await comm.allgather([MPI.Get_address(first), MPI.Get_address(second)]);
      const right = (rank + 1) % size;
      await win.Fence();
      for (let t = 0; t < size; t++) win.Put(Int32Array.of(100 * rank + t), t, [addresses[t]![0]! + 4 * rank, 1, MPI.INT]);
      win.Accumulate(Float64Array.of(1.5), right, [addresses[right]![1]! + 8, 1, MPI.DOUBLE], MPI.SUM);
      await win.Fence(MPI.MODE_NOSUCCEED);
      check.deepEqual(Array.from(first), Array.from({ length: size }, (_, r) => 100 * r + rank));
      check.deepEqual(Array.from(second), [0, 1.5]);
      const got = new Int32Array(size);
      await win.Lock(right, MPI.LOCK_SHARED);
      win.Get(got, right, addresses[right]![0]);
      await win.Unlock(right);
      check.deepEqual(Array.from(got), Array.from({ length: size }, (_, r) => 100 * r + right));
      await win.Lock_all();
      check.throwsMPI(() => win.Put(new Int32Array(size + 1), right, addresses[right]![0]), MPI.ERR_RMA_RANGE,
        new RegExp(`Win\\.Put: ${4 * size + 4} bytes at address \\d+ are not in memory rank ${right} attached to its dynamic window`));
      await win.Unlock_all();
      check.throwsMPI(() => win.Attach(first.subarray(0, 1)), MPI.ERR_RMA_ATTACH, /Win\.Attach: 4 bytes at address \d+ overlap/);
      await comm.Barrier();
      win.Detach(second);
      check.throwsMPI(() => win.Detach(second), MPI.ERR_RMA_ATTACH, /Win\.Detach: no memory at address \d+ is attached/);
      await comm.Barrier();
      // A later epoch knows of the detach.
      await win.Lock_all();
      check.throwsMPI(() => win.Get(new Float64Array(1), right, addresses[right]![1]), MPI.ERR_RMA_RANGE, /Win\.Get: 8 bytes/);
      win.Put(Int32Array.of(-7), right, [addresses[right]![0], 1, MPI.INT]);
      await win.Flush(right);
      await win.Unlock_all();
      await comm.Barrier();
      check.equal(first[0], -7);
      win.Detach(first);
      await win.Free();
      const plain = await MPI.Win.Allocate(8, 1, null, comm);
      check.throwsMPI(() => plain.Attach(first), MPI.ERR_RMA_FLAVOR, /Win\.Attach: only windows from Win\.Create_dynamic/);
      await plain.Free();
    },
  },
  {
    name: 'derived datatypes at the origin and the target of Put, Get, Accumulate and Get_accumulate',
    run: async (comm) => {
      const { rank, size } = comm;
      const right = (rank + 1) % size;
      const left = (rank + size - 1) % size;
      const win = await MPI.Win.Allocate(4 * 16, 4, null, comm);
      const mem = new Int32Array(win.tomemory().buffer, win.tomemory().byteOffset, 16);
      const column = MPI.INT.Create_vector(4, 1, 4).Commit(); // ints 0, 4, 8, 12
      const scattered = MPI.INT.Create_indexed([2, 1], [1, 6]).Commit(); // ints 1, 2, 6
      const everyOther = MPI.INT.Create_vector(4, 1, 2).Commit(); // ints 0, 2, 4, 6
      await win.Fence();
      win.Put(Int32Array.of(10 * rank + 1, 10 * rank + 2, 10 * rank + 3, 10 * rank + 4), right, [0, 1, column]);
      await win.Fence();
      check.deepEqual([mem[0], mem[4], mem[8], mem[12]], [1, 2, 3, 4].map((k) => 10 * left + k));
      check.deepEqual([mem[1], mem[5], mem[13]], [0, 0, 0], 'a strided Put leaves the gaps alone');
      await comm.Barrier(); // every rank has looked before the next epoch changes its memory
      const got = new Int32Array(16).fill(-1);
      win.Get([got, 1, column], right, [0, 1, column]);
      win.Accumulate([Int32Array.of(5, 6, 7), 3, MPI.INT], right, [0, 1, scattered], MPI.SUM);
      await win.Fence();
      check.deepEqual([got[0], got[4], got[8], got[12]], [1, 2, 3, 4].map((k) => 10 * rank + k));
      check.equal(got.filter((v) => v === -1).length, 12, 'a strided Get leaves the gaps of the origin alone');
      check.deepEqual([mem[1], mem[2], mem[6]], [5, 6, 7]);
      const before = new Int32Array(8).fill(-1);
      win.Get_accumulate(Int32Array.of(100, 100, 100, 100), [before, 1, everyOther], right, [0, 1, column], MPI.SUM);
      await win.Fence();
      check.deepEqual(Array.from(before), [1, -1, 2, -1, 3, -1, 4, -1].map((v) => v < 0 ? v : v + 10 * rank));
      check.deepEqual([mem[0], mem[4], mem[8], mem[12]], [1, 2, 3, 4].map((k) => 10 * left + k + 100));
      // Misuse: past the window, mixed basic types in an accumulate, an uncommitted type.
      check.throwsMPI(() => win.Put(new Int32Array(8), right, [0, 2, column]), MPI.ERR_RMA_RANGE,
        /Win\.Put: 104 bytes at byte 0 of rank \d+'s window do not fit its 64 bytes/);
      const mixed = MPI.Datatype.Create_struct([1, 1], [0, 4], [MPI.INT, MPI.FLOAT]).Commit();
      check.throwsMPI(() => win.Accumulate(new Int32Array(2), right, [0, 1, mixed]), MPI.ERR_TYPE,
        /Win\.Accumulate: the target datatype .* is not made of the origin's MPI_INT alone/);
      const loose = MPI.INT.Create_contiguous(2);
      check.throwsMPI(() => win.Put(new Int32Array(2), right, [0, 1, loose]), MPI.ERR_TYPE, /Win\.Put: .*not committed/);
      await win.Fence(MPI.MODE_NOSUCCEED);
      for (const t of [column, scattered, everyOther, mixed, loose]) t.Free();
      await win.Free();
    },
  },
  {
    name: 'errors: ERR_RMA_RANGE, ERR_RMA_SYNC, ERR_RANK, ERR_LOCKTYPE, ERR_TYPE, ERR_COUNT, ERR_DISP',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(16, 4, null, comm);
      check.throwsMPI(() => win.Put(Int32Array.of(1), 0), MPI.ERR_RMA_SYNC, /Win\.Put: no access epoch to rank 0/);
      await check.rejectsMPI(win.Unlock(0), MPI.ERR_RMA_SYNC, /Win\.Unlock: rank 0 is not locked/);
      await check.rejectsMPI(win.Unlock_all(), MPI.ERR_RMA_SYNC, /Win\.Unlock_all/);
      await check.rejectsMPI(win.Flush(0), MPI.ERR_RMA_SYNC, /Win\.Flush/);
      await check.rejectsMPI(win.Lock(0, 99), MPI.ERR_LOCKTYPE, /invalid lock type 99/);
      await check.rejectsMPI(win.Lock(size), MPI.ERR_RANK, /Win\.Lock: invalid rank/);
      await win.Lock(rank);
      await check.rejectsMPI(win.Lock(rank), MPI.ERR_RMA_SYNC, /already locked/);
      check.throwsMPI(() => win.Put(new Int32Array(5), rank), MPI.ERR_RMA_RANGE,
        /Win\.Put: 20 bytes at byte 0 of rank \d+'s window do not fit its 16 bytes/);
      check.throwsMPI(() => win.Get(new Int32Array(1), rank, 4), MPI.ERR_RMA_RANGE, /at byte 16/);
      check.throwsMPI(() => win.Put(new Int32Array(2), rank, [0, 3, MPI.INT]), MPI.ERR_COUNT, /8 bytes/);
      check.throwsMPI(() => win.Put(new Int32Array(1), rank, -1), MPI.ERR_DISP, /displacement -1/);
      check.throwsMPI(() => win.Accumulate(Int32Array.of(1), rank, [0, 1, MPI.FLOAT]), MPI.ERR_TYPE, /MPI_FLOAT/);
      check.throwsMPI(() => win.Compare_and_swap(Float64Array.of(1), Float64Array.of(0), new Float64Array(1), rank),
        MPI.ERR_TYPE, /cannot be compared and swapped/);
      check.throwsMPI(() => win.Compare_and_swap(Int32Array.of(1), Float32Array.of(0), new Int32Array(1), rank),
        MPI.ERR_TYPE, /one datatype: got MPI_INT, MPI_FLOAT and MPI_INT/);
      win.Put(Int32Array.of(9), MPI.PROC_NULL);
      await check.rejectsMPI(win.Fence(), MPI.ERR_RMA_SYNC, /Win\.Fence/);
      await check.rejectsMPI(win.Free(), MPI.ERR_RMA_SYNC, /Win\.Free/);
      await win.Unlock(rank);
      // The same inside Lock_all, where Put, Get and Flush take their quickest path: what it refuses, the full checks
      // report; what it takes lands where it should (the last slot, at displacement 3).
      await win.Lock_all();
      const next = (rank + 1) % size;
      check.throwsMPI(() => win.Put(new Int32Array(2), next, 3), MPI.ERR_RMA_RANGE, /8 bytes at byte 12 of rank \d+'s window/);
      check.throwsMPI(() => win.Get(new Int32Array(1), next, 1.5), MPI.ERR_DISP, /displacement 1\.5/);
      check.throwsMPI(() => win.Put(new Int32Array(1), size), MPI.ERR_RANK, /Win\.Put: invalid rank/);
      check.throwsMPI(() => win.Get(new Int32Array(1), -5), MPI.ERR_RANK, /Win\.Get: invalid rank -5/);
      await check.rejectsMPI(win.Flush(size), MPI.ERR_RANK, /Win\.Flush: invalid rank/);
      win.Put(Int32Array.of(9), MPI.PROC_NULL);
      await win.Flush(MPI.PROC_NULL);
      check.throwsMPI(() => win.Fetch_and_op(Int32Array.of(1), new Int32Array(1), next, 4), MPI.ERR_RMA_RANGE,
        /Win\.Fetch_and_op: 4 bytes at byte 16/);
      check.throwsMPI(() => win.Fetch_and_op(Int32Array.of(1), new Int32Array(1), size), MPI.ERR_RANK,
        /Win\.Fetch_and_op: invalid rank/);
      check.throwsMPI(() => win.Fetch_and_op(Int32Array.of(1), new Int32Array(0), next), MPI.ERR_COUNT, /no element/);
      win.Put(Int32Array.of(100 + rank), next, 3);
      const before = Int32Array.of(-1);
      win.Fetch_and_op(Int32Array.of(rank + 1), before, next, 2);
      await win.Flush(next);
      check.equal(before[0], 0);
      await win.Unlock_all();
      await comm.Barrier();
      const mine = new Int32Array(win.tomemory().buffer, win.tomemory().byteOffset, 4);
      check.equal(mine[3], 100 + (rank + size - 1) % size);
      check.equal(mine[2], (rank + size - 1) % size + 1);
      await check.rejectsMPI(MPI.Win.Allocate(-1, 1, null, comm), MPI.ERR_SIZE, /invalid size -1/);
      await check.rejectsMPI(MPI.Win.Allocate(8, 0, null, comm), MPI.ERR_DISP, /displacement unit 0/);
      check.equal(MPI.Get_error_string(MPI.ERR_WIN), 'invalid window');
      await win.Free();
      check.throwsMPI(() => win.Put(Int32Array.of(1), rank), MPI.ERR_WIN, /Win\.Put: .* has been freed/);
    },
  },
  {
    name: 'error handlers: a user handler on a window sees every failing call once, with the window; ERRORS_RETURN none',
    run: async (comm) => {
      const { rank, size } = comm;
      const win = await MPI.Win.Allocate(16, 4, null, comm);
      const seen: [boolean, number][] = [];
      const handler = MPI.Win.Create_errhandler((w, code) => { seen.push([w === win, code]); });
      win.Set_errhandler(handler);
      // Each call still throws or rejects to its caller, after the handler.
      check.throwsMPI(() => win.Put(Int32Array.of(1), rank), MPI.ERR_RMA_SYNC, /Win\.Put: no access epoch/);
      await check.rejectsMPI(win.Lock(rank, 99), MPI.ERR_LOCKTYPE, /Win\.Lock: invalid lock type 99/);
      await check.rejectsMPI(win.Unlock(rank), MPI.ERR_RMA_SYNC, /Win\.Unlock/);
      await check.rejectsMPI(win.Flush(rank), MPI.ERR_RMA_SYNC, /Win\.Flush/);
      check.throwsMPI(() => win.Shared_query(0), MPI.ERR_RMA_FLAVOR, /Win\.Shared_query/);
      check.throwsMPI(() => win.Test(), MPI.ERR_RMA_SYNC, /Win\.Test/);
      check.throwsMPI(() => win.Set_errhandler(MPI.ERRHANDLER_NULL), MPI.ERR_ARG, /Win\.Set_errhandler/);
      check.deepEqual(seen, [MPI.ERR_RMA_SYNC, MPI.ERR_LOCKTYPE, MPI.ERR_RMA_SYNC, MPI.ERR_RMA_SYNC, MPI.ERR_RMA_FLAVOR,
        MPI.ERR_RMA_SYNC, MPI.ERR_ARG].map((code) => [true, code]));
      // Inside Lock_all, where Put, Get and Flush take their quickest paths.
      seen.length = 0;
      await win.Lock_all();
      check.throwsMPI(() => win.Put(new Int32Array(5), rank), MPI.ERR_RMA_RANGE, /Win\.Put: 20 bytes/);
      check.throwsMPI(() => win.Get(new Int32Array(1), size), MPI.ERR_RANK, /Win\.Get: invalid rank/);
      check.throwsMPI(() => win.Get([new Int32Array(1), 1, 'no type' as never], rank), MPI.ERR_TYPE, /Win\.Get/);
      check.throwsMPI(() => win.Accumulate(Int32Array.of(1), rank, [0, 1, MPI.FLOAT]), MPI.ERR_TYPE, /Win\.Accumulate/);
      check.throwsMPI(() => win.Fetch_and_op(Int32Array.of(1), new Int32Array(1), rank, 4), MPI.ERR_RMA_RANGE,
        /Win\.Fetch_and_op/);
      check.throwsMPI(() => win.Rput(Int32Array.of(1), size), MPI.ERR_RANK, /Win\.Rput: invalid rank/);
      await check.rejectsMPI(win.Flush(size), MPI.ERR_RANK, /Win\.Flush: invalid rank/);
      await check.rejectsMPI(win.Fence(), MPI.ERR_RMA_SYNC, /Win\.Fence/);
      await check.rejectsMPI(win.Free(), MPI.ERR_RMA_SYNC, /Win\.Free/);
      await win.Unlock_all();
      check.deepEqual(seen, [MPI.ERR_RMA_RANGE, MPI.ERR_RANK, MPI.ERR_TYPE, MPI.ERR_TYPE, MPI.ERR_RMA_RANGE, MPI.ERR_RANK,
        MPI.ERR_RANK, MPI.ERR_RMA_SYNC, MPI.ERR_RMA_SYNC].map((code) => [true, code]));
      // With ERRORS_RETURN the same calls fail and nothing is called; the handler is the window's own, not another's.
      seen.length = 0;
      const other = await MPI.Win.Allocate(4, 4, null, comm);
      other.Set_errhandler(handler);
      win.Set_errhandler(MPI.ERRORS_RETURN);
      check.throwsMPI(() => win.Put(Int32Array.of(1), rank), MPI.ERR_RMA_SYNC, /Win\.Put/);
      await check.rejectsMPI(win.Lock(rank, 99), MPI.ERR_LOCKTYPE, /Win\.Lock/);
      await check.rejectsMPI(win.Flush(rank), MPI.ERR_RMA_SYNC, /Win\.Flush/);
      check.deepEqual(seen, []);
      check.throwsMPI(() => other.Get(new Int32Array(1), size), MPI.ERR_RANK, /Win\.Get/);
      check.deepEqual(seen, [[false, MPI.ERR_RANK]], 'the handler gets the window that failed');
      await other.Free();
      // A freed window has no handler: its calls fail as with ERRORS_RETURN.
      win.Set_errhandler(handler);
      await win.Free();
      check.throwsMPI(() => win.Put(Int32Array.of(1), rank), MPI.ERR_WIN, /Win\.Put/);
      check.equal(seen.length, 1);
      handler.Free();
      // A constructor's errors are its communicator's: the window does not exist yet.
      const dup = await comm.Dup();
      const commSeen: [boolean, number][] = [];
      const commHandler = MPI.Comm.Create_errhandler((c, code) => { commSeen.push([c === dup, code]); });
      dup.Set_errhandler(commHandler);
      await check.rejectsMPI(MPI.Win.Allocate(-1, 1, null, dup), MPI.ERR_SIZE, /Win\.Allocate: invalid size -1/);
      await check.rejectsMPI(MPI.Win.Allocate_shared(8, 0, null, dup), MPI.ERR_DISP, /Win\.Allocate_shared/);
      await check.rejectsMPI(MPI.Win.Create(MPI.alloc(Int32Array, 2), 0, null, dup), MPI.ERR_DISP, /Win\.Create/);
      await check.rejectsMPI(MPI.Win.Create('no memory' as never, 4, null, dup), MPI.ERR_BUFFER, /Win\.Create/);
      check.deepEqual(commSeen, [MPI.ERR_SIZE, MPI.ERR_DISP, MPI.ERR_DISP, MPI.ERR_BUFFER].map((code) => [true, code]));
      // A good one is made as before, and its own handler starts as ERRORS_RETURN.
      const made = await MPI.Win.Create_dynamic(null, dup);
      check.ok(made.Get_errhandler() === MPI.ERRORS_RETURN, 'a new window starts with ERRORS_RETURN');
      await made.Free();
      check.equal(commSeen.length, 4);
      dup.Set_errhandler(MPI.ERRORS_RETURN);
      commHandler.Free();
      dup.Free();
    },
  },
];

await runCases('rma', cases);
