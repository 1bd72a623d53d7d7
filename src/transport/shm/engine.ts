/**
 * The progress engine of one shm rank: matching, the eager and rendezvous
 * protocols, and waiting that spins briefly and then parks.
 *
 * MPI-4.1 §3.4 (communication modes: standard, synchronous), §3.5 (semantics:
 * order, progress), §3.7 (nonblocking operations), §3.8 (probe, cancel).
 *
 * Matching is by context, source and tag, with wildcards, in arrival order:
 * every ordered pair of ranks has one FIFO ring, so messages between two ranks
 * never overtake each other. A message of up to `eagerLimit` bytes is copied
 * into the ring and its send completes at once; a larger one waits for a
 * receive to match it (rendezvous), so a blocking `Send` of a big buffer
 * waits for the receiver exactly as in a real MPI: in place when it is in a
 * heap arena (`MPI.alloc`), else streamed through a staging ring in the
 * sender's arena (pipeline.ts). A synchronous send from a heap arena goes in
 * place from {@link SYNC_RENDEZVOUS_BYTES} on, below the eager limit too: it
 * waits for the receiver anyway. A receive whose buffer is too small fails
 * with `ERR_TRUNCATE` and leaves the message queued. Rendezvous bodies longer
 * than the longest `Uint8Array` (Node 20) are segmented bytes (`buffer.ts`).
 *
 * A record that does not fit its ring waits in a per-destination outbox. The
 * outbox and unfinished pipes move on from the event loop too, whatever the
 * rank's script does next, and keep its thread alive until they are done:
 * a completed send is delivered even if its sender's script ends (as
 * `MPI_Finalize` would wait for it).
 *
 * `MPI_Cancel` (§3.8.4) of a receive that no message has matched takes it
 * off the posted list (`withdraw`); a send is never cancelled (it completes).
 *
 * The universe can grow while the rank runs (layout.ts): rings, outboxes
 * and heaps of slots past those known are taken up when a rank first meets
 * them (a record from them, a send to them, a heap of theirs); the ring
 * segments and heaps of new slots come from the launcher on the growth port.
 *
 * Unfinished: nothing known.
 *
 * @module
 */

import { performance } from 'node:perf_hooks';
import { allocateBytes, type Bytes, bytesIn, copyBytes, isSegmented, prefixOf } from '../../buffer.js';
import { errors, type MPIError } from '../../errors.js';
import { callAny } from '../call_any.js';
import { pastFirst } from '../past_first.js';
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { hasOtherWork } from '../event_loop.js';
import type { Envelope, Operation } from '../transport.js';
import { HeapArena } from './heap.js';
import {
  CONTEXTS_PER_COMM, DIRECT_SOURCES, Global, type Growth, type JobMemory, MASKED_BIT, RankState, type RingSegment,
  SLEEP_BIT, Slot, WAIT_TEXT_BYTES, maskBase, maskWords, rankBase, ringLocation, segmentOf, waitTextOffset,
} from './layout.js';
import { InboundPipe, OutboundPipe } from './pipeline.js';
import { Kind, RECORD_HEADER_BYTES, Ring, Word, primeRingPaths, readWide } from './ring.js';
import { RequestTable } from './requests.js';
import { schedYield } from './sched_yield.js';
import { readWord, STORES_IN_ORDER } from './store_order.js';

/** Wildcard source and tag at this level (same values as the API's). */
const ANY = -1;

const RESOLVED: Promise<void> = Promise.resolve();
/** Polls of a spin between two looks at the clock; a wait's first slice is this many polls. */
const SPIN_POLLS = 64;
/**
 * The longest slice of a spin, in milliseconds: a Promise job queued while a
 * rank spins waits at most this long. Slices double up to it while nothing
 * else of the rank's uses the engine (see {@link ShmEngine.spin}).
 */
const MAX_SLICE_MILLIS = 0.1;
/** The second slice of a spin, in milliseconds; later ones double. */
const FIRST_TIMED_SLICE_MILLIS = 0.004;
/**
 * How often a slice looks at the clock at most, in milliseconds (and twice
 * per slice at least). `performance.now()` allocates (16-34 bytes a call,
 * Node 20-24), so a spin that looked every 64 polls allocated as much in
 * clock readings as in slices; a slice counts its polls between looks
 * instead, from the rate of polls it measured.
 */
const LOOK_MILLIS = 0.025;
/** The most polls between two looks at the clock, whatever the measured rate. */
const MAX_POLLS_PER_LOOK = 1024;
/** Below this many bytes a loop copies faster than making a view for `set`. */
const SMALL_COPY = 64;

/** Copies `from[start]` to `from[start + bytes - 1]` to the start of `to`: by a loop up to {@link SMALL_COPY} bytes. */
function copyOut(to: Uint8Array, from: Uint8Array, start: number, bytes: number): void {
  if (bytes <= SMALL_COPY) for (let i = 0; i < bytes; i++) to[i] = from[start + i]!;
  else to.set(from.subarray(start, start + bytes));
}

/** A message that arrived before a receive for it was posted. */
interface Unexpected {
  readonly context: number;
  readonly source: number;
  readonly tag: number;
  readonly kind: number;
  readonly bytes: number;
  /** Eager messages: a private copy of the payload, in its first {@link bytes} bytes. */
  readonly payload: Uint8Array | undefined;
  readonly request: number;
  readonly arena: number;
  readonly offset: number;
}

/**
 * Buffers for the payloads of eager messages that arrive before their
 * receive, by power-of-two size: given back once delivered, so a steady
 * exchange allocates nothing (a fresh 32 KiB ArrayBuffer per message made
 * scavenges of several milliseconds). The pool keeps whole views, each the
 * length of its size class, and the message's length goes with it: making
 * a view per message (and one of the ring for `set`) took two typed-array
 * constructions per early message, 3% of the CPU time of 4 ranks on 2 cores
 * in a ring of 8-byte Sendrecvs, where most messages come early.
 */
class PayloadPool {
  private readonly classes: Uint8Array[][] = [];

  /** A copy of `from[start]` to `from[start + bytes - 1]` at the start of a pooled buffer, which may be longer. */
  copy(from: Uint8Array, start: number, bytes: number): Uint8Array {
    const sizeClass = bytes <= 64 ? 6 : 32 - Math.clz32(bytes - 1);
    const payload = this.classes[sizeClass]?.pop() ?? new Uint8Array(2 ** sizeClass);
    copyOut(payload, from, start, bytes);
    return payload;
  }

  /** Takes back a payload from {@link copy} that nobody reads any more. */
  recycle(payload: Uint8Array): void {
    const sizeClass = 31 - Math.clz32(payload.byteLength);
    const kept = this.classes[sizeClass] ??= [];
    if (kept.length < PAYLOADS_KEPT) kept.push(payload);
  }
}

/** Buffers a {@link PayloadPool} keeps per size. */
const PAYLOADS_KEPT = 16;

/** A record that did not fit its ring yet; kept in order per destination. */
interface Outgoing {
  readonly kind: number;
  readonly context: number;
  readonly tag: number;
  readonly payloadBytes: number;
  readonly request: number;
  readonly offset: number;
  readonly arena: number;
  readonly payload: Uint8Array | undefined;
}

/** Something a rank can wait for. */
export interface Waitable {
  /** True once the wait is over. */
  isReady(): boolean;
  /** The one world rank whose messages can end the wait, or -1: a spin then watches only that ring. */
  readonly spinSource?: number;
  /** What is awaited, for deadlock reports. */
  describe(): string;
  /**
   * The wait needs ranks that cannot all be running now (a barrier or an
   * exchange of every member when ranks outnumber cores): it skips the spin
   * and sleeps at the next idle check, leaving its core to them.
   */
  readonly spinless?: boolean;
}

interface Waiter {
  readonly waitable: Waitable;
  readonly resolve: () => void;
}

abstract class ShmOperation implements Operation, Waitable {
  done = false;
  envelope: Envelope | undefined = undefined;
  data: Bytes | undefined = undefined;
  error: Error | undefined = undefined;
  /** The collective call this operation is part of, if any (see `Operation.within`). */
  within: { readonly text: string } | undefined = undefined;

  constructor(protected readonly engine: ShmEngine) {}

  test(): boolean {
    if (!this.done) this.engine.poll();
    return this.done;
  }

  wait(): Promise<void> {
    return this.done ? RESOLVED : this.engine.waitUntil(this);
  }

  isReady(): boolean {
    return this.done;
  }

  /** See `Operation.abandon`. */
  abandon(): void {
    if (!this.done) this.engine.abandonWaits(this);
  }

  abstract describe(): string;
}

/** A send; complete once the data left (eager) or the receiver took it (rendezvous, Ssend). */
export class SendOperation extends ShmOperation {
  /** Offset of the staging copy in this rank's arena, or -1. */
  staging = -1;
  /** The number the receiver's FIN answers ({@link RequestTable}); 0 for a send that awaits none. */
  request = 0;
  /**
   * The buffer the receiver copies from, in a heap arena (an `RTS` send): held until the FIN, so that the
   * garbage collector cannot give its memory back to the arena (`MPI.alloc`) while the receiver reads it.
   */
  readFrom: Bytes | undefined = undefined;

  constructor(engine: ShmEngine, readonly dest: number, readonly tag: number, readonly bytes: number,
    readonly sync: boolean, private readonly destLabel: number) {
    super(engine);
  }

  describe(): string {
    if (this.within !== undefined) return `${this.within.text}, waiting for rank ${this.destLabel} to receive`;
    return `${this.sync ? 'Ssend' : 'Send'}(dest=${this.destLabel}, tag=${this.tag}, ${this.bytes} bytes)` +
      ' waiting for a matching receive';
  }
}

/** A posted receive. */
export class RecvOperation extends ShmOperation {
  constructor(engine: ShmEngine, readonly context: number, readonly source: number, readonly tag: number,
    readonly into: Bytes | undefined, readonly rankOf: Int32Array, private readonly sourceLabel: number) {
    super(engine);
  }

  /** A receive from one named source ends only by a message on that source's ring. */
  get spinSource(): number {
    return this.source;
  }

  /** Before it returns a Promise, a wait for a reply polls for it a while ({@link ShmEngine.awaitReply}). */
  override wait(): Promise<void> {
    if (!this.done) this.engine.awaitReply(this);
    return super.wait();
  }

  /** Set once {@link cancel} has taken the receive back before any message matched it. */
  cancelled = false;

  /** MPI-4.1 §3.8.4: a receive still posted (not matched) is withdrawn and completes as cancelled. */
  cancel(): boolean {
    return !this.done && this.engine.withdraw(this);
  }

  /** Completes with the message's envelope; `source` is a world rank. */
  complete(source: number, tag: number, bytes: number): void {
    this.envelope = { source: this.rankOf[source]!, tag, byteLength: bytes };
    this.done = true;
  }

  describe(): string {
    if (this.within !== undefined) {
      return `${this.within.text}, waiting for ${this.sourceLabel === ANY ? 'any rank' : `rank ${this.sourceLabel}`}`;
    }
    const source = this.sourceLabel === ANY ? 'ANY_SOURCE' : String(this.sourceLabel);
    const tag = this.tag === ANY ? 'ANY_TAG' : String(this.tag);
    return `Recv(source=${source}, tag=${tag}${this.into ? `, ${this.into.byteLength}-byte buffer` : ''})`;
  }
}

/** Tuning of waits, from the launcher. */
export interface WaitTuning {
  /** Microseconds a wait spins before it sleeps. */
  readonly spinMicros: number;
  /**
   * Microseconds a wait may then sleep in `Atomics.wait`, blocking the
   * thread, when its event loop has nothing else to do; after that it parks
   * in `Atomics.waitAsync`, which leaves the event loop running.
   */
  readonly blockMicros: number;
  /** More ranks than cores: a rank that waits for another often waits for it to get a core. */
  readonly oversubscribed: boolean;
  /**
   * Under the launcher: the cores of the machine. Then {@link oversubscribed}
   * is decided anew at each wait, from the job's live ranks (spawned ones
   * included, {@link Global.LIVE_RANKS}), and an oversubscribed wait spins
   * {@link OVERSUBSCRIBED_SPIN_MICROS} instead of `spinMicros`.
   */
  readonly cores?: number;
}

/**
 * Synchronous sends of at least this many bytes from a heap arena go by
 * rendezvous even below the eager limit: one copy instead of two (and
 * collectives send synchronously from 16 KiB, `tuning.syncSendBytes`).
 */
export const SYNC_RENDEZVOUS_BYTES = 16 * 1024;

/**
 * Zero, for the fields that later hold fractions (times in milliseconds). V8
 * gives a field the representation of its first value; a field that starts
 * as a small integer and later takes a fraction changes the engine's hidden
 * class, and every function compiled against the old one is deoptimized
 * (the "wrong map" deopts of the hot paths in a user's first loop). -0 is
 * no small integer, and equals 0.
 */
const FRACTIONAL_ZERO = -0;

/**
 * How many times a wait for a reply looks at its ring before it returns a
 * Promise ({@link ShmEngine.awaitReply}): about 3 us of polls on this
 * machine; in a ping-pong of 8 bytes at 2 ranks, 99% of the replies came
 * within the first 16 looks and 0.1% after the last.
 */
const REPLY_POLLS = 128;
/**
 * The first {@link FIRST_REPLIES} waits for a reply in a rank look
 * {@link FIRST_REPLY_POLLS} times only, so that most of them go on as
 * Promise waits: the wait's path (the Promise, the spin in microtasks, the
 * settling) is then compiled in a loop's first calls, where otherwise its
 * few dozen functions reached V8's thresholds one by one among the rare
 * replies that outlast the polls, thousands of calls in, each compile a
 * stall of both ranks (Node 24, 8-byte ping-pong: `waitUntil` and
 * `blockUntilSettled` compiled at round trip 5,400, a 5 ms stall).
 */
const FIRST_REPLIES = 128;
/** See {@link FIRST_REPLIES}. */
const FIRST_REPLY_POLLS = 2;
/** Of {@link REPLY_POLLS}, every this many is a full poll, which moves this rank's queued sends and pipes too. */
const FULL_POLL_EVERY = 64;

/**
 * The first sleep of a wait, in milliseconds, where shared areas publish by
 * plain stores ({@link ShmEngine.plainPublish}); each later one lasts twice
 * as long. A writer that looks at the sleep bits just as a member sets its
 * own and looks at the word a last time may see no sleeper while the member
 * sees the old word, and nobody wakes it: the store is visible within
 * microseconds, so the look after the first sleep finds it.
 */
const FIRST_SLEEP_MILLIS = 1;
/**
 * How long a wait that has set its sleep bit and found nothing looks again
 * before it sleeps (`Atomics.wait`, or parked in `Atomics.waitAsync`), in
 * milliseconds: a plain store made just before the bit was set, by a writer
 * that then saw no sleeper, is visible within it, so the miss that
 * {@link FIRST_SLEEP_MILLIS} makes up for gets rarer.
 */
const SLEEP_GRACE_MILLIS = 0.003;
/** The longest sleep of a parked wait before it looks again, in milliseconds (the first, without plain stores). */
const MAX_PARK_MILLIS = 200;

/** How long a wait spins when the job has more live ranks than cores. */
export const OVERSUBSCRIBED_SPIN_MICROS = 10;
/**
 * How long, in milliseconds, a wait that has spun goes on yielding its core
 * between looks when the job has more live ranks than cores, before it
 * sleeps (see {@link ShmEngine.coreToYield}).
 */
const YIELD_MILLIS = 0.2;

/** The resolve function of the Promise that {@link keepResolve} made last (see `ShmEngine.waitUntil`). */
let keptResolve: () => void = () => undefined;

/** A Promise's executor that keeps its resolve function in {@link keptResolve}. */
function keepResolve(resolve: () => void): void {
  keptResolve = resolve;
}

/** The engine of one rank. There is one per rank (per worker thread). */
export class ShmEngine {
  readonly size: number;
  readonly arena: HeapArena;
  readonly eagerLimit: number;
  /** See {@link WaitTuning.oversubscribed} and {@link WaitTuning.cores}. */
  get oversubscribed(): boolean {
    return this.cores === undefined ? this.jobOversubscribed : Atomics.load(this.control, Global.LIVE_RANKS) > this.cores;
  }
  /**
   * {@link WaitTuning.oversubscribed} as the job started: what the collective
   * algorithms follow, since every rank of a communicator must choose alike
   * (the live count changes as ranks start and end).
   */
  readonly jobOversubscribed: boolean;
  /**
   * Whether shared areas publish contributions and read marks with plain
   * stores (`publishWord` in store_order.ts): where the CPU keeps stores in
   * order, with ranks above cores too (a sequentially consistent store there
   * waited for a line that a rank spinning on it held: 28% of the samples of
   * 4 ranks on 2 cores in a loop of 8-byte Scans). A wait's sleeps then
   * start short ({@link FIRST_SLEEP_MILLIS}).
   */
  readonly plainPublish: boolean;
  /** The first sleep of a wait before it looks again, in milliseconds. */
  private readonly firstSleepMillis: number;
  private readonly cores: number | undefined;
  /** The job's control block (layout.ts). */
  readonly control: Int32Array;
  private readonly controlBytes: Uint8Array;
  private readonly base: number;
  /** Bumps of this rank's announcement version word (see {@link publishAnnouncement}). */
  private announcements = 0;
  /** The collective call last announced ({@link announce}), and whether the control block has it yet. */
  private announcedContext = 0;
  private announcedTag = 0;
  private announcedCall = 0;
  private announcementDue = false;
  private readonly inRings: Ring[];
  private readonly outRings: Ring[];
  /** Every rank's heap arena of the job, new slots' appended as the universe grows (windows find attached `MPI.alloc` memory in them). */
  readonly heaps: SharedArrayBuffer[];
  /** Slots whose rings and outbox this rank has set up (the universe when it last looked). */
  private known = 0;
  private readonly segments: RingSegment[];
  /** Views of each ring segment's buffer, made once. */
  private readonly segmentViews = new Map<SharedArrayBuffer, { words: Int32Array; bytes: Uint8Array }>();
  private readonly ringCapacity: number;
  private readonly posted: RecvOperation[] = objectList();
  private readonly unexpected: Unexpected[] = objectList();
  private readonly awaitingFin = new RequestTable<SendOperation>();
  private readonly payloads = new PayloadPool();
  /** Pipelined sends still writing, and pipelined receives still reading. */
  private readonly outPipes: OutboundPipe[] = objectList();
  private readonly inPipes: { readonly pipe: InboundPipe; readonly op: RecvOperation; readonly source: number;
    readonly tag: number; readonly request: number }[] = objectList();
  private readonly outbox: Outgoing[][];
  private outboxCount = 0;
  private readonly waiters: Waiter[] = objectList();
  /**
   * Per world rank: this rank has sent it a message since it last read one
   * from it, so a receive from it waits for a reply ({@link awaitReply}).
   */
  private readonly repliesDue: boolean[] = [];
  /** Waits for a reply so far ({@link FIRST_REPLIES}). */
  private repliesAwaited = 0;
  /** Waits resolved so far: a phase of waiting ends when this moves. */
  private settledCount = 0;
  /** A spin is queued as a microtask (see {@link spin}). */
  private spinning = false;
  /** When the current spin ends, or 0 before its first slice. */
  private spinEnd = FRACTIONAL_ZERO;
  /** How long the spin's next slice lasts, in milliseconds; 0: {@link SPIN_POLLS} polls. */
  private sliceMillis = FRACTIONAL_ZERO;
  /** Counts the rank's calls into the engine (sends, receives, waits): a spin's slices stay short while it moves. */
  private activity = 0;
  /** {@link activity} when the spin's last slice began. */
  private activitySeen = 0;
  /** Polls per millisecond that a spin's slice measured last, 0 before one did. */
  private pollsPerMilli = FRACTIONAL_ZERO;
  private idleCheckScheduled = false;
  /** The park loop runs (see {@link parkLoop}). */
  private parked = false;
  private readonly fullSpinMillis: number;
  private get spinMillis(): number {
    return this.cores !== undefined && this.oversubscribed ? OVERSUBSCRIBED_SPIN_MICROS / 1000 : this.fullSpinMillis;
  }
  private readonly blockMillis: number;
  /** The system's `sched_yield`, taken at the first wait that yields (see {@link coreToYield}). */
  private yieldCore: (() => number) | undefined = undefined;
  /** {@link YIELD_MILLIS}; a field so that a test on a loaded machine can widen it. */
  private yieldMillis = YIELD_MILLIS;
  private readonly signalIndex: number;
  /** Whether source bits sit in the signal word itself (small jobs) or in the mask words. */
  private readonly direct: boolean;
  private readonly maskIndex: number;
  private readonly textEncoder = new TextEncoder();
  private handling = false;
  private settling = false;
  /** What every eager standard send returns: complete as soon as the data is in the ring. */
  private readonly sent: SendOperation;

  /**
   * @param growth - where the launcher posts the ring segments and heaps of
   *   slots added to the universe after this rank started (layout.ts's
   *   `Growth`); read only when one past those known is needed
   */
  constructor(readonly rank: number, memory: JobMemory, tuning: WaitTuning, private readonly growth?: MessagePort) {
    this.size = memory.size;
    this.eagerLimit = memory.eagerLimit;
    // Before the rings are made (meet), which follow it.
    this.plainPublish = STORES_IN_ORDER;
    this.firstSleepMillis = this.plainPublish ? FIRST_SLEEP_MILLIS : MAX_PARK_MILLIS;
    this.control = new Int32Array(memory.control);
    this.controlBytes = new Uint8Array(memory.control);
    this.base = rankBase(rank);
    this.segments = [...memory.rings];
    this.ringCapacity = memory.ringCapacity;
    this.inRings = [];
    this.outRings = [];
    this.outbox = [];
    this.heaps = [...memory.heaps];
    this.arena = new HeapArena(memory.heaps[rank]!);
    this.meet(Math.max(rank + 1, Atomics.load(this.control, Global.UNIVERSE), memory.heaps.length) - 1);
    this.fullSpinMillis = tuning.spinMicros / 1000;
    this.blockMillis = tuning.blockMicros / 1000;
    this.jobOversubscribed = tuning.oversubscribed;
    this.cores = tuning.cores;
    this.sent = new SendOperation(this, -1, 0, 0, false, -1);
    this.sent.done = true;
    this.signalIndex = rankBase(rank) + Slot.SIGNAL;
    this.direct = maskWords(memory.size) === 0;
    this.maskIndex = maskBase(memory.size, rank);
    primeRingPaths(this.plainPublish);
    this.primeRarePaths();
  }

  /**
   * Maps the memory of the rings this rank writes into to `peers` (world
   * ranks: the rank's `MPI.COMM_WORLD`), from the next one on, up to
   * {@link PREFAULT_RING_BYTES} (16 rings at the default eager limit), when
   * the transport starts (the script's first touch of MPI), before its first
   * message: the first pass of small messages through a ring otherwise takes
   * a page fault every 4 KiB, in the user's first loop, and the partner waits
   * through each one.
   */
  prefaultRings(peers: Int32Array): void {
    const at = Math.max(0, peers.indexOf(this.rank));
    let budget = PREFAULT_RING_BYTES;
    for (let k = 1; k <= peers.length && budget >= this.ringCapacity; k++, budget -= this.ringCapacity) {
      this.outRings[peers[(at + k) % peers.length]!]!.prefault();
    }
  }

  /**
   * Runs the small helpers of the less common paths until V8 has optimized
   * them, when the engine starts (a few milliseconds, their compiles): the
   * pooled copy of a message that came before its receive, the Promise of a
   * wait that outlasts its polls (`keepResolve`), the removal of a posted
   * receive (`removeAt`), the length of a spin that outlasts its first slice
   * (`spinMillis`). A user's loop takes these paths now and then, and V8
   * compiled each only after some thousand calls, 0.3-1 ms on the rank's
   * thread in the middle of the loop, its partner waiting. On this engine's
   * own pool, so that the feedback is that of the objects the loop will
   * meet.
   */
  private primeRarePaths(): void {
    const record = new Uint8Array(new SharedArrayBuffer(SMALL_COPY));
    const list = objectList<Uint8Array>();
    for (let i = 0; i < PRIME_CALLS; i++) {
      void this.spinMillis;
      this.payloads.recycle(this.payloads.copy(record, 0, 8));
      void new Promise<void>(keepResolve);
      list.push(record, record);
      removeAt(list, i & 1);
      removeAt(list, 0);
    }
  }

  /**
   * Sets up the rings and outboxes of every slot up to `peer`, which the
   * universe must hold by now (the launcher grows it before it starts ranks
   * in new slots, and a rank learns a slot only from such a rank or from
   * the launcher).
   */
  private meet(peer: number): void {
    const universe = Math.max(peer + 1, this.known);
    while (segmentOf(this.segments, universe - 1) === undefined) this.receiveGrowth(`the rings of slot ${universe - 1}`);
    for (let p = this.known; p < universe; p++) {
      this.inRings.push(this.ring(p, this.rank));
      this.outRings.push(this.ring(this.rank, p));
      this.outbox.push(objectList());
      this.repliesDue.push(false);
    }
    this.known = universe;
  }

  private ring(source: number, dest: number): Ring {
    const memory = { ringCapacity: this.ringCapacity, rings: this.segments };
    const { buffer, offset } = ringLocation(memory, source, dest);
    let views = this.segmentViews.get(buffer);
    if (views === undefined) {
      views = { words: new Int32Array(buffer), bytes: new Uint8Array(buffer) };
      this.segmentViews.set(buffer, views);
    }
    return new Ring(views.words, views.bytes, offset, this.ringCapacity, this.plainPublish);
  }

  /** Takes one growth of the universe that the launcher posted; `what` is what this rank looks for. */
  private receiveGrowth(what: string): void {
    const received = this.growth === undefined ? undefined : receiveMessageOnPort(this.growth);
    if (received === undefined) throw new RangeError(`${what} has not reached rank ${this.rank}`);
    const { first, heaps, rings } = received.message as Growth;
    heaps.forEach((h, i) => { this.heaps[first + i] = h; });
    this.segments.push(rings);
  }

  /** The slot whose heap arena holds `data` (`MPI.alloc` memory of a rank of the job), or -1. */
  heapArenaOf(data: { readonly buffer: ArrayBufferLike }): number {
    return this.heaps.indexOf(data.buffer as SharedArrayBuffer);
  }

  /** `bytes` bytes at `offset` of slot `arena`'s heap, as {@link heapArenaOf} found them on their rank. */
  heapBytes(arena: number, offset: number, bytes: number): Uint8Array {
    return new Uint8Array(this.heap(arena), offset, bytes);
  }

  /** The heap arena of slot `arena`, taking the heaps the launcher posted since this rank last looked. */
  private heap(arena: number): SharedArrayBuffer {
    let heap = this.heaps[arena];
    while (heap === undefined) {
      this.receiveGrowth(`the heap of slot ${arena}`);
      heap = this.heaps[arena];
    }
    return heap;
  }

  /** The control block word of this rank at `slot`. */
  private slot(slot: number): number {
    return this.base + slot;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Starts a send to world rank `dest`. Small data is copied into the ring;
   * large data is read in place from a heap arena, or else streamed through
   * a staging pipe. (Eager data, at most the ring's size, is always one view.)
   */
  isend(context: number, dest: number, tag: number, data: Bytes, sync: boolean, destLabel: number): SendOperation {
    const bytes = data.byteLength;
    this.activity++;
    if (bytes <= this.eagerLimit && !sync) {
      this.inject(dest, Kind.EAGER, context, tag, bytes, 0, 0, 0, data as Uint8Array);
      return this.sent;
    }
    const op = new SendOperation(this, dest, tag, bytes, sync, destLabel);
    const request = this.awaitingFin.add(op);
    // The script may end before the receiver answers: the rank stays for the answer (see `holding`).
    this.scheduleIdleCheck();
    // A synchronous send waits for its receiver either way: from a heap arena the receiver copies it once, straight
    // from there, where through the ring it is copied twice. Small ones stay in the ring.
    const inPlace = bytes > this.eagerLimit || bytes >= SYNC_RENDEZVOUS_BYTES;
    const arena = inPlace ? this.heapArenaOf(data) : -1;
    if (bytes <= this.eagerLimit && arena < 0) {
      this.inject(dest, Kind.EAGER_SYNC, context, tag, bytes, request, 0, 0, data as Uint8Array);
      return op;
    }
    if (arena >= 0) {
      op.readFrom = data;
      this.inject(dest, Kind.RTS, context, tag, bytes, request, data.byteOffset, arena, undefined);
      return op;
    }
    const offset = this.arena.allocate(OutboundPipe.heapBytes(bytes));
    if (offset < 0) {
      this.awaitingFin.take(request);
      throw errors.noMem('Comm.Send', `no room for a ${OutboundPipe.heapBytes(bytes)}-byte staging pipe in this ` +
        `rank's shared heap; start the job with a larger --heap-size`);
    }
    op.staging = offset;
    const pipe = new OutboundPipe(data, this.arena.buffer, offset, () => this.wakeIfAsleep(dest));
    this.inject(dest, Kind.PIPE, context, tag, bytes, request, offset, this.rank, undefined);
    pipe.fill();
    if (!pipe.finished) {
      this.outPipes.push(pipe);
      this.scheduleIdleCheck();
    }
    return op;
  }

  /** Writes a record to `dest`'s ring, or queues it (with a copy of the payload) behind earlier ones. */
  private inject(dest: number, kind: number, context: number, tag: number, payloadBytes: number, request: number,
    offset: number, arena: number, payload: Uint8Array | undefined): void {
    if (dest >= this.known) this.meet(dest);
    this.repliesDue[dest] = true;
    const queue = this.outbox[dest]!;
    if (queue.length === 0 && this.outRings[dest]!.push(kind, context, tag, payloadBytes, request, offset, arena, payload)) {
      this.ringDoorbell(dest);
      return;
    }
    queue.push({ kind, context, tag, payloadBytes, request, offset, arena, payload: payload?.slice() });
    this.outboxCount++;
    this.flush(dest);
    // The sender may finish or await a timer next: the queue must move without its MPI calls.
    if (this.outboxCount > 0) this.scheduleIdleCheck();
  }

  /**
   * Moves queued records to `dest`'s ring while they fit; true if any moved.
   * When the ring is full it asks the consumer to ring back once it has read
   * (then tries once more, in case the consumer read in between).
   */
  private flush(dest: number): boolean {
    const queue = this.outbox[dest]!;
    const ring = this.outRings[dest]!;
    let sent = 0;
    let askedForRoom = false;
    while (sent < queue.length) {
      const r = queue[sent]!;
      if (ring.push(r.kind, r.context, r.tag, r.payloadBytes, r.request, r.offset, r.arena, r.payload)) {
        sent++;
      } else if (!askedForRoom) {
        ring.setProducerWaiting();
        askedForRoom = true;
      } else {
        break;
      }
    }
    if (sent === 0) return false;
    queue.splice(0, sent);
    this.outboxCount -= sent;
    this.ringDoorbell(dest);
    return true;
  }

  /**
   * Tells `dest` that this rank's ring to it has records (or room, for a
   * waiting producer): one `Atomics.or` on its signal word, and a notify only
   * when it sleeps.
   */
  private ringDoorbell(dest: number): void {
    const signal = rankBase(dest) + Slot.SIGNAL;
    let before: number;
    if (this.rank < DIRECT_SOURCES) {
      before = Atomics.or(this.control, signal, 1 << this.rank);
    } else {
      const m = this.rank - DIRECT_SOURCES;
      Atomics.or(this.control, maskBase(this.size, dest) + (m >> 5), 1 << (m & 31));
      before = Atomics.or(this.control, signal, MASKED_BIT);
    }
    if ((before & SLEEP_BIT) !== 0) Atomics.notify(this.control, signal, 1);
  }

  /**
   * Wakes `dest` if it sleeps, after this rank changed a word `dest` waits on
   * that is not a ring (a barrier flag, a contribution, a pipe's counter).
   * `dest` sets its sleep bit before it checks the word one last time, so one
   * of the two sees the other's write.
   */
  wakeIfAsleep(dest: number): void {
    if (this.asleep(dest)) this.ringDoorbell(dest);
  }

  /** Whether `dest` sleeps (or is about to): its signal word's {@link SLEEP_BIT}, on a line that changes little. */
  asleep(dest: number): boolean {
    return (readWord(this.control, rankBase(dest) + Slot.SIGNAL, this.plainPublish) & SLEEP_BIT) !== 0;
  }

  // -------------------------------------------------------------- receiving

  /**
   * Posts a receive on `context` from world rank `source` (or ANY). `rankOf`
   * maps world ranks to the communicator's, for the envelope. A receive from
   * a named rank reads that rank's ring alone (unless sends wait in the
   * outbox, which a full poll moves): its message can only be there, and
   * leaving the signal word unread keeps its line in the sender's cache,
   * where each record's doorbell writes it.
   *
   * The messages already read come first: they arrived before any still in
   * the rings. Without one that matches, the receive is posted before the
   * poll, so that a message already in a ring goes straight from there into
   * it (as one that comes later does), not through the unexpected queue: a
   * copy and an allocation less, where a ping-pong's reply or a neighbour's
   * halo often comes before its receive. A receive that takes a message
   * already read does not poll.
   */
  irecv(context: number, source: number, tag: number, into: Bytes | undefined, rankOf: Int32Array,
    sourceLabel: number): RecvOperation {
    const op = new RecvOperation(this, context, source, tag, into, rankOf, sourceLabel);
    this.activity++;
    const index = this.findUnexpected(context, source, tag);
    if (index >= 0) {
      const message = this.unexpected[index]!;
      this.deliver(op, message.source, message.tag, message.kind, message.bytes, message.request,
        message.payload ?? this.rendezvousMemory(message.kind, message.arena, message.offset, message.bytes), 0);
      removeAt(this.unexpected, index);
      if (message.payload !== undefined) this.payloads.recycle(message.payload);
      // No poll: it would move the next message of the ring, which the next receive may well match, into the queue.
      return op;
    }
    this.posted.push(op);
    if (source >= 0 && this.outboxCount === 0) this.pollSource(source);
    else this.poll();
    return op;
  }

  /**
   * Takes a posted receive back (`Request.Cancel`): true when it was still
   * waiting for a message; it is then complete, cancelled.
   */
  withdraw(op: RecvOperation): boolean {
    const index = this.posted.indexOf(op);
    if (index < 0) return false;
    removeAt(this.posted, index);
    op.cancelled = true;
    op.done = true;
    if (this.waiters.length > 0) this.settleWaiters();
    return true;
  }

  /** The first queued message that a receive would match, with its world source. */
  iprobe(context: number, source: number, tag: number): Unexpected | undefined {
    this.poll();
    const index = this.findUnexpected(context, source, tag);
    return index < 0 ? undefined : this.unexpected[index];
  }

  private findUnexpected(context: number, source: number, tag: number): number {
    const list = this.unexpected;
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      if (m.context === context && (source === ANY || m.source === source) && (tag === ANY || m.tag === tag)) return i;
    }
    return -1;
  }

  private findPosted(context: number, source: number, tag: number): number {
    const list = this.posted;
    for (let i = 0; i < list.length; i++) {
      const op = list[i]!;
      if (op.context === context && (op.source === ANY || op.source === source) && (op.tag === ANY || op.tag === tag)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Hands a matched message to a receive. A message longer than the
   * receive's buffer is received all the same, as MPI does (MPI-4.1 §3.2.4):
   * its first bytes fill the buffer, the rest is dropped, the sender
   * completes, and the receive fails with `ERR_TRUNCATE`.
   */
  private deliver(op: RecvOperation, source: number, tag: number, kind: number, bytes: number, request: number,
    memory: Bytes, offset: number): void {
    const into = op.into;
    if (kind === Kind.PIPE) {
      // The pipe reads the whole message and keeps what fits the buffer (finishPipe fails a truncated receive).
      const target = into === undefined ? allocateBytes(bytes) : prefixOf(into, Math.min(bytes, into.byteLength));
      const pipe = new InboundPipe(memory.buffer as SharedArrayBuffer, memory.byteOffset + offset, target, bytes,
        () => this.wakeIfAsleep(source));
      pipe.drain();
      if (pipe.complete) {
        this.finishPipe(op, pipe, source, tag, request);
      } else {
        this.inPipes.push({ pipe, op, source, tag, request });
        this.scheduleIdleCheck();
      }
      return;
    }
    if (into !== undefined && bytes > into.byteLength) {
      this.deliverTruncated(op, into, source, tag, kind, bytes, request, memory, offset);
      return;
    }
    if (isSegmented(memory) || (into !== undefined && isSegmented(into))) {
      const target = into ?? allocateBytes(bytes);
      copyBytes(target, 0, memory, offset, bytes);
      if (into === undefined) op.data = target;
    } else if (into === undefined) op.data = memory.slice(offset, offset + bytes);
    else copyOut(into, memory, offset, bytes);
    op.complete(source, tag, bytes);
    if (kind !== Kind.EAGER) {
      this.inject(source, Kind.FIN, 0, 0, 0, request, 0, 0, undefined);
    }
  }

  /** {@link deliver} of a message (not a pipe's) longer than `into`: its first `into.byteLength` bytes, then `ERR_TRUNCATE`. */
  private deliverTruncated(op: RecvOperation, into: Bytes, source: number, tag: number, kind: number, bytes: number,
    request: number, memory: Bytes, offset: number): void {
    copyBytes(into, 0, memory, offset, into.byteLength);
    op.complete(source, tag, bytes);
    op.error = truncated(op, source, tag, into.byteLength, bytes);
    if (kind !== Kind.EAGER) this.inject(source, Kind.FIN, 0, 0, 0, request, 0, 0, undefined);
  }

  /**
   * The heap memory of a rendezvous message: its data (RTS), or its pipe (PIPE).
   * A view per message rather than one per heap: a heap can be larger than
   * the largest Uint8Array, and so can the message (then it is segmented).
   */
  private rendezvousMemory(kind: number, arena: number, offset: number, bytes: number): Bytes {
    return bytesIn(this.heap(arena), offset, kind === Kind.PIPE ? OutboundPipe.heapBytes(bytes) : bytes);
  }

  /** Completes a pipelined receive (failed with `ERR_TRUNCATE` if its buffer was too short) and tells the sender. */
  private finishPipe(op: RecvOperation, pipe: InboundPipe, source: number, tag: number, request: number): void {
    if (op.into === undefined) op.data = pipe.target;
    op.complete(source, tag, pipe.length);
    if (pipe.length > pipe.target.byteLength) op.error = truncated(op, source, tag, pipe.target.byteLength, pipe.length);
    this.inject(source, Kind.FIN, 0, 0, 0, request, 0, 0, undefined);
  }

  /** Moves every pipe forward; true if any moved. */
  private progressPipes(): boolean {
    let moved = false;
    const out = this.outPipes;
    for (let i = 0; i < out.length; i++) {
      const pipe = out[i]!;
      if (pipe.fill()) moved = true;
      if (pipe.finished) out.splice(i--, 1);
    }
    const inbound = this.inPipes;
    for (let i = 0; i < inbound.length; i++) {
      const entry = inbound[i]!;
      if (!entry.pipe.drain()) continue;
      moved = true;
      if (entry.pipe.complete) {
        inbound.splice(i--, 1);
        this.finishPipe(entry.op, entry.pipe, entry.source, entry.tag, entry.request);
      }
    }
    return moved;
  }

  /** True while this rank has queued records or pipes to move: a sleep must check them after setting its sleep bit. */
  private get busy(): boolean {
    return (this.outboxCount | this.outPipes.length | this.inPipes.length) !== 0;
  }

  /**
   * Whether this rank must stay, its script over or not: {@link busy}, or a
   * send whose receiver has not answered yet (a rendezvous send's data is
   * read from this rank's heap until then, and the answer comes through this
   * rank's ring, which only a live rank reads: a rank that ended first left
   * its receiver holding answers that no one would take, a deadlock).
   */
  private get holding(): boolean {
    return this.busy || this.awaitingFin.size !== 0;
  }

  // --------------------------------------------------------------- progress

  /**
   * Reads every record that has arrived, matches messages, completes sends
   * and flushes queued records. Cheap when nothing happened. Returns true when
   * anything was handled.
   */
  poll(): boolean {
    const control = this.control;
    if (readWord(control, this.signalIndex, this.plainPublish) === 0 && !this.busy) return false;
    if (this.handling) return false;
    this.handling = true;
    let handled = false;
    try {
      // Take the source bits, leaving SLEEP_BIT to the park loop that owns it.
      const signal = Atomics.and(control, this.signalIndex, SLEEP_BIT) & ~SLEEP_BIT;
      handled = this.drain(signal & ~MASKED_BIT, 0);
      if ((signal & MASKED_BIT) !== 0 && !this.direct) {
        const words = maskWords(this.size);
        for (let word = 0; word < words; word++) {
          if (Atomics.load(control, this.maskIndex + word) === 0) continue;
          if (this.drain(Atomics.exchange(control, this.maskIndex + word, 0), DIRECT_SOURCES + word * 32)) handled = true;
        }
      }
      if (this.outboxCount > 0) {
        for (let dest = 0; dest < this.known; dest++) if (this.outbox[dest]!.length > 0 && this.flush(dest)) handled = true;
      }
      if (this.progressPipes()) handled = true;
    } finally {
      this.handling = false;
    }
    if (handled) {
      // Only this rank writes it and the monitor only needs to see it move: no atomic needed.
      control[this.slot(Slot.PROGRESS)] = control[this.slot(Slot.PROGRESS)]! + 1;
      if (this.waiters.length > 0) this.settleWaiters();
    }
    return handled;
  }

  /**
   * Polls synchronously for a while for the message of `op`, a receive from
   * a named rank, when it is a reply: this rank has sent that rank a message
   * since the last one it read from it (a ping-pong, a request and its
   * answer, an exchange of sends and receives) and ranks do not outnumber
   * cores. Most replies come within a microsecond, where a Promise, its
   * continuation and the spin in microtasks cost about as much again. A
   * receive posted before this rank's send in the same tick (`Promise.all`
   * of a receive and a send) finds none due, since the peer's last message
   * came after this rank's last send: polling there would hold back the send
   * the peer waits for.
   */
  awaitReply(op: RecvOperation): void {
    const source = op.source;
    if (source < 0 || source >= this.known || !this.repliesDue[source]! || this.oversubscribed) return;
    const polls = FIRST_REPLY_POLLS + pastFirst(this.repliesAwaited++, FIRST_REPLIES) * (REPLY_POLLS - FIRST_REPLY_POLLS);
    // Full polls at the multiples of FULL_POLL_EVERY, and at the last of the first replies' short polls: both kinds
    // run from the first reply.
    const full = polls % FULL_POLL_EVERY;
    for (let i = 1; i <= polls && !op.done; i++) {
      if (i % FULL_POLL_EVERY === full) this.poll();
      else this.pollSource(source);
    }
  }

  /** Reads what `source` has written, without consulting the signal word (its bit stays for the next poll). */
  private pollSource(source: number): void {
    if (source >= this.known) this.meet(source);
    if (this.handling) return;
    // Branch-free on purpose: the spin inlines this, and a branch taken only when a record is there may never have
    // run before V8 optimized the spin (on a loaded machine the records of the first waits are read by poll()
    // after a sleep); taken later, it would deoptimize the spin. drain() itself is shared with poll().
    this.handling = true;
    let handled = false;
    try {
      handled = this.drain(1, source);
    } finally {
      this.handling = false;
    }
    const control = this.control;
    const progress = this.slot(Slot.PROGRESS);
    control[progress] = control[progress]! + (handled ? 1 : 0);
    if (this.waiters.length > 0) this.settleWaiters();
  }

  /** Reads every record of the rings whose bits are set in `bits` (sources `first + bit`). */
  private drain(bits: number, first: number): boolean {
    let handled = false;
    for (; bits !== 0; bits &= bits - 1) {
      const source = first + 31 - Math.clz32(bits & -bits);
      if (source >= this.known) this.meet(source);
      const ring = this.inRings[source]!;
      let at: number;
      while ((at = ring.peek()) >= 0) {
        this.handle(source, ring, at);
        ring.release(at);
        handled = true;
      }
      if (ring.takeProducerWaiting()) this.ringDoorbell(source);
    }
    return handled;
  }

  private handle(source: number, ring: Ring, at: number): void {
    const words = ring.words;
    const w = at >> 2;
    const kind = words[w + Word.KIND]!;
    const request = words[w + Word.REQUEST]!;
    if (kind === Kind.FIN) {
      const op = this.awaitingFin.take(request);
      if (op === undefined) return;
      if (op.staging >= 0) this.arena.release(op.staging);
      op.readFrom = undefined;
      op.done = true;
      return;
    }
    this.repliesDue[source] = false;
    const context = words[w + Word.CONTEXT]!;
    const tag = words[w + Word.TAG]!;
    const rendezvous = kind === Kind.RTS || kind === Kind.PIPE;
    // Rendezvous messages and heap offsets can pass 2^31: they have high words. Eager lengths never do.
    const bytes = rendezvous ? readWide(words, w, Word.PAYLOAD, Word.PAYLOAD_HIGH) : words[w + Word.PAYLOAD]!;
    const offset = rendezvous ? readWide(words, w, Word.OFFSET, Word.OFFSET_HIGH) : 0;
    const arena = words[w + Word.ARENA]!;
    const index = this.findPosted(context, source, tag);
    if (index >= 0) {
      const op = this.posted[index]!;
      removeAt(this.posted, index);
      if (rendezvous) this.deliver(op, source, tag, kind, bytes, request, this.rendezvousMemory(kind, arena, offset, bytes), 0);
      else this.deliver(op, source, tag, kind, bytes, request, ring.bytes, at + RECORD_HEADER_BYTES);
      return;
    }
    const payload = rendezvous ? undefined
      : this.payloads.copy(ring.bytes, at + RECORD_HEADER_BYTES, bytes);
    this.unexpected.push({ context, source, tag, kind, bytes, payload, request, arena, offset });
  }

  // ----------------------------------------------------------------- waiting

  /**
   * Resolves once `waitable` is ready. Never waits before returning the
   * Promise: the caller's synchronous code (a send after this receive, say)
   * must run first. The wait then spins (polling) in microtasks, so that a
   * message already on its way completes without a trip through the event
   * loop; then, once the microtasks are done and if the event loop has no
   * timers or I/O pending, sleeps on the doorbell in `Atomics.wait` for a
   * while (a wake-up there is faster than one through the event loop); then
   * parks on the doorbell with
   * `Atomics.waitAsync`, leaving the event loop running. All pending waits
   * share these phases.
   */
  waitUntil(waitable: Waitable): Promise<void> {
    this.activity++;
    if (this.announcementDue) this.publishAnnouncement();
    // An executor of its own per wait would be a closure and its context in the young generation each wait.
    const settled = new Promise<void>(keepResolve);
    this.waiters.push({ waitable, resolve: keptResolve });
    if (!this.spinning && waitable.spinless === true) {
      this.scheduleIdleCheck();
    } else if (!this.spinning) {
      this.spinning = true;
      this.spinEnd = 0;
      this.sliceMillis = 0;
      this.queueSpin();
      // What comes after the spin, queued now rather than when the spin ends (see spin).
      this.scheduleIdleCheck();
    }
    return settled;
  }

  /**
   * One slice of the spin: it polls until a wait ends, the slice's time is
   * up or the spin's is, then queues itself again behind the microtasks
   * queued meanwhile, so that a Promise chain that will send what this rank
   * waits for moves on while it spins. A wait that ends restarts the spin's
   * clock: its continuation may well wait again.
   *
   * A wait's first slice is {@link SPIN_POLLS} polls; the next ones last
   * {@link FIRST_TIMED_SLICE_MILLIS}, twice that, and so on up to
   * {@link MAX_SLICE_MILLIS}, and are short again once a wait ends or the
   * rank calls the engine from elsewhere (another Promise chain's send,
   * receive or wait). Each slice is a Promise job, which allocates: slices of
   * a fixed 64 polls made a rank that waits 1 ms allocate 30-50 KB, and the
   * scavenges that followed stopped it and woke V8's helper threads, which
   * took its peer's core. Now a wait of 1 ms takes about 15 slices, and
   * about 5 looks at the clock per slice.
   */
  private readonly spin = (): void => {
    const waiters = this.waiters;
    const settledBefore = this.settledCount;
    // A wait may have ended since the last look without a poll of this spin (a test() of the caller's).
    this.settleWaiters();
    if (this.activity !== this.activitySeen) {
      this.activitySeen = this.activity;
      this.sliceMillis = 0;
    }
    // A first slice (sliceMillis 0) of a rank that keeps its core is SPIN_POLLS polls without a look at the clock:
    // most waits of a ping-pong end within them, a microsecond or two, and a look (a system call on some machines, a
    // number allocated on every one) costs more than they. A rank that yields its core between polls may be away for
    // milliseconds at each: its slices are timed from their start, so that a spin ends when its time is up.
    const yieldCore = this.coreToYield();
    const timed = this.sliceMillis > 0 || yieldCore !== undefined;
    const start = timed ? performance.now() : 0;
    if (timed && this.spinEnd === 0) this.spinEnd = start + this.spinMillis;
    const sliceEnd = timed ? Math.min(start + this.sliceMillis, this.spinEnd) : 0;
    const pollsPerLook = Math.min(MAX_POLLS_PER_LOOK,
      Math.max(SPIN_POLLS, Math.floor(this.pollsPerMilli * Math.min(LOOK_MILLIS, this.sliceMillis / 2))));
    let now = start;
    let polls = 0;
    while (waiters.length > 0 && this.settledCount === settledBefore) {
      for (let i = 1; i <= pollsPerLook && waiters.length > 0; i++) {
        // Watching the one ring that can end the only wait reads one cache line instead of two; a full poll once
        // between looks at the clock keeps everything else (queued sends, answers to ours) moving. Only a message on
        // that ring can end such a wait, and pollSource settles the waiters when it reads one.
        const source = waiters.length === 1 && i !== pollsPerLook ? waiters[0]!.waitable.spinSource ?? -1 : -1;
        if (source >= 0) {
          this.pollSource(source);
        } else {
          this.poll();
          this.settleWaiters();
        }
        if (yieldCore !== undefined && this.settledCount === settledBefore) yieldCore();
      }
      polls += pollsPerLook;
      if (!timed) break;
      now = performance.now();
      if (now >= sliceEnd) break;
    }
    // The rate of a slice that ran its time (a wait that ended cut its last stretch short). A slice preempted for a
    // while measures a low rate: the next one looks at the clock more often, never less.
    if (timed && now >= sliceEnd && now - start > 0.001) this.pollsPerMilli = polls / (now - start);
    let again = false;
    if (waiters.length !== 0) {
      if (!timed) now = performance.now();
      if (this.settledCount !== settledBefore) {
        this.spinEnd = now + this.spinMillis;
        this.sliceMillis = 0;
      } else {
        if (this.spinEnd === 0) this.spinEnd = now + this.spinMillis;
        this.sliceMillis = Math.min(MAX_SLICE_MILLIS, this.sliceMillis === 0 ? FIRST_TIMED_SLICE_MILLIS : this.sliceMillis * 2);
      }
      again = now < this.spinEnd;
    }
    // A spin that ends leaves the rest to the idle check queued when it started (it runs once the microtasks are
    // done), so that ending the spin takes no code of its own: code that first runs after V8 optimized the spin
    // (a spin that runs out when the peer lost its core) would deoptimize it, and the spin holds the whole
    // receive path inlined.
    if (again) this.queueSpin();
    else this.spinning = false;
  };

  /**
   * Queues a slice of the spin as a microtask. Through a resolved Promise
   * rather than `queueMicrotask`, which makes an async resource and a bound
   * function per call in Node: several times the cost, paid by every wait
   * and every slice of a spin.
   */
  private queueSpin(): void {
    void RESOLVED.then(this.spin);
  }

  /** Runs {@link idleCheck} once the microtasks queued so far (and the current macrotask) are done. */
  private scheduleIdleCheck(): void {
    if (this.idleCheckScheduled) return;
    this.idleCheckScheduled = true;
    setImmediate(this.idleCheck);
  }

  /**
   * What a rank does when its JavaScript has nothing to run but waits, or
   * has records still queued or pipes unfinished: sleep in `Atomics.wait` if
   * that is safe, else park in the event loop. A parked rank's thread stays
   * alive until its queued records and pipes are done, whatever its script
   * does (MPI_Finalize would wait for them too).
   */
  private readonly idleCheck = (): void => {
    this.idleCheckScheduled = false;
    // A running spin or park loop comes back here, or needs nothing.
    if (this.spinning || this.parked) return;
    if (this.waiters.length > 0 && this.blockMillis > 0 && !hasScriptWork() && this.blockUntilSettled()) {
      if (this.waiters.length > 0) {
        this.spinning = true;
        this.spinEnd = 0;
        this.sliceMillis = 0;
        this.queueSpin();
        this.scheduleIdleCheck();
      } else if (this.holding) {
        this.scheduleIdleCheck();
      }
      return;
    }
    if (this.waiters.length > 0 || this.holding) void this.parkLoop();
  };

  /**
   * Sleeps in `Atomics.wait` until a wait is over or {@link blockMillis}
   * pass, and says whether a wait ended. The thread sleeps in the kernel and
   * a sender's `Atomics.notify` wakes it in microseconds, where a wake
   * through `Atomics.waitAsync` and the event loop costs tens. With more
   * live ranks than cores it first yields its core for a while
   * ({@link yieldUntilSettled}).
   */
  private blockUntilSettled(): boolean {
    const control = this.control;
    const settledBefore = this.settledCount;
    const yieldCore = this.coreToYield();
    if (yieldCore !== undefined && this.yieldUntilSettled(yieldCore, settledBefore)) return true;
    const deadline = performance.now() + this.blockMillis;
    for (let sleep = this.firstSleepMillis; ; sleep *= 2) {
      if (Atomics.or(control, this.signalIndex, SLEEP_BIT) === 0 && !(this.busy && this.poll())) {
        // A wait on a word that is not a ring (a barrier flag) may have ended just before the bit was set.
        this.settleWithinGrace(settledBefore);
        if (this.settledCount === settledBefore) {
          Atomics.wait(control, this.signalIndex, SLEEP_BIT, Math.min(sleep, Math.max(0, deadline - performance.now())));
        }
      }
      Atomics.and(control, this.signalIndex, ~SLEEP_BIT);
      this.poll();
      this.settleWaiters();
      if (this.settledCount !== settledBefore) return true;
      if (performance.now() >= deadline) return false;
    }
  }

  /**
   * After this rank set its sleep bit: settles the waits that are over, and
   * while none has ended looks again for {@link SLEEP_GRACE_MILLIS} before
   * the caller sleeps: a writer's plain store may still be on its way.
   */
  private settleWithinGrace(settledBefore: number): void {
    this.settleWaiters();
    const graceEnd = performance.now() + SLEEP_GRACE_MILLIS;
    while (this.settledCount === settledBefore && performance.now() < graceEnd) this.settleWaiters();
  }

  /**
   * The system's `sched_yield` when the job's live ranks outnumber the cores
   * (under the launcher) and Node can make the call (sched_yield.ts), else
   * undefined. The rank a wait needs then most likely waits for a core: a
   * spin ({@link spin}) and a wait before a sleep ({@link yieldUntilSettled})
   * give it this one between looks, where a sleep would cost the writer a
   * futex wake and this rank a reschedule at every hand-over.
   */
  private coreToYield(): (() => number) | undefined {
    if (this.cores === undefined || !this.oversubscribed) return undefined;
    // schedYield() keeps its answer, undefined included: asking it again costs a look.
    return this.yieldCore ??= schedYield();
  }

  /**
   * Before a sleep, with {@link coreToYield}'s `yieldCore`: looks, then
   * yields, for up to {@link yieldMillis}; true once a wait ended.
   */
  private yieldUntilSettled(yieldCore: () => number, settledBefore: number): boolean {
    const end = performance.now() + this.yieldMillis;
    for (;;) {
      this.poll();
      this.settleWaiters();
      if (this.settledCount !== settledBefore) return true;
      if (performance.now() >= end) return false;
      yieldCore();
    }
  }

  /**
   * Resolves now the waits that are over, before their words may change
   * meaning: a communicator's shared area calls this as it gives its slot
   * back. A wait whose caller found it over right after starting it (`wait()`
   * then `test()`, as every parked collective does) stays queued, and nobody
   * awaits it; with a spin running, its first slice resolves it at once, but
   * a spinless wait ({@link Waitable.spinless}) leaves it to the next idle
   * check. If the slot were claimed again meanwhile (its words cleared), the
   * wait would never end, and the rank could never finish.
   */
  settleReady(): void {
    this.settleWaiters();
  }

  /**
   * Resolves the waits of `waitable` and drops them, whether it is ready or
   * not (`Operation.abandon`), and says this rank is running: a park asleep
   * on them wakes, finds what is left, and says blocked again only if
   * something is, so that an abandoned wait neither keeps the rank alive nor
   * shows in a deadlock report.
   */
  abandonWaits(waitable: Waitable): void {
    const waiters = this.waiters;
    let kept = 0;
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i]!;
      if (waiter.waitable === waitable) callAny(waiter.resolve, undefined);
      else waiters[kept++] = waiter;
    }
    while (waiters.length > kept) waiters.pop();
    Atomics.store(this.control, this.slot(Slot.STATE), RankState.RUNNING);
    this.wakeIfAsleep(this.rank);
  }

  /** Resolves the waiters whose wait is over. A probe's readiness check polls, so this may re-enter: then it returns. */
  private settleWaiters(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      const waiters = this.waiters;
      let kept = 0;
      for (let i = 0; i < waiters.length; i++) {
        const waiter = waiters[i]!;
        if (waiter.waitable.isReady()) {
          // Each wait has its own resolve function: a megamorphic site (see call_any.ts).
          callAny(waiter.resolve, undefined);
          this.settledCount++;
        } else {
          waiters[kept++] = waiter;
        }
      }
      // Setting an array's length is a runtime call (even when it does not change), and a shorter length gives the
      // backing store back, which the next wait's push then grows again; pop() is neither.
      while (waiters.length > kept) waiters.pop();
    } finally {
      this.settling = false;
    }
  }

  /**
   * Parks on the doorbell with `Atomics.waitAsync` while waits are pending
   * or records and pipes remain to move: producers ring it for new records,
   * consumers for room in a full ring and for pipe progress.
   */
  private async parkLoop(): Promise<void> {
    this.parked = true;
    // Atomics.waitAsync alone does not keep a worker's event loop alive, and a rank must not end with records queued.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const control = this.control;
    let sleep = this.firstSleepMillis;
    try {
      for (;;) {
        const settledBefore = this.settledCount;
        this.poll();
        this.settleWaiters();
        if (this.waiters.length === 0 && !this.holding) break;
        if (this.settledCount !== settledBefore) {
          sleep = this.firstSleepMillis;
          // The waits just ended have continuations queued (a collective's next step, the script after an await):
          // let them run before this rank says it is blocked, since they may take long (a check of a large buffer on
          // a loaded machine) and the other waits, still pending, would have the monitor call it a deadlock.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        // Announce the nap; a producer that sets a bit from now on will notify.
        if (Atomics.or(control, this.signalIndex, SLEEP_BIT) !== 0 || this.busy && this.poll()) {
          Atomics.and(control, this.signalIndex, ~SLEEP_BIT);
          continue;
        }
        // A waiter on a word that is not a ring (a barrier flag) may have become ready just before the bit was set.
        this.settleWithinGrace(settledBefore);
        if (this.waiters.length === 0 && !this.holding) {
          Atomics.and(control, this.signalIndex, ~SLEEP_BIT);
          break;
        }
        if (this.settledCount !== settledBefore) {
          Atomics.and(control, this.signalIndex, ~SLEEP_BIT);
          sleep = this.firstSleepMillis;
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        this.publishBlocked();
        const result = Atomics.waitAsync(control, this.signalIndex, SLEEP_BIT, sleep);
        sleep = Math.min(2 * sleep, MAX_PARK_MILLIS);
        if (result.async) await result.value;
        Atomics.and(control, this.signalIndex, ~SLEEP_BIT);
        Atomics.store(control, this.slot(Slot.STATE), RankState.RUNNING);
      }
    } finally {
      clearInterval(keepAlive);
      this.parked = false;
    }
  }

  /**
   * Tells the deadlock monitor that this rank waits for other ranks only,
   * and on what: its pending waits, or, when it has none, that its script
   * is over and only the receivers of its queued records can let it end. A
   * rank that also has timers or I/O pending is not blocked: those may well
   * be what lets the job go on.
   */
  private publishBlocked(): void {
    if (hasScriptWork()) {
      Atomics.store(this.control, this.slot(Slot.STATE), RankState.RUNNING);
      return;
    }
    const waits = this.waiters.slice(0, 4).map((w) => w.waitable.describe());
    if (this.waiters.length > 4) waits.push(`and ${this.waiters.length - 4} more`);
    const text = [...waits, ...this.describeUndelivered()].join('; ');
    const at = waitTextOffset(this.size, this.rank);
    const { written } = this.textEncoder.encodeInto(text, this.controlBytes.subarray(at, at + WAIT_TEXT_BYTES));
    Atomics.store(this.control, this.slot(Slot.WAIT_TEXT_LENGTH), written);
    Atomics.store(this.control, this.slot(Slot.STATE), this.waiters.length > 0 ? RankState.BLOCKED : RankState.DRAINING);
  }

  /** What this rank still has to move or hear back: queued records per destination, unanswered sends, unfinished pipes. */
  private describeUndelivered(): string[] {
    const lines: string[] = [];
    for (let dest = 0; dest < this.known; dest++) {
      const queue = this.outbox[dest]!;
      if (queue.length === 0) continue;
      const acknowledgements = queue.reduce((n, r) => n + (r.kind === Kind.FIN ? 1 : 0), 0);
      const messages = queue.length - acknowledgements;
      const parts = [];
      if (messages > 0) parts.push(plural(messages, 'undelivered message'));
      if (acknowledgements > 0) parts.push(plural(acknowledgements, 'undelivered completion notice'));
      lines.push(`${parts.join(' and ')} to rank ${dest}`);
    }
    // Every send that waits for its receiver's answer (pipelined ones included), by receiver.
    const unanswered = new Map<number, number>();
    for (const op of this.awaitingFin.entries()) unanswered.set(op.dest, (unanswered.get(op.dest) ?? 0) + 1);
    for (const [dest, count] of unanswered) lines.push(`${plural(count, 'send')} not yet received by rank ${dest}`);
    for (const { source } of this.inPipes) lines.push(`a large receive from rank ${source} not fully written by the sender`);
    return lines;
  }

  /**
   * Records that this rank called the collective of tag `tag` on `context`,
   * as its call number `call` there (see {@link announcement}). The other
   * ranks see it once this rank waits for anything ({@link waitUntil}) or
   * ends ({@link publishAnnouncement}): they look at it only when a call of
   * theirs has stalled on this rank for a while, and a rank that finishes
   * its calls without waiting would otherwise pay five sequentially
   * consistent stores at each, as much as the rest of a small collective's
   * writes.
   */
  announce(context: number, tag: number, call: number): void {
    this.announcedContext = context;
    this.announcedTag = tag;
    this.announcedCall = call | 0;
    this.announcementDue = true;
  }

  /**
   * Writes the last {@link announce}ment to the control block, unless it is
   * there. The words are written between two bumps of a version word, odd
   * while they change, so that a reader never takes the tag of one call
   * with the number of another. The transport calls this as the rank exits.
   */
  publishAnnouncement(): void {
    if (!this.announcementDue) return;
    this.announcementDue = false;
    const control = this.control;
    const version = this.base + Slot.ANNOUNCED_VERSION;
    Atomics.store(control, version, ++this.announcements);
    Atomics.store(control, this.base + Slot.ANNOUNCED_CONTEXT, this.announcedContext);
    Atomics.store(control, this.base + Slot.ANNOUNCED_TAG, this.announcedTag);
    Atomics.store(control, this.base + Slot.ANNOUNCED_CALL, this.announcedCall);
    Atomics.store(control, version, ++this.announcements);
  }

  /**
   * The tag of the collective that world rank `rank` called as its call
   * number `call` on `context`, if that is the one it called last;
   * undefined too while the rank rewrites its announcement.
   */
  announcement(rank: number, context: number, call: number): number | undefined {
    const control = this.control;
    const base = rankBase(rank);
    const before = Atomics.load(control, base + Slot.ANNOUNCED_VERSION);
    if ((before & 1) !== 0) return undefined;
    const announcedContext = Atomics.load(control, base + Slot.ANNOUNCED_CONTEXT);
    const tag = Atomics.load(control, base + Slot.ANNOUNCED_TAG);
    const announcedCall = Atomics.load(control, base + Slot.ANNOUNCED_CALL);
    if (Atomics.load(control, base + Slot.ANNOUNCED_VERSION) !== before) return undefined;
    return announcedContext === context && announcedCall === (call | 0) ? tag : undefined;
  }

  /** Allocates the contexts of a new communicator, unique in the job. */
  allocateContext(): number {
    return Atomics.add(this.control, Global.NEXT_CONTEXT, CONTEXTS_PER_COMM);
  }
}

/**
 * An empty array whose elements are already of the kind that objects need.
 * An array made by `[]` starts with small-integer elements; its first object
 * changes its hidden class, and every function V8 optimized while it was
 * empty is deoptimized ("wrong map"): `pollSource` in a user's first loop of
 * receives, at the first one that waited.
 */
function objectList<T>(): T[] {
  const list: (T | undefined)[] = [undefined];
  list.pop();
  return list as T[];
}

/** Removes `list[index]`, without the array of removed items that `splice` makes for the usual first item. */
/** The error of a receive whose buffer (`capacity` bytes) held the start of a `length`-byte message, from world rank `source`. */
function truncated(op: RecvOperation, source: number, tag: number, capacity: number, length: number): MPIError {
  return errors.truncate('Comm.Recv', op.rankOf[source]!, tag, capacity, length);
}

function removeAt<T>(list: T[], index: number): void {
  if (index === 0) list.shift();
  else list.splice(index, 1);
}

/** Calls of each helper in {@link ShmEngine.primeRarePaths}: enough for V8 to optimize a small function. */
const PRIME_CALLS = 2000;
/** The most ring memory a rank maps when its transport starts (see `prefaultRings`). */
const PREFAULT_RING_BYTES = 4 * 1024 * 1024;

/** `count` and `noun`, the noun in the plural unless `count` is 1. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Resources a rank's worker thread has that never end a wait. */
const IDLE_RESOURCES: ReadonlySet<string> = new Set(['MessagePort', 'CloseReq']);

/** Work of the script's own besides the engine's keep-alive timer. */
function hasScriptWork(): boolean {
  return hasOtherWork(IDLE_RESOURCES, 1);
}
