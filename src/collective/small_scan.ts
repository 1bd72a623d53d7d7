/**
 * `Scan` and `Exscan` of short data by a predefined op on a communicator's
 * shared area, as a chain: rank `r` waits for the prefix of rank `r - 1`
 * alone, folds its own data into it and publishes its own prefix, as Open
 * MPI's linear scan passes it on by message.
 *
 * MPI-4.1 §6.11 (scan, exscan). Rank `r`'s block of call `n` holds
 * `d_0 op ... op d_r` (its inclusive prefix, whichever the call), which
 * rank `r + 1` alone reads: each rank reads one block a call, where an
 * exchange's rank `r` read `r + 1` of them (at 8 ranks on 2 cores, 28 lines
 * from other ranks a call in all, and every rank's turn needed all those
 * below it to have had theirs). The fold keeps rank order, so non-commutative
 * ops are right. Within a run of calls of one plan, a rank writes its block
 * again once rank `r + 1`, its only reader, has read the call it held (at
 * 8 ranks on 2 cores the ranks then run as a pipeline, each up to a window of
 * calls ahead of the next); when the block last held another call, or that
 * wait outlasts the spin, once every rank has (`blocksFree`, as every writer
 * on the area).
 *
 * Unfinished: user ops go by messages (see `point_to_point.ts`), as do data
 * longer than a contribution block.
 *
 * @module
 */

import type { Reduction } from '../op/reduction.js';
import type { SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, spinUntil } from './run.js';
import {
  attachArea, blocksFree, blocksFreeNow, contributionNow, detour, earlierMismatch, nextExchange, parkedExchange, runAhead,
  sharedContribution, spinBudget,
} from './shared_area.js';

/**
 * What a chain scan of `bytes` bytes per rank folds and how: `exclusive`
 * for `Exscan` (rank `r` gets the prefix of `r - 1`; rank 0 nothing).
 *
 * @example
 * ```ts
 * // An inclusive Scan of 8 doubles with MPI.SUM:
 * const reduction = new Reduction(ops.SUM, datatypes.DOUBLE);
 * new ScanChain(area, reduction, 64, false, (c, s, r) => scan(c, reduction, s, r, false));
 * ```
 */
export class ScanChain {
  /** This rank's prefix in an `Exscan` (its result is the one before): no allocation per call. */
  private scratch: Uint8Array | undefined;
  /** The first call of the run of this plan's calls that ends with the last one, and the number that continues it. */
  private runFrom = 0;
  private runNext = 0;

  constructor(
    readonly area: SharedArea,
    readonly reduction: Reduction,
    readonly bytes: number,
    readonly exclusive: boolean,
    /** The same call over messages, for a communicator whose shared area has no slot. */
    readonly overMessages: (call: Call, send: Uint8Array | undefined, recv: Uint8Array) => Algorithm<void>,
  ) {}

  /**
   * Whether this rank's block for call `number` last held a call of this
   * plan's run (`number` the call after the last one), or nothing yet:
   * then the next rank alone read it, and its read mark alone says the
   * block is free.
   */
  inRun(number: number): boolean {
    if (number !== this.runNext) this.runFrom = number;
    this.runNext = number + 1;
    // The first `blocks` calls on the area write blocks that nobody has used: the next rank's read mark says so too,
    // and the first call looks at it, as every later call of a run does (V8 has seen the look when it optimizes).
    return ((number - this.area.blocks - this.runFrom) | 0) >= 0 || number <= this.area.blocks;
  }

  /**
   * Rank `call.rank`'s part of call `number`, once its block is free and its
   * predecessor's prefix is there: folds, publishes its prefix and marks its
   * read; a mismatch Error when the predecessor's block is another call's.
   */
  fold(call: Call, number: number, send: Uint8Array | undefined, recv: Uint8Array): Error | undefined {
    const rank = call.rank;
    const area = this.area;
    const before = rank === 0 ? undefined : sharedContribution(call, area, rank - 1, number);
    if (before instanceof Error) return before;
    if (rank > 0 && before === undefined) return call.malformed(rank - 1, 'a block larger than the shared area');
    const own = send ?? recv;
    let prefix = recv;
    if (this.exclusive) {
      prefix = this.scratch ??= new Uint8Array(this.bytes);
      prefix.set(own);
      if (before !== undefined) {
        this.reduction.apply(before, prefix);
        recv.set(before);
      }
    } else {
      if (send !== undefined) recv.set(send);
      if (before !== undefined) this.reduction.apply(before, recv);
    }
    area.markRead(number);
    area.settled = false;
    // The read mark is stored above (and wakes whoever waits for every read); the block wakes the next rank, its
    // only reader (the last rank's has none: it names itself, awake).
    area.contribute(number, call.tag, prefix, Math.min(rank + 1, call.size - 1));
    return undefined;
  }
}

/** Where {@link chainNumbered} goes on from. */
const Stage = {
  /** Before its wait for this rank's block to be free. */
  FREE: 0,
  /** Before its wait for the predecessor's prefix. */
  PREFIX: 1,
} as const;

type StageValue = (typeof Stage)[keyof typeof Stage];

/**
 * A chain scan (see the module's note) on the shared area, or over messages
 * when the communicator's area has no slot: `send` is this rank's data
 * (undefined: in place, in `recv`), `recv` its result.
 */
export function* chainScan(call: Call, plan: ScanChain, send: Uint8Array | undefined, recv: Uint8Array): Algorithm<void> {
  const area = plan.area;
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') yield* plan.overMessages(call, send, recv);
  else yield* chainNumbered(call, plan, send, recv, nextExchange(call, area), Stage.FREE);
}

/** Chain scan `number`, from `stage` on (where {@link fastChainScan} stopped). */
function* chainNumbered(call: Call, plan: ScanChain, send: Uint8Array | undefined, recv: Uint8Array, number: number,
  stage: StageValue): Algorithm<void> {
  const area = plan.area;
  if (stage === Stage.FREE) yield* blocksFree(call, area, number);
  if (call.rank > 0) {
    const arrived = area.contributed(call.rank - 1, number, true);
    if (!arrived.test()) yield arrived;
  }
  const mismatch = plan.fold(call, number, send, recv);
  if (mismatch !== undefined) throw mismatch;
}

/** What {@link fastChainScan} hands over when it must wait; one serves every call (they never overlap). */
const parkedChain = parkedExchange();

/**
 * {@link chainScan} on an attached shared area, synchronously as far as the
 * waits end within the fast path's spin: undefined once done, an Error on a
 * mismatch, or the {@link Detour} that finishes the call.
 */
export function fastChainScan(call: Call, plan: ScanChain, send: Uint8Array | undefined, recv: Uint8Array,
): Detour | Error | undefined {
  const area = plan.area;
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const number = area.nextReduction();
  const budget = spinBudget(area, parkedChain);
  const inRun = plan.inRun(number);
  const read = number - runAhead(area, parkedChain);
  // Both looks run from the first call, so that V8 has seen them when it optimizes: out of a run, the next rank's
  // look is at exchange 0, which every rank has read.
  const free = readByNextNow(call, area, inRun ? read : 0, budget) && (inRun || blocksFreeNow(call, area, number, budget,
    parkedChain));
  if (!free) {
    return detour(parkedChain, chainNumbered(call, plan, send, recv, number, Stage.FREE));
  }
  if (call.rank > 0 && !contributionNow(area, call.rank - 1, number, budget, parkedChain, true)) {
    return detour(parkedChain, chainNumbered(call, plan, send, recv, number, Stage.PREFIX));
  }
  return plan.fold(call, number, send, recv);
}

/**
 * Whether the next rank has read call `read` (the last rank's block has no
 * reader), within `budget`; false when the wait outlasted it (the caller
 * then waits for every rank's read, as any writer does).
 */
function readByNextNow(call: Call, area: SharedArea, read: number, budget: number): boolean {
  const next = call.rank + 1;
  return next === call.size || spinUntil(area.readBy(next, read), budget, area.yieldCore);
}
