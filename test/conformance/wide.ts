/**
 * Conformance chapter: collectives past the longest byte view, and past what
 * one MPI call takes (MPI-4.1 chapter 6, neighbourhood collectives §8.6, and
 * `MPI_Sendrecv` and `MPI_Sendrecv_replace`, §3.10). On Node 20 no
 * `Uint8Array` can be longer than 4 GiB, and on the mpi transport no MPI call
 * takes a count or displacement past 2^31-1 bytes (C ints), so a buffer or an
 * encoding longer than that moves in rounds (`src/collective/segmented.ts`,
 * and segmented messages for the object collectives), or, for the calls whose
 * blocks only their own ranks know (Gatherv, Scatterv, Alltoallv, Alltoallw,
 * the neighbourhood and the intercommunicator collectives), as one
 * point-to-point message per long block. This chapter runs with one of those
 * limits lowered to 256 KiB by a test hook (required: without it the first
 * case fails): `MPI4TS_TEST_MAX_VIEW_BYTES=262144` on any transport, or, on
 * the mpi transport, `MPI4TS_TEST_MAX_CALL_BYTES=262144` (where a call past
 * the limit reaching MPI fails with ERR_INTERN). So every call below moves
 * several rounds, and every element received is checked. An SPMD program for
 * 1 or more ranks on any transport; see cases.ts for how cases run and
 * report.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

const LIMIT = 2 ** 18;
/** Elements of a Float64Array of about 2.6 times the lowered limit, not a multiple of anything round. */
const N = Math.floor((2.6 * LIMIT) / 8) + 13;

/** The value of element `i` from rank `r` (exact in doubles, distinct per rank). */
const value = (r: number, i: number): number => r * 4_000_000 + i;

function filled(n: number, r: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = value(r, i);
  return out;
}

/** Checks every element of `actual` against `expected(i)`: one counted check, naming the first wrong element. */
function expectAll(actual: ArrayLike<number>, length: number, expected: (i: number) => number, what: string): void {
  let wrong = -1;
  if (actual.length === length) {
    for (let i = 0; i < length; i++) {
      if (actual[i] !== expected(i)) {
        wrong = i;
        break;
      }
    }
  }
  check.ok(actual.length === length && wrong < 0,
    `${what}: ${actual.length === length ? `element ${wrong} is ${actual[wrong]}, expected ${expected(wrong)}` : `length ${actual.length}`}`);
}

/** The sum over ranks of `value(r, i)`. */
function sumOver(ranks: number, i: number): number {
  return ranks * i + 4_000_000 * (ranks * (ranks - 1)) / 2;
}

/** Element count of rank `r`'s block in the v-form cases: past the limit, empty or small, by turns. */
function vCount(r: number): number {
  return r % 3 === 0 ? Math.floor(LIMIT / 8) + 1000 * r + 7 : r % 3 === 1 ? 0 : 5 + r;
}

/** Elements between blocks in the v-form cases. */
const GAP = 3;

/** Displacements that lay blocks of `counts` in reverse rank order with {@link GAP} after each, and the length. */
function reversedWithGaps(counts: readonly number[]): { displs: number[]; length: number } {
  const displs = new Array<number>(counts.length);
  let at = 0;
  for (let r = counts.length - 1; r >= 0; r--) {
    displs[r] = at;
    at += counts[r]! + GAP;
  }
  return { displs, length: at };
}

/** Symmetric element counts of the block from `s` to `d` in the all-to-all cases: past the limit, empty or small. */
function pairCount(s: number, d: number): number {
  const k = (s + d + 1) % 3;
  return k === 1 ? Math.floor(LIMIT / 8) + 11 * (s + d) + 1 : k === 2 ? 0 : 3 + s + d;
}

/** Element `i` of the block from rank `s` to rank `d`. */
const item = (s: number, d: number, i: number): number => s * 1e9 + d * 1e6 + i;

const sum = (list: readonly number[]): number => list.reduce((a, b) => a + b, 0);

/** Displacements of blocks laid end to end. */
function packed(counts: readonly number[]): number[] {
  const displs: number[] = [];
  let at = 0;
  for (const c of counts) {
    displs.push(at);
    at += c;
  }
  return displs;
}

const cases: Case[] = [
  {
    name: 'a test hook is on (MPI4TS_TEST_MAX_VIEW_BYTES=262144, or MPI4TS_TEST_MAX_CALL_BYTES=262144 on the mpi transport)',
    run: async () => {
      const view = process.env['MPI4TS_TEST_MAX_VIEW_BYTES'] === String(LIMIT);
      const call = process.env['MPI4TS_TEST_MAX_CALL_BYTES'] === String(LIMIT) && MPI.get_vendor()[0] !== 'mpi4ts';
      check.ok(view || call, 'run with MPI4TS_TEST_MAX_VIEW_BYTES=262144 (or MPI4TS_TEST_MAX_CALL_BYTES=262144 on the mpi transport)');
    },
  },
  {
    name: 'Allgatherv of a total under the limit with displacements past it on odd ranks only; Gatherv and Scatterv of blocks straddling the limit',
    run: async (comm) => {
      const { rank, size } = comm;
      // Under the limit in all, so one call; odd ranks lay the blocks in reverse after a gap past the limit.
      const counts = Array.from({ length: size }, (_, r) => (r === 0 ? Math.floor(LIMIT / 8) - 1 - size : r % 2));
      const far = rank % 2 === 1;
      const front = far ? Math.floor(LIMIT / 8) + 5 : 0;
      const displs = new Array<number>(size);
      let at = front;
      for (let k = 0; k < size; k++) {
        const r = far ? size - 1 - k : k;
        displs[r] = at;
        at += counts[r]!;
      }
      const all = new Float64Array(at + 2).fill(-1);
      await comm.Allgatherv(filled(counts[rank]!, rank), [all, [counts, displs], MPI.DOUBLE]);
      for (let r = 0; r < size; r++) {
        expectAll(all.subarray(displs[r]!, displs[r]! + counts[r]!), counts[r]!, (i) => value(r, i), `Allgatherv block ${r}`);
      }
      expectAll(all.subarray(0, front), front, () => -1, 'Allgatherv: the gap before the blocks');
      expectAll(all.subarray(at), 2, () => -1, 'Allgatherv: after the blocks');
      // Blocks of one element under, zero, exactly and one element over the limit, by turns.
      const per = Math.floor(LIMIT / 8);
      const straddling = Array.from({ length: size }, (_, r) => [per - 1, 0, per, per + 1][r % 4]!);
      const root = size - 1;
      const place = packed(straddling);
      const length = sum(straddling);
      const gathered = rank === root ? new Float64Array(length).fill(-1) : null;
      await comm.Gatherv(filled(straddling[rank]!, rank), rank === root ? [gathered!, [straddling, place], MPI.DOUBLE] : null, root);
      if (rank === root) {
        for (let r = 0; r < size; r++) {
          expectAll(gathered!.subarray(place[r]!, place[r]! + straddling[r]!), straddling[r]!, (i) => value(r, i), `Gatherv block ${r}`);
        }
      }
      const source = rank === root ? new Float64Array(length) : null;
      if (rank === root) for (let r = 0; r < size; r++) source!.set(filled(straddling[r]!, r + 10), place[r]!);
      const part = new Float64Array(straddling[rank]!).fill(-1);
      await comm.Scatterv(rank === root ? [source!, [straddling, place], MPI.DOUBLE] : null, part, root);
      expectAll(part, straddling[rank]!, (i) => value(rank + 10, i), 'Scatterv');
    },
  },
  {
    name: 'Gatherv with uneven blocks past the limit, small and empty ones, in reverse order with gaps; in place by Gatherv_init, and Igatherv',
    run: async (comm) => {
      const { rank, size } = comm;
      const root = size - 1;
      const counts = Array.from({ length: size }, (_, r) => vCount(r));
      const { displs, length } = reversedWithGaps(counts);
      const expectGathered = (all: Float64Array, what: string): void => {
        for (let r = 0; r < size; r++) {
          expectAll(all.subarray(displs[r]!, displs[r]! + counts[r]!), counts[r]!, (i) => value(r, i), `${what} block ${r}`);
          expectAll(all.subarray(displs[r]! + counts[r]!, displs[r]! + counts[r]! + GAP), GAP, () => -1, `${what} gap after ${r}`);
        }
      };
      const all = rank === root ? new Float64Array(length).fill(-1) : null;
      await comm.Gatherv(filled(counts[rank]!, rank), rank === root ? [all!, [counts, displs], MPI.DOUBLE] : null, root);
      if (rank === root) expectGathered(all!, 'Gatherv');
      const inPlace = new Float64Array(length).fill(-1);
      inPlace.set(filled(counts[rank]!, rank), displs[rank]!);
      const p = comm.Gatherv_init(rank === root ? MPI.IN_PLACE : filled(counts[rank]!, rank),
        rank === root ? [inPlace, [counts, displs], MPI.DOUBLE] : null, root);
      p.Start();
      await p.Wait();
      if (rank === root) expectGathered(inPlace, 'Gatherv_init in place');
      // Rank 0 as the root, behind a small Ibcast: the call order holds.
      const small = Int32Array.of(rank === 0 ? 5 : 0);
      const again = rank === 0 ? new Float64Array(length).fill(-1) : null;
      await MPI.Request.Waitall([comm.Ibcast(small, 0),
        comm.Igatherv(filled(counts[rank]!, rank), rank === 0 ? [again!, [counts, displs], MPI.DOUBLE] : null, 0)]);
      check.equal(small[0], 5);
      if (rank === 0) expectGathered(again!, 'Igatherv');
    },
  },
  {
    name: 'Scatterv with uneven blocks past the limit, small and empty ones, in reverse order with gaps; in place, Iscatterv and Scatterv_init',
    run: async (comm) => {
      const { rank, size } = comm;
      const root = size - 1;
      const counts = Array.from({ length: size }, (_, r) => vCount(r));
      const { displs, length } = reversedWithGaps(counts);
      const source = new Float64Array(length).fill(-1);
      for (let r = 0; r < size; r++) source.set(filled(counts[r]!, r).map((x) => x + 0.5), displs[r]!);
      const mine = new Float64Array(counts[rank]!);
      await comm.Scatterv(rank === root ? [source, [counts, displs], MPI.DOUBLE] : null, mine, root);
      expectAll(mine, counts[rank]!, (i) => value(rank, i) + 0.5, 'Scatterv');
      const kept = rank === root ? source.slice() : new Float64Array(counts[rank]!);
      await comm.Iscatterv(rank === root ? [kept, [counts, displs], MPI.DOUBLE] : null, rank === root ? MPI.IN_PLACE : kept, root).Wait();
      const at = rank === root ? displs[rank]! : 0;
      expectAll(kept.subarray(at, at + counts[rank]!), counts[rank]!, (i) => value(rank, i) + 0.5, 'Iscatterv in place');
      const viaInit = new Float64Array(counts[rank]!);
      const p = comm.Scatterv_init(rank === 0 ? [source, [counts, displs], MPI.DOUBLE] : null, viaInit, 0);
      p.Start();
      await p.Wait();
      expectAll(viaInit, counts[rank]!, (i) => value(rank, i) + 0.5, 'Scatterv_init');
    },
  },
  {
    name: 'Alltoallv and Alltoallw with uneven blocks past the limit, small and empty ones; in place, I-forms and _init',
    run: async (comm) => {
      const { rank, size } = comm;
      const sendCounts = Array.from({ length: size }, (_, d) => pairCount(rank, d));
      const recvCounts = Array.from({ length: size }, (_, s) => pairCount(s, rank));
      const sendDispls = packed(sendCounts);
      const recvDispls = packed(recvCounts);
      const send = new Float64Array(sum(sendCounts));
      for (let d = 0; d < size; d++) for (let i = 0; i < sendCounts[d]!; i++) send[sendDispls[d]! + i] = item(rank, d, i);
      const expectFrom = (recv: Float64Array, what: string): void => {
        for (let s = 0; s < size; s++) {
          expectAll(recv.subarray(recvDispls[s]!, recvDispls[s]! + recvCounts[s]!), recvCounts[s]!, (i) => item(s, rank, i),
            `${what} block from ${s}`);
        }
      };
      const recv = new Float64Array(sum(recvCounts));
      await comm.Alltoallv([send, [sendCounts, sendDispls], MPI.DOUBLE], [recv, [recvCounts, recvDispls], MPI.DOUBLE]);
      expectFrom(recv, 'Alltoallv');
      // The counts are symmetric, so in place works: each rank's send blocks are laid out as its receive blocks.
      const inPlace = send.slice();
      await comm.Ialltoallv(MPI.IN_PLACE, [inPlace, [recvCounts, recvDispls], MPI.DOUBLE]).Wait();
      expectFrom(inPlace, 'Ialltoallv in place');
      const viaInit = new Float64Array(sum(recvCounts));
      const p = comm.Alltoallv_init([send, [sendCounts, sendDispls], MPI.DOUBLE], [viaInit, [recvCounts, recvDispls], MPI.DOUBLE]);
      p.Start();
      await p.Wait();
      expectFrom(viaInit, 'Alltoallv_init');
      const types = new Array(size).fill(MPI.DOUBLE);
      const bytes = (list: number[]): number[] => list.map((x) => 8 * x);
      const w = new Float64Array(sum(recvCounts));
      await comm.Alltoallw([send, [sendCounts, bytes(sendDispls)], types], [w, [recvCounts, bytes(recvDispls)], types]);
      expectFrom(w, 'Alltoallw');
      const wInPlace = send.slice();
      await comm.Ialltoallw(MPI.IN_PLACE, [wInPlace, [recvCounts, bytes(recvDispls)], types]).Wait();
      expectFrom(wInPlace, 'Ialltoallw in place');
    },
  },
  {
    name: 'neighbourhood collectives past the limit on a line with PROC_NULL ends: Neighbor_allgather(v), Neighbor_alltoall(v,w) and I-forms',
    run: async (comm) => {
      const { rank, size } = comm;
      const cart = (await comm.Create_cart([size], [false]))!;
      const left = rank > 0 ? rank - 1 : -1;
      const right = rank < size - 1 ? rank + 1 : -1;
      const peers = [left, right];
      const M = Math.floor(LIMIT / 8) + 3;
      // Allgather: every slot is a block of M; PROC_NULL slots stay as they were.
      const got = new Float64Array(2 * M).fill(-1);
      await cart.Neighbor_allgather(filled(M, rank), got);
      peers.forEach((p, k) => expectAll(got.subarray(k * M, (k + 1) * M), M, (i) => (p < 0 ? -1 : value(p, i)), `Neighbor_allgather slot ${k}`));
      // Allgatherv: slot 0 (from the left) at the end of the buffer, slot 1 at its start.
      const gotV = new Float64Array(2 * M + 4).fill(-1);
      await cart.Ineighbor_allgatherv(filled(M, rank), [gotV, [[M, M], [M + 4, 0]], MPI.DOUBLE]).Wait();
      expectAll(gotV.subarray(M + 4), M, (i) => (left < 0 ? -1 : value(left, i)), 'Ineighbor_allgatherv from the left');
      expectAll(gotV.subarray(0, M), M, (i) => (right < 0 ? -1 : value(right, i)), 'Ineighbor_allgatherv from the right');
      expectAll(gotV.subarray(M, M + 4), 4, () => -1, 'Ineighbor_allgatherv gap');
      // Alltoallv: to the left a block past the limit, to the right a small or empty one.
      const toLeft = (r: number): number => Math.floor(LIMIT / 8) + 5 * r + 1;
      const toRight = (r: number): number => (r % 2 === 0 ? 0 : 9 + r);
      const sendCounts = [toLeft(rank), toRight(rank)];
      const recvCounts = [left < 0 ? 4 : toRight(left), right < 0 ? 4 : toLeft(right)];
      const out = new Float64Array(sum(sendCounts));
      peers.forEach((p, k) => {
        for (let i = 0; i < sendCounts[k]!; i++) out[(k === 0 ? 0 : sendCounts[0]!) + i] = item(rank, p, i);
      });
      const recvDispls = packed(recvCounts);
      const expectSlots = (into: Float64Array, what: string): void => peers.forEach((p, k) =>
        expectAll(into.subarray(recvDispls[k]!, recvDispls[k]! + recvCounts[k]!), recvCounts[k]!, (i) => (p < 0 ? -1 : item(p, rank, i)),
          `${what} slot ${k}`));
      const into = new Float64Array(sum(recvCounts)).fill(-1);
      await cart.Neighbor_alltoallv([out, [sendCounts, packed(sendCounts)], MPI.DOUBLE], [into, [recvCounts, recvDispls], MPI.DOUBLE]);
      expectSlots(into, 'Neighbor_alltoallv');
      const intoW = new Float64Array(sum(recvCounts)).fill(-1);
      const types = [MPI.DOUBLE, MPI.DOUBLE];
      await cart.Ineighbor_alltoallw([out, [sendCounts, packed(sendCounts).map((x) => 8 * x)], types],
        [intoW, [recvCounts, recvDispls.map((x) => 8 * x)], types]).Wait();
      expectSlots(intoW, 'Ineighbor_alltoallw');
      // Alltoall: equal blocks past the limit.
      const outEqual = new Float64Array(2 * M);
      peers.forEach((p, k) => { for (let i = 0; i < M; i++) outEqual[k * M + i] = item(rank, p, i); });
      const intoEqual = new Float64Array(2 * M).fill(-1);
      await cart.Neighbor_alltoall(outEqual, intoEqual);
      peers.forEach((p, k) => expectAll(intoEqual.subarray(k * M, (k + 1) * M), M, (i) => (p < 0 ? -1 : item(p, rank, i)), `Neighbor_alltoall slot ${k}`));
      cart.Free();
    },
  },
  {
    name: 'Sendrecv of buffers past the limit around a ring, and Exscan and Scan with a user op',
    run: async (comm) => {
      const { rank, size } = comm;
      const theirs = new Float64Array(N);
      await comm.Sendrecv(filled(N, rank), (rank + 1) % size, 4, theirs, (rank - 1 + size) % size, 4);
      expectAll(theirs, N, (i) => value((rank - 1 + size) % size, i), 'Sendrecv');
      // Composition of affine maps x -> p x + q, pairs (p, q): associative, not commutative.
      const op = MPI.Op.Create((a: Float64Array, b: Float64Array) => {
        for (let k = 0; k < b.length; k += 2) {
          const p = b[k]!;
          b[k] = a[k]! * p;
          b[k + 1] = a[k + 1]! * p + b[k + 1]!;
        }
      }, false);
      try {
        const pairs = Math.floor((1.3 * LIMIT) / 16) + 5;
        const p = (r: number, k: number): number => ((k + r) % 2 === 0 ? 1 : -1);
        const q = (r: number, k: number): number => (k % 5) + r;
        const mineOf = (r: number): Float64Array => {
          const out = new Float64Array(2 * pairs);
          for (let k = 0; k < pairs; k++) out.set([p(r, k), q(r, k)], 2 * k);
          return out;
        };
        /** Element `i` of the composition of ranks 0 to `upTo`, in rank order. */
        const folded = (upTo: number, i: number): number => {
          const k = i >> 1;
          let [accP, accQ] = [p(0, k), q(0, k)];
          for (let r = 1; r <= upTo; r++) [accP, accQ] = [accP * p(r, k), accQ * p(r, k) + q(r, k)];
          return i % 2 === 0 ? accP : accQ;
        };
        const scanned = new Float64Array(2 * pairs);
        await comm.Scan(mineOf(rank), scanned, op);
        expectAll(scanned, 2 * pairs, (i) => folded(rank, i), 'Scan with a user op');
        const exscanned = new Float64Array(2 * pairs);
        await comm.Exscan(mineOf(rank), exscanned, op);
        if (rank > 0) expectAll(exscanned, 2 * pairs, (i) => folded(rank - 1, i), 'Exscan with a user op');
      } finally {
        op.Free();
      }
    },
  },
  {
    name: 'intercommunicator collectives past the limit, both groups as root and as receivers',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      const color = rank < size / 2 ? 0 : 1;
      const first = Math.ceil(size / 2);
      const half = (await comm.Split(color, rank))!;
      const inter = await half.Create_intercomm(0, comm, color === 0 ? first : 0, 31);
      const globalOf = (c: number, local: number): number => (c === 0 ? local : first + local);
      const remote = Array.from({ length: inter.remote_size }, (_, i) => globalOf(1 - color, i));
      /** What this rank passes as root when local rank 0 of group `rootColor` is the root. */
      const rootArg = (rootColor: number): number => (color === rootColor ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0);
      const big = (g: number): number => Math.floor(LIMIT / 8) + 17 * g + 3;
      const count = (g: number): number => (g === 1 && size > 2 ? 0 : big(g));
      try {
        // Bcast each way: into group 0 (of 2 ranks at 3) the leader passes it on in pieces.
        for (const rootColor of [0, 1]) {
          const data = color === rootColor ? filled(N, 7 + rootColor) : new Float64Array(N);
          await inter.Bcast(color === rootColor && inter.rank !== 0 ? null : data, rootArg(rootColor));
          if (color !== rootColor) expectAll(data, N, (i) => value(7 + rootColor, i), `Bcast from group ${rootColor}`);
        }
        // Gatherv and Scatterv each way, blocks in reverse order with gaps.
        for (const rootColor of [0, 1]) {
          const counts = remote.map(count);
          const { displs, length } = reversedWithGaps(counts);
          const isRoot = color === rootColor && inter.rank === 0;
          const all = isRoot ? new Float64Array(length).fill(-1) : null;
          await inter.Gatherv(color === rootColor ? null : filled(count(rank), rank),
            isRoot ? [all!, [counts, displs], MPI.DOUBLE] : null, rootArg(rootColor));
          if (isRoot) {
            remote.forEach((g, i) => expectAll(all!.subarray(displs[i]!, displs[i]! + counts[i]! + GAP), counts[i]! + GAP,
              (k) => (k < counts[i]! ? value(g, k) : -1), `Gatherv to group ${rootColor} from ${g}`));
          }
          const source = new Float64Array(length);
          remote.forEach((g, i) => source.set(filled(counts[i]!, g).map((x) => x + 0.5), displs[i]!));
          const mine = new Float64Array(count(rank));
          await inter.Iscatterv(isRoot ? [source, [counts, displs], MPI.DOUBLE] : null, color === rootColor ? null : mine,
            rootArg(rootColor)).Wait();
          if (color !== rootColor) expectAll(mine, count(rank), (k) => value(rank, k) + 0.5, `Iscatterv from group ${rootColor}`);
        }
        // Allgatherv and Alltoallv across.
        const counts = remote.map(count);
        const displs = packed(counts);
        const gathered = new Float64Array(sum(counts));
        await inter.Allgatherv(filled(count(rank), rank), [gathered, [counts, displs], MPI.DOUBLE]);
        remote.forEach((g, i) => expectAll(gathered.subarray(displs[i]!, displs[i]! + counts[i]!), counts[i]!, (k) => value(g, k),
          `Allgatherv from ${g}`));
        const sendCounts = remote.map((g) => pairCount(rank, g));
        const recvCounts = remote.map((g) => pairCount(g, rank));
        const out = new Float64Array(sum(sendCounts));
        const outDispls = packed(sendCounts);
        remote.forEach((g, j) => { for (let k = 0; k < sendCounts[j]!; k++) out[outDispls[j]! + k] = item(rank, g, k); });
        const into = new Float64Array(sum(recvCounts));
        const intoDispls = packed(recvCounts);
        await inter.Ialltoallv([out, [sendCounts, outDispls], MPI.DOUBLE], [into, [recvCounts, intoDispls], MPI.DOUBLE]).Wait();
        remote.forEach((g, i) => expectAll(into.subarray(intoDispls[i]!, intoDispls[i]! + recvCounts[i]!), recvCounts[i]!,
          (k) => item(g, rank, k), `Ialltoallv from ${g}`));
        // Reductions: each group gets the remote group's sum.
        const total = new Float64Array(N);
        await inter.Allreduce(filled(N, rank), total, MPI.SUM);
        expectAll(total, N, (i) => remote.reduce((acc, g) => acc + value(g, i), 0), 'Allreduce');
        const isRoot = color === 1 && inter.rank === 0;
        const reduced = isRoot ? new Float64Array(N) : null;
        await inter.Reduce(color === 0 ? filled(N, rank) : null, reduced, MPI.SUM, rootArg(1));
        if (isRoot) expectAll(reduced!, N, (i) => remote.reduce((acc, g) => acc + value(g, i), 0), 'Reduce to group 1');
        // Reduce_scatter_block: k elements here, the remote group's sum split over this group.
        const K = Math.ceil((1.3 * LIMIT) / 8);
        const k = inter.remote_size * K;
        const scattered = new Float64Array(k);
        await inter.Reduce_scatter_block(filled(inter.size * k, rank), scattered, MPI.SUM);
        expectAll(scattered, k, (i) => remote.reduce((acc, g) => acc + value(g, inter.rank * k + i), 0), 'Reduce_scatter_block');
      } finally {
        inter.Free();
        half.Free();
      }
    },
  },
  {
    name: 'Bcast of a Float64Array, of bytes at an odd offset, and Ibcast behind a small Ibcast',
    run: async (comm) => {
      const root = comm.size - 1;
      const data = comm.rank === root ? filled(N, 7) : new Float64Array(N);
      await comm.Bcast(data, root);
      expectAll(data, N, (i) => value(7, i), 'Bcast');
      const bytes = new Uint8Array(3 * LIMIT + 11);
      const odd = bytes.subarray(3);
      if (comm.rank === 0) for (let i = 0; i < odd.length; i++) odd[i] = (i * 13 + 5) & 0xff;
      await comm.Bcast([odd, MPI.BYTE], 0);
      expectAll(odd, odd.length, (i) => (i * 13 + 5) & 0xff, 'Bcast of bytes');
      const small = Int32Array.of(comm.rank === 0 ? 42 : 0);
      const big = comm.rank === 0 ? filled(N, 3) : new Float64Array(N);
      const after = Int32Array.of(comm.rank === 0 ? 43 : 0);
      await MPI.Request.Waitall([comm.Ibcast(small, 0), comm.Ibcast(big, 0), comm.Ibcast(after, 0)]);
      check.equal(small[0], 42);
      check.equal(after[0], 43);
      expectAll(big, N, (i) => value(3, i), 'Ibcast');
    },
  },
  {
    name: 'Reduce, Allreduce, Scan and Exscan with SUM, in place too, and their I-forms',
    run: async (comm) => {
      const { rank, size } = comm;
      const root = size > 1 ? 1 : 0;
      const sum = rank === root ? new Float64Array(N) : null;
      await comm.Reduce(filled(N, rank), sum, MPI.SUM, root);
      if (rank === root) expectAll(sum!, N, (i) => sumOver(size, i), 'Reduce');
      const inPlace = filled(N, rank);
      await comm.Reduce(rank === root ? MPI.IN_PLACE : inPlace, rank === root ? inPlace : null, MPI.SUM, root);
      if (rank === root) expectAll(inPlace, N, (i) => sumOver(size, i), 'Reduce in place');
      const all = new Float64Array(N);
      await comm.Allreduce(filled(N, rank), all, MPI.SUM);
      expectAll(all, N, (i) => sumOver(size, i), 'Allreduce');
      const mine = filled(N, rank);
      await comm.Allreduce(MPI.IN_PLACE, mine, MPI.MAX);
      expectAll(mine, N, (i) => value(size - 1, i), 'Allreduce MAX in place');
      const scan = new Float64Array(N);
      const exscan = new Float64Array(N);
      await MPI.Request.Waitall([comm.Iscan(filled(N, rank), scan, MPI.SUM), comm.Iexscan(filled(N, rank), exscan, MPI.SUM)]);
      expectAll(scan, N, (i) => sumOver(rank + 1, i), 'Iscan');
      if (rank > 0) expectAll(exscan, N, (i) => sumOver(rank, i), 'Iexscan');
      const ints = new Int32Array(2 * N);
      for (let i = 0; i < N; i++) ints.set([(i * 7 + rank * 3) % 1000, rank], 2 * i);
      const loc = new Int32Array(2 * N);
      await comm.Allreduce([ints, MPI.TWOINT], [loc, MPI.TWOINT], MPI.MAXLOC);
      expectAll(loc, 2 * N, (k) => {
        const i = k >> 1;
        let best = -1;
        let at = 0;
        for (let r = 0; r < size; r++) if ((i * 7 + r * 3) % 1000 > best) [best, at] = [(i * 7 + r * 3) % 1000, r];
        return k % 2 === 0 ? best : at;
      }, 'Allreduce MAXLOC of 2INT');
    },
  },
  {
    name: 'Gather and Scatter with equal blocks, in place at the root, and a root buffer past the limit for small blocks',
    run: async (comm) => {
      const { rank, size } = comm;
      const root = size - 1;
      const block = Math.ceil((1.4 * LIMIT) / 8 / size) + 5;
      const gathered = rank === root ? new Float64Array(block * size) : null;
      await comm.Gather(filled(block, rank), gathered, root);
      if (rank === root) expectAll(gathered!, block * size, (i) => value(Math.floor(i / block), i % block), 'Gather');
      const inPlace = new Float64Array(block * size);
      inPlace.set(filled(block, rank), rank * block);
      await comm.Gather(rank === root ? MPI.IN_PLACE : filled(block, rank), rank === root ? inPlace : null, root);
      if (rank === root) expectAll(inPlace, block * size, (i) => value(Math.floor(i / block), i % block), 'Gather in place');
      const source = new Float64Array(block * size);
      for (let i = 0; i < source.length; i++) source[i] = value(Math.floor(i / block), i % block) + 0.5;
      const part = new Float64Array(block);
      await comm.Scatter(rank === root ? source : null, part, root);
      expectAll(part, block, (i) => value(rank, i) + 0.5, 'Scatter');
      const kept = rank === root ? source.slice() : new Float64Array(block);
      await comm.Scatter(rank === root ? kept : null, rank === root ? MPI.IN_PLACE : kept, root);
      expectAll(kept.subarray(rank === root ? rank * block : 0, (rank === root ? rank * block : 0) + block), block,
        (i) => value(rank, i) + 0.5, 'Scatter in place');
      // Small blocks in a buffer longer than the limit: one call, through a view of the blocks only.
      const roomy = rank === root ? new Float64Array(Math.ceil((1.5 * LIMIT) / 8)) : null;
      await comm.Gather(Float64Array.of(rank, -rank), rank === root ? [roomy!, 2, MPI.DOUBLE] : null, root);
      if (rank === root) expectAll(roomy!.subarray(0, 2 * size), 2 * size, (i) => (i % 2 === 0 ? 1 : -1) * (i >> 1), 'Gather of small blocks');
    },
  },
  {
    name: 'Allgather, Allgatherv with uneven blocks and gaps, in place, and Iallgather',
    run: async (comm) => {
      const { rank, size } = comm;
      const block = Math.ceil((1.3 * LIMIT) / 8 / size) + 3;
      const all = new Float64Array(block * size);
      await comm.Allgather(filled(block, rank), all);
      expectAll(all, block * size, (i) => value(Math.floor(i / block), i % block), 'Allgather');
      const counts = Array.from({ length: size }, (_, r) => Math.floor(LIMIT / 8) + 1000 * r + 7);
      const gap = Math.floor(LIMIT / 8) + 17;
      const displs: number[] = [];
      let at = 0;
      for (const c of counts) {
        displs.push(at);
        at += c + gap;
      }
      const v = new Float64Array(at).fill(-1);
      await comm.Allgatherv(filled(counts[rank]!, rank), [v, [counts, displs], MPI.DOUBLE]);
      for (let r = 0; r < size; r++) {
        expectAll(v.subarray(displs[r]!, displs[r]! + counts[r]!), counts[r]!, (i) => value(r, i), `Allgatherv block ${r}`);
        expectAll(v.subarray(displs[r]! + counts[r]!, displs[r]! + counts[r]! + gap), gap, () => -1, `Allgatherv gap ${r}`);
      }
      const own = new Float64Array(block * size);
      own.set(filled(block, rank), rank * block);
      await comm.Iallgather(MPI.IN_PLACE, own).Wait();
      expectAll(own, block * size, (i) => value(Math.floor(i / block), i % block), 'Iallgather in place');
    },
  },
  {
    name: 'Alltoall, in place too',
    run: async (comm) => {
      const { rank, size } = comm;
      const block = Math.ceil((1.2 * LIMIT) / 8 / size) + 1;
      const send = new Float64Array(block * size);
      for (let d = 0; d < size; d++) for (let i = 0; i < block; i++) send[d * block + i] = item(rank, d, i);
      const recv = new Float64Array(block * size);
      await comm.Alltoall(send, recv);
      expectAll(recv, block * size, (k) => item(Math.floor(k / block), rank, k % block), 'Alltoall');
      await comm.Alltoall(MPI.IN_PLACE, send);
      expectAll(send, block * size, (k) => item(Math.floor(k / block), rank, k % block), 'Alltoall in place');
    },
  },
  {
    name: 'Reduce_scatter_block, Reduce_scatter with counts, without counts, and in place',
    run: async (comm) => {
      const { rank, size } = comm;
      const block = Math.ceil((1.3 * LIMIT) / 8 / size) + 9;
      const mine = new Float64Array(block);
      await comm.Reduce_scatter_block(filled(block * size, rank), mine, MPI.SUM);
      expectAll(mine, block, (i) => sumOver(size, rank * block + i), 'Reduce_scatter_block');
      const counts = Array.from({ length: size }, (_, r) => block + 100 * r);
      const total = counts.reduce((a, b) => a + b, 0);
      const offset = counts.slice(0, rank).reduce((a, b) => a + b, 0);
      const part = new Float64Array(counts[rank]!);
      await comm.Reduce_scatter(filled(total, rank), part, counts, MPI.SUM);
      expectAll(part, counts[rank]!, (i) => sumOver(size, offset + i), 'Reduce_scatter');
      const bySize = new Float64Array(counts[rank]!);
      await comm.Reduce_scatter(filled(total, rank), bySize, null, MPI.SUM);
      expectAll(bySize, counts[rank]!, (i) => sumOver(size, offset + i), 'Reduce_scatter without counts');
      const inPlace = filled(total, rank);
      await comm.Reduce_scatter(MPI.IN_PLACE, inPlace, counts, MPI.SUM);
      expectAll(inPlace.subarray(0, counts[rank]!), counts[rank]!, (i) => sumOver(size, offset + i), 'Reduce_scatter in place');
    },
  },
  {
    name: 'Sendrecv_replace around a ring',
    run: async (comm) => {
      const { rank, size } = comm;
      const data = filled(N, rank);
      await comm.Sendrecv_replace(data, (rank + 1) % size, 5, (rank - 1 + size) % size, 5);
      expectAll(data, N, (i) => value((rank - 1 + size) % size, i), 'Sendrecv_replace');
    },
  },
  {
    name: 'object collectives of values that encode past the limit',
    run: async (comm) => {
      const { rank, size } = comm;
      const n = Math.floor((1.2 * LIMIT) / 8);
      const big = (r: number): { from: number; data: Float64Array } => ({ from: r, data: filled(n, r) });
      const got = await comm.bcast(rank === 0 ? big(9) : undefined, 0);
      check.ok(got !== undefined && got.from === 9, 'bcast: the root\'s value');
      expectAll(got.data, n, (i) => value(9, i), 'bcast');
      const gathered = await comm.gather(big(rank), size - 1);
      if (rank === size - 1) {
        check.equal(gathered!.length, size);
        gathered!.forEach((g, r) => expectAll(g.data, n, (i) => value(r, i), `gather from ${r}`));
      }
      const scattered = await comm.scatter(rank === 0 ? Array.from({ length: size }, (_, r) => big(r)) : null, 0);
      expectAll(scattered.data, n, (i) => value(rank, i), 'scatter');
      const everyone = await comm.allgather(big(rank));
      everyone.forEach((g, r) => expectAll(g.data, n, (i) => value(r, i), `allgather from ${r}`));
      const swapped = await comm.alltoall(Array.from({ length: size }, (_, d) => ({ d, data: filled(n, rank * 10 + d) })));
      swapped.forEach((g, s) => expectAll(g.data, n, (i) => value(s * 10 + rank, i), `alltoall from ${s}`));
      const reduced = await comm.reduce(filled(n, rank), MPI.SUM, 0);
      if (rank === 0) expectAll(reduced as Float64Array, n, (i) => sumOver(size, i), 'reduce');
      const allReduced = await comm.allreduce(filled(n, rank), MPI.SUM);
      expectAll(allReduced as Float64Array, n, (i) => sumOver(size, i), 'allreduce');
      const scanned = await comm.scan(filled(n, rank), MPI.SUM);
      expectAll(scanned as Float64Array, n, (i) => sumOver(rank + 1, i), 'scan');
      const exscanned = await comm.exscan(filled(n, rank), MPI.SUM);
      if (rank > 0) expectAll(exscanned as Float64Array, n, (i) => sumOver(rank, i), 'exscan');
    },
  },
];

await runCases('wide', cases);

