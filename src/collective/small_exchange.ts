/**
 * Collectives of short data on a communicator's shared area: the reductions
 * (`Allreduce`, `Reduce`, `Reduce_scatter`) and the uniform `Allgather`,
 * `Gather` and `Scatter` (`Scan` and `Exscan` pass a chain: `small_scan.ts`).
 *
 * MPI-4.1 §6.5 (gather), §6.6 (scatter), §6.7 (allgather), §6.9.2 (reduce),
 * §6.9.6 (allreduce), §6.10 (reduce-scatter). Each
 * rank publishes its data in its contribution block (at most
 * `area.contributionBytes`) and takes its result out of the blocks in place
 * ({@link ExchangePlan}): a reduction folds the contributions its result
 * needs from the right, `d_from op (... op d_to-1)` ({@link SmallReduction}:
 * the ranks in rank order, so non-commutative ops are right, and the same
 * operations in the same order on every rank that needs them, so an
 * Allreduce gives every rank the same bits); a gather copies blocks out
 * ({@link BlockCopy}). Three protocols:
 * - an exchange ({@link smallExchange}: `Allreduce`, `Reduce_scatter`,
 *   `Allgather`): every rank contributes and waits for every member's
 *   contribution;
 * - to one rank ({@link smallToRoot}: `Reduce`, `Gather`): the others write
 *   and go on, as the leaves of a tree send and go on, and the root reads;
 *   at 2 ranks the p50 of an 8-byte Reduce fell from 1.1-1.6 to 0.6-0.9 us,
 *   of a Gather from 1.2-1.9 to 0.6-0.8 (those of the exchange; over
 *   messages they took 4-5 us);
 * - from one rank ({@link smallFromRoot}: `Scatter`): a broadcast of the
 *   root's blocks, each rank taking its own (p50 2.6 to 1.1-1.2 us).
 * A rank that writes and goes on runs up to `area.blocks` calls ahead of the
 * slowest reader (`runAhead`): with more ranks than cores, as many calls in
 * each turn on a core (see `contributionBlocks` in `transport/shm/layout.ts`).
 *
 * A blocking call runs synchronously as far as the contributions come within
 * the fast path's spin ({@link fastSmallExchange}); a communicator whose
 * area has no slot runs the call over messages ({@link ExchangePlan.overMessages}).
 *
 * Unfinished: an in-place `Reduce_scatter` goes by messages (its vector and
 * its result share the receive buffer), and so do the v-forms. A call to one
 * rank where no rank takes itself for the root (each names another) ends
 * without an error, as over MPI's own messages: nobody reads the blocks.
 *
 * @module
 */

import { sameMemory } from '../buffer.js';
import type { Reduction } from '../op/reduction.js';
import type { SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import type { Algorithm, Detour } from './run.js';
import {
  attachArea, blocksFree, blocksFreeNow, broadcastNumbered, checkContributions, contributionNow, detour, earlierMismatch,
  exchangeNumbered, finishExchange, nextExchange, parkedExchange, sharedBlock, sharedContribution, spinBudget,
  startBroadcast, startExchange,
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
  /**
   * {@link takeShared} at the root of a call to one rank ({@link smallToRoot}):
   * from the other ranks' blocks of exchange `number` and this rank's
   * contribution `own`, which is not on the area.
   */
  takeAtRoot(call: Call, number: number, own: Uint8Array, recv: Uint8Array | undefined): Error | undefined;
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
 * // Rank r of a Reduce_scatter of one double per rank folds element r of every rank's vector:
 * new SmallReduction(area, reduction, 0, size, 8 * r, 8, (c, s, v) => reduceScatter(c, reduction, s, v!, counts));
 * ```
 */
export class SmallReduction extends ContributionParts implements ExchangePlan {
  /** A copy of a root's own data (see {@link takeAtRoot}). */
  private scratch: Uint8Array | undefined;

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
    const checked = checkContributions(call, this.area, number, -1, this.to);
    if (checked !== undefined || recv === undefined || this.to <= this.from) return checked;
    recv.set(this.part(sharedBlock(this.area, this.to - 1, number)));
    for (let rank = this.to - 2; rank >= this.from; rank--) {
      this.reduction.apply(this.part(sharedBlock(this.area, rank, number)), recv);
    }
    return undefined;
  }

  takeAtRoot(call: Call, number: number, own: Uint8Array, recv: Uint8Array | undefined): Error | undefined {
    const checked = checkContributions(call, this.area, number, call.rank, call.size);
    if (checked !== undefined || recv === undefined || this.to <= this.from) return checked;
    const root = call.rank;
    // In place, the fold from the right writes over this rank's data before it reaches it: it folds a copy.
    const mine = this.part(root !== this.to - 1 && sameMemory(own, recv) ? this.copy(own) : own);
    recv.set(this.to - 1 === root ? mine : this.part(sharedBlock(this.area, this.to - 1, number)));
    for (let rank = this.to - 2; rank >= this.from; rank--) {
      this.reduction.apply(rank === root ? mine : this.part(sharedBlock(this.area, rank, number)), recv);
    }
    return undefined;
  }

  /** `data` in this plan's scratch (a short contribution: no allocation per call). */
  private copy(data: Uint8Array): Uint8Array {
    const scratch = this.scratch ??= new Uint8Array(data.byteLength);
    scratch.set(data);
    return scratch;
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
    const checked = checkContributions(call, this.area, number, -1, this.to);
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

  takeAtRoot(call: Call, number: number, own: Uint8Array, recv: Uint8Array | undefined): Error | undefined {
    const checked = checkContributions(call, this.area, number, call.rank, call.size);
    if (checked !== undefined) return checked;
    const root = call.rank;
    for (let rank = this.from; rank < this.to; rank++) {
      const length = rank === root ? own.byteLength : this.area.contributionLength(rank, number);
      if (length !== this.expected) return this.mismatch(call, rank, length);
    }
    if (recv === undefined) return undefined;
    for (let rank = this.from; rank < this.to; rank++) {
      recv.set(this.part(rank === root ? own : sharedBlock(this.area, rank, number)), (rank - this.from) * this.bytes);
    }
    return undefined;
  }

  /**
   * A member's take of a call from one rank ({@link smallFromRoot}): its part
   * of `bytes`, the block of the root (rank `from`), which must have sent
   * `expected` bytes (undefined: a block too large for the area).
   */
  takeRootBlock(call: Call, bytes: Uint8Array | undefined, recv: Uint8Array | undefined): Error | undefined {
    if (bytes === undefined) return call.malformed(this.from, 'a block larger than the shared area');
    if (bytes.byteLength !== this.expected) return this.mismatch(call, this.from, bytes.byteLength);
    recv?.set(this.part(bytes));
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
  if (!(yield* attached(call, plan, send, recv))) return;
  const area = plan.area;
  const mismatch = yield* exchangeNumbered(call, area, plan.contribution(send, recv), (all) => plan.take(call, all, recv),
    nextExchange(call, area), false);
  if (mismatch !== undefined) throw mismatch;
}

/**
 * At a communicator's first call that can use the shared area, attaches it;
 * true when the call runs on it, false once it has run over messages (the
 * communicator's area has no slot).
 */
function* attached(call: Call, plan: ExchangePlan, send: Uint8Array | undefined,
  recv: Uint8Array | undefined): Algorithm<boolean> {
  const area = plan.area;
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode === 'shared') return true;
  yield* plan.overMessages(call, send, recv);
  return false;
}

/** What {@link fastSmallExchange} hands over when it must wait; one serves every call (they never overlap). */
const parked = parkedExchange();

/**
 * {@link smallExchange} on an attached shared area, synchronously as far as
 * the contributions come within the fast path's spin: undefined once done,
 * an Error on a mismatch, or the {@link Detour} that finishes the call.
 */
export function fastSmallExchange(call: Call, plan: ExchangePlan, send: Uint8Array | undefined,
  recv: Uint8Array | undefined): Detour | Error | undefined {
  const area = plan.area;
  const data = plan.contribution(send, recv);
  const number = startExchange(call, area, data, spinBudget(area, parked), parked);
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
  const mismatch = yield* exchangeNumbered(call, plan.area, data, (all) => plan.take(call, all, recv), number,
    contributed);
  if (mismatch !== undefined) throw mismatch;
}

/**
 * A short collective to one rank (`Reduce`, `Gather`) through the shared
 * area (over messages when the communicator's area has no slot): the other
 * ranks write their contributions and go on, without waiting for one
 * another, as a leaf of a tree sends and goes on; `root` alone waits for
 * them and takes its result out of them and its own data, which it does not
 * write. A rank writes a block again only once every rank has finished with
 * its last use (`blocksFree`), so it runs at most `area.blocks` calls
 * ahead of the root. `send` and `recv` as in {@link smallExchange}.
 */
export function* smallToRoot(call: Call, plan: ExchangePlan, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  root: number): Algorithm<void> {
  if (!(yield* attached(call, plan, send, recv))) return;
  const area = plan.area;
  const number = nextExchange(call, area);
  const data = plan.contribution(send, recv);
  if (call.rank === root) yield* readAtRoot(call, plan, data, recv, number, 0);
  else yield* contributeToRoot(call, area, data, root, number);
}

/** A member's part of {@link smallToRoot} `number`, from its wait for its block to be free on. */
function* contributeToRoot(call: Call, area: SharedArea, data: Uint8Array, root: number, number: number): Algorithm<void> {
  yield* blocksFree(call, area, number);
  area.settled = false;
  // Its read mark goes with it (it reads nothing), and it wakes the root alone.
  area.contribute(number, call.tag, data, root);
}

/** The root's part of {@link smallToRoot} `number`, from its wait for member `from` on. */
function* readAtRoot(call: Call, plan: ExchangePlan, own: Uint8Array, recv: Uint8Array | undefined, number: number,
  from: number): Algorithm<void> {
  const area = plan.area;
  area.settled = false;
  for (; from < call.size; from++) {
    if (from === call.rank) continue;
    const arrived = area.contributed(from, number);
    if (!arrived.test()) yield arrived;
  }
  const mismatch = plan.takeAtRoot(call, number, own, recv);
  if (mismatch !== undefined) throw mismatch;
  area.markRead(number);
}

/** What {@link fastSmallToRoot} hands over when it must wait; one serves every call (they never overlap). */
const parkedToRoot = parkedExchange();

/**
 * {@link smallToRoot} on an attached shared area, synchronously as far as a
 * member's block is free, or the root's contributions come, within the fast
 * path's spin: undefined once done, an Error on a mismatch, or the
 * {@link Detour} that finishes the call.
 */
export function fastSmallToRoot(call: Call, plan: ExchangePlan, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  root: number): Detour | Error | undefined {
  const area = plan.area;
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const number = area.nextReduction();
  const budget = spinBudget(area, parkedToRoot);
  const data = plan.contribution(send, recv);
  if (call.rank !== root) {
    if (!blocksFreeNow(call, area, number, budget, parkedToRoot)) {
      return detour(parkedToRoot, contributeToRoot(call, area, data, root, number));
    }
    area.settled = false;
    area.contribute(number, call.tag, data, root);
    return undefined;
  }
  area.settled = false;
  for (let from = 0; from < call.size; from++) {
    if (from !== root && !contributionNow(area, from, number, budget, parkedToRoot)) {
      return detour(parkedToRoot, readAtRoot(call, plan, data, recv, number, from));
    }
  }
  const taken = plan.takeAtRoot(call, number, data, recv);
  if (taken !== undefined) return taken;
  area.markRead(number);
  return undefined;
}

/**
 * A short collective from one rank (`Scatter`) through the shared area (over
 * messages when the communicator's area has no slot), as a broadcast: `root`
 * writes all it sends into its block and goes on; every other rank takes its
 * part of that block. `plan` takes the part of rank `root`'s contribution;
 * `send` and `recv` as in {@link smallExchange}.
 */
export function* smallFromRoot(call: Call, plan: BlockCopy, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  root: number): Algorithm<void> {
  if (!(yield* attached(call, plan, send, recv))) return;
  yield* fromRootNumbered(call, plan, send, recv, root, nextExchange(call, plan.area));
}

/** {@link smallFromRoot} `number`, from its start or from where {@link fastSmallFromRoot} parked. */
function* fromRootNumbered(call: Call, plan: BlockCopy, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  root: number, number: number): Algorithm<void> {
  const atRoot = call.rank === root;
  yield* broadcastNumbered(call, plan.area, root, atRoot ? plan.contribution(send, recv) : undefined, (bytes) => {
    const mismatch = plan.takeRootBlock(call, bytes, recv);
    if (mismatch !== undefined) throw mismatch;
  }, number);
  if (atRoot) plan.takeRootBlock(call, send, recv);
}

/** What {@link fastSmallFromRoot} hands over when it must wait; one serves every call (they never overlap). */
const parkedFromRoot = parkedExchange();

/**
 * {@link smallFromRoot} on an attached shared area, synchronously as far as
 * the root's block is free, or a member's part comes, within the fast
 * path's spin: undefined once done, an Error on a mismatch, or the
 * {@link Detour} that finishes the call.
 */
export function fastSmallFromRoot(call: Call, plan: BlockCopy, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  root: number): Detour | Error | undefined {
  const area = plan.area;
  const atRoot = call.rank === root;
  const data = atRoot ? plan.contribution(send, recv) : undefined;
  const number = startBroadcast(call, area, root, data, spinBudget(area, parkedFromRoot), parkedFromRoot);
  if (number instanceof Error) return number;
  if (parkedFromRoot.on !== undefined) return detour(parkedFromRoot, fromRootNumbered(call, plan, send, recv, root, number));
  if (atRoot) return plan.takeRootBlock(call, send, recv);
  const bytes = sharedContribution(call, area, root, number);
  if (bytes instanceof Error) return bytes;
  const mismatch = plan.takeRootBlock(call, bytes, recv);
  if (mismatch !== undefined) return mismatch;
  area.markRead(number);
  return undefined;
}
