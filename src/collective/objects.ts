/**
 * The object collectives: `bcast`, `scatter`, `gather`, `allgather`,
 * `alltoall`, `reduce`, `allreduce`, `scan` and `exscan` of any value, over
 * the point-to-point of a communicator's collective channel, on either
 * transport.
 *
 * MPI-4.1 §6.4 to §6.11, in mpi4py's lower-case form: values go through the
 * object codec, so only the bytes of each value travel and sizes need not be
 * known in advance. Algorithms: binomial trees for bcast, scatter and gather
 * (a tree node packs its subtree's values into one message), gather + bcast
 * for allgather, direct exchange for alltoall; reductions combine in rank
 * order whatever the op (docs/ARCHITECTURE.md, section 4), by a binomial tree rooted at rank 0
 * (`reduce`) and recursive doubling (`allreduce`, `scan`, `exscan`), so
 * string or array concatenation gives the same answer on every rank count.
 * Where the transport offers a shared area (shm), `allgather` and
 * `allreduce` of values that encode to at most its contribution size skip
 * messages: every rank publishes its encoded value there and decodes the
 * others' (about three times faster for a number at 2 ranks); so
 * does `bcast` from the root, and `gather` to it (the root reads every
 * other rank's block), and `reduce` is then that gather, folded in rank
 * order at the root. On an attached area all of
 * these run synchronously where their waits end within a short spin (no
 * generator: the `fast*` functions, through `Sequencer.startFast`).
 *
 * Encodings and packages of any length move: past the longest byte view
 * (Node 20: 4 GiB) as segmented messages, packages with 64-bit lengths
 * (`tree.ts`, `packWide`).
 *
 * Unfinished: values are encoded whole; a very large value in `bcast` is
 * copied once per tree level rather than pipelined.
 *
 * @module
 */

import type { Bytes } from '../buffer.js';
import { decode, encodeForSend } from '../codec/index.js';
import type { Op } from '../op/op.js';
import type { Operation, PointToPoint, SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, fastResult, type Sequencer, sequencerOf } from './run.js';
import type { ScratchPool } from './scratch.js';
import {
  attachArea, blockData, blocksFree, blocksFreeNow, broadcastNumbered, contributionNow, detour, earlierMismatch, exchangeNumbered,
  exchangeShared, finishExchange, nextExchange, type ParkedExchange, parkedExchange, publishForGather,
  sharedContribution, spinBudget, startBroadcast, startExchange,
} from './shared_area.js';
import { Code, opCode, type Signature, signature } from './signature.js';
import { absolute, childrenOf, floorPowerOfTwo, packWide, parentOf, relative, subtreeEnd, unpackWide, type WideEntry } from './tree.js';

const EMPTY = new Uint8Array(0);

/**
 * The encoding of `value`, in memory of its own (sends may still read it
 * when the next call encodes); segmented past the longest byte view.
 */
function encode(value: unknown, call: string): Bytes {
  return encodeForSend(value, call, -1);
}

function entriesOf(call: Call, op: Operation, peer: number): WideEntry[] {
  const entries = unpackWide(op.data ?? EMPTY, call.size);
  if (typeof entries === 'string') throw call.malformed(peer, entries);
  return entries;
}

// The signatures' closures are made in functions of their own, and the calls without a fast path start through
// `Sequencer.startWith`: a closure would cost the hot callers a context per call (docs/ARCHITECTURE.md,
// "Allocation per call").

function reduceSignature(op: Op, root: number): Signature {
  return signature(Code.reduce, root, [opCode(op)], () => `reduce(root=${root}, ${op.name})`);
}

function allreduceSignature(op: Op): Signature {
  return signature(Code.allreduce, -1, [opCode(op)], () => `allreduce(${op.name})`);
}

/** The object collectives of one collective channel. */
export class ObjectCollectives {
  private readonly sequencer: Sequencer;
  /** The signatures of the last calls, for the next one with the same root and op (allgather's has neither). */
  private lastBcast: Signature | undefined;
  private lastGather: Signature | undefined;
  private allgatherSignature: Signature | undefined;
  private lastAllreduce: Signature | undefined;
  private lastAllreduceOp: Op | undefined;
  private lastReduce: Signature | undefined;
  private lastReduceOp: Op | undefined;

  /**
   * @param scratchPool - scratch memory of the calls
   * @param area - words in shared memory for small values, when the transport has them
   */
  constructor(channel: PointToPoint, scratchPool: ScratchPool, private readonly area?: SharedArea) {
    this.sequencer = sequencerOf(channel, scratchPool);
  }

  bcast<T>(obj: T, root: number): Promise<T> {
    const area = this.area;
    let sig = this.lastBcast;
    if (sig === undefined || sig.root !== root) this.lastBcast = sig = signature(Code.bcast, root, [], `bcast(root=${root})`);
    return area === undefined ? this.sequencer.startWith(sig, bcastValue, obj, root, undefined, undefined)
      : area.mode === 'shared' ? this.sequencer.startFast(sig, fastBcastValue, sharedBcastValue, area, obj, root, undefined)
        : this.sequencer.startWith(sig, sharedBcastValue, area, obj, root, undefined);
  }

  scatter<T>(items: readonly T[] | undefined, root: number): Promise<T> {
    return this.sequencer.start(signature(Code.scatter, root, [], () => `scatter(root=${root})`),
      (call) => scatterValue(call, items, root)).result();
  }

  gather<T>(obj: T, root: number): Promise<T[] | undefined> {
    const area = this.area;
    let sig = this.lastGather;
    if (sig === undefined || sig.root !== root) this.lastGather = sig = signature(Code.gather, root, [], `gather(root=${root})`);
    return area === undefined ? this.sequencer.startWith(sig, gatherValue, obj, root, undefined, undefined)
      : area.mode === 'shared' ? this.sequencer.startFast(sig, fastGatherValue, sharedGatherValue, area, obj, root, undefined)
        : this.sequencer.startWith(sig, sharedGatherValue, area, obj, root, undefined);
  }

  allgather<T>(obj: T): Promise<T[]> {
    const area = this.area;
    const sig = this.allgatherSignature ??= signature(Code.allgather, -1, [], 'allgather()');
    return area === undefined ? this.sequencer.startWith(sig, allgatherValue, obj, undefined, undefined, undefined)
      : area.mode === 'shared'
        ? this.sequencer.startFast(sig, fastAllgatherValue, sharedAllgatherValue, area, obj, undefined, undefined)
        : this.sequencer.startWith(sig, sharedAllgatherValue, area, obj, undefined, undefined);
  }

  alltoall<T>(items: readonly T[]): Promise<T[]> {
    return this.sequencer.start(signature(Code.alltoall, -1, [], 'alltoall()'),
      (call) => alltoallValue(call, items)).result();
  }

  reduce(obj: unknown, op: Op, root: number): Promise<unknown> {
    const area = this.area;
    let sig = this.lastReduce;
    if (sig === undefined || sig.root !== root || this.lastReduceOp !== op) {
      this.lastReduce = sig = reduceSignature(op, root);
      this.lastReduceOp = op;
    }
    return area === undefined ? this.sequencer.startWith(sig, reduceValue, obj, op, root, undefined)
      : area.mode === 'shared' ? this.sequencer.startFast(sig, fastReduceValue, sharedReduceValue, area, obj, op, root)
        : this.sequencer.startWith(sig, sharedReduceValue, area, obj, op, root);
  }

  allreduce(obj: unknown, op: Op): Promise<unknown> {
    const area = this.area;
    let sig = this.lastAllreduce;
    if (sig === undefined || this.lastAllreduceOp !== op) {
      this.lastAllreduce = sig = allreduceSignature(op);
      this.lastAllreduceOp = op;
    }
    return area === undefined ? this.sequencer.startWith(sig, allreduceValue, obj, op, undefined, undefined)
      : area.mode === 'shared' ? this.sequencer.startFast(sig, fastAllreduceValue, sharedAllreduceValue, area, obj, op, undefined)
        : this.sequencer.startWith(sig, sharedAllreduceValue, area, obj, op, undefined);
  }

  scan(obj: unknown, op: Op, exclusive: boolean): Promise<unknown> {
    const name = exclusive ? 'exscan' : 'scan';
    return this.sequencer.start(signature(exclusive ? Code.exscan : Code.scan, -1, [opCode(op)], () => `${name}(${op.name})`),
      (call) => scanValue(call, obj, op, exclusive)).result();
  }
}

const objectCollectives = new WeakMap<PointToPoint, ObjectCollectives>();

/** The object collectives of a collective channel. */
export function objectCollectivesOf(channel: PointToPoint, scratchPool: ScratchPool, area?: SharedArea): ObjectCollectives {
  let found = objectCollectives.get(channel);
  if (found === undefined) objectCollectives.set(channel, found = new ObjectCollectives(channel, scratchPool, area));
  return found;
}

/**
 * Small values on the shared area: every rank publishes its encoded value
 * and decodes everybody's. Undefined when the communicator has no area or a
 * value was too large for it: then every rank goes on over messages.
 */
function* sharedValues(call: Call, area: SharedArea, mine: unknown): Algorithm<unknown[] | undefined> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') return undefined;
  return yield* exchangeShared(call, area, encode(mine, call.name), decodeAll(call, mine));
}

/** Every rank's value from the blocks of an exchange (`mine` for this rank's). Apart so that no caller holds the closure's variables. */
function decodeAll(call: Call, mine: unknown): (all: Uint8Array[]) => unknown[] {
  return (all) => all.map((bytes, r) => (r === call.rank ? mine : decode(bytes, call.name)));
}

/** What {@link exchangeValuesNow} hands over when it must wait; one serves every call (they never overlap). */
const parkedValues = parkedExchange();
/** The values of an exchange that did not fit the area: every rank goes on by message. */
const NOT_SHARED: Algorithm<undefined> = (function* (): Algorithm<undefined> { return undefined; })();

/**
 * {@link sharedValues} on an attached area, synchronously as far as the
 * blocks come within the fast path's spin ({@link startExchange}): every
 * rank's value in rank order, an Error on a mismatch, or the algorithm that
 * finishes the exchange (`parkedValues.on` set when it waits) and returns
 * the values, or undefined when some rank's value did not fit.
 */
function exchangeValuesNow(call: Call, area: SharedArea, mine: unknown): unknown[] | Error | Algorithm<unknown[] | undefined> {
  const name = call.name;
  // A short encoding stays in the codec's scratch: it is copied into the block before anything else encodes.
  const encoded = encodeForSend(mine, name, area.contributionBytes);
  const data = blockData(area, encoded);
  if (data === undefined) return exchangeShared(call, area, encoded, decodeAll(call, mine));
  const number = startExchange(call, area, data, spinBudget(area, parkedValues), parkedValues);
  if (number instanceof Error) return number;
  if (number === undefined) {
    const { contributed } = parkedValues;
    return exchangeNumbered(call, area, contributed ? data : data.slice(), decodeAll(call, mine), parkedValues.number,
      contributed);
  }
  const values = new Array<unknown>(call.size);
  let fits = true;
  for (let from = 0; from < call.size; from++) {
    const bytes = sharedContribution(call, area, from, number);
    if (bytes instanceof Error) return bytes;
    if (bytes === undefined) {
      fits = false;
    } else if (fits) {
      try {
        values[from] = from === call.rank ? mine : decode(bytes, name);
      } catch (error) {
        return error as Error;
      }
    }
  }
  finishExchange(area, number);
  return fits ? values : NOT_SHARED;
}

/** How a fast path goes on with `rest`: from the operation it parked on, if it did. */
function goOn<T>(parked: ParkedExchange, rest: Algorithm<T>): Detour<T> {
  return parked.on === undefined ? { rest, parkedOn: undefined, pending: undefined } : detour(parked, rest);
}

/** {@link sharedAllgatherValue} on an attached area, with no generator unless a wait outlasts the spin (see {@link exchangeValuesNow}). */
function fastAllgatherValue<T>(call: Call, area: SharedArea, obj: T): Detour<T[]> | Error | undefined {
  const values = exchangeValuesNow(call, area, obj);
  if (values instanceof Error) return values;
  if (!Array.isArray(values)) return goOn(parkedValues, allgatherRest(call, obj, values));
  fastResult.value = values;
  return undefined;
}

/** An allgather whose exchange on the area goes on as `exchange`, then by message if a value did not fit. */
function* allgatherRest<T>(call: Call, obj: T, exchange: Algorithm<unknown[] | undefined>): Algorithm<T[]> {
  return ((yield* exchange) ?? (yield* allgatherValue(call, obj))) as T[];
}

/** {@link sharedAllreduceValue} on an attached area, like {@link fastAllgatherValue}. */
function fastAllreduceValue(call: Call, area: SharedArea, obj: unknown, op: Op): Detour<unknown> | Error | undefined {
  const values = exchangeValuesNow(call, area, op.prepareObject(obj, call.rank));
  if (values instanceof Error) return values;
  if (!Array.isArray(values)) return goOn(parkedValues, allreduceRest(call, obj, op, values));
  try {
    fastResult.value = foldValues(op, values);
  } catch (error) {
    // An op that throws fails the call, as it does in the algorithm.
    return error instanceof Error ? error : new Error(String(error));
  }
  return undefined;
}

/** An allreduce whose exchange on the area goes on as `exchange`, then by message if a value did not fit. */
function* allreduceRest(call: Call, obj: unknown, op: Op, exchange: Algorithm<unknown[] | undefined>): Algorithm<unknown> {
  const values = yield* exchange;
  return values === undefined ? yield* allreduceValue(call, obj, op) : foldValues(op, values);
}

/** Every rank's value folded with `op` in rank order. */
function foldValues(op: Op, values: readonly unknown[]): unknown {
  let acc = values[0];
  for (let r = 1; r < values.length; r++) acc = op.applyObject(acc, values[r]);
  return acc;
}

/** {@link bcastValue}, on the shared area when the root's value fits. */
function* sharedBcastValue<T>(call: Call, area: SharedArea, obj: T, root: number): Algorithm<T> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') return yield* bcastValue(call, obj, root);
  const data = call.rank === root ? encode(obj, call.name) : undefined;
  return yield* finishBcastValue(call, area, obj, root, data, nextExchange(call, area));
}

/** What {@link fastBcastValue} hands over when it must wait; one serves every call (they never overlap). */
const parkedBcast = parkedExchange();

/**
 * {@link sharedBcastValue} on an attached area, synchronously as far as the
 * root's block comes (or, on the root, the blocks are free) within the fast
 * path's spin, with no generator: the value in `fastResult` once done, an
 * Error on a mismatch, or the {@link Detour} that finishes the call (by
 * messages when the root's value does not fit a block).
 */
function fastBcastValue<T>(call: Call, area: SharedArea, obj: T, root: number): Detour<T> | Error | undefined {
  const name = call.name;
  // The root's encoding stays in the codec's scratch when it fits a block: it is copied there at once.
  const data = call.rank === root ? encodeForSend(obj, name, area.contributionBytes) : undefined;
  const small = blockData(area, data);
  const number = startBroadcast(call, area, root, small, spinBudget(area, parkedBcast), parkedBcast);
  if (typeof number !== 'number') return number;
  if (parkedBcast.on !== undefined) {
    // The rest runs after other code may have encoded into the scratch.
    const owned = small === undefined ? data : small.slice();
    return detour(parkedBcast, finishBcastValue(call, area, obj, root, owned, number));
  }
  if (call.rank === root) {
    if (small === undefined) return goOn(parkedBcast, bcastValue(call, obj, root, data));
    fastResult.value = obj;
    return undefined;
  }
  const bytes = sharedContribution(call, area, root, number);
  if (bytes instanceof Error) return bytes;
  if (bytes === undefined) {
    area.markRead(number);
    return goOn(parkedBcast, bcastValue(call, obj, root));
  }
  // Decoded before the root may write the block again.
  let value: unknown;
  try {
    value = decode(bytes, name);
  } catch (error) {
    return error as Error;
  }
  area.markRead(number);
  fastResult.value = value;
  return undefined;
}

/**
 * Broadcast `number` on the area from where it stands ({@link broadcastNumbered}), then by message
 * if the root's value did not fit; `data` is the root's encoding, reused then: encoding a value of
 * gigabytes twice would also hold it twice.
 */
function* finishBcastValue<T>(call: Call, area: SharedArea, obj: T, root: number, data: Bytes | undefined,
  number: number): Algorithm<T> {
  let value = obj;
  if (yield* broadcastNumbered(call, area, root, data, (bytes) => { value = decode(bytes, call.name) as T; }, number)) {
    return value;
  }
  return yield* bcastValue(call, obj, root, data);
}

/** {@link allgatherValue}, on the shared area when every value fits. */
function* sharedAllgatherValue<T>(call: Call, area: SharedArea, obj: T): Algorithm<T[]> {
  return yield* allgatherRest(call, obj, sharedValues(call, area, obj));
}

/** {@link allreduceValue}, on the shared area when every value fits: each rank folds all of them in rank order. */
function* sharedAllreduceValue(call: Call, area: SharedArea, obj: unknown, op: Op): Algorithm<unknown> {
  return yield* allreduceRest(call, obj, op, sharedValues(call, area, op.prepareObject(obj, call.rank)));
}

/** Binomial tree of the encoded value (the root's `encoded`, if given); inner nodes pass the bytes on as they came. */
function* bcastValue<T>(call: Call, obj: T, root: number, encoded?: Bytes): Algorithm<T> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  let bytes: Bytes;
  if (v === 0) {
    bytes = encoded ?? encode(obj, call.name);
  } else {
    const incoming = call.recv(undefined, absolute(parentOf(v), root, size));
    yield incoming;
    bytes = incoming.data!;
  }
  const children = childrenOf(v, size);
  if (children.length > 0) yield children.map((c) => call.send(bytes, absolute(c, root, size)));
  return v === 0 ? obj : decode(bytes, call.name) as T;
}

/** Binomial tree: the root packs each child subtree's values; inner nodes split their package. */
function* scatterValue<T>(call: Call, items: readonly T[] | undefined, root: number): Algorithm<T> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  if (v === 0) {
    const list = items!;
    const sends = childrenOf(0, size).map((c) => {
      const entries: WideEntry[] = [];
      for (let u = c; u < subtreeEnd(c, size); u++) {
        const r = absolute(u, root, size);
        entries.push({ rank: r, bytes: encode(list[r], call.name) });
      }
      return call.send(packWide(entries), absolute(c, root, size));
    });
    if (sends.length > 0) yield sends;
    return list[root]!;
  }
  const parent = absolute(parentOf(v), root, size);
  const incoming = call.recv(undefined, parent);
  yield incoming;
  let mine: Bytes | undefined;
  const subtrees = childrenOf(v, size).map((c) => ({ c, end: subtreeEnd(c, size), entries: [] as WideEntry[] }));
  for (const entry of entriesOf(call, incoming, parent)) {
    const u = relative(entry.rank, root, size);
    if (entry.rank === rank) mine = entry.bytes;
    else subtrees.find((s) => u >= s.c && u < s.end)?.entries.push(entry);
  }
  if (mine === undefined) throw call.malformed(parent, 'no value came for this rank');
  if (subtrees.length > 0) yield subtrees.map((s) => call.send(packWide(s.entries), absolute(s.c, root, size)));
  return decode(mine, call.name) as T;
}

/**
 * The gather half: every rank's encoded value reaches `root` in packages up
 * the binomial tree. Returns the root's entries (its own first), or [] elsewhere.
 */
function* gatherEntries(call: Call, mine: Bytes, root: number): Algorithm<WideEntry[]> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  const children = childrenOf(v, size).map((c) => absolute(c, root, size));
  const packages = children.map((c) => call.recv(undefined, c));
  if (packages.length > 0) yield packages;
  const entries: WideEntry[] = [{ rank, bytes: mine }];
  packages.forEach((p, i) => entries.push(...entriesOf(call, p, children[i]!)));
  if (v === 0) return entries;
  yield call.send(packWide(entries), absolute(parentOf(v), root, size));
  return [];
}

/** Values in rank order from entries (own value as given, the others decoded). */
function valuesOf<T>(call: Call, entries: readonly WideEntry[], own: T, peer: number): T[] {
  const values = new Array<T>(call.size);
  const seen = new Array<boolean>(call.size).fill(false);
  for (const entry of entries) {
    if (seen[entry.rank]) throw call.malformed(peer, `two values for rank ${entry.rank}`);
    seen[entry.rank] = true;
    values[entry.rank] = entry.rank === call.rank ? own : decode(entry.bytes, call.name) as T;
  }
  if (seen.some((s) => !s)) throw call.malformed(peer, `no value from rank ${seen.indexOf(false)}`);
  return values;
}

function* gatherValue<T>(call: Call, obj: T, root: number): Algorithm<T[] | undefined> {
  const mine = call.rank === root ? EMPTY : encode(obj, call.name);
  const entries = yield* gatherEntries(call, mine, root);
  return call.rank === root ? valuesOf(call, entries, obj, root) : undefined;
}

/**
 * {@link gatherValue} on the shared area: every other rank writes its
 * encoded value into its block (one too large for it goes by message to the
 * root), and the root decodes them in place.
 */
function* sharedGatherValue<T>(call: Call, area: SharedArea, obj: T, root: number): Algorithm<T[] | undefined> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') return yield* gatherValue(call, obj, root);
  const number = nextExchange(call, area);
  if (call.rank !== root) return yield* publishGathered(call, area, obj, root, number);
  area.settled = false;
  const values = new Array<T>(call.size);
  values[root] = obj;
  return yield* gatherBlocks(call, area, number, values, 0, undefined);
}

/** A member's part of gather `number` on the area, from its wait for the blocks to be free on. */
function* publishGathered<T>(call: Call, area: SharedArea, obj: T, root: number, number: number): Algorithm<undefined> {
  yield* blocksFree(call, area, number);
  // Encoded only now, with nothing between it and the copy into the block: a short encoding is the codec's scratch.
  const data = encodeForSend(obj, call.name, area.contributionBytes);
  if (!publishForGather(call, area, number, data, root)) yield call.send(data, root);
  return undefined;
}

/**
 * The root's part of gather `number` on the area, from member `from` on:
 * reads each member's block into `values` (`late` lists those whose value
 * did not fit and comes by message), then receives the late ones.
 */
function* gatherBlocks<T>(call: Call, area: SharedArea, number: number, values: T[], from: number,
  late: number[] | undefined): Algorithm<T[]> {
  for (; from < call.size; from++) {
    if (from === call.rank) continue;
    const arrived = area.contributed(from, number);
    if (!arrived.test()) yield arrived;
    const bytes = sharedContribution(call, area, from, number);
    if (bytes instanceof Error) throw bytes;
    if (bytes === undefined) (late ??= []).push(from);
    else values[from] = decode(bytes, call.name) as T;
  }
  area.markRead(number);
  if (late !== undefined) yield* receiveLate(call, values, late);
  return values;
}

/** The values of members `late` of a gather, by message. */
function* receiveLate<T>(call: Call, values: T[], late: readonly number[]): Algorithm<T[]> {
  const incoming = late.map((from) => call.recv(undefined, from));
  yield incoming;
  late.forEach((from, i) => { values[from] = decode(incoming[i]!.data!, call.name) as T; });
  return values;
}

/** A member's value of a gather that did not fit its block, by message. */
function* sendGathered(call: Call, data: Bytes, root: number): Algorithm<undefined> {
  yield call.send(data, root);
  return undefined;
}

/** What {@link fastGatherValue} hands over when it must wait; one serves every call (they never overlap). */
const parkedGather = parkedExchange();

/**
 * {@link sharedGatherValue} on an attached area, synchronously as far as the
 * blocks come (on the root) or are free (on a member) within the fast
 * path's spin, with no generator: the root's values in `fastResult` once
 * done, an Error on a mismatch, or the {@link Detour} that finishes the call.
 */
function fastGatherValue<T>(call: Call, area: SharedArea, obj: T, root: number): Detour<T[] | undefined> | Error | undefined {
  const mismatch = earlierMismatch(call, area);
  if (mismatch !== undefined) return mismatch;
  const number = area.nextReduction();
  const budget = spinBudget(area, parkedGather);
  if (call.rank !== root) {
    if (!blocksFreeNow(call, area, number, budget, parkedGather)) {
      return detour(parkedGather, publishGathered(call, area, obj, root, number));
    }
    const data = encodeForSend(obj, call.name, area.contributionBytes);
    if (publishForGather(call, area, number, data, root)) return undefined;
    return goOn(parkedGather, sendGathered(call, data, root));
  }
  area.settled = false;
  const values = new Array<T>(call.size);
  values[root] = obj;
  const name = call.name;
  let late: number[] | undefined;
  for (let from = 0; from < call.size; from++) {
    if (from === root) continue;
    if (!contributionNow(area, from, number, budget, parkedGather)) {
      return detour(parkedGather, gatherBlocks(call, area, number, values, from, late));
    }
    const bytes = sharedContribution(call, area, from, number);
    if (bytes instanceof Error) return bytes;
    if (bytes === undefined) {
      (late ??= []).push(from);
      continue;
    }
    try {
      values[from] = decode(bytes, name) as T;
    } catch (error) {
      return error as Error;
    }
  }
  area.markRead(number);
  if (late !== undefined) return goOn(parkedGather, receiveLate(call, values, late));
  fastResult.value = values;
  return undefined;
}

/**
 * {@link reduceValue} on the shared area: a gather
 * of every rank's prepared value ({@link sharedGatherValue}), folded in rank
 * order at the root.
 */
function* sharedReduceValue(call: Call, area: SharedArea, obj: unknown, op: Op, root: number): Algorithm<unknown> {
  return yield* foldGathered(call, op, root, sharedGatherValue(call, area, op.prepareObject(obj, call.rank), root));
}

/** The root's fold of what `gather` brings; undefined off the root. */
function* foldGathered(call: Call, op: Op, root: number, gather: Algorithm<unknown[] | undefined>): Algorithm<unknown> {
  const values = yield* gather;
  return call.rank === root ? foldValues(op, values!) : undefined;
}

/** {@link sharedReduceValue} on an attached area, over {@link fastGatherValue}. */
function fastReduceValue(call: Call, area: SharedArea, obj: unknown, op: Op, root: number): Detour<unknown> | Error | undefined {
  const gathered = fastGatherValue(call, area, op.prepareObject(obj, call.rank), root);
  if (gathered instanceof Error) return gathered;
  if (gathered !== undefined) {
    return { rest: foldGathered(call, op, root, gathered.rest!), parkedOn: gathered.parkedOn, pending: gathered.pending };
  }
  if (call.rank !== root) return undefined;
  const values = fastResult.value as unknown[];
  fastResult.value = undefined;
  try {
    fastResult.value = foldValues(op, values);
  } catch (error) {
    // An op that throws fails the call at the root, as it does in the algorithm.
    return error instanceof Error ? error : new Error(String(error));
  }
  return undefined;
}

/** Gather to rank 0, then a binomial bcast of the whole package. */
function* allgatherValue<T>(call: Call, obj: T): Algorithm<T[]> {
  const { rank, size } = call;
  const entries = yield* gatherEntries(call, encode(obj, call.name), 0);
  let all: Bytes;
  if (rank === 0) {
    all = packWide(entries);
  } else {
    const incoming = call.recv(undefined, parentOf(rank));
    yield incoming;
    all = incoming.data!;
  }
  const children = childrenOf(rank, size);
  if (children.length > 0) yield children.map((c) => call.send(all, c));
  const unpacked = unpackWide(all, size);
  if (typeof unpacked === 'string') throw call.malformed(0, unpacked);
  return valuesOf(call, unpacked, obj, 0);
}

/** Every pair exchanges one message; all posted at once. */
function* alltoallValue<T>(call: Call, items: readonly T[]): Algorithm<T[]> {
  const { rank, size } = call;
  const receives: Operation[] = [];
  const ops: Operation[] = [];
  for (let s = 1; s < size; s++) {
    const from = (rank - s + size) % size;
    receives[from] = call.recv(undefined, from);
    ops.push(receives[from]!);
  }
  for (let s = 1; s < size; s++) {
    const dest = (rank + s) % size;
    ops.push(call.send(encode(items[dest], call.name), dest));
  }
  if (ops.length > 0) yield ops;
  return Array.from({ length: size }, (_, r) => (r === rank ? items[rank]! : decode(receives[r]!.data!, call.name) as T));
}

/** Binomial tree rooted at rank 0, children combined in rank order; rank 0 passes the result to the root. */
function* reduceValue(call: Call, obj: unknown, op: Op, root: number): Algorithm<unknown> {
  const { rank, size } = call;
  let acc = op.prepareObject(obj, rank);
  for (let mask = 1; mask < size && (rank & mask) === 0; mask <<= 1) {
    if (rank + mask >= size) continue;
    const incoming = call.recv(undefined, rank + mask);
    yield incoming;
    acc = op.applyObject(acc, decode(incoming.data!, call.name));
  }
  if (rank !== 0) yield call.send(encode(acc, call.name), parentOf(rank));
  else if (root !== 0) yield call.send(encode(acc, call.name), root);
  if (rank !== root) return undefined;
  if (root === 0) return acc;
  const result = call.recv(undefined, 0);
  yield result;
  return decode(result.data!, call.name);
}

/** Recursive doubling in rank order; ranks beyond a power of two fold into a neighbour first. */
function* allreduceValue(call: Call, obj: unknown, op: Op): Algorithm<unknown> {
  const { rank, size } = call;
  const pof2 = floorPowerOfTwo(size);
  const rem = size - pof2;
  let acc = op.prepareObject(obj, rank);
  let newRank = rank - rem;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      yield call.send(encode(acc, call.name), rank + 1);
      newRank = -1;
    } else {
      const incoming = call.recv(undefined, rank - 1);
      yield incoming;
      acc = op.applyObject(decode(incoming.data!, call.name), acc);
      newRank = rank >> 1;
    }
  }
  if (newRank >= 0) {
    for (let mask = 1; mask < pof2; mask <<= 1) {
      const partnerNew = newRank ^ mask;
      const partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
      const incoming = call.recv(undefined, partner);
      yield [call.send(encode(acc, call.name), partner), incoming];
      const other = decode(incoming.data!, call.name);
      acc = partner < rank ? op.applyObject(other, acc) : op.applyObject(acc, other);
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) {
      yield call.send(encode(acc, call.name), rank - 1);
    } else {
      const incoming = call.recv(undefined, rank + 1);
      yield incoming;
      acc = decode(incoming.data!, call.name);
    }
  }
  return acc;
}

/** Recursive doubling prefix (MPICH's scan), in rank order; exscan gives undefined on rank 0. */
function* scanValue(call: Call, obj: unknown, op: Op, exclusive: boolean): Algorithm<unknown> {
  const { rank, size } = call;
  let partial = op.prepareObject(obj, rank);
  let result: unknown = exclusive ? undefined : partial;
  let haveResult = !exclusive;
  for (let mask = 1; mask < size; mask <<= 1) {
    const partner = rank ^ mask;
    if (partner >= size) continue;
    const incoming = call.recv(undefined, partner);
    yield [call.send(encode(partial, call.name), partner), incoming];
    const bytes = incoming.data!;
    if (partner < rank) {
      partial = op.applyObject(decode(bytes, call.name), partial);
      result = haveResult ? op.applyObject(decode(bytes, call.name), result) : decode(bytes, call.name);
      haveResult = true;
    } else {
      partial = op.applyObject(partial, decode(bytes, call.name));
    }
  }
  return result;
}
