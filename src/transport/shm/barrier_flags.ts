/**
 * Flag words for the barriers of shm communicators, in the control block.
 *
 * MPI-4.1 §6.3. The collective layer's dissemination barrier
 * (`collective/barrier.ts`) raises one flag per round instead of sending a
 * message: a store, plus a wake-up only when the peer sleeps.
 *
 * The control block has {@link BARRIER_SLOTS} slots. Rank 0 of a
 * communicator takes one at its first barrier; every member gives it back
 * when it frees the communicator, and once all have, the slot can be taken
 * again. A communicator that finds none free keeps its barriers on messages.
 *
 * @module
 */

import type { BarrierFlags } from '../../collective/barrier.js';
import type { Envelope, Operation } from '../transport.js';
import type { ShmEngine, Waitable } from './engine.js';
import {
  BARRIER_MEMBER_WORDS, BARRIER_SLOTS, BarrierHeader, BarrierSlotState, barrierSlotBase,
} from './layout.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** Takes a free slot, or one all of whose members have released it, for `members` ranks; -1 if none. */
function claimSlot(control: Int32Array, jobSize: number, members: number): number {
  for (let slot = 0; slot < BARRIER_SLOTS; slot++) {
    const base = barrierSlotBase(jobSize, slot);
    const state = Atomics.load(control, base + BarrierHeader.STATE);
    const reusable = state === BarrierSlotState.FREE || state === BarrierSlotState.IN_USE
      && Atomics.load(control, base + BarrierHeader.RELEASED) === Atomics.load(control, base + BarrierHeader.MEMBERS);
    if (!reusable || Atomics.compareExchange(control, base + BarrierHeader.STATE, state, BarrierSlotState.CLAIMING) !== state) {
      continue;
    }
    // Nobody reads the old flags any more; the new members learn the slot only after this.
    const previous = Atomics.load(control, base + BarrierHeader.MEMBERS);
    control.fill(0, base + BARRIER_MEMBER_WORDS, base + (previous + 1) * BARRIER_MEMBER_WORDS);
    Atomics.store(control, base + BarrierHeader.MEMBERS, members);
    Atomics.store(control, base + BarrierHeader.RELEASED, 0);
    Atomics.store(control, base + BarrierHeader.STATE, BarrierSlotState.IN_USE);
    return slot;
  }
  return -1;
}

/** Waiting for one flag to reach an epoch. */
class Arrival implements Operation, Waitable {
  readonly envelope: Envelope | undefined = undefined;
  readonly data: Uint8Array | undefined = undefined;
  readonly error: Error | undefined = undefined;
  epoch = 0;
  from = 0;

  constructor(private readonly engine: ShmEngine, private readonly control: Int32Array, private readonly index: number) {}

  get awaitedRank(): number {
    return this.from;
  }

  isReady(): boolean {
    // Epochs only grow; the difference survives their wrapping around.
    return ((Atomics.load(this.control, this.index) - this.epoch) | 0) >= 0;
  }

  test(): boolean {
    return this.isReady();
  }

  wait(): Promise<void> {
    return this.isReady() ? RESOLVED : this.engine.waitUntil(this);
  }

  describe(): string {
    return `Barrier(): waiting for rank ${this.from} to arrive`;
  }
}

/** The barrier flags of one communicator on one rank. */
export class ShmBarrierFlags implements BarrierFlags {
  mode: 'unset' | 'flags' | 'messages' = 'unset';
  /** Int32 index of the slot's first member line, or -1. */
  private members = -1;
  private header = -1;
  private readonly arrivals: Arrival[] = [];

  /** @param group - world ranks of the communicator's members, in rank order */
  constructor(private readonly engine: ShmEngine, private readonly group: Int32Array, private readonly rank: number) {}

  claim(): number {
    return claimSlot(this.engine.control, this.engine.size, this.group.length);
  }

  attach(slot: number): void {
    if (slot < 0) {
      this.mode = 'messages';
      return;
    }
    this.header = barrierSlotBase(this.engine.size, slot);
    this.members = this.header + BARRIER_MEMBER_WORDS;
    this.mode = 'flags';
  }

  raise(rank: number, round: number, epoch: number): void {
    Atomics.store(this.engine.control, this.members + rank * BARRIER_MEMBER_WORDS + round, epoch);
    this.engine.wakeIfAsleep(this.group[rank]!);
  }

  arrival(round: number, epoch: number, from: number): Operation {
    // Barriers of a communicator run one at a time, so one object per round serves them all.
    const arrival = this.arrivals[round]
      ??= new Arrival(this.engine, this.engine.control, this.members + this.rank * BARRIER_MEMBER_WORDS + round);
    arrival.epoch = epoch;
    arrival.from = from;
    return arrival;
  }

  /** Gives the slot back (the communicator is freed): it is free again once every member has. */
  release(): void {
    if (this.header >= 0) Atomics.add(this.engine.control, this.header + BarrierHeader.RELEASED, 1);
    this.header = -1;
    this.members = -1;
    this.mode = 'messages';
  }
}
