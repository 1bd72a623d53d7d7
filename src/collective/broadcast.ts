/**
 * Broadcast of bytes: a binomial tree for short messages, and for long ones
 * a binomial scatter followed by a ring allgather (van de Geijn), as MPICH
 * does.
 *
 * MPI-4.1 §6.4. A short one goes through the communicator's shared area
 * where it has one (`shared_area.ts`): in the root's contribution block, or,
 * up to `tuning.bcastReferenceBytes`, by reference to the root's buffer when
 * that is `MPI.alloc` memory ({@link referenceBcast}). The binomial tree takes ⌈log2 p⌉ rounds of the whole
 * message; the scatter + allgather moves about twice the message through
 * every rank but in p pieces that travel at once, which wins when the
 * message is long and there are enough ranks. Both work for any rank count.
 *
 * @module
 */

import { binomial } from './binomial.js';
import type { SharedArea } from '../transport/transport.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, spinUntil } from './run.js';
import {
  attachArea, blocksFree, blocksFreeNow, broadcastNumbered, broadcastShared, copySpinBudget, detour, earlierMismatch,
  fastBroadcastShared, nextExchange, park, parkedExchange, publishReference, readBroadcast, readByAll, readByAllNow,
  spinBudget,
} from './shared_area.js';
import { absolute, childrenOf, parentOf, relative, subtreeEnd } from './tree.js';
import { manyStepBytes, tuning } from './tuning.js';

/** Broadcast of `buf` from `root`, the algorithm picked by size. */
export function bcast(call: Call, buf: Uint8Array, root: number): Algorithm<void> {
  return buf.byteLength >= manyStepBytes(tuning.bcastScatterBytes, call.size) && call.size >= tuning.bcastScatterRanks
    ? scatterAllgather(call, buf, root) : binomial(call, buf, root);
}

/** Broadcast of at most `area.contributionBytes`, through the shared area when the communicator has one. */
export function* smallBcast(call: Call, area: SharedArea, buf: Uint8Array, root: number): Algorithm<void> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') yield* bcast(call, buf, root);
  else yield* broadcastShared(call, area, root, call.rank === root ? buf : undefined, (bytes) => buf.set(bytes));
}

/** What {@link fastSmallBcast} hands over when it must wait; one serves every call (they never overlap). */
const parked = parkedExchange();

/**
 * {@link smallBcast} on an attached shared area, synchronously as far as
 * the root's block comes (or, on the root, the blocks are free) within the
 * fast path's spin: undefined once done, an Error on a mismatch, or the
 * {@link Detour} that finishes the call.
 */
export function fastSmallBcast(call: Call, area: SharedArea, buf: Uint8Array, root: number): Detour | Error | undefined {
  const outcome = fastBroadcastShared(call, area, root, buf, spinBudget(area, parked), parked);
  // Done (undefined), the usual case, returns at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
  return typeof outcome === 'number' ? detour(parked, finishBcast(call, area, buf, root, outcome)) : outcome;
}

/** The rest of a broadcast that {@link fastSmallBcast} could not finish. */
function* finishBcast(call: Call, area: SharedArea, buf: Uint8Array, root: number, number: number): Algorithm<void> {
  yield* broadcastNumbered(call, area, root, call.rank === root ? buf : undefined, (bytes) => buf.set(bytes), number);
}

/**
 * Broadcast of more than a contribution block (up to
 * `tuning.bcastReferenceBytes`) through the shared area when the
 * communicator has one, by reference: the root publishes where its buffer
 * is and waits until every member has copied it from there, one copy each
 * and one step, where a binomial tree over messages takes ⌈log2 p⌉; a root
 * whose buffer is not `MPI.alloc` memory says so, and every rank goes on
 * with {@link bcast}. It runs the area's code that small calls run too, so
 * a first loop of such calls compiles little more.
 */
export function* referenceBcast(call: Call, area: SharedArea, buf: Uint8Array, root: number): Algorithm<void> {
  if (area.mode === 'unset') yield* attachArea(call, area);
  if (area.mode !== 'shared') yield* bcast(call, buf, root);
  else yield* referenceBcastNumbered(call, area, buf, root, nextExchange(call, area), false);
}

/** {@link referenceBcast} `number`, from its start or from where {@link fastReferenceBcast} stopped (`published`: on the root, after it published). */
function* referenceBcastNumbered(call: Call, area: SharedArea, buf: Uint8Array, root: number, number: number,
  published: boolean): Algorithm<void> {
  if (call.rank === root) {
    if (!published) {
      yield* blocksFree(call, area, number);
      if (!publishRoot(call, area, buf, number)) {
        yield* bcast(call, buf, root);
        return;
      }
    }
    // The root's own mark went with its block.
    yield* readByAll(call, area, number);
  } else if (!(yield* broadcastNumbered(call, area, root, undefined, (bytes) => buf.set(bytes), number))) {
    yield* bcast(call, buf, root);
  }
}

/** The root's block of {@link referenceBcast} `number`: true when it refers to `buf`, false when it says that it cannot. */
function publishRoot(call: Call, area: SharedArea, buf: Uint8Array, number: number): boolean {
  area.rootedBroadcast = number;
  return publishReference(call, area, buf, number, 'all');
}

/** What {@link fastReferenceBcast} hands over when it must wait; one serves every call (they never overlap). */
const parkedReference = parkedExchange();

/**
 * {@link referenceBcast} on an attached shared area, synchronously as far as
 * the waits end within the fast path's spin: undefined once done, an Error
 * on a mismatch, or the {@link Detour} that finishes the call.
 */
export function fastReferenceBcast(call: Call, area: SharedArea, buf: Uint8Array, root: number): Detour | Error | undefined {
  const mismatch = earlierMismatch(call, area);
  // One return, at the end, each way in a function of its own (see docs/ARCHITECTURE.md, "Code shaped for V8's
  // tier-up"): the root's way returned halfway through, and V8 optimized it 20-25 calls after the members' way,
  // a stall of 1.5 ms in the timed part of the bench's first loop of 64 KiB Bcasts (Node 24).
  return mismatch !== undefined ? mismatch
    : call.rank === root ? fastReferenceRoot(call, area, buf, root) : fastReferenceMember(call, area, buf, root);
}

/** {@link fastReferenceBcast} at the root: publishes where `buf` is, and waits until every member has copied it. */
function fastReferenceRoot(call: Call, area: SharedArea, buf: Uint8Array, root: number): Detour | Error | undefined {
  const number = area.nextReduction();
  const budget = copySpinBudget(area, parkedReference, buf.byteLength);
  if (!blocksFreeNow(call, area, number, budget, parkedReference)) {
    return detour(parkedReference, referenceBcastNumbered(call, area, buf, root, number, false));
  }
  if (!publishRoot(call, area, buf, number)) return { rest: bcast(call, buf, root), parkedOn: undefined, pending: undefined };
  if (!readByAllNow(call, area, number, budget, parkedReference)) {
    return detour(parkedReference, referenceBcastNumbered(call, area, buf, root, number, true));
  }
  return undefined;
}

/** {@link fastReferenceBcast} at a member: waits for the root's block and copies the data it points to. */
function fastReferenceMember(call: Call, area: SharedArea, buf: Uint8Array, root: number): Detour | Error | undefined {
  const number = area.nextReduction();
  const budget = copySpinBudget(area, parkedReference, buf.byteLength);
  area.settled = false;
  const arrived = area.contributed(root, number, true);
  if (!spinUntil(arrived, budget, area.yieldCore) && park(arrived, parkedReference)) {
    return detour(parkedReference, referenceBcastNumbered(call, area, buf, root, number, false));
  }
  const copied = readBroadcast(call, area, root, number, buf);
  if (copied instanceof Error) return copied;
  return copied ? undefined : { rest: bcast(call, buf, root), parkedOn: undefined, pending: undefined };
}

/** Scatter of p blocks down the binomial tree, then a ring allgather of the blocks. */
export function* scatterAllgather(call: Call, buf: Uint8Array, root: number): Algorithm<void> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  const n = buf.byteLength;
  const block = Math.ceil(n / size);
  const at = (k: number): number => Math.min(k * block, n);
  const range = (from: number, to: number): Uint8Array => buf.subarray(at(from), at(to));
  // Scatter: each rank gets the blocks of its subtree, straight into place.
  if (v !== 0) yield call.recv(range(v, subtreeEnd(v, size)), absolute(parentOf(v), root, size));
  const children = childrenOf(v, size);
  if (children.length > 0) {
    yield children.map((c) => call.send(range(c, subtreeEnd(c, size)), absolute(c, root, size)));
  }
  // Ring allgather: in step s, pass on block v - s and take block v - s - 1.
  const right = absolute((v + 1) % size, root, size);
  const left = absolute((v - 1 + size) % size, root, size);
  for (let s = 0; s < size - 1; s++) {
    const out = (v - s + size) % size;
    const into = (v - s - 1 + size) % size;
    yield [call.send(range(out, out + 1), right), call.recv(range(into, into + 1), left)];
  }
}
