/**
 * Reductions of short vectors as one exchange on a communicator's shared
 * area: `Allreduce`, `Reduce`, `Scan`, `Exscan` and `Reduce_scatter`.
 *
 * MPI-4.1 §6.9.2 (reduce), §6.9.6 (allreduce), §6.10 (reduce-scatter),
 * §6.11 (scan, exscan). Every rank publishes its vector (at most
 * `area.contributionBytes`, the same length on every rank) and folds the
 * contributions its result needs from the right, `d_from op (... op
 * d_to-1)`: the ranks in rank order, so non-commutative ops are right, and
 * the same operations in the same order on every rank that needs them, so
 * an Allreduce gives every rank the same bits. A rank whose result needs no
 * contribution (a Reduce's non-root, an Exscan's rank 0) takes part in the
 * exchange all the same: it waits for every contribution, as the blocks'
 * reuse needs. Over messages, the same calls took 1.5 to 2.5 times as long
 * at 2 ranks (a Reduce of 64 bytes: 4.2-5.1 us, 1.8-2.4 on the area; a
 * Scan 2.7-2.9, 1.8-2.1). With more ranks than cores, a Reduce keeps to
 * messages (`point_to_point.ts`): there a leaf that sends and goes on is
 * worth more than the exchange's single step; Scan, Exscan and
 * Reduce_scatter still gain (a Scan of 64 bytes at 4 ranks on 2 cores: 11
 * against 20 us).
 *
 * A blocking call runs synchronously as far as the contributions come within
 * the fast path's spin ({@link fastSmallReduction}); a communicator whose
 * area has no slot runs the call over messages ({@link SmallReduction.overMessages}).
 *
 * Unfinished: an in-place `Reduce_scatter` goes by messages (its vector and
 * its result share the receive buffer).
 *
 * @module
 */

import type { Reduction } from '../op/reduction.js';
import type { SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import type { Algorithm, Detour } from './run.js';
import {
  attachArea, checkContributions, detour, exchangeNumbered, exchangeShared, finishExchange, type ParkedExchange, sharedBlock,
  spinBudget, startExchange,
} from './shared_area.js';

/**
 * What this rank's result of a short reduction on `area` is made of: the
 * contributions of ranks `from` to `to - 1` (none when equal), bytes `at` to
 * `at + bytes` of each. One serves every call of a communicator alike.
 *
 * @example
 * ```ts
 * // Rank r of an inclusive Scan of 8 doubles folds ranks 0..r, whole:
 * new SmallReduction(area, reduction, 0, r + 1, 0, 64, (c, s, v) => scan(c, reduction, s, v!, false));
 * ```
 */
export class SmallReduction {
  constructor(
    readonly area: SharedArea,
    readonly reduction: Reduction,
    readonly from: number,
    readonly to: number,
    readonly at: number,
    readonly bytes: number,
    /** The same call over messages, for a communicator whose shared area has no slot. */
    readonly overMessages: (call: Call, send: Uint8Array | undefined, recv: Uint8Array | undefined) => Algorithm<void>,
  ) {}

  /** Folds the contributions (`all`, in rank order) into `recv`, from the right. */
  fold(all: readonly Uint8Array[], recv: Uint8Array | undefined): void {
    if (recv === undefined || this.to <= this.from) return;
    recv.set(this.part(all[this.to - 1]!));
    for (let rank = this.to - 2; rank >= this.from; rank--) this.reduction.apply(this.part(all[rank]!), recv);
  }

  /** {@link fold} of the blocks of exchange `number`, read in place. */
  foldShared(number: number, recv: Uint8Array | undefined): void {
    if (recv === undefined || this.to <= this.from) return;
    recv.set(this.part(sharedBlock(this.area, this.to - 1, number)));
    for (let rank = this.to - 2; rank >= this.from; rank--) {
      this.reduction.apply(this.part(sharedBlock(this.area, rank, number)), recv);
    }
  }

  private part(block: Uint8Array): Uint8Array {
    return this.at === 0 && block.byteLength === this.bytes ? block : block.subarray(this.at, this.at + this.bytes);
  }
}

/**
 * A short reduction through the shared area (over messages when the
 * communicator's area has no slot): `send` is this rank's vector (undefined:
 * in place, in `recv`), `recv` the result's bytes (undefined on a rank that
 * gets no result).
 */
export function* smallReduction(call: Call, plan: SmallReduction, send: Uint8Array | undefined,
  recv: Uint8Array | undefined): Algorithm<void> {
  const area = plan.area;
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') {
    yield* plan.overMessages(call, send, recv);
    return;
  }
  yield* exchangeShared(call, area, send ?? recv!, (all) => plan.fold(all, recv));
}

/** What {@link fastSmallReduction} hands over when it must wait; one serves every call (they never overlap). */
const parked: ParkedExchange = { number: 0, contributed: false, on: undefined, pending: undefined };

/**
 * {@link smallReduction} on an attached shared area, synchronously as far as
 * the contributions come within the fast path's spin: undefined once done,
 * an Error on a mismatch, or the {@link Detour} that finishes the call.
 */
export function fastSmallReduction(call: Call, plan: SmallReduction, send: Uint8Array | undefined,
  recv: Uint8Array | undefined): Detour | Error | undefined {
  const area = plan.area;
  const data = send ?? recv!;
  const number = startExchange(call, area, data, spinBudget(area), parked);
  if (number instanceof Error) return number;
  if (number === undefined) {
    return detour(parked, finishReduction(call, plan, data, recv, parked.number, parked.contributed));
  }
  const checked = checkContributions(call, area, number);
  if (checked !== undefined) return checked;
  try {
    plan.foldShared(number, recv);
  } catch (error) {
    // A user op that throws fails the call, as it does in the algorithm.
    return error instanceof Error ? error : new Error(String(error));
  }
  finishExchange(area, number);
  return undefined;
}

/** The rest of a {@link fastSmallReduction} that had to wait. */
function* finishReduction(call: Call, plan: SmallReduction, data: Uint8Array, recv: Uint8Array | undefined, number: number,
  contributed: boolean): Algorithm<void> {
  yield* exchangeNumbered(call, plan.area, data, (all) => plan.fold(all, recv), number, contributed);
}
