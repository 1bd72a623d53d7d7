/**
 * Allreduce: recursive doubling for short vectors and for non-commutative
 * ops, ring reduce-scatter + ring allgather for long vectors of commutative
 * ops (Rabenseifner's insight; the ring form of Patarasuk and Yuan, as in
 * Open MPI and NCCL).
 *
 * MPI-4.1 §6.9.6. Recursive doubling takes ⌈log2 p⌉ exchanges of the whole
 * vector; ranks beyond the largest power of two first fold into a neighbour
 * and get the result back at the end (MPICH's scheme), so any p works. It
 * combines in rank order (the lower ranks' part on the left), so
 * non-commutative ops are right. The ring moves 2 (p - 1)/p of the vector per
 * rank, the least possible, reducing each segment straight out of the
 * receive buffer, with no copy of the input. On a shared area, a short
 * vector skips messages (`small_exchange.ts`), and a longer one from
 * `MPI.alloc` memory goes by reference ({@link referenceAllreduce}; a long
 * one as a reduce-scatter and an allgather, {@link slicedReferenceAllreduce}).
 *
 * @module
 */

import { ring as ringAllgather } from './allgather.js';
import type { Call } from './call.js';
import type { Reduction } from '../op/reduction.js';
import type { SharedArea } from '../transport/transport.js';
import { ringReduceScatter } from './ring.js';
import type { Algorithm, Detour } from './run.js';
import {
  attachArea, copySpinBudget, detour, finishExchange, finishReferenceExchange, nextExchange, parkedExchange,
  referenceExchangeNumbered, referencesAt, ReferenceStage, type ReferenceStageValue, startReferenceExchange,
  takeByReference,
} from './shared_area.js';
import { evenBlocks, floorPowerOfTwo } from './tree.js';
import { manyStepBytes, tuning } from './tuning.js';

/** Allreduce of the elements in `recv` (from `send`, or in place when it is undefined). */
export function allreduce(call: Call, reduction: Reduction, send: Uint8Array | undefined,
  recv: Uint8Array): Algorithm<void> {
  const count = recv.byteLength / reduction.unit;
  if (reduction.op.commute && recv.byteLength >= manyStepBytes(tuning.allreduceRingBytes, call.size) && count >= call.size && call.size > 1) {
    return ring(call, reduction, send, recv);
  }
  return recursiveDoubling(call, reduction, send, recv);
}

function* recursiveDoubling(call: Call, reduction: Reduction, send: Uint8Array | undefined,
  recv: Uint8Array): Algorithm<void> {
  if (send !== undefined) recv.set(send);
  yield* recursiveDoublingInPlace(call, reduction, recv);
}

/**
 * Recursive doubling on `acc`, which holds this rank's contribution and ends
 * holding the result. Uses scratch slot 1.
 */
export function* recursiveDoublingInPlace(call: Call, reduction: Reduction, acc: Uint8Array): Algorithm<void> {
  const { rank, size } = call;
  const pof2 = floorPowerOfTwo(size);
  const rem = size - pof2;
  const other = call.scratch(1, acc.byteLength);
  // Lower ranks on the left; a predefined op may take the partner's part in either order.
  const symmetric = reduction.op.predefined !== undefined;
  let newRank = rank - rem;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      yield call.send(acc, rank + 1);
      newRank = -1;
    } else {
      yield call.recv(other, rank - 1);
      reduction.apply(other, acc);
      newRank = rank >> 1;
    }
  }
  if (newRank >= 0) {
    for (let mask = 1; mask < pof2; mask <<= 1) {
      const partnerNew = newRank ^ mask;
      const partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
      yield [call.send(acc, partner), call.recv(other, partner)];
      if (partner < rank || symmetric) {
        reduction.apply(other, acc);
      } else {
        reduction.apply(acc, other);
        acc.set(other);
      }
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) yield call.send(acc, rank - 1);
    else yield call.recv(acc, rank + 1);
  }
}

/** Ring reduce-scatter, then a ring allgather of the reduced blocks, in place in `recv`. */
function* ring(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array): Algorithm<void> {
  const offsets = evenBlocks(recv.byteLength / reduction.unit, call.size, reduction.unit);
  yield* ringReduceScatter(call, reduction, send ?? recv, recv, offsets, 0, send === undefined);
  const displs = offsets.slice(0, call.size);
  yield* ringAllgather(call, undefined, recv, displs.map((d, k) => offsets[k + 1]! - d), displs);
}

/**
 * What an Allreduce by reference ({@link referenceAllreduce}) of one shape
 * folds with: its op, and the scratch an in-place one folds into while the
 * others read its vector (one per shape: a communicator's calls never
 * overlap).
 */
export class ReferenceReduction {
  private scratch: Uint8Array | undefined;
  private slice: Uint8Array | undefined;
  private offsets: readonly number[] = [];

  constructor(readonly reduction: Reduction) {}

  /**
   * Where an in-place call folds: scratch of `recv`'s length, which goes
   * into `recv` last (a call with `send` folds into `recv`). The callers
   * make that choice themselves: a small method of its own was compiled
   * first after 140 calls of a loop of 64 KiB Allreduces, a stall in its
   * timed part.
   */
  scratchFor(recv: Uint8Array): Uint8Array {
    if (this.scratch?.byteLength !== recv.byteLength) this.scratch = new Uint8Array(recv.byteLength);
    return this.scratch;
  }

  /** Where an in-place {@link slicedReferenceAllreduce} folds this rank's slice of `bytes` bytes. */
  sliceScratch(bytes: number): Uint8Array {
    if (this.slice?.byteLength !== bytes) this.slice = new Uint8Array(bytes);
    return this.slice;
  }

  /** The byte offsets of `ranks` even slices of a vector of `bytes` bytes (one more than the slices). */
  sliceOffsets(bytes: number, ranks: number): readonly number[] {
    const offsets = this.offsets;
    if (offsets.length === ranks + 1 && offsets[ranks] === bytes) return offsets;
    return this.offsets = evenBlocks(bytes / this.reduction.unit, ranks, this.reduction.unit);
  }
}

/**
 * Allreduce of more than a contribution block (short of
 * `tuning.allreduceSlicedBytes`, which see) through the shared area,
 * by reference: every rank publishes where its vector lies (`send`, or in
 * place, `recv`), folds every rank's vector straight out of the others'
 * memory, from the right in rank order as the short exchange does
 * (`SmallReduction`: the same bits on every rank, non-commutative ops
 * right), into `recv` (in place, into scratch: the others are still reading
 * it), and returns once every rank has read its vector, so that the caller
 * may change it at once. One step where recursive doubling takes
 * ⌈log2 p⌉, no copy into messages, and the code that the small collectives
 * compile: a first loop of such calls compiles little more. When some
 * rank's vector is not `MPI.alloc` memory, it says so, and every rank goes
 * on with {@link allreduce} over messages.
 *
 * MPI-4.1 §6.9.6.
 *
 * @example
 * ```ts
 * const send = MPI.alloc(Float64Array, 8192), sum = MPI.alloc(Float64Array, 8192);
 * await comm.Allreduce(send, sum, MPI.SUM); // 64 KiB: by reference on shm
 * ```
 */
export function* referenceAllreduce(call: Call, area: SharedArea, plan: ReferenceReduction, send: Uint8Array | undefined,
  recv: Uint8Array): Algorithm<void> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') yield* allreduce(call, plan.reduction, send, recv);
  else yield* referenceAllreduceFrom(call, area, plan, send, recv, nextExchange(call, area), ReferenceStage.FREE);
}

/** {@link referenceAllreduce} `number`, from `stage` on. */
function referenceAllreduceFrom(call: Call, area: SharedArea, plan: ReferenceReduction, send: Uint8Array | undefined,
  recv: Uint8Array, number: number, stage: ReferenceStageValue): Algorithm<void> {
  const own = send ?? recv;
  const target = send !== undefined ? recv : plan.scratchFor(recv);
  return referenceExchangeNumbered(call, area, own, own.byteLength, number, stage,
    (n) => foldReferences(call, area, plan.reduction, n, own, target), () => allreduce(call, plan.reduction, send, recv),
    target === recv ? undefined : () => recv.set(target));
}

/**
 * Folds every rank's vector of exchange `number` by reference into
 * `target`, from the right in rank order (this rank's from `own`).
 */
function foldReferences(call: Call, area: SharedArea, reduction: Reduction, number: number, own: Uint8Array,
  target: Uint8Array): void {
  const bytes = own.byteLength;
  const last = call.size - 1;
  target.set(last === call.rank ? own : area.contributionData(last, number, bytes));
  for (let from = last - 1; from >= 0; from--) {
    reduction.apply(from === call.rank ? own : area.contributionData(from, number, bytes), target);
  }
}

/**
 * What {@link fastReferenceAllreduce} and {@link fastSlicedAllreduce} hand over when they must wait; one serves every
 * call (they never overlap), and its count of calls lets a loop of long vectors after shorter ones spin from its first
 * call (`copySpinBudget`).
 */
const parked = parkedExchange();

/**
 * Allreduce of a long vector by reference, in two exchanges on the shared
 * area: every rank publishes where its vector lies, and rank `r` folds the
 * `r`-th slice of them all straight out of the others' memory into its
 * `recv` (a reduce-scatter); then every rank publishes its `recv` and copies
 * the others' reduced slices out of theirs (an allgather). Each rank reads
 * about twice its vector and folds `(p - 1)/p` of it, where
 * {@link referenceAllreduce} reads `p` vectors and folds `p - 1`: with more
 * ranks than cores, the cores share `p` times less work, and the vector may
 * be as long as the ring's. When some rank's vector or `recv` is not
 * `MPI.alloc` memory, every rank goes on over messages from where it is
 * (the whole {@link allreduce}, or the ring allgather of the slices).
 *
 * MPI-4.1 §6.9.6.
 *
 * @example
 * ```ts
 * const send = MPI.alloc(Float64Array, 1 << 17), sum = MPI.alloc(Float64Array, 1 << 17);
 * await comm.Allreduce(send, sum, MPI.SUM); // 1 MiB: reduce-scatter and allgather by reference on shm
 * ```
 */
export function* slicedReferenceAllreduce(call: Call, area: SharedArea, plan: ReferenceReduction,
  send: Uint8Array | undefined, recv: Uint8Array): Algorithm<void> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') yield* allreduce(call, plan.reduction, send, recv);
  else yield* slicedFrom(call, area, plan, send, recv, nextExchange(call, area), ReferenceStage.FREE, false);
}

/**
 * {@link slicedReferenceAllreduce} from exchange `number` at `stage` on:
 * the reduce-scatter's, or with `gathering` the allgather's (where
 * {@link fastSlicedAllreduce} stopped).
 */
function* slicedFrom(call: Call, area: SharedArea, plan: ReferenceReduction, send: Uint8Array | undefined,
  recv: Uint8Array, number: number, stage: ReferenceStageValue, gathering: boolean): Algorithm<void> {
  const own = send ?? recv;
  if (!gathering) {
    const folded = yield* takeByReference(call, area, own, own.byteLength, number, stage,
      (n) => foldSlice(call, area, plan, n, own, recv));
    if (!folded) {
      yield* allreduce(call, plan.reduction, send, recv);
      return;
    }
    // Every rank publishes its recv only after its fold: once all have, nobody reads `own` any more, and an
    // in-place rank may write the others' slices into it.
    number = nextExchange(call, area);
    stage = ReferenceStage.FREE;
  }
  yield* referenceExchangeNumbered(call, area, recv, recv.byteLength, number, stage,
    (n) => copySlices(call, area, plan, n, recv), () => gatherOverMessages(call, plan, recv));
}

/**
 * {@link slicedReferenceAllreduce} on an attached shared area, synchronously
 * as far as the waits end within the spin a copy of the vector may take:
 * undefined once done, an Error on a mismatch, or the {@link Detour} that
 * finishes the call. It calls what {@link fastReferenceAllreduce} calls, so
 * that a loop of long vectors after shorter ones finds them optimized (as a
 * generator, a first loop of 110 Allreduces of 1 MiB at 2 ranks compiled 66
 * functions, 113 ms of stalls).
 */
export function fastSlicedAllreduce(call: Call, area: SharedArea, plan: ReferenceReduction,
  send: Uint8Array | undefined, recv: Uint8Array): Detour | Error | undefined {
  const own = send ?? recv;
  const bytes = own.byteLength;
  const budget = copySpinBudget(area, parked, bytes);
  const number = startReferenceExchange(call, area, own, budget, parked);
  if (number instanceof Error) return number;
  if (number === undefined) {
    const stage = parked.contributed ? ReferenceStage.PUBLISHED : ReferenceStage.FREE;
    return detour(parked, slicedFrom(call, area, plan, send, recv, parked.number, stage, false));
  }
  const byReference = referencesAt(call, area, number, bytes);
  if (byReference instanceof Error) return byReference;
  if (!byReference) {
    finishExchange(area, number);
    return { rest: allreduce(call, plan.reduction, send, recv), parkedOn: undefined, pending: undefined };
  }
  foldSlice(call, area, plan, number, own, recv);
  finishExchange(area, number, false);
  const gather = startReferenceExchange(call, area, recv, budget, parked);
  if (gather instanceof Error) return gather;
  if (gather === undefined) {
    const stage = parked.contributed ? ReferenceStage.PUBLISHED : ReferenceStage.FREE;
    return detour(parked, slicedFrom(call, area, plan, send, recv, parked.number, stage, true));
  }
  const gathered = referencesAt(call, area, gather, bytes);
  if (gathered instanceof Error) return gathered;
  if (!gathered) {
    finishExchange(area, gather);
    return { rest: gatherOverMessages(call, plan, recv), parkedOn: undefined, pending: undefined };
  }
  copySlices(call, area, plan, gather, recv);
  if (!finishReferenceExchange(call, area, gather, budget, parked)) {
    return detour(parked, slicedFrom(call, area, plan, send, recv, gather, ReferenceStage.TAKEN, true));
  }
  return undefined;
}

/**
 * Folds slice `call.rank` of every rank's vector of exchange `number`, from
 * the right in rank order, into the same slice of `recv` (in place, through
 * scratch: `recv` is `own`, and the fold starts from the last rank's slice).
 */
function foldSlice(call: Call, area: SharedArea, plan: ReferenceReduction, number: number, own: Uint8Array,
  recv: Uint8Array): void {
  const bytes = own.byteLength;
  const rank = call.rank;
  const offsets = plan.sliceOffsets(bytes, call.size);
  const start = offsets[rank]!;
  const end = offsets[rank + 1]!;
  const target = own === recv ? plan.sliceScratch(end - start) : recv.subarray(start, end);
  const last = call.size - 1;
  target.set((last === rank ? own : area.contributionData(last, number, bytes)).subarray(start, end));
  for (let from = last - 1; from >= 0; from--) {
    plan.reduction.apply((from === rank ? own : area.contributionData(from, number, bytes)).subarray(start, end), target);
  }
  if (own === recv) recv.set(target, start);
}

/** Copies every other rank's reduced slice of exchange `number` (its `recv`) into this rank's `recv`. */
function copySlices(call: Call, area: SharedArea, plan: ReferenceReduction, number: number, recv: Uint8Array): void {
  const bytes = recv.byteLength;
  const offsets = plan.sliceOffsets(bytes, call.size);
  for (let from = 0; from < call.size; from++) {
    if (from !== call.rank) {
      recv.set(area.contributionData(from, number, bytes).subarray(offsets[from], offsets[from + 1]), offsets[from]);
    }
  }
}

/** The allgather of the reduced slices over messages (a ring), when some rank's `recv` is not where others can read it. */
function gatherOverMessages(call: Call, plan: ReferenceReduction, recv: Uint8Array): Algorithm<void> {
  const offsets = plan.sliceOffsets(recv.byteLength, call.size);
  const displs = offsets.slice(0, call.size);
  return ringAllgather(call, undefined, recv, displs.map((d, k) => offsets[k + 1]! - d), displs);
}

/**
 * {@link referenceAllreduce} on an attached shared area, synchronously as far
 * as the waits end within the fast path's spin (and the time the others'
 * folds may take): undefined once done, an Error on a mismatch, or the
 * {@link Detour} that finishes the call.
 */
export function fastReferenceAllreduce(call: Call, area: SharedArea, plan: ReferenceReduction,
  send: Uint8Array | undefined, recv: Uint8Array): Detour | Error | undefined {
  const own = send ?? recv;
  const budget = copySpinBudget(area, parked, own.byteLength * call.size);
  const number = startReferenceExchange(call, area, own, budget, parked);
  if (number instanceof Error) return number;
  if (number === undefined) {
    const stage = parked.contributed ? ReferenceStage.PUBLISHED : ReferenceStage.FREE;
    return detour(parked, referenceAllreduceFrom(call, area, plan, send, recv, parked.number, stage));
  }
  const byReference = referencesAt(call, area, number, own.byteLength);
  if (byReference instanceof Error) return byReference;
  if (!byReference) {
    finishExchange(area, number);
    return { rest: allreduce(call, plan.reduction, send, recv), parkedOn: undefined, pending: undefined };
  }
  const target = send !== undefined ? recv : plan.scratchFor(recv);
  foldReferences(call, area, plan.reduction, number, own, target);
  if (!finishReferenceExchange(call, area, number, budget, parked)) {
    return detour(parked, referenceAllreduceFrom(call, area, plan, send, recv, number, ReferenceStage.TAKEN));
  }
  if (target !== recv) recv.set(target);
  return undefined;
}
