/**
 * The protocols that run a communicator's barriers and its collectives of
 * small data on words in shared memory ({@link SharedArea}, which a transport
 * whose ranks share memory provides: shm).
 *
 * MPI-4.1 §6.3 (barrier), §6.4 (broadcast), §6.7 (allgather), §6.9.6
 * (allreduce). Signalling a peer through a word it watches costs a store,
 * where an empty message costs a ring record, matching and a doorbell (a
 * barrier round takes about a third of the time); a small broadcast,
 * reduction or allgather then reads the contributions in place. Each member
 * has `area.blocks` contribution blocks, used by turns: an exchange (every
 * member contributes) or a broadcast (the root does) writes them, and a
 * block is written again only once every member has read it, so a rank that
 * writes and goes on runs at most that many calls ahead of the slowest.
 * Rank 0 takes an area at the communicator's first call that can use one and
 * broadcasts which; a communicator that finds none left stays on messages.
 *
 * A blocking Bcast or Allreduce runs its part synchronously where it can
 * ({@link fastBroadcastShared}, {@link startExchange}: each wait polls for
 * `tuning.syncSpinMicros`), and hands over to {@link broadcastNumbered} or
 * {@link exchangeNumbered} at the wait that outlasts that.
 *
 * The object `gather` of small values goes through the area too
 * ({@link publishForGather}): members write their encoded values, the root
 * reads them; a value too large for a block goes by message.
 *
 * The object `bcast`, `gather` (and `reduce`, a gather), `allgather` and
 * `allreduce` have synchronous fast paths too ({@link startBroadcast}, {@link blocksFreeNow},
 * {@link startExchange}).
 *
 * The short reductions and the uniform buffer gathers and scatters take
 * one exchange (`small_exchange.ts`), as a uniform `Alltoall` of small
 * blocks does (`alltoall.ts`). Longer data can go by reference: a block
 * then says where its writer keeps the data (on shm, `MPI.alloc` memory),
 * and the readers take it from there; the writer goes on once all have
 * (a Bcast's root, `broadcast.ts`; every member of an exchange by
 * reference, {@link referenceExchangeNumbered}: the Allreduce and the
 * uniform Alltoall of more than a block).
 *
 * Unfinished: the v-forms of gather and scatter of small data still go by
 * messages; a fast call still makes its `Call` and byte views.
 *
 * @module
 */

import type { Bytes } from '../buffer.js';
import { callAny } from '../transport/call_any.js';
import { pastFirst } from '../transport/past_first.js';
import type { Operation, SharedArea } from '../transport/transport.js';
import { binomial } from './binomial.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, spinUntil } from './run.js';
import { fieldsOf } from './signature.js';
import { tuning } from './tuning.js';

const ANY = -1;

/**
 * Before exchange `number`: a member that has not yet read exchange
 * `number - area.blocks`, whose blocks this one writes again (a Bcast root
 * waits for nobody, so it could otherwise come round while a slow rank
 * still reads), or undefined.
 */
function unread(call: Call, area: SharedArea, number: number): Operation | undefined {
  return number <= area.blocks || area.settled ? undefined : unreadBy(call, area, number - area.blocks);
}

/** A member that has not yet read exchange `read`, or undefined. */
function unreadBy(call: Call, area: SharedArea, read: number): Operation | undefined {
  for (let member = 0; member < call.size; member++) {
    const wait = area.readBy(member, read);
    if (!wait.test()) return wait;
  }
  return undefined;
}

/** Waits until every member has read exchange `read` (a broadcast's root by reference, before it lets its buffer go). */
export function* readByAll(call: Call, area: SharedArea, read: number): Algorithm<void> {
  for (let wait = unreadBy(call, area, read); wait !== undefined; wait = unreadBy(call, area, read)) yield wait;
}

/**
 * Waits until every member has read exchange `number - area.blocks`, whose
 * blocks exchange `number` writes again (see `unread`).
 */
export function* blocksFree(call: Call, area: SharedArea, number: number): Algorithm<void> {
  for (let wait = unread(call, area, number); wait !== undefined; wait = unread(call, area, number)) yield wait;
}

/** `data` when it fits a contribution block of `area`, else undefined (a block then says the call goes on by message). */
export function blockData(area: SharedArea, data: Bytes | undefined): Uint8Array | undefined {
  return data instanceof Uint8Array && data.byteLength <= area.contributionBytes ? data : undefined;
}

/**
 * A member's part of a gather `number` to another rank on the area (object
 * `gather`): publishes `data` when it fits a block (else nothing, and the
 * caller sends it by message); true when it did. Call it once
 * {@link blocksFree}. The root reads the blocks with
 * {@link sharedContribution} and then calls `area.markRead(number)`.
 */
export function publishForGather(call: Call, area: SharedArea, number: number, data: Bytes, root: number): boolean {
  area.settled = false;
  const small = blockData(area, data);
  // The root reads each block as it comes: this one wakes it (no contribution of the root completes a set).
  area.contribute(number, call.tag, small, root);
  return small !== undefined;
}

/**
 * {@link blocksFree} synchronously, for a fast path (see
 * {@link startExchange} for `budget` and `parked`): true once the blocks of
 * exchange `number` are free, false when a wait outlasted the spin (then
 * `parked` says what it waits for).
 */
export function blocksFreeNow(call: Call, area: SharedArea, number: number, budget: number, parked: ParkedExchange): boolean {
  // No shortcut for the first calls: their reads are below the first floor, so the first call looks.
  return area.settled || readByAllNow(call, area, number - runAhead(area, parked), budget, parked);
}

/**
 * How many calls ahead of the slowest reader the fast path that `parked`
 * belongs to lets this rank write: `area.blocks`, but at most
 * `tuning.shallowRunAhead` in its first `tuning.shallowCalls` calls in the
 * process (any number up to `area.blocks` is safe: read marks only grow).
 * With the many blocks of ranks above cores, a writer would first wait for
 * a reader 64 calls into a loop, after V8 optimized its fast path without
 * that wait, and the first waits that outlasted the spin deoptimized it on
 * every rank: at 4 ranks on 2 cores, the first loop of 2,000 8-byte Bcasts
 * after Barriers took 5-16 us a call; a short run ahead makes those waits
 * in the calls V8 learns from.
 */
export function runAhead(area: SharedArea, parked: ParkedExchange): number {
  // At least one call ahead, whatever `MPI4TS_COLLECTIVE_TUNING` says: 0 would wait for reads of the call itself.
  const shallow = Math.max(1, Math.min(area.blocks, tuning.shallowRunAhead));
  const past = pastFirst(parked.calls, tuning.shallowCalls);
  return shallow + past * (area.blocks - shallow);
}

/**
 * {@link readByAll} synchronously, for a fast path (see {@link startExchange}
 * for `budget` and `parked`): true once every member has read exchange
 * `read`, false when a wait outlasted the spin (then `parked` says what it
 * waits for). Up to `area.readFloor` it looks at nothing: a look at every
 * member's read mark (a line each, which its member has just written) then
 * serves the calls until the lowest mark it saw, where the members keep up,
 * the next `area.blocks` or so.
 */
export function readByAllNow(call: Call, area: SharedArea, read: number, budget: number, parked: ParkedExchange): boolean {
  // Every member from 0 where the floor falls short, none where it does not: one loop for both, which each call runs.
  let member = read <= area.readFloor ? call.size : 0;
  for (; member < call.size; member++) {
    const wait = area.readBy(member, read);
    if (!spinUntil(wait, budget, area.yieldCore) && park(wait, parked)) break;
  }
  // The lines just looked at are in this rank's cache now: their lowest mark, a second look, costs little.
  if (member === call.size && read > area.readFloor) area.readFloor = area.lowestRead(read);
  return member === call.size;
}

/** Numbers the next exchange on the area, after checking the last broadcast this rank was the root of. */
export function nextExchange(call: Call, area: SharedArea): number {
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) throw mismatch;
  return area.nextReduction();
}

/** Member `from`'s contribution to `number`, checked against this call: its bytes, or undefined when it did not fit. */
function contributionOf(call: Call, area: SharedArea, from: number, number: number): Uint8Array | undefined {
  const theirs = area.contributionTag(from, number);
  if (theirs !== call.tag) throw call.mismatch(from, theirs, -1, -1);
  const length = area.contributionLength(from, number);
  return length < 0 ? undefined : area.contributionData(from, number, length);
}

/**
 * Every rank's `data` (an encoded value), through the shared area, handed in
 * rank order to `use`, whose result this returns; undefined when some rank's
 * did not fit, and then every rank knows it and goes on with messages. A tag
 * that is not this call's is a mismatch.
 */
export function* exchangeShared<T>(call: Call, area: SharedArea, data: Bytes,
  use: (all: Uint8Array[]) => T): Algorithm<T | undefined> {
  return yield* exchangeNumbered(call, area, data, use, nextExchange(call, area), false);
}

/**
 * Exchange `number` of {@link exchangeShared}, from wherever a fast path
 * left it: before this rank's contribution, or (`contributed`) after it.
 * Every step before the contribution only looks, so running this again
 * from the start of a stage is harmless.
 */
export function* exchangeNumbered<T>(call: Call, area: SharedArea, data: Bytes,
  use: (all: Uint8Array[]) => T, number: number, contributed: boolean): Algorithm<T | undefined> {
  const tag = call.tag;
  if (!contributed) {
    for (let wait = unread(call, area, number); wait !== undefined; wait = unread(call, area, number)) yield wait;
    area.contribute(number, tag, blockData(area, data));
  }
  const all: Uint8Array[] = [];
  let fits = true;
  for (let from = 0; from < call.size; from++) {
    const arrived = area.contributed(from, number);
    if (!arrived.test()) yield arrived;
    const bytes = contributionOf(call, area, from, number);
    if (bytes === undefined) fits = false;
    else all.push(bytes);
  }
  const result = fits ? callAny(use, all) : undefined;
  finishExchange(area, number);
  return result;
}

/**
 * The synchronous part of an exchange of `data` (which fits a contribution
 * block) on the shared area, for a fast path: numbers it, waits (a
 * {@link spinUntil} of `budget` microseconds at most per wait) for the
 * blocks to be free, contributes, and waits for the contributions of every
 * member. Returns the exchange's number once all are there (the caller
 * checks them with {@link checkContributions} and reads them with
 * {@link sharedBlock}, then calls {@link finishExchange}), an Error on a
 * mismatch, or what the caller needs to hand over to
 * {@link exchangeNumbered}: the operation it is parked on with its Promise,
 * the number, and whether this rank has contributed.
 */
export function startExchange(call: Call, area: SharedArea, data: Uint8Array | undefined, budget: number,
  parked: ParkedExchange): number | Error | undefined {
  const number = freeBlocksNow(call, area, budget, parked);
  if (typeof number === 'number') area.contribute(number, call.tag, data);
  return typeof number === 'number' ? contributionsNow(area, number, budget, parked, call.size) : number;
}

/**
 * {@link startExchange} by reference ({@link referenceExchangeNumbered}):
 * publishes where `data` lies (undefined: that it cannot), every member's
 * block awaited; the caller checks the blocks with {@link referencesAt},
 * takes its part and ends with {@link finishReferenceExchange}, and hands
 * over at stage `parked.contributed ? PUBLISHED : FREE`. A function of its
 * own rather than a flag of {@link startExchange}: the flag's branch had no
 * type feedback in the small exchanges' optimized code, and the first
 * exchange by reference deoptimized them all.
 */
export function startReferenceExchange(call: Call, area: SharedArea, data: Uint8Array | undefined, budget: number,
  parked: ParkedExchange): number | Error | undefined {
  const number = freeBlocksNow(call, area, budget, parked);
  if (typeof number === 'number') publishReference(call, area, data, number);
  return typeof number === 'number' ? contributionsNow(area, number, budget, parked, call.size) : number;
}

/** The next exchange's number once its blocks are free, an Error on an earlier mismatch, undefined when parked. */
function freeBlocksNow(call: Call, area: SharedArea, budget: number, parked: ParkedExchange): number | Error | undefined {
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const number = area.nextReduction();
  parked.number = number;
  parked.contributed = false;
  return blocksFreeNow(call, area, number, budget, parked) ? number : undefined;
}

/**
 * Whether member `from`'s block of call `number` is there and the fast path
 * that `parked` belongs to is past its first `tuning.firstCalls` calls: then
 * the caller skips the block's wait object (a lookup, a renew and a poll).
 * The first calls take it whatever, so that V8 compiles its functions then:
 * on Node 22 and 24, which compile a function after so many calls of it, a
 * Bcast member that found the root's block there at most calls compiled them
 * hundreds of calls into its loop, a stall of 1.2 ms.
 */
function arrivedNow(area: SharedArea, from: number, number: number, parked: ParkedExchange): boolean {
  return area.holds(from, number) && parked.calls > tuning.firstCalls;
}

/**
 * Whether member `from`'s block of call `number` is there, looked at first
 * ({@link arrivedNow}), else waited for through its wait object within
 * `budget`: false once the wait outlasted it and `parked` holds the wait
 * (then the caller hands over to its detour). `alone` as in
 * `SharedArea.contributed`: the block is a broadcast's, the only one waited
 * for. The one step of every fast path that reads another rank's block.
 */
export function contributionNow(area: SharedArea, from: number, number: number, budget: number, parked: ParkedExchange,
  alone = false): boolean {
  if (arrivedNow(area, from, number, parked)) return true;
  const arrived = area.contributed(from, number, alone);
  return spinUntil(arrived, budget, area.yieldCore) || !park(arrived, parked);
}

/** `number` once every member's block (of the `size` members) has arrived within `budget`, undefined when parked. */
function contributionsNow(area: SharedArea, number: number, budget: number, parked: ParkedExchange,
  size: number): number | undefined {
  parked.contributed = true;
  let from = 0;
  while (from < size && contributionNow(area, from, number, budget, parked)) from++;
  return from === size ? number : undefined;
}

/** Where a fast path's exchange or broadcast stopped (see {@link startExchange}); one per caller, reused. */
export interface ParkedExchange {
  /** Calls of this fast path so far in the process (see `spinBudget`). */
  calls: number;
  number: number;
  contributed: boolean;
  on: Operation | undefined;
  pending: Promise<void> | undefined;
}

/** A {@link ParkedExchange} for a fast path: every one comes from here, with one hidden class. */
export function parkedExchange(): ParkedExchange {
  return { calls: 0, number: 0, contributed: false, on: undefined, pending: undefined };
}

/**
 * Gives each field of {@link parkedExchange}'s hidden class a second value,
 * once, at load: V8 takes a field that has held one value alone for a
 * constant, and the code it optimized on that (no fast path had parked yet)
 * was thrown away at the first park, in the middle of the user's loop
 * ("dependent code ... for deoptimization").
 */
function varyParkedFields(): void {
  const parked = parkedExchange() as { [K in keyof ParkedExchange]: unknown };
  parked.calls = 1;
  parked.number = 1;
  parked.contributed = true;
  parked.on = parked;
  parked.pending = parked;
}
varyParkedFields();

/**
 * The {@link Detour} of a fast path that {@link startExchange} or a broadcast
 * parked: `rest` finishes the call; `parked` is cleared for the next call.
 */
export function detour<T>(parked: ParkedExchange, rest: Algorithm<T>): Detour<T> {
  const taken: Detour<T> = { rest, parkedOn: parked.on!, pending: parked.pending! };
  parked.on = undefined;
  parked.pending = undefined;
  return taken;
}

/** Starts the Promise wait on `op`; true (and `op` and its Promise noted in `parked`) unless it completed meanwhile. */
export function park(op: Operation, parked: ParkedExchange): boolean {
  const pending = op.wait();
  if (op.test()) return false;
  parked.on = op;
  parked.pending = pending;
  return true;
}

/**
 * Member `from`'s block of exchange or broadcast `number`, checked against
 * this call: its bytes, a mismatch Error, or undefined when it did not fit.
 */
export function sharedContribution(call: Call, area: SharedArea, from: number, number: number): Uint8Array | Error | undefined {
  const theirs = area.contributionTag(from, number);
  if (theirs !== call.tag) return call.mismatch(from, theirs, -1, -1);
  const length = area.contributionLength(from, number);
  return length < 0 ? undefined : area.contributionData(from, number, length);
}

/**
 * Checks every member's block of exchange `number` against this call (but
 * that of member `except`: a root whose own data is not on the area; those
 * below `upTo` alone: the ones a plan takes): a mismatch Error (or one for a
 * block that did not fit), or undefined when all can be read with
 * {@link sharedBlock}. (`except` -1 and `upTo` `call.size` for all; no
 * defaults: a default read by some callers alone was left without type
 * feedback in the optimized code of the others, and their first call deoptimized it.)
 */
export function checkContributions(call: Call, area: SharedArea, number: number, except: number,
  upTo: number): Error | undefined {
  for (let from = 0; from < upTo; from++) {
    if (from === except) continue;
    const theirs = area.contributionTag(from, number);
    if (theirs !== call.tag) return call.mismatch(from, theirs, -1, -1);
    if (area.contributionLength(from, number) < 0) return call.malformed(from, 'a block larger than the shared area');
  }
  return undefined;
}

/** Member `from`'s block of exchange `number`, once checked. */
export function sharedBlock(area: SharedArea, from: number, number: number): Uint8Array {
  return area.contributionData(from, number, area.contributionLength(from, number));
}

/** Where an exchange by reference goes on from ({@link referenceExchangeNumbered}). */
export const ReferenceStage = {
  /** Before its wait for this rank's block to be free. */
  FREE: 0,
  /** Published: before its wait for the others' blocks (looking at one that came is harmless). */
  PUBLISHED: 1,
  /** Taken and marked read: before its wait for every member to have read this rank's data. */
  TAKEN: 2,
} as const;

export type ReferenceStageValue = (typeof ReferenceStage)[keyof typeof ReferenceStage];

/**
 * An exchange by reference on the shared area (the Allreduce and Alltoall
 * of more than a contribution block): every member publishes where its
 * `data` of `bytes` bytes lies, each takes what its result needs straight
 * out of the others' memory (`take`, given the exchange's number), marks
 * its read, and goes on once every member has read its data, so that the
 * caller may change it at once (`done` runs then). When some member's
 * data is not where the others can read it (on shm, not `MPI.alloc`
 * memory; `data` undefined: this rank cannot publish it), every member
 * marks its read and goes on with `overMessages`. Exchange `number`, from
 * `stage` on (where a fast path stopped, {@link startExchange}). A tag
 * that is not this call's is a mismatch.
 */
export function* referenceExchangeNumbered(call: Call, area: SharedArea, data: Uint8Array | undefined, bytes: number,
  number: number, stage: ReferenceStageValue, take: (number: number) => void, overMessages: () => Algorithm<void>,
  done?: () => void): Algorithm<void> {
  if (!(yield* takeByReference(call, area, data, bytes, number, stage, take))) {
    yield* overMessages();
    return;
  }
  yield* readByAll(call, area, number);
  area.settled = true;
  done?.();
}

/**
 * {@link referenceExchangeNumbered} up to its take: false when some member's
 * data is not by reference (the exchange is over, and the caller goes on
 * over messages). Once it returns true, the others may still read `data`:
 * the caller waits for their reads itself ({@link readByAll}), or knows
 * from a later exchange that they are done.
 */
export function* takeByReference(call: Call, area: SharedArea, data: Uint8Array | undefined, bytes: number,
  number: number, stage: ReferenceStageValue, take: (number: number) => void): Algorithm<boolean> {
  if (stage === ReferenceStage.FREE) {
    yield* blocksFree(call, area, number);
    publishReference(call, area, data, number);
  }
  if (stage === ReferenceStage.TAKEN) return true;
  for (let from = 0; from < call.size; from++) {
    const arrived = area.contributed(from, number);
    if (!arrived.test()) yield arrived;
  }
  const byReference = referencesAt(call, area, number, bytes);
  if (byReference instanceof Error) throw byReference;
  if (!byReference) {
    finishExchange(area, number);
    return false;
  }
  take(number);
  finishExchange(area, number, false);
  return true;
}

/**
 * This rank's block of call `number` by reference: where `data` lies, or
 * that it cannot say (`data` undefined: it cannot); true when it refers to
 * `data`. `wake` as in `SharedArea.contribute`: `'all'` for a broadcast's
 * root, none for an exchange's member.
 */
export function publishReference(call: Call, area: SharedArea, data: Uint8Array | undefined, number: number,
  wake?: 'all'): boolean {
  area.settled = false;
  const published = data !== undefined && area.contributeReference(number, call.tag, data, wake);
  if (!published) area.contribute(number, call.tag, undefined, wake);
  return published;
}

/**
 * Whether every member's block of exchange `number` refers to its data of
 * `bytes` bytes (false: some member's is not by reference, and the call
 * goes on over messages), or a mismatch Error when one is another call's.
 */
export function referencesAt(call: Call, area: SharedArea, number: number, bytes: number): boolean | Error {
  let byReference = true;
  for (let from = 0; from < call.size; from++) {
    const theirs = area.contributionTag(from, number);
    if (theirs !== call.tag) return call.mismatch(from, theirs, -1, -1);
    if (area.contributionLength(from, number) !== bytes) byReference = false;
  }
  return byReference;
}

/**
 * After a fast path took its part of exchange `number` by reference: marks
 * its read and waits (as {@link startExchange}) for every member to
 * have read this rank's data; false when the wait outlasted the spin (hand
 * over to {@link referenceExchangeNumbered} at stage `TAKEN`).
 */
export function finishReferenceExchange(call: Call, area: SharedArea, number: number, budget: number,
  parked: ParkedExchange): boolean {
  finishExchange(area, number, false);
  if (!readByAllNow(call, area, number, budget, parked)) return false;
  area.settled = true;
  return true;
}

/**
 * Ends this rank's part of exchange `number` once it has read every block it
 * reads; `whole`: it waited for every member's (see {@link SharedArea.settled}).
 */
export function finishExchange(area: SharedArea, number: number, whole = true): void {
  area.markRead(number);
  area.settled = whole;
}

/**
 * The root's `data` to every rank through the shared area, handed to `use`
 * on the others; false when it did not fit (every rank then goes on with
 * messages). Only the root writes; the others say when they have read.
 */
export function* broadcastShared(call: Call, area: SharedArea, root: number, data: Bytes | undefined,
  use: (bytes: Uint8Array) => void): Algorithm<boolean> {
  return yield* broadcastNumbered(call, area, root, data, use, nextExchange(call, area));
}

/**
 * Broadcast `number` of {@link broadcastShared}: what a fast path that had
 * to wait hands over to (every step before the root writes, or before a
 * member reads, only looks, so it may run again).
 */
export function* broadcastNumbered(call: Call, area: SharedArea, root: number, data: Bytes | undefined,
  use: (bytes: Uint8Array) => void, number: number): Algorithm<boolean> {
  if (call.rank === root) {
    yield* blocksFree(call, area, number);
    area.settled = false;
    const small = blockData(area, data);
    area.contribute(number, call.tag, small, 'all');
    area.rootedBroadcast = number;
    return small !== undefined;
  }
  area.settled = false;
  const arrived = area.contributed(root, number, true);
  if (!arrived.test()) yield arrived;
  const bytes = contributionOf(call, area, root, number);
  if (bytes !== undefined) callAny(use, bytes);
  area.markRead(number);
  return bytes !== undefined;
}

/**
 * The synchronous part of a broadcast on the shared area, for a fast path
 * (see {@link startExchange} for `budget` and `parked`): on the root, waits
 * for the blocks to be free and writes `data` (undefined: the root's data
 * does not fit a block, and every rank goes on with messages); on a member,
 * waits for the root's block. Returns the broadcast's number, or an Error on
 * a mismatch. When a wait outlasted the spin, `parked.on` is set: hand over
 * to {@link broadcastNumbered} with the number. Otherwise a member reads the
 * root's block ({@link sharedContribution}) and then calls `area.markRead(number)`.
 */
export function startBroadcast(call: Call, area: SharedArea, root: number, data: Uint8Array | undefined, budget: number,
  parked: ParkedExchange): number | Error {
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const number = area.nextReduction();
  // One return, at the end, for the root and the members (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
  if (call.rank !== root) {
    area.settled = false;
    contributionNow(area, root, number, budget, parked, true);
  } else if (blocksFreeNow(call, area, number, budget, parked)) {
    area.settled = false;
    area.contribute(number, call.tag, data, 'all');
    area.rootedBroadcast = number;
  }
  return number;
}

/**
 * A broadcast of `buf` (which fits a contribution block) from `root` on the
 * shared area, synchronously as far as it goes ({@link startBroadcast}):
 * undefined once done, an Error on a mismatch, or the number of the
 * broadcast, with `parked` saying what it waits for, to hand over to
 * {@link broadcastNumbered}.
 */
export function fastBroadcastShared(call: Call, area: SharedArea, root: number, buf: Uint8Array, budget: number,
  parked: ParkedExchange): number | Error | undefined {
  const number = startBroadcast(call, area, root, buf, budget, parked);
  if (typeof number !== 'number' || parked.on !== undefined) return number;
  // The root's block always fits: it sent no more than the block holds, as this rank asked for. Both the root and
  // a member return at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
  const read = call.rank === root ? undefined : readBroadcast(call, area, root, number, buf);
  return read instanceof Error ? read : undefined;
}

/**
 * A member's read of the root's block of broadcast `number` into `buf`, then
 * its read mark: true once copied, false when the root's data did not fit
 * (every rank then goes on with messages), or a mismatch Error.
 */
export function readBroadcast(call: Call, area: SharedArea, root: number, number: number, buf: Uint8Array): boolean | Error {
  const bytes = sharedContribution(call, area, root, number);
  if (bytes instanceof Error) return bytes;
  if (bytes !== undefined) buf.set(bytes);
  area.markRead(number);
  return bytes !== undefined;
}

/** The longest a fast path of a call by reference polls a wait, in microseconds. */
const MAX_COPY_SPIN_MICROS = 10_000;

/**
 * The fast path's spin ({@link spinBudget}) plus the time a copy of `bytes`
 * may take, at 1 GB/s (slower than this VM copies when loaded), for a call
 * by reference (a member's copy of a Bcast, the folds of an Allreduce): a
 * wait that long is the copy, not a stall, and handing it over to a Promise
 * would make the first loop of such calls compile the slow path. The first
 * `tuning.lookOnceCopyCalls` calls of the fast path look once instead.
 */
export function copySpinBudget(area: SharedArea, parked: ParkedExchange, bytes: number): number {
  // Read before spinBudget counts this call.
  const past = pastFirst(parked.calls, tuning.lookOnceCopyCalls);
  const spin = spinBudget(area, parked);
  // Whole microseconds: a fraction made `spinUntil`, optimized on integral budgets, deoptimize.
  const budget = Math.min(spin + Math.ceil(bytes / 1000), MAX_COPY_SPIN_MICROS);
  // With ranks above cores the calls spin from the first.
  return spin === 0 ? 0 : area.oversubscribed ? budget : past * budget;
}

/**
 * Microseconds a fast path may wait synchronously (see `run.ts`'s
 * `spinUntil`): `tuning.syncSpinMicros`, or `tuning.firstCallsSpinMicros`
 * for the first `tuning.firstCalls` calls of the fast path that `parked`
 * belongs to (each call counts; the Barrier's, which parks nothing, passes
 * `undefined` and always takes the long spin); when ranks outnumber cores,
 * `tuning.syncYieldMicros` of yielding the core between looks
 * ({@link SharedArea.yieldCore}), or 0 (one look) where the transport cannot
 * yield; 0 when the transport shares no memory.
 */
export function spinBudget(area: SharedArea | undefined, parked: ParkedExchange | undefined): number {
  if (area === undefined) return 0;
  // Every call counts, whatever its budget: `arrivedNow` reads the count too.
  const calls = parked === undefined ? 0 : parked.calls++;
  if (area.oversubscribed) return area.yieldCore === undefined ? 0 : tuning.syncYieldMicros;
  if (parked === undefined) return tuning.syncSpinMicros;
  const past = pastFirst(calls, tuning.firstCalls);
  return tuning.firstCallsSpinMicros + past * (tuning.syncSpinMicros - tuning.firstCallsSpinMicros);
}

/**
 * Mismatches of earlier calls that only a call on the area can still see,
 * since it reads no messages: a message of an earlier call left on the
 * channel (a peer sent what no call of this rank took), or, where this rank
 * was the root of the last broadcast on the area, a member that wrote its
 * own block for it: it thought it was the root too, and neither waited for
 * the other (the other root checks the same when it gets here; a member
 * that has gone on to write the block again is not seen).
 */
export function earlierMismatch(call: Call, area: SharedArea): Error | undefined {
  const queued = call.channel.iprobe(ANY, ANY);
  // Messages of later calls may come early; one of an earlier call never found its receive.
  if (queued !== undefined && (((fieldsOf(queued.tag).seq - call.seq + 64) & 0x7f) - 64) < 0) {
    return call.mismatch(queued.source, queued.tag, queued.byteLength, -1);
  }
  const number = area.rootedBroadcast;
  if (number === 0) return undefined;
  area.rootedBroadcast = 0;
  for (let member = 0; member < call.size; member++) {
    if (member !== call.rank && area.holds(member, number)) {
      return call.mismatch(member, area.contributionTag(member, number), -1, -1);
    }
  }
  return undefined;
}

/**
 * At a communicator's first call that can use its shared area: rank 0 takes
 * one and broadcasts which (with the call's tag, so a mismatch shows), and
 * every rank attaches to it. Nothing once attached.
 */
export function* attachArea(call: Call, area: SharedArea): Algorithm<void> {
  if (area.mode !== 'unset') return;
  const slot = new Int32Array(1);
  if (call.rank === 0) slot[0] = area.claim();
  yield* binomial(call, new Uint8Array(slot.buffer), 0);
  area.attach(slot[0]!);
}
