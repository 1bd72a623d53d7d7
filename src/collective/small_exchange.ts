/**
 * Collectives of short data as one exchange on a communicator's shared area:
 * the reductions (`Allreduce`, `Reduce`, `Scan`, `Exscan`,
 * `Reduce_scatter`) and the uniform `Allgather`, `Gather` and `Scatter`.
 *
 * MPI-4.1 §6.5 (gather), §6.6 (scatter), §6.7 (allgather), §6.9.2 (reduce),
 * §6.9.6 (allreduce), §6.10 (reduce-scatter), §6.11 (scan, exscan). Every
 * rank publishes its data in its contribution block (at most
 * `area.contributionBytes`), waits for every other rank's, and takes its
 * result out of them in place ({@link ExchangePlan}): a reduction folds the
 * contributions its result needs from the right, `d_from op (... op
 * d_to-1)` ({@link SmallReduction}: the ranks in rank order, so
 * non-commutative ops are right, and the same operations in the same order
 * on every rank that needs them, so an Allreduce gives every rank the same
 * bits); a gather copies blocks out ({@link BlockCopy}). A rank whose result
 * needs no contribution (a Reduce's or a Gather's non-root, an Exscan's rank
 * 0) takes part all the same: it waits for every contribution, as the
 * blocks' reuse needs. Over messages, the same calls took 1.5 to 4 times as
 * long at 2 ranks (a Reduce of 64 bytes: 4.2-5.1 us, 1.8-2.4 on the area; a
 * Scan 2.7-2.9, 1.8-2.1). With more ranks than cores, Reduce, Gather and
 * Scatter keep to messages (`point_to_point.ts`): there a rank that sends
 * and goes on is worth more than the exchange's single step; Scan, Exscan,
 * Reduce_scatter and Allgather still gain (a Scan of 64 bytes at 4 ranks on
 * 2 cores: 11 against 20 us).
 *
 * A blocking call runs synchronously as far as the contributions come within
 * the fast path's spin ({@link fastSmallExchange}); a communicator whose
 * area has no slot runs the call over messages ({@link ExchangePlan.overMessages}).
 *
 * Unfinished: an in-place `Reduce_scatter` goes by messages (its vector and
 * its result share the receive buffer), and so do the v-forms.
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

/** What a short collective on the shared area contributes and takes; one serves every call of a communicator alike. */
export interface ExchangePlan {
  readonly area: SharedArea;
  /** The same call over messages, for a communicator whose shared area has no slot. */
  readonly overMessages: (call: Call, send: Uint8Array | undefined, recv: Uint8Array | undefined) => Algorithm<void>;
  /** This rank's contribution: what it sends (`send` undefined: in place, in `recv`). */
  contribution(send: Uint8Array | undefined, recv: Uint8Array | undefined): Uint8Array;
  /**
   * Takes this rank's result out of the contributions (`all`, in rank order)
   * into `recv`; a mismatch Error, taking nothing, when one does not fit this call.
   */
  take(call: Call, all: readonly Uint8Array[], recv: Uint8Array | undefined): Error | undefined;
  /** {@link take} from the blocks of exchange `number`, read in place. */
  takeShared(call: Call, number: number, recv: Uint8Array | undefined): Error | undefined;
}

/**
 * The part of each contribution a plan takes: that of ranks `from` to
 * `to - 1` (none when equal), bytes `at` to `at + bytes` of each.
 */
abstract class ContributionParts {
  constructor(
    readonly area: SharedArea,
    readonly from: number,
    readonly to: number,
    readonly at: number,
    readonly bytes: number,
    /** The same call over messages, for a communicator whose shared area has no slot. */
    readonly overMessages: (call: Call, send: Uint8Array | undefined, recv: Uint8Array | undefined) => Algorithm<void>,
  ) {}

  /** This plan's part of a contribution. */
  protected part(block: Uint8Array): Uint8Array {
    return this.at === 0 && block.byteLength === this.bytes ? block : block.subarray(this.at, this.at + this.bytes);
  }
}

/**
 * A reduction's part of each contribution: ranks `from` to `to - 1` (none
 * when equal), bytes `at` to `at + bytes` of each, folded into the result.
 *
 * @example
 * ```ts
 * // Rank r of an inclusive Scan of 8 doubles folds ranks 0..r, whole:
 * new SmallReduction(area, reduction, 0, r + 1, 0, 64, (c, s, v) => scan(c, reduction, s, v!, false));
 * ```
 */
export class SmallReduction extends ContributionParts implements ExchangePlan {
  constructor(area: SharedArea, readonly reduction: Reduction, from: number, to: number, at: number, bytes: number,
    overMessages: (call: Call, send: Uint8Array | undefined, recv: Uint8Array | undefined) => Algorithm<void>) {
    super(area, from, to, at, bytes, overMessages);
  }

  contribution(send: Uint8Array | undefined, recv: Uint8Array | undefined): Uint8Array {
    return send ?? recv!;
  }

  take(_call: Call, all: readonly Uint8Array[], recv: Uint8Array | undefined): undefined {
    // The tags say that every rank reduces alike: the lengths are the same.
    if (recv === undefined || this.to <= this.from) return;
    recv.set(this.part(all[this.to - 1]!));
    for (let rank = this.to - 2; rank >= this.from; rank--) this.reduction.apply(this.part(all[rank]!), recv);
  }

  takeShared(call: Call, number: number, recv: Uint8Array | undefined): Error | undefined {
    const checked = checkContributions(call, this.area, number);
    if (checked !== undefined || recv === undefined || this.to <= this.from) return checked;
    recv.set(this.part(sharedBlock(this.area, this.to - 1, number)));
    for (let rank = this.to - 2; rank >= this.from; rank--) {
      this.reduction.apply(this.part(sharedBlock(this.area, rank, number)), recv);
    }
    return undefined;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A gather's part of each contribution: the blocks of ranks `from` to
 * `to - 1` (none when equal), bytes `at` to `at + bytes` of each, one after
 * another in the result. Each of those ranks must have sent `expected`
 * bytes. In place (no send buffer), this rank sends `ownBytes` bytes of its
 * result from `own` on (none when 0).
 *
 * @example
 * ```ts
 * // Rank r of an Allgather of 16-byte blocks takes every rank's whole block:
 * new BlockCopy(area, 0, size, 0, 16, 16, r * 16, 16, 'this rank', (c, s, v) => allgatherv(c, s, v!, counts, displs));
 * ```
 */
export class BlockCopy extends ContributionParts implements ExchangePlan {
  /** @param expecter - who expects `expected` bytes, in a mismatch error: `the root`, `this rank` */
  constructor(area: SharedArea, from: number, to: number, at: number, bytes: number, readonly expected: number,
    readonly own: number, readonly ownBytes: number, readonly expecter: string,
    overMessages: (call: Call, send: Uint8Array | undefined, recv: Uint8Array | undefined) => Algorithm<void>) {
    super(area, from, to, at, bytes, overMessages);
  }

  contribution(send: Uint8Array | undefined, recv: Uint8Array | undefined): Uint8Array {
    if (send !== undefined) return send;
    return recv === undefined || this.ownBytes === 0 ? EMPTY : recv.subarray(this.own, this.own + this.ownBytes);
  }

  take(call: Call, all: readonly Uint8Array[], recv: Uint8Array | undefined): Error | undefined {
    for (let rank = this.from; rank < this.to; rank++) {
      if (all[rank]!.byteLength !== this.expected) return this.mismatch(call, rank, all[rank]!.byteLength);
    }
    if (recv === undefined) return undefined;
    for (let rank = this.from; rank < this.to; rank++) recv.set(this.part(all[rank]!), (rank - this.from) * this.bytes);
    return undefined;
  }

  takeShared(call: Call, number: number, recv: Uint8Array | undefined): Error | undefined {
    const checked = checkContributions(call, this.area, number);
    if (checked !== undefined) return checked;
    for (let rank = this.from; rank < this.to; rank++) {
      const length = this.area.contributionLength(rank, number);
      if (length !== this.expected) return this.mismatch(call, rank, length);
    }
    if (recv === undefined) return undefined;
    for (let rank = this.from; rank < this.to; rank++) {
      recv.set(this.part(sharedBlock(this.area, rank, number)), (rank - this.from) * this.bytes);
    }
    return undefined;
  }

  private mismatch(call: Call, rank: number, length: number): Error {
    return call.malformed(rank, `it gave ${length} bytes where ${this.expecter} expects ${this.expected}`);
  }
}

/**
 * A short collective through the shared area (over messages when the
 * communicator's area has no slot): `send` is what this rank sends
 * (undefined: in place, in `recv`), `recv` its result's bytes (undefined on
 * a rank that gets no result).
 */
export function* smallExchange(call: Call, plan: ExchangePlan, send: Uint8Array | undefined,
  recv: Uint8Array | undefined): Algorithm<void> {
  const area = plan.area;
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') {
    yield* plan.overMessages(call, send, recv);
    return;
  }
  const mismatch = yield* exchangeShared(call, area, plan.contribution(send, recv), (all) => plan.take(call, all, recv));
  if (mismatch !== undefined) throw mismatch;
}

/** What {@link fastSmallExchange} hands over when it must wait; one serves every call (they never overlap). */
const parked: ParkedExchange = { number: 0, contributed: false, on: undefined, pending: undefined };

/**
 * {@link smallExchange} on an attached shared area, synchronously as far as
 * the contributions come within the fast path's spin: undefined once done,
 * an Error on a mismatch, or the {@link Detour} that finishes the call.
 */
export function fastSmallExchange(call: Call, plan: ExchangePlan, send: Uint8Array | undefined,
  recv: Uint8Array | undefined): Detour | Error | undefined {
  const area = plan.area;
  const data = plan.contribution(send, recv);
  const number = startExchange(call, area, data, spinBudget(area), parked);
  if (number instanceof Error) return number;
  if (number === undefined) {
    return detour(parked, finishExchanging(call, plan, data, recv, parked.number, parked.contributed));
  }
  try {
    const mismatch = plan.takeShared(call, number, recv);
    if (mismatch !== undefined) return mismatch;
  } catch (error) {
    // A user op that throws fails the call, as it does in the algorithm.
    return error instanceof Error ? error : new Error(String(error));
  }
  finishExchange(area, number);
  return undefined;
}

/** The rest of a {@link fastSmallExchange} that had to wait. */
function* finishExchanging(call: Call, plan: ExchangePlan, data: Uint8Array, recv: Uint8Array | undefined, number: number,
  contributed: boolean): Algorithm<void> {
  const mismatch = yield* exchangeNumbered(call, plan.area, data, (all) => plan.take(call, all, recv), number, contributed);
  if (mismatch !== undefined) throw mismatch;
}
