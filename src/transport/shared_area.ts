/**
 * The shared area of a communicator: words in shared memory on which the
 * collective layer runs barriers and collectives of small data, offered by a
 * transport whose ranks share memory (shm: `shm/shared_area.ts`). The
 * protocols that use it are in `src/collective/shared_area.ts`.
 *
 * MPI-4.1 §6.3 (barrier), §6.4 (broadcast), §6.9.6 (allreduce): the standard
 * leaves how collectives move data to the implementation.
 *
 * @module
 */

import type { Operation } from './transport.js';

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
  /**
   * More ranks than cores: the root of a broadcast through the area would
   * often wait for readers that are not running (38 us against 4.5 us for a
   * Bcast of 8 B over messages at 4 ranks on 2 cores), so broadcasts keep to
   * messages.
   */
  readonly oversubscribed: boolean;
  /**
   * True when the last exchange this rank finished on the area had a
   * contribution from every member: then every member has read all earlier
   * ones (each reads before it contributes again). Kept by the algorithms.
   */
  settled: boolean;
  /** Numbers this rank's next small reduction on the communicator (1, 2, ...: the same on every rank). */
  nextReduction(): number;
  /**
   * Publishes this rank's contribution to reduction `number` of the call with
   * tag `tag` (undefined: one too large for the area), and wakes sleeping members.
   */
  contribute(number: number, tag: number, data: Uint8Array | undefined): void;
  /** An operation that completes once member `from` has published its contribution to reduction `number`. */
  contributed(from: number, number: number): Operation;
  /** Whether member `from`'s block for reduction `number` holds that very reduction's contribution. */
  holds(from: number, number: number): boolean;
  /** The tag of the call of member `from`'s contribution to reduction `number`. */
  contributionTag(from: number, number: number): number;
  /** The length of member `from`'s contribution to reduction `number`, or -1 when it was too large. */
  contributionLength(from: number, number: number): number;
  /** The first `bytes` bytes of member `from`'s contribution to reduction `number`. */
  contributionData(from: number, number: number, bytes: number): Uint8Array;
  /** Says that this rank has read all it reads of reduction `number`, and wakes sleeping members. */
  markRead(number: number): void;
  /** An operation that completes once member `from` has read all it reads of reduction `number`. */
  readBy(from: number, number: number): Operation;
}
