/**
 * The shared areas of shm communicators, in the control block: barrier flags
 * and contribution blocks for small reductions and broadcasts (see
 * `collective/shared_area.ts` for what runs on them).
 *
 * MPI-4.1 §6.3, §6.9.6. The control block has {@link COLLECTIVE_SLOTS}
 * slots. Rank 0 of a communicator takes one at its first call that can use
 * it; every member gives it back when it frees the communicator, and once all
 * have, the slot can be taken again. A communicator that finds none free
 * keeps to messages.
 *
 * Each word has one writer. A writer stores, then wakes the reader only if
 * the reader's sleep bit is set; a reader sets its sleep bit before it looks
 * at the word one last time (engine.ts), so one of the two sees the other.
 *
 * @module
 */

import type { Envelope, Operation, SharedArea } from '../transport.js';
import type { ShmEngine, Waitable } from './engine.js';
import {
  COLLECTIVE_SLOTS, CONTRIBUTION_BYTES, Contribution, MEMBER_WORDS, READ_WORD, SlotHeader, SlotState,
  collectiveSlotBase, contributionWords, slotMembers,
} from './layout.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** Takes a free slot, or one all of whose members have released it, for `members` ranks; -1 if none. */
function claimSlot(control: Int32Array, jobSize: number, members: number): number {
  for (let slot = 0; slot < COLLECTIVE_SLOTS; slot++) {
    const base = collectiveSlotBase(jobSize, slot);
    const state = Atomics.load(control, base + SlotHeader.STATE);
    const reusable = state === SlotState.FREE || state === SlotState.IN_USE
      && Atomics.load(control, base + SlotHeader.RELEASED) === Atomics.load(control, base + SlotHeader.MEMBERS);
    if (!reusable || Atomics.compareExchange(control, base + SlotHeader.STATE, state, SlotState.CLAIMING) !== state) {
      continue;
    }
    // Nobody reads the old words any more; the new members learn the slot only after this.
    const previous = Atomics.load(control, base + SlotHeader.MEMBERS);
    control.fill(0, slotMembers(base), slotMembers(base) + previous * MEMBER_WORDS);
    Atomics.store(control, base + SlotHeader.MEMBERS, members);
    Atomics.store(control, base + SlotHeader.RELEASED, 0);
    Atomics.store(control, base + SlotHeader.STATE, SlotState.IN_USE);
    return slot;
  }
  return -1;
}

/** Waiting for a word that one member raises to reach a value. */
class Arrival implements Operation, Waitable {
  readonly envelope: Envelope | undefined = undefined;
  readonly data: Uint8Array | undefined = undefined;
  readonly error: Error | undefined = undefined;
  value = 0;
  /** The collective call waiting, if any (see `Operation.within`): one Arrival serves every call on its word. */
  within: { readonly text: string } | undefined = undefined;

  /** @param awaitedRank - the member that raises the word */
  constructor(private readonly engine: ShmEngine, private readonly index: number, readonly awaitedRank: number,
    private readonly what: string) {}

  isReady(): boolean {
    // The words only grow; the difference survives their wrapping around.
    return ((Atomics.load(this.engine.control, this.index) - this.value) | 0) >= 0;
  }

  test(): boolean {
    return this.isReady();
  }

  wait(): Promise<void> {
    return this.isReady() ? RESOLVED : this.engine.waitUntil(this);
  }

  describe(): string {
    return `${this.within?.text ?? this.what}, waiting for rank ${this.awaitedRank}`;
  }
}

/** The shared area of one communicator on one rank. */
export class ShmSharedArea implements SharedArea {
  mode: 'unset' | 'shared' | 'messages' = 'unset';
  readonly contributionBytes = CONTRIBUTION_BYTES;
  /** The job's, the same on every rank (see {@link ShmEngine.jobOversubscribed}). */
  readonly oversubscribed: boolean;
  settled = false;
  private header = -1;
  /** Int32 index of member 0's words, or -1. */
  private members = -1;
  private reductions = 0;
  /** Waits by member and word: calls of a communicator run one at a time, so one object per word serves them all. */
  private readonly arrivals = new Map<number, Arrival>();
  private readonly bytes: Uint8Array;

  /** @param group - world ranks of the communicator's members, in rank order */
  constructor(private readonly engine: ShmEngine, private readonly group: Int32Array, private readonly rank: number) {
    const control = engine.control;
    this.bytes = new Uint8Array(control.buffer, control.byteOffset, control.byteLength);
    this.oversubscribed = engine.jobOversubscribed;
  }

  claim(): number {
    return claimSlot(this.engine.control, this.engine.size, this.group.length);
  }

  attach(slot: number): void {
    if (slot < 0) {
      this.mode = 'messages';
      return;
    }
    this.header = collectiveSlotBase(this.engine.size, slot);
    this.members = slotMembers(this.header);
    this.mode = 'shared';
  }

  raise(rank: number, round: number, epoch: number): void {
    Atomics.store(this.engine.control, this.word(rank, round), epoch);
    this.engine.wakeIfAsleep(this.group[rank]!);
  }

  arrival(round: number, epoch: number, from: number): Operation {
    return this.waitFor(this.word(this.rank, round), epoch, from, 'Barrier()');
  }

  nextReduction(): number {
    return ++this.reductions;
  }

  contribute(number: number, tag: number, data: Uint8Array | undefined): void {
    const control = this.engine.control;
    const block = this.word(this.rank, contributionWords(number & 1));
    if (data !== undefined) this.bytes.set(data, (block + Contribution.DATA) * 4);
    control[block + Contribution.TAG] = tag;
    control[block + Contribution.LENGTH] = data === undefined ? -1 : data.byteLength;
    // Publishes the data and tag with it.
    Atomics.store(control, block + Contribution.NUMBER, number);
    this.wakeOthers();
  }

  markRead(number: number): void {
    Atomics.store(this.engine.control, this.word(this.rank, READ_WORD), number);
    this.wakeOthers();
  }

  readBy(from: number, number: number): Operation {
    return this.waitFor(this.word(from, READ_WORD), number, from, 'reading the shared area');
  }

  contributed(from: number, number: number): Operation {
    return this.waitFor(this.word(from, contributionWords(number & 1)) + Contribution.NUMBER, number, from,
      'Allreduce');
  }

  holds(from: number, number: number): boolean {
    return Atomics.load(this.engine.control, this.word(from, contributionWords(number & 1)) + Contribution.NUMBER) === number;
  }

  contributionTag(from: number, number: number): number {
    return this.engine.control[this.word(from, contributionWords(number & 1)) + Contribution.TAG]!;
  }

  contributionLength(from: number, number: number): number {
    return this.engine.control[this.word(from, contributionWords(number & 1)) + Contribution.LENGTH]!;
  }

  contributionData(from: number, number: number, bytes: number): Uint8Array {
    const at = (this.word(from, contributionWords(number & 1)) + Contribution.DATA) * 4;
    return this.bytes.subarray(at, at + bytes);
  }

  /** Gives the slot back (the communicator is freed): it is free again once every member has. */
  release(): void {
    if (this.header >= 0) Atomics.add(this.engine.control, this.header + SlotHeader.RELEASED, 1);
    this.header = -1;
    this.members = -1;
    this.mode = 'messages';
  }

  private wakeOthers(): void {
    for (let member = 0; member < this.group.length; member++) {
      if (member !== this.rank) this.engine.wakeIfAsleep(this.group[member]!);
    }
  }

  /** Int32 index of word `offset` of member `rank`'s words. */
  private word(rank: number, offset: number): number {
    return this.members + rank * MEMBER_WORDS + offset;
  }

  private waitFor(index: number, value: number, from: number, what: string): Arrival {
    let arrival = this.arrivals.get(index);
    if (arrival === undefined) this.arrivals.set(index, arrival = new Arrival(this.engine, index, from, what));
    arrival.value = value;
    return arrival;
  }
}
