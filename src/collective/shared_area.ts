/**
 * Words in shared memory on which a communicator runs its barriers and small
 * reductions, where the transport's ranks share memory (shm).
 *
 * MPI-4.1 §6.3 (barrier), §6.7 (allgather), §6.9.6 (allreduce). Signalling
 * a peer through a word it watches costs a store, where an empty message
 * costs a ring record, matching and a doorbell (0.2 against 0.6 us per round
 * at 2 ranks on 2 cores); a small reduction or an allgather of small values
 * then reads every rank's contribution in place.
 * Rank 0 takes an area at the communicator's first call that can use one and
 * broadcasts which; a communicator that finds none left stays on messages.
 *
 * @module
 */

import type { Operation } from '../transport/transport.js';
import { binomial } from './broadcast.js';
import type { Call } from './call.js';
import type { Algorithm } from './run.js';

/** The shared area of one communicator, as one rank sees it. */
export interface SharedArea {
  /** `unset` until the first call that can use it; then `shared`, or `messages` when none was left. */
  readonly mode: 'unset' | 'shared' | 'messages';
  /** On rank 0 at the first call: takes an area for the communicator and says which (-1: none left). */
  claim(): number;
  /** On every rank at the first call: uses the area rank 0 took (-1: messages). */
  attach(slot: number): void;
  /** Raises member `rank`'s barrier flag of `round` to `epoch`, waking that rank if it sleeps. */
  raise(rank: number, round: number, epoch: number): void;
  /** An operation that completes once this rank's barrier flag of `round` reaches `epoch`, raised by member `from`. */
  arrival(round: number, epoch: number, from: number): Operation;
  /** Bytes a contribution to a small reduction may have. */
  readonly contributionBytes: number;
  /** Numbers this rank's next small reduction on the communicator (1, 2, ...: the same on every rank). */
  nextReduction(): number;
  /**
   * Publishes this rank's contribution to reduction `number` of the call with
   * tag `tag` (undefined: one too large for the area), and wakes sleeping members.
   */
  contribute(number: number, tag: number, data: Uint8Array | undefined): void;
  /** An operation that completes once member `from` has published its contribution to reduction `number`. */
  contributed(from: number, number: number): Operation;
  /** The tag of the call of member `from`'s contribution to reduction `number`. */
  contributionTag(from: number, number: number): number;
  /** The length of member `from`'s contribution to reduction `number`, or -1 when it was too large. */
  contributionLength(from: number, number: number): number;
  /** The first `bytes` bytes of member `from`'s contribution to reduction `number`. */
  contributionData(from: number, number: number, bytes: number): Uint8Array;
}

/**
 * Every rank's `data` (an encoded value), through the shared area, in rank
 * order; undefined when some rank's did not fit, and then every rank knows
 * it and goes on with messages. A tag that is not this call's is a mismatch.
 * The returned views are valid until the next call on the area.
 */
export function* exchangeShared(call: Call, area: SharedArea, data: Uint8Array): Algorithm<Uint8Array[] | undefined> {
  const { size, tag } = call;
  const number = area.nextReduction();
  area.contribute(number, tag, data.byteLength <= area.contributionBytes ? data : undefined);
  const all: Uint8Array[] = [];
  let fits = true;
  for (let from = 0; from < size; from++) {
    const arrived = area.contributed(from, number);
    if (!arrived.test()) yield arrived;
    const theirs = area.contributionTag(from, number);
    if (theirs !== tag) throw call.mismatch(from, theirs, -1, -1);
    const length = area.contributionLength(from, number);
    if (length < 0) fits = false;
    else all.push(area.contributionData(from, number, length));
  }
  return fits ? all : undefined;
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
