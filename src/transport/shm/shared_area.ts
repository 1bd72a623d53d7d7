/**
 * The shared areas of shm communicators, in the control block: barrier flags
 * and contribution blocks for small reductions and broadcasts, or for a
 * reference to a member's `MPI.alloc` memory (a broadcast root's, or every
 * member's in an Allreduce or Alltoall), which the others read in that
 * member's heap arena (see `collective/shared_area.ts`, `broadcast.ts`,
 * `allreduce.ts` and `alltoall.ts` for what runs on them).
 *
 * MPI-4.1 §6.3, §6.9.6. The control block has {@link COLLECTIVE_SLOTS}
 * slots. Rank 0 of a communicator takes one at its first call that can use
 * it; every member gives it back when it frees the communicator, and once all
 * have, the slot can be taken again. A communicator that finds none free
 * keeps to messages.
 *
 * Each word has one writer (but the central barrier's counter, which every
 * member adds to). A writer stores, then wakes the reader only if the
 * reader's sleep bit is set; a reader sets its sleep bit before it looks at
 * the word one last time (engine.ts), so one of the two sees the other.
 * Where a waiter needs a whole set of words (every member's contribution,
 * read mark or arrival), only the writer that completes the set wakes it:
 * each writer stores its word and then looks at all of them, so of two
 * writers at once at least one sees both.
 *
 * Contributions, read marks and barrier flags, the words of every small
 * call, are published with plain stores where the CPU keeps stores in
 * order (`ShmEngine.plainPublish`; why, in store_order.ts). Loads may then
 * pass the store, so a writer that sees a sleeper fences before it looks at
 * the set, and a member that goes to sleep just as the word is stored may
 * miss it: the engine looks a few microseconds more before it sleeps, and
 * its sleeps look again after a millisecond, then at longer intervals
 * (engine.ts).
 *
 * A communicator's members have {@link contributionBlocks} blocks each: a
 * rank that writes and goes on stops that many calls ahead of the slowest
 * reader, 8, or up to 64 when ranks outnumber cores.
 *
 * Unfinished: messages let a writer run on as far as its rings hold, where
 * the blocks stop it after at most 64 calls.
 *
 * @module
 */

import type { Envelope, Operation, SharedArea } from '../transport.js';
import type { ShmEngine, Waitable } from './engine.js';
import {
  ARRIVED_WORD, AWAITS_READ_WORD, COLLECTIVE_SLOTS, CONTRIBUTION_BYTES, Contribution, READ_WORD, SlotHeader, SlotState,
  collectiveSlotBase, contributionBlocks, contributionWords, memberWords, slotMembers,
} from './layout.js';
import { schedYield } from './sched_yield.js';
import { publishWord, readWord } from './store_order.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Takes a free slot, or one all of whose members have released it, for
 * `members` ranks; -1 if none. `oversubscribed` is the job's (see
 * {@link contributionBlocks}).
 */
function claimSlot(control: Int32Array, jobSize: number, members: number, oversubscribed: boolean): number {
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
    const used = previous * memberWords(contributionBlocks(previous, jobSize, oversubscribed));
    control.fill(0, slotMembers(base), slotMembers(base) + used);
    Atomics.store(control, base + SlotHeader.MEMBERS, members);
    Atomics.store(control, base + SlotHeader.RELEASED, 0);
    Atomics.store(control, base + SlotHeader.BARRIER, 0);
    Atomics.store(control, base + SlotHeader.AWAITED_READ, 0);
    Atomics.store(control, base + SlotHeader.STATE, SlotState.IN_USE);
    return slot;
  }
  return -1;
}

/**
 * Waiting for a word of the area to reach a value. One object serves every
 * call that waits on its word (calls of a communicator run one at a time),
 * so before it takes a new value, a wait of the last call that its caller
 * found over right after starting it (`wait()` then `test()`) must be
 * resolved ({@link renew}): under the new value it would read as pending
 * again, twice in a deadlock report.
 */
abstract class WordWait implements Operation, Waitable {
  readonly envelope: Envelope | undefined = undefined;
  readonly data: Uint8Array | undefined = undefined;
  readonly error: Error | undefined = undefined;
  /** What the word must reach; it only grows, and differences survive its wrapping around. */
  value = 0;
  /** See `Waitable.spinless`. */
  spinless = false;
  /** The collective call waiting, if any (see `Operation.within`). */
  within: { readonly text: string } | undefined = undefined;
  /** The engine holds a wait of this object that may not be resolved yet. */
  private queued = false;

  constructor(protected readonly engine: ShmEngine, private readonly index: number) {}

  isReady(): boolean {
    const engine = this.engine;
    return ((readWord(engine.control, this.index, engine.plainPublish) - this.value) | 0) >= 0;
  }

  test(): boolean {
    return this.isReady();
  }

  wait(): Promise<void> {
    if (this.isReady()) return RESOLVED;
    this.queued = true;
    return this.engine.waitUntil(this);
  }

  /** See `Operation.abandon`. */
  abandon(): void {
    if (!this.queued) return;
    this.queued = false;
    this.engine.abandonWaits(this);
  }

  /** Waits for `value` from now on; the last call's wait, over by now, is resolved first. */
  renew(value: number): void {
    if (this.queued) {
      this.engine.settleReady();
      this.queued = false;
    }
    this.value = value;
  }

  abstract describe(): string;
}

/**
 * Waiting for a word that one member raises: its arrival or contribution, or
 * its read mark reaching a reduction, so that this rank can write its block
 * again; or for the central-counter barrier's counter to reach every
 * member's arrival ({@link Arrival.counter}). Only a read-mark wait that may
 * sleep says so, in this rank's {@link AWAITS_READ_WORD} and in the slot's
 * {@link SlotHeader.AWAITED_READ}, the highest of those words (stores to
 * lines the readers look at, which a poll does not need): every reader looks
 * at the header's word after storing its mark, and at the others' marks when
 * someone waits, so the member whose read completes the set sees both; this
 * wait looks at the mark after storing the words, so one of the two sees the
 * other.
 *
 * One class for all: every function that handles waits (the engine's, the
 * collective runs') met arrivals first, and a class of its own for read
 * marks deoptimized each of them at the first wait for reads; with ranks
 * above cores, the counter's class of its own did the same at the first
 * call after a loop of Barriers, and V8 compiled them again hundreds of
 * calls into that loop, each compile a stall of every rank.
 */
class Arrival extends WordWait {
  /** The counter's wait: this rank's barrier count (what the members' arrival words reach). */
  count = 0;

  /**
   * @param member - the member that raises the word; -1 for the counter, which waits for the first member that
   *   has not arrived
   * @param awaitsWord - for a read mark, Int32 index of this rank's {@link AWAITS_READ_WORD}; else -1
   * @param awaitedWord - for a read mark, Int32 index of the slot's {@link SlotHeader.AWAITED_READ}; else -1
   * @param arrivedWord - for the counter, Int32 index of member 0's arrival word (the members' are `stride` apart,
   *   `members` of them); else -1
   */
  constructor(engine: ShmEngine, index: number, private readonly member: number, private readonly what: string,
    private readonly awaitsWord = -1, private readonly awaitedWord = -1, private readonly arrivedWord = -1,
    private readonly stride = 0, private readonly members = 0) {
    super(engine, index);
  }

  /** The central-counter barrier's wait on `counter` (see {@link ShmSharedArea.arrive}). */
  static counter(engine: ShmEngine, counter: number, arrivedWord: number, stride: number, members: number): Arrival {
    return new Arrival(engine, counter, -1, 'Barrier()', -1, -1, arrivedWord, stride, members);
  }

  /** The member this waits for; for the counter, the first that has not arrived (undefined once all have). */
  get awaitedRank(): number | undefined {
    if (this.arrivedWord < 0) return this.member;
    for (let member = 0; member < this.members; member++) {
      const arrived = Atomics.load(this.engine.control, this.arrivedWord + member * this.stride);
      if (((arrived - this.count) | 0) < 0) return member;
    }
    return undefined;
  }

  override wait(): Promise<void> {
    const awaitsWord = this.awaitsWord;
    if (awaitsWord >= 0) {
      const control = this.engine.control;
      if (((Atomics.load(control, awaitsWord) - this.value) | 0) < 0) {
        Atomics.store(control, awaitsWord, this.value);
        raiseWord(control, this.awaitedWord, this.value);
      }
    }
    return super.wait();
  }

  describe(): string {
    const awaited = this.awaitedRank;
    return `${this.within?.text ?? this.what}${awaited === undefined ? '' : `, waiting for rank ${awaited}`}`;
  }
}

/** Raises `words[index]` to `value` unless it is there or past it (as the words wrap around), atomically. */
function raiseWord(words: Int32Array, index: number, value: number): void {
  for (let seen = Atomics.load(words, index); ((seen - value) | 0) < 0;) {
    const found = Atomics.compareExchange(words, index, seen, value);
    if (found === seen) return;
    seen = found;
  }
}

/** The shared area of one communicator on one rank. */
export class ShmSharedArea implements SharedArea {
  mode: 'unset' | 'shared' | 'messages' = 'unset';
  readonly contributionBytes = CONTRIBUTION_BYTES;
  readonly blocks: number;
  /** The job's, the same on every rank (see {@link ShmEngine.jobOversubscribed}). */
  readonly oversubscribed: boolean;
  readonly yieldCore: (() => unknown) | undefined;
  /** Waits that need every member sleep at once (more members than cores). */
  private readonly spinless: boolean;
  /** Contributions, read marks and barrier flags go by plain stores (see the module's comment and `ShmEngine.plainPublish`). */
  private readonly plainPublish: boolean;
  settled = false;
  readFloor: number;
  rootedBroadcast = 0;
  private header = -1;
  /** Int32 index of member 0's words, or -1. */
  private members = -1;
  /** Int32 words per member ({@link memberWords} of {@link blocks}). */
  private readonly memberStride: number;
  private reductions = 0;
  private barriers = 0;
  /** Whether this rank has contributed to an exchange on the area (see {@link firstExchange}). */
  private exchanged = false;
  private barrierArrival: Arrival | undefined;
  /** Waits by member and word: calls of a communicator run one at a time, so one object per word serves them all. */
  private readonly arrivals = new Map<number, Arrival>();
  private readonly bytes: Uint8Array;
  /** Waits for each member's read mark, by member, for the slot attached. */
  private reads: (Arrival | undefined)[] = [];
  /**
   * Views of the members' contribution blocks, by `blocks * member + number
   * % blocks`, for the slot attached; empty views where none was made yet,
   * so that the length of every view is looked at from the first call (see
   * {@link blockData}).
   */
  private blockViews: Uint8Array[] = [];

  /** @param group - world ranks of the communicator's members, in rank order */
  constructor(private readonly engine: ShmEngine, private readonly group: Int32Array, private readonly rank: number) {
    const control = engine.control;
    this.bytes = new Uint8Array(control.buffer, control.byteOffset, control.byteLength);
    this.oversubscribed = engine.jobOversubscribed;
    this.blocks = contributionBlocks(group.length, engine.size, engine.jobOversubscribed);
    this.memberStride = memberWords(this.blocks);
    this.readFloor = -this.blocks;
    this.yieldCore = engine.jobOversubscribed ? schedYield() : undefined;
    this.spinless = engine.jobOversubscribed;
    this.plainPublish = engine.plainPublish;
  }

  claim(): number {
    return claimSlot(this.engine.control, this.engine.size, this.group.length, this.oversubscribed);
  }

  attach(slot: number): void {
    if (slot < 0) {
      this.mode = 'messages';
      return;
    }
    this.header = collectiveSlotBase(this.engine.size, slot);
    this.members = slotMembers(this.header);
    this.blockViews = new Array<Uint8Array>(this.group.length * this.blocks).fill(this.bytes.subarray(0, 0));
    this.mode = 'shared';
  }

  raise(rank: number, round: number, epoch: number): void {
    publishWord(this.engine.control, this.word(rank, round), epoch, this.plainPublish);
    this.engine.wakeIfAsleep(this.group[rank]!);
  }

  arrival(round: number, epoch: number, from: number): Operation {
    return this.waitFor(this.word(this.rank, round), epoch, from, 'Barrier()');
  }

  arrive(): Operation {
    const control = this.engine.control;
    const size = this.group.length;
    const count = ++this.barriers;
    const arrival = this.barrierArrival ??= Arrival.counter(this.engine, this.header + SlotHeader.BARRIER,
      this.word(0, ARRIVED_WORD), this.memberStride, size);
    // The counter wraps around at 2^32 like every word here; the differences survive it.
    arrival.renew((count * size) | 0);
    arrival.count = count;
    // A barrier needs every member.
    arrival.spinless = this.spinless;
    Atomics.store(control, this.word(this.rank, ARRIVED_WORD), count);
    // The last to arrive wakes every sleeping member: one layer of wakes, where the dissemination barrier has log2 p.
    if (((Atomics.add(control, this.header + SlotHeader.BARRIER, 1) + 1 - arrival.value) | 0) === 0) this.wakeOthers();
    return arrival;
  }

  nextReduction(): number {
    return ++this.reductions;
  }

  contribute(number: number, tag: number, data: Uint8Array | undefined, wake?: 'all' | number): void {
    const control = this.engine.control;
    const block = this.block(this.rank, number);
    // A writer that reads nothing of this reduction marks it read before anyone can have read it: its mark cannot
    // complete the set of reads, so it needs no look at the others' marks (a cache miss per call).
    if (wake !== undefined) control[this.word(this.rank, READ_WORD)] = number;
    if (data !== undefined) this.bytes.set(data, (block + Contribution.DATA) * 4);
    control[block + Contribution.TAG] = tag;
    control[block + Contribution.LENGTH] = data === undefined ? -1 : data.byteLength;
    publishWord(control, block + Contribution.NUMBER, number, this.plainPublish);
    if (typeof wake === 'number') {
      this.engine.wakeIfAsleep(this.group[wake]!);
    } else if (wake === 'all' || this.othersAsleep() || this.firstExchange()) {
      // Only a sleeper needs waking: a look at the members' sleep bits (lines that stay in this rank's cache) spares
      // an exchange's contribution a look at every member's block (a line each, which its member has just written).
      // A member sets its bit before its last look at the blocks, this rank looks at the bits after its store: one
      // of the two sees the other's write (after a plain store, see the module's comment, within a millisecond).
      this.wakeAfterContribution(number, wake === 'all');
    }
  }

  /** Wakes the sleeping members after this rank's contribution to `number`: for an exchange (not `all`), once all have contributed. */
  private wakeAfterContribution(number: number, all: boolean): void {
    // An exchange's waiters need every member's block: only the contribution that completes them wakes anybody.
    if (all || this.fencedAllReached(contributionWords(number, this.blocks) + Contribution.NUMBER, number)) this.wakeOthers();
  }

  /**
   * True at this rank's first exchange on the area, which wakes whoever
   * sleeps: its call of {@link wakeAfterContribution} then has its type
   * feedback when a member first sleeps, where a first run in the
   * optimized code of the calls that inlined `contribute` threw that away.
   */
  private firstExchange(): boolean {
    const first = !this.exchanged;
    this.exchanged = true;
    return first;
  }

  contributeReference(number: number, tag: number, data: Uint8Array, wake?: 'all'): boolean {
    const arena = this.engine.heapArenaOf(data);
    if (arena < 0 || data.byteLength <= CONTRIBUTION_BYTES) return false;
    const control = this.engine.control;
    const block = this.block(this.rank, number);
    // A root reads nothing of it (see contribute).
    if (wake !== undefined) control[this.word(this.rank, READ_WORD)] = number;
    control[block + Contribution.ARENA] = arena;
    control[block + Contribution.OFFSET_LOW] = data.byteOffset % 2 ** 32;
    control[block + Contribution.OFFSET_HIGH] = Math.floor(data.byteOffset / 2 ** 32);
    control[block + Contribution.TAG] = tag;
    control[block + Contribution.LENGTH] = data.byteLength;
    publishWord(control, block + Contribution.NUMBER, number, this.plainPublish);
    // Both looked at whatever the caller: a look skipped by the Bcasts before the first exchange left it without type
    // feedback in their optimized code (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    const complete = this.fencedAllReached(contributionWords(number, this.blocks) + Contribution.NUMBER, number);
    if (wake !== undefined || complete) this.wakeOthers();
    return true;
  }

  markRead(number: number): void {
    publishWord(this.engine.control, this.word(this.rank, READ_WORD), number, this.plainPublish);
    // Whoever waits for readers waits for all of them (to write its block again): the last one wakes it, and only
    // the members that said they wait for these reads. Most reads are awaited by nobody: a look at the slot's awaited
    // word (a line that stays in this rank's cache) spares a look at every member's read mark (a line each, which its
    // member has just written).
    if (this.awaited(number) && this.fencedAllReached(READ_WORD, number)) this.wakeAwaiting(number);
  }

  lowestRead(since: number): number {
    const control = this.engine.control;
    let lowest = 0;
    for (let member = 0; member < this.group.length; member++) {
      // Differences from `since`, as the words wrap around at 2^32: at least 0, as every member has read it.
      const ahead = (readWord(control, this.word(member, READ_WORD), this.plainPublish) - since) | 0;
      lowest = member === 0 ? ahead : Math.min(lowest, ahead);
    }
    return since + lowest;
  }

  readBy(from: number, number: number): Operation {
    let read = this.reads[from];
    if (read === undefined) {
      this.reads[from] = read = new Arrival(this.engine, this.word(from, READ_WORD), from, 'reading the shared area',
        this.word(this.rank, AWAITS_READ_WORD), this.header + SlotHeader.AWAITED_READ);
    }
    read.renew(number);
    read.spinless = this.spinless;
    return read;
  }

  contributed(from: number, number: number, alone = false): Operation {
    return this.waitFor(this.block(from, number) + Contribution.NUMBER, number, from, 'Allreduce', !alone);
  }

  holds(from: number, number: number): boolean {
    return readWord(this.engine.control, this.block(from, number) + Contribution.NUMBER, this.plainPublish) === number;
  }

  contributionTag(from: number, number: number): number {
    return this.engine.control[this.block(from, number) + Contribution.TAG]!;
  }

  contributionLength(from: number, number: number): number {
    return this.engine.control[this.block(from, number) + Contribution.LENGTH]!;
  }

  contributionData(from: number, number: number, bytes: number): Uint8Array {
    // One return, at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    return bytes > CONTRIBUTION_BYTES ? this.referencedData(from, number, bytes) : this.blockData(from, number, bytes);
  }

  /** The data of a contribution in its block. */
  private blockData(from: number, number: number, bytes: number): Uint8Array {
    // A block's view is made again only for another length: the small collectives read blocks every call.
    const slot = this.blocks * from + (number & (this.blocks - 1));
    let view = this.blockViews[slot]!;
    if (view.byteLength !== bytes) {
      const at = (this.block(from, number) + Contribution.DATA) * 4;
      this.blockViews[slot] = view = this.bytes.subarray(at, at + bytes);
    }
    return view;
  }

  /** The data of a contribution by reference (see {@link contributeReference}), where its writer keeps it. */
  private referencedData(from: number, number: number, bytes: number): Uint8Array {
    const control = this.engine.control;
    const block = this.block(from, number);
    const offset = (control[block + Contribution.OFFSET_LOW]! >>> 0) + control[block + Contribution.OFFSET_HIGH]! * 2 ** 32;
    return this.engine.heapBytes(control[block + Contribution.ARENA]!, offset, bytes);
  }

  /** Gives the slot back (the communicator is freed): it is free again once every member has. */
  release(): void {
    // Waits on the area's words that are over but still queued (see ShmEngine.settleReady) end now: once every member
    // has released the slot, another communicator may claim it and clear the words, and they would never end.
    if (this.header >= 0) this.engine.settleReady();
    if (this.header >= 0) Atomics.add(this.engine.control, this.header + SlotHeader.RELEASED, 1);
    this.header = -1;
    this.members = -1;
    this.barrierArrival = undefined;
    this.blockViews = [];
    this.reads = [];
    this.rootedBroadcast = 0;
    this.mode = 'messages';
  }

  /** Whether another member sleeps, or is about to. */
  private othersAsleep(): boolean {
    for (let member = 0; member < this.group.length; member++) {
      if (member !== this.rank && this.engine.asleep(this.group[member]!)) return true;
    }
    return false;
  }

  private wakeOthers(): void {
    for (let member = 0; member < this.group.length; member++) {
      if (member !== this.rank) this.engine.wakeIfAsleep(this.group[member]!);
    }
  }

  /**
   * Whether a member waits, in a wait that may sleep, for every member's
   * read of reduction `number` (this rank too, after a wait of its own that
   * is over: its wake then finds nobody to wake).
   */
  private awaited(number: number): boolean {
    return ((readWord(this.engine.control, this.header + SlotHeader.AWAITED_READ, this.plainPublish) - number) | 0) >= 0;
  }

  /** Wakes the sleeping members that wait for every member's read of reduction `number`. */
  private wakeAwaiting(number: number): void {
    for (let member = 0; member < this.group.length; member++) {
      if (member !== this.rank && this.awaits(member, number)) this.engine.wakeIfAsleep(this.group[member]!);
    }
  }

  private awaits(member: number, number: number): boolean {
    return ((readWord(this.engine.control, this.word(member, AWAITS_READ_WORD), this.plainPublish) - number) | 0) >= 0;
  }

  /** Int32 index of member `member`'s contribution block of reduction `number`. */
  private block(member: number, number: number): number {
    return this.word(member, contributionWords(number, this.blocks));
  }

  /** Int32 index of word `offset` of member `rank`'s words. */
  private word(rank: number, offset: number): number {
    return this.members + rank * this.memberStride + offset;
  }

  /**
   * Whether word `offset` of every member has reached `value`. Each member
   * stores its own word and then looks at all: of two that store at once, at
   * least one sees the other's (sequentially consistent atomics), so the
   * member that completes the set always knows it.
   */
  private allReached(offset: number, value: number): boolean {
    const control = this.engine.control;
    for (let member = 0; member < this.group.length; member++) {
      if (((readWord(control, this.word(member, offset), this.plainPublish) - value) | 0) < 0) return false;
    }
    return true;
  }

  /**
   * {@link allReached} for a writer that has just published `value` in its
   * own word, after a full fence: of two members that publish at once, at
   * least one then sees the other's word.
   */
  private fencedAllReached(offset: number, value: number): boolean {
    // The fence that the plain store lacked: the same store again, sequentially consistent.
    if (this.plainPublish) Atomics.store(this.engine.control, this.word(this.rank, offset), value);
    return this.allReached(offset, value);
  }

  /** @param everyone - the word is one of a set that the waiter needs all of (see {@link Arrival.spinless}) */
  private waitFor(index: number, value: number, from: number, what: string, everyone = false): Arrival {
    let arrival = this.arrivals.get(index);
    if (arrival === undefined) this.arrivals.set(index, arrival = new Arrival(this.engine, index, from, what));
    arrival.renew(value);
    arrival.spinless = everyone && this.spinless;
    return arrival;
  }
}
