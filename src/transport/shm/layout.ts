/**
 * Shared memory of one shm job: what the launcher allocates and every rank maps.
 *
 * Three kinds of SharedArrayBuffer:
 * - the control block: per-rank doorbells, sleep flags and state that the
 *   launcher reads to report deadlocks, job-wide counters, and the words
 *   on which communicators run their barriers and small reductions;
 * - the rings: one single-producer single-consumer ring per ordered pair of
 *   ranks, carrying eager messages and rendezvous control records;
 * - the heaps: one arena per rank, from which `MPI.alloc` and rendezvous
 *   staging take memory that any rank can copy from directly.
 *
 * @module
 */

/**
 * Everything a rank needs to join the job, passed in `workerData.mpi4ts`.
 *
 * The universe grows while the job runs (issue 18): `Spawn` past the free
 * slots makes the launcher add slots. The control block is laid out for
 * {@link JobMemory.size} ranks from the start (its pages are committed only
 * when touched). The rings are ordered so that the rings among the first n
 * slots are the first n² (see {@link ringOffset}), and kept in segments:
 * the first holds those of the slots the job starts with, and each growth
 * adds one for the rings that touch the new slots. (A growable
 * SharedArrayBuffer would do without segments, but its reservation of
 * address space fails past a few GiB on a busy machine.) The launcher posts
 * the new segment and the heaps of the new slots to every live rank (see
 * `ShmEngine`'s growth port) before it starts ranks in them. The current
 * number of slots is the control block's {@link Global.UNIVERSE} word.
 */
export interface JobMemory {
  /** The most ranks the job can ever hold: the control block's layout (the universe grows up to it). */
  readonly size: number;
  readonly control: SharedArrayBuffer;
  /** The rings among the universe's slots when the rank started, in segments (later ones arrive by the growth port). */
  readonly rings: readonly RingSegment[];
  /** Bytes of one ring's data area (a power of two). */
  readonly ringCapacity: number;
  /** One arena per slot of the universe when the rank started (later ones arrive by the growth port). */
  readonly heaps: readonly SharedArrayBuffer[];
  /** Bytes of each heap arena. */
  readonly heapBytes: number;
  /** Messages up to this many bytes go eagerly; larger ones by rendezvous. */
  readonly eagerLimit: number;
}

/** The rings that touch slots `first` to `end - 1` and no slot past them (see {@link ringOffset}). */
export interface RingSegment {
  readonly first: number;
  readonly end: number;
  readonly buffer: SharedArrayBuffer;
}

/** What the launcher posts to every live rank when it grows the universe. */
export interface Growth {
  /** The first new slot. */
  readonly first: number;
  /** The heaps of the new slots. */
  readonly heaps: readonly SharedArrayBuffer[];
  readonly rings: RingSegment;
}

/** Job-wide words of the control block (Int32 indices). */
export const Global = {
  /** Next free communicator context id (allocated with Atomics.add). */
  NEXT_CONTEXT: 0,
  /** Ranks of the job running now, spawned ones included (kept by the launcher; 0 without it). */
  LIVE_RANKS: 1,
  /** Slots of the job now (the universe): only the launcher raises it, before it starts ranks in new slots. */
  UNIVERSE: 2,
} as const;

const GLOBAL_WORDS = 16;
/** Int32 words per rank in the control block: a signal line and a monitor line (64 bytes each). */
export const RANK_WORDS = 32;
/** Bytes per rank for the text that describes where it waits. */
export const WAIT_TEXT_BYTES = 1024;

/** Per-rank words of the control block, relative to {@link rankBase}. */
export const Slot = {
  /**
   * The rank's signal word, which producers touch with one `Atomics.or` per
   * record: a bit per source below {@link DIRECT_SOURCES} that has written
   * to the rank's ring, {@link MASKED_BIT} when a source past them has (its
   * bit is then in the rank's pending-rings mask), plus {@link SLEEP_BIT}
   * while the rank sleeps on this word (`Atomics.wait`, or parked in
   * `Atomics.waitAsync`).
   */
  SIGNAL: 0,
  /** One of {@link RankState}; on a line of its own, away from producers. */
  STATE: 16,
  /** Bumped on every poll that handles records: the deadlock monitor watches for change. */
  PROGRESS: 17,
  /** Bytes of text in this rank's wait description. */
  WAIT_TEXT_LENGTH: 18,
  /**
   * The collective this rank called last: its channel's context, its tag
   * (signature, and call number modulo 128) and its full call number on the
   * channel, for ranks that wait on it to compare with their own call; the
   * version word is odd while they are rewritten.
   */
  ANNOUNCED_CONTEXT: 19,
  ANNOUNCED_TAG: 20,
  ANNOUNCED_CALL: 21,
  ANNOUNCED_VERSION: 22,
} as const;

/** Set in a signal word while its rank sleeps: a producer that sees it calls `Atomics.notify`. */
export const SLEEP_BIT = 1 << 31;
/** Sources below this have their bit right in the signal word; the others, in the mask words. */
export const DIRECT_SOURCES = 30;
/** Set in a signal word when a source of at least {@link DIRECT_SOURCES} has set its bit in the mask words. */
export const MASKED_BIT = 1 << 30;
/** The most ranks a job can hold. */
export const MAX_JOB_RANKS = 992;

/** What a rank is doing, as the deadlock monitor sees it. */
export const RankState = {
  /** Running JavaScript (computing, or waiting on something that is not MPI). */
  RUNNING: 0,
  /** Parked on MPI operations only: only another rank can wake it. */
  BLOCKED: 1,
  /**
   * Its script is over but it still has records queued, pipes unfinished or
   * sends that their receivers have not answered: it waits for them only.
   */
  DRAINING: 2,
} as const;

/** Int32 index of a rank's first control word. */
export function rankBase(rank: number): number {
  return GLOBAL_WORDS + rank * RANK_WORDS;
}

/** Int32 words of each rank's pending-rings mask (none when sources fit the signal word). */
export function maskWords(size: number): number {
  return size <= DIRECT_SOURCES ? 0 : Math.ceil((size - DIRECT_SOURCES) / 32);
}

/**
 * Int32 index of a rank's pending-rings mask: for source `s` past
 * {@link DIRECT_SOURCES}, bit `m & 31` of word `m >> 5`, where `m = s - DIRECT_SOURCES`.
 */
export function maskBase(size: number, rank: number): number {
  return GLOBAL_WORDS + size * RANK_WORDS + rank * maskWords(size);
}

/** Byte offset of a rank's wait description in the control block. */
export function waitTextOffset(size: number, rank: number): number {
  return (GLOBAL_WORDS + size * RANK_WORDS + size * maskWords(size)) * 4 + rank * WAIT_TEXT_BYTES;
}

/**
 * Communicators whose small collectives (Barrier, small Allreduce and Bcast,
 * the object bcast, allgather and allreduce of small values) can run on
 * shared words at once; the others use messages.
 */
export const COLLECTIVE_SLOTS = 64;
/**
 * Bytes of the data of one small reduction's contribution. 1 KiB: a Bcast or
 * Allreduce of 1 KiB at 2 ranks took 2-3x as long by message (p50 2.0 and
 * 3.3 us, against 0.6 and 0.9 us in blocks). The slots are sized for the
 * largest job, about 560 MB of the control block's address space; only the
 * members' words that communicators use are ever touched.
 */
export const CONTRIBUTION_BYTES = 1024;
/**
 * Contribution blocks per member of a collective slot's room, used in turn
 * (small reduction `n` in block `n % blocks`, a power of two): a rank that
 * writes and goes on (a broadcast's root, a member of a Reduce or Gather,
 * the lower ranks of a Scan) runs up to that many calls ahead of the
 * slowest reader. Each slot has room for {@link CONTRIBUTION_BLOCKS} blocks
 * per member of the largest communicator; a communicator with fewer members
 * may take more of them ({@link contributionBlocks}).
 */
export const CONTRIBUTION_BLOCKS = 8;
/**
 * Contribution blocks per member when ranks outnumber cores and the slot
 * has room: how many calls a rank that writes and goes on makes per turn on
 * a core. A writer that comes round to a block that a rank without a core
 * has not read yet waits for a context switch (Open MPI's rings let a root
 * run on as far as they hold). In loops of 20,000 8-byte calls at 8 ranks on
 * 2 cores, a Bcast took 22 us a call with two blocks, 8-11 with eight (then
 * on Node 20's tier-up of the time); with 64 (and `runAhead` in
 * `collective/shared_area.ts`), the bench's first loops of 2,000 calls after
 * its Barriers (medians of 3-4 alternating runs, Node 20) went at 4 ranks
 * from 2.27 to 1.85 us a call for the 8-byte Bcast, 3.62 to 1.58 for Reduce,
 * 3.86 to 3.03 for Scan, 3.20 to 2.82 for Gather, 5.7 to 4.3 for the object
 * gather; at 8 ranks from 4.95 to 3.66 (Bcast), 5.15 to 2.97 (Reduce), 7.65
 * to 4.71 (Scan), 5.15 to 2.52 (Gather), 9.9 to 4.9 and 9.4 to 6.0 (object
 * bcast and gather). With ranks on cores of their own the readers keep up,
 * and eight blocks keep less of the cache.
 */
export const OVERSUBSCRIBED_CONTRIBUTION_BLOCKS = 64;
/** Int32 words of one contribution block: its first line (header and the first data), then the rest of the data. */
const BLOCK_WORDS = 16 + CONTRIBUTION_BYTES / 4;
/**
 * Int32 words per member in a collective slot with `blocks` contribution
 * blocks per member: a cache line of barrier flags (one per round, at most
 * 10) and the {@link READ_WORD}, a line for the {@link AWAITS_READ_WORD},
 * then the blocks (used in turn).
 * A block's first line holds the reduction's number, the call's tag, the
 * length and the first 48 bytes of the data: a reader of a small
 * contribution takes one line from its writer, where a line of its own for
 * the data would cost a second transfer each way.
 */
export function memberWords(blocks: number): number {
  return 32 + blocks * BLOCK_WORDS;
}
/** Int32 words per member of a slot's room: {@link CONTRIBUTION_BLOCKS} blocks each for the largest communicator. */
export const MEMBER_WORDS = memberWords(CONTRIBUTION_BLOCKS);
/**
 * Contribution blocks per member of a communicator of `members` ranks in a
 * job of `jobSize` (the slots' room): {@link CONTRIBUTION_BLOCKS}, or when
 * the job's ranks outnumber its cores, the most, up to
 * {@link OVERSUBSCRIBED_CONTRIBUTION_BLOCKS}, that the slot holds. The same
 * on every member: each knows the communicator's size, the job's, and
 * whether it is oversubscribed.
 *
 * @example
 * contributionBlocks(4, 992, true); // 64
 * contributionBlocks(4, 4, true); // 8: the slot holds 8 blocks per member of the largest communicator
 */
export function contributionBlocks(members: number, jobSize: number, oversubscribed: boolean): number {
  let blocks = CONTRIBUTION_BLOCKS;
  const room = jobSize * MEMBER_WORDS;
  while (oversubscribed && blocks < OVERSUBSCRIBED_CONTRIBUTION_BLOCKS && members * memberWords(2 * blocks) <= room) {
    blocks *= 2;
  }
  return blocks;
}
/** Word of a member's first line: the last reduction whose contributions it has read. */
export const READ_WORD = 15;
/** Word of a member's first line: the last central-counter barrier it has arrived at. */
export const ARRIVED_WORD = 14;
/**
 * Word of a member's second line: the last reduction whose reads by every
 * member it has waited for in a wait that may sleep. A line of its own,
 * which only such waits write: a reader that completes the set of reads
 * looks at it to know whom to wake ({@link SlotHeader.AWAITED_READ} says
 * whether anyone waits).
 */
export const AWAITS_READ_WORD = 16;
/** Int32 offset, within a member's words, of the contribution block of small reduction `number` with `blocks` blocks per member. */
export function contributionWords(number: number, blocks: number): number {
  return 32 + (number & (blocks - 1)) * BLOCK_WORDS;
}
/** Words of a contribution block, relative to {@link contributionWords}; the data starts at word 4, in the same line. */
export const Contribution = {
  /** Which small reduction of the communicator (1, 2, ...) the block holds; written last. */
  NUMBER: 0,
  /** The tag of the call, which says what it was (signature.ts). */
  TAG: 1,
  /** Bytes of data, or -1 for a contribution too large for the block (the call then goes on messages). */
  LENGTH: 2,
  /** 16 bytes into the line: aligned for every element type. */
  DATA: 4,
  /**
   * A contribution by reference (its LENGTH is more than a block holds):
   * the slot whose heap arena holds the data, and the data's offset there
   * (low and high 32 bits), in place of the data.
   */
  ARENA: 4,
  OFFSET_LOW: 5,
  OFFSET_HIGH: 6,
} as const;
/** Int32 words of a collective slot's header, two lines, before its members' words. */
const SLOT_HEADER_WORDS = 32;

/** Words of a collective slot's header, relative to {@link collectiveSlotBase}. */
export const SlotHeader = {
  /** One of {@link SlotState}. */
  STATE: 0,
  /** Members of the communicator using the slot. */
  MEMBERS: 1,
  /** Members that have freed the communicator: when all have, the slot can be taken again. */
  RELEASED: 2,
  /** Arrivals at the central-counter barrier (`Atomics.add` by every member, once per barrier). */
  BARRIER: 3,
  /**
   * The highest {@link AWAITS_READ_WORD} of the members, on a line of its
   * own, which only waits that may sleep write: every member looks at it
   * after each read it marks, one word where it looked at every member's.
   */
  AWAITED_READ: 16,
} as const;

/** The life of a collective slot. */
export const SlotState = {
  FREE: 0,
  /** Being cleared for a new communicator by the rank that took it. */
  CLAIMING: 1,
  IN_USE: 2,
} as const;

/** Int32 index of the first word of the control block after the per-rank areas, on a cache line boundary. */
function collectiveAreaBase(size: number): number {
  return Math.ceil(waitTextOffset(size, size) / 64) * 16;
}

/**
 * Int32 index of collective slot `slot`'s header; its members' words follow
 * ({@link slotMembers}), `memberWords(blocks)` each, in a room of `size * MEMBER_WORDS`.
 */
export function collectiveSlotBase(size: number, slot: number): number {
  return collectiveAreaBase(size) + slot * (SLOT_HEADER_WORDS + size * MEMBER_WORDS);
}

/** Int32 index of member 0's words in the slot whose header is at `base`. */
export function slotMembers(base: number): number {
  return base + SLOT_HEADER_WORDS;
}

/** Bytes before a ring's data area: the consumer's words on a cache line of their own. */
export const RING_HEADER_BYTES = 128;
/** Int32 index, within a ring header, of the consumer's read position. */
export const RING_TAIL = 16;
/** Int32 index, within a ring header, of the flag a producer sets when the ring was full. */
export const RING_PRODUCER_WAITING = 17;

/**
 * Byte offset of the ring that carries messages from `source` to `dest`.
 * Rings are ordered by the larger of the two slots (`m`), so the rings among
 * the first n slots are the first n², whatever the job's size: the rings
 * into `m` from the slots below it, then those out of `m` to slots up to it.
 */
export function ringOffset(memory: Pick<JobMemory, 'ringCapacity'>, source: number, dest: number): number {
  const m = Math.max(source, dest);
  const index = m * m + (source < m ? source : m + dest);
  return index * (RING_HEADER_BYTES + memory.ringCapacity);
}

/** Bytes of the rings among `slots` slots. */
export function ringsBytes(memory: Pick<JobMemory, 'ringCapacity'>, slots: number): number {
  return slots * slots * (RING_HEADER_BYTES + memory.ringCapacity);
}

/** The segment of `segments` that holds the rings of slot `slot` with slots below it, if there is one. */
export function segmentOf(segments: readonly RingSegment[], slot: number): RingSegment | undefined {
  for (const segment of segments) if (slot >= segment.first && slot < segment.end) return segment;
  return undefined;
}

/** The buffer and byte offset of the ring from `source` to `dest` (its segment must be in `memory.rings`). */
export function ringLocation(memory: Pick<JobMemory, 'ringCapacity' | 'rings'>, source: number, dest: number):
  { buffer: SharedArrayBuffer; offset: number } {
  const segment = segmentOf(memory.rings, Math.max(source, dest));
  if (segment === undefined) throw new RangeError(`no ring segment holds slot ${Math.max(source, dest)}`);
  return { buffer: segment.buffer, offset: ringOffset(memory, source, dest) - ringsBytes(memory, segment.first) };
}

/**
 * True when no record waits in the ring from `source` to `dest` (a padding
 * record counts as one): the kind word where its consumer reads next is 0
 * (ring.ts's `Kind.NONE`, which a producer writes after each record). Does
 * not change the ring. For the launcher, which reuses the slot of an exited
 * spawned rank once the rings it sent on are empty.
 */
export function ringIsEmpty(memory: Pick<JobMemory, 'ringCapacity' | 'rings'>, source: number, dest: number): boolean {
  const { buffer, offset } = ringLocation(memory, source, dest);
  const words = new Int32Array(buffer);
  const tail = Atomics.load(words, offset / 4 + RING_TAIL);
  return Atomics.load(words, (offset + RING_HEADER_BYTES + (tail & (memory.ringCapacity - 1))) >> 2) === 0;
}

/**
 * Drops every record of the ring from `source` to `dest`, as its consumer
 * would by reading them: for a ring whose consumer has exited. (A record's
 * second word is its length; its first, the kind, goes back to 0.)
 */
export function discardRing(memory: Pick<JobMemory, 'ringCapacity' | 'rings'>, source: number, dest: number): void {
  const { buffer, offset } = ringLocation(memory, source, dest);
  const words = new Int32Array(buffer);
  const tailIndex = offset / 4 + RING_TAIL;
  for (;;) {
    const tail = words[tailIndex]!;
    const w = (offset + RING_HEADER_BYTES + (tail & (memory.ringCapacity - 1))) >> 2;
    if (Atomics.load(words, w) === 0) return;
    const length = words[w + 1]!;
    words[w] = 0;
    Atomics.store(words, tailIndex, (tail + length) | 0);
  }
}

/** Options that size a job's shared memory. */
export interface LayoutOptions {
  eagerLimit: number;
  /** Bytes of each rank's heap arena. */
  heapBytes: number;
}

/** Default eager limit, as in the issue and in most MPI libraries' shared-memory paths. */
export const DEFAULT_EAGER_LIMIT = 64 * 1024;
/**
 * The largest eager limit a job takes: every pair of slots has a ring of
 * about twice the limit, and at 4 MiB a ring the rings of a few dozen slots
 * already take gigabytes. A larger message goes by rendezvous, which copies
 * a buffer in `MPI.alloc` memory once where an eager send copies twice.
 */
export const MAX_EAGER_LIMIT = 1024 * 1024;

/** Default heap arena per rank: large enough for big messages, lazily committed by the OS. */
export function defaultHeapBytes(size: number): number {
  const total = 16 * 1024 ** 3;
  return Math.max(256 * 1024 ** 2, Math.min(2 * 1024 ** 3, Math.floor(total / size / 4096) * 4096));
}

/**
 * Allocates the shared memory of a job whose universe starts with `universe`
 * slots and may grow to `maxUniverse` (at most {@link MAX_JOB_RANKS}).
 * The heaps and ring segments are returned as mutable arrays: the launcher
 * adds those of new slots ({@link growUniverse}).
 */
export function allocateJobMemory(universe: number, options: LayoutOptions, maxUniverse = MAX_JOB_RANKS):
  JobMemory & { heaps: SharedArrayBuffer[]; rings: RingSegment[] } {
  if (universe > MAX_JOB_RANKS) throw new RangeError(`a job holds at most ${MAX_JOB_RANKS} ranks`);
  const ringCapacity = ringCapacityFor(options.eagerLimit);
  const size = Math.max(universe, Math.min(maxUniverse, MAX_JOB_RANKS));
  const controlBytes = collectiveSlotBase(size, COLLECTIVE_SLOTS) * 4;
  const control = new SharedArrayBuffer(controlBytes);
  const words = new Int32Array(control);
  words[Global.NEXT_CONTEXT] = FIRST_DYNAMIC_CONTEXT;
  words[Global.UNIVERSE] = universe;
  const rings = [{ first: 0, end: universe, buffer: new SharedArrayBuffer(ringsBytes({ ringCapacity }, universe)) }];
  const heaps = Array.from({ length: universe }, () => new SharedArrayBuffer(options.heapBytes));
  return { size, control, rings, ringCapacity, heaps, heapBytes: options.heapBytes, eagerLimit: options.eagerLimit };
}

/**
 * Grows the universe of `memory` to `slots` (at most its size): a ring
 * segment and heaps for the new slots, then the {@link Global.UNIVERSE}
 * word. Returns what the live ranks must be sent. For the launcher, before
 * it starts ranks in the new slots.
 */
export function growUniverse(memory: JobMemory & { heaps: SharedArrayBuffer[]; rings: RingSegment[] }, slots: number):
  Growth | undefined {
  const control = new Int32Array(memory.control);
  const first = Atomics.load(control, Global.UNIVERSE);
  if (slots <= first) return undefined;
  if (slots > memory.size) throw new RangeError(`a job holds at most ${memory.size} ranks`);
  const rings = { first, end: slots,
    buffer: new SharedArrayBuffer(ringsBytes(memory, slots) - ringsBytes(memory, first)) };
  const heaps = Array.from({ length: slots - first }, () => new SharedArrayBuffer(memory.heapBytes));
  memory.rings.push(rings);
  memory.heaps.push(...heaps);
  Atomics.store(control, Global.UNIVERSE, slots);
  return { first, heaps, rings };
}

function ringCapacityFor(eagerLimit: number): number {
  return nextPowerOfTwo(Math.max(4096, 2 * (eagerLimit + 64)));
}

/**
 * Context ids of the predefined communicators; dynamic ones are allocated
 * from the control block. Each communicator takes {@link CONTEXTS_PER_COMM}
 * consecutive ids: point-to-point, collectives, library protocols (and, for
 * an intercommunicator, those of its local group).
 */
export const Context = {
  WORLD: 0,
  SELF: 8,
} as const;
/** Contexts per communicator: an intercommunicator's local group takes three more. */
export const CONTEXTS_PER_COMM = 8;
const FIRST_DYNAMIC_CONTEXT = 16;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
