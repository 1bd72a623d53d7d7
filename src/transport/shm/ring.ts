/**
 * One single-producer single-consumer ring of records in shared memory.
 *
 * A record is a 32-byte header of eight Int32 words plus an optional payload,
 * padded to 8 bytes. A record without an inline payload (rendezvous control:
 * RTS, PIPE, FIN) carries two words in its place, the high halves of its
 * PAYLOAD and OFFSET values, since a message and a heap can exceed 4 GiB; an
 * eager record's length never does, so the small-message path writes and
 * reads a single word. A record never wraps: when it does not fit before the
 * end of the data area, the producer fills the rest with a padding record.
 * The data area is a power of two; positions are byte counters that wrap at
 * 2^32 (differences of two positions are taken modulo 2^32).
 *
 * The producer publishes a record by storing its kind word last; a zero
 * kind means "nothing yet". So the consumer reads no shared head position,
 * only the record itself: one cache line less per message. To keep that
 * true, the consumer zeroes the kind of every record it frees, and the
 * producer zeroes the kind word just past each record it writes before
 * publishing it (it leaves 8 bytes of room for that). The consumer frees
 * space by storing its tail, which the producer reads only when the ring
 * looks full.
 *
 * Both stores are `Atomics.store`, or plain stores where the engine's shared
 * areas publish so (`ShmEngine.plainPublish`: x86, whose stores become
 * visible in program order). A sequentially consistent
 * store waits until the line is this rank's: the tail's waited for the
 * record's line, which the consumer had just zeroed and the producer still
 * held. The doorbell that follows a record (`Atomics.or` on the consumer's
 * signal word) is a full barrier either way; a producer that waits for room
 * and misses the tail's store looks again at its next poll.
 *
 * @module
 */

import { RING_HEADER_BYTES, RING_PRODUCER_WAITING, RING_TAIL } from './layout.js';
import { publishWord } from './store_order.js';

/** Bytes of a record header. */
export const RECORD_HEADER_BYTES = 32;

/** Header words of a record (Int32 offsets from the record's start). */
export const Word = {
  KIND: 0,
  /** Bytes of the whole record, header and padding included. */
  LENGTH: 1,
  CONTEXT: 2,
  TAG: 3,
  /** Bytes of the message (the payload for eager records); of a rendezvous message, the low 32 bits. */
  PAYLOAD: 4,
  /** The sender's request id, for records that are answered. */
  REQUEST: 5,
  /** Rendezvous: byte offset of the data in the heap arena named by {@link ARENA}; the low 32 bits. */
  OFFSET: 6,
  ARENA: 7,
  /** Records without an inline payload, just after the header: the high 32 bits of {@link PAYLOAD}. */
  PAYLOAD_HIGH: 8,
  /** Records without an inline payload: the high 32 bits of {@link OFFSET}. */
  OFFSET_HIGH: 9,
} as const;

/** Bytes of the {@link Word.PAYLOAD_HIGH} and {@link Word.OFFSET_HIGH} words of a record without inline payload. */
const WIDE_WORDS_BYTES = 8;
const TWO_TO_32 = 2 ** 32;
/** The smallest memory page of the machines mpi4ts runs on. */
const PAGE_BYTES = 4096;

/**
 * The value of a 64-bit header field of the record whose first Int32 word is
 * `w`: its low word `low` read as unsigned plus its high word `high` (a
 * {@link Word} pair such as PAYLOAD and PAYLOAD_HIGH). Exact up to 2^53.
 */
export function readWide(words: Int32Array, w: number, low: number, high: number): number {
  return (words[w + low]! >>> 0) + words[w + high]! * TWO_TO_32;
}

/** Record kinds. */
export const Kind = {
  /** Not written yet. */
  NONE: 0,
  /** Filler up to the end of the data area; the next record is at its start. */
  PAD: 5,
  /** Message with its payload inline. */
  EAGER: 1,
  /** Eager message whose sender waits for the receiver's FIN once it is matched (Ssend). */
  EAGER_SYNC: 2,
  /** Rendezvous: the message waits in a heap arena; the receiver copies it and answers FIN. */
  RTS: 3,
  /** Answer to EAGER_SYNC, RTS and PIPE: the sender's request is complete. */
  FIN: 4,
  /** Rendezvous through a staging ring in the sender's arena (pipeline.ts); the receiver answers FIN. */
  PIPE: 6,
} as const;

/** A ring seen from one side. Both sides construct one over the same memory. */
export class Ring {
  /** The whole rings buffer as Int32, for headers and control words. */
  readonly words: Int32Array;
  /** The whole rings buffer as bytes, for payloads. */
  readonly bytes: Uint8Array;
  /** Byte offset of the data area. */
  readonly base: number;
  readonly capacity: number;
  private readonly mask: number;
  private readonly tailIndex: number;
  private readonly waitingIndex: number;
  /** Producer side: where the next record goes. */
  private head = 0;
  /** Producer side: the consumer's read position as last seen; re-read only when the ring looks full. */
  private knownTail = 0;
  /** The kind and tail words are plain stores (see the module's comment). */
  private readonly plainPublish: boolean;

  constructor(words: Int32Array, bytes: Uint8Array, offset: number, capacity: number, plainPublish: boolean) {
    this.words = words;
    this.plainPublish = plainPublish;
    this.bytes = bytes;
    this.base = offset + RING_HEADER_BYTES;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.tailIndex = offset / 4 + RING_TAIL;
    this.waitingIndex = offset / 4 + RING_PRODUCER_WAITING;
    // A rank that takes over the slot of a spawned rank that has exited finds its rings empty but not at
    // position 0 (see ringIsEmpty in layout.ts): an empty ring's producer starts where its consumer reads.
    this.head = this.knownTail = Atomics.load(words, this.tailIndex);
  }

  /** Bytes a record with `payloadBytes` of payload takes. */
  static recordBytes(payloadBytes: number): number {
    return RECORD_HEADER_BYTES + ((payloadBytes + 7) & ~7);
  }

  /**
   * Producer: writes one record, copying `payload` after the header. Returns
   * false, leaving the ring as it was, when there is no room yet. Without a
   * payload, `payloadBytes` and `offset` may be any integer up to 2^53 (read
   * them with {@link readWide}); with one, they must fit 32 bits.
   */
  push(kind: number, context: number, tag: number, payloadBytes: number, request: number, offset: number, arena: number,
    payload: Uint8Array | undefined): boolean {
    const words = this.words;
    const head = this.head;
    const need = Ring.recordBytes(payload === undefined ? WIDE_WORDS_BYTES : payload.byteLength);
    const position = head & this.mask;
    const contiguous = this.capacity - position;
    // Room for the record, the zeroed kind word after it, and padding to the end if it must wrap.
    const room = (need > contiguous ? contiguous : 0) + need + 8;
    if (this.capacity - ((head - this.knownTail) | 0) < room) {
      this.knownTail = Atomics.load(words, this.tailIndex);
      if (this.capacity - ((head - this.knownTail) | 0) < room) return false;
    }
    if (need > contiguous) {
      const pad = (this.base + position) >> 2;
      words[pad + Word.LENGTH] = contiguous;
      this.write(0, need, kind, context, tag, payloadBytes, request, offset, arena, payload);
      publishWord(words, pad + Word.KIND, Kind.PAD, this.plainPublish);
      this.head = (head + contiguous + need) | 0;
    } else {
      this.write(position, need, kind, context, tag, payloadBytes, request, offset, arena, payload);
      this.head = (head + need) | 0;
    }
    return true;
  }

  /** Producer: writes a record at `position` of the data area and publishes it. */
  private write(position: number, need: number, kind: number, context: number, tag: number, payloadBytes: number,
    request: number, offset: number, arena: number, payload: Uint8Array | undefined): void {
    const words = this.words;
    const at = this.base + position;
    const w = at >> 2;
    if (position + need < this.capacity) words[(at + need) >> 2] = Kind.NONE;
    words[w + Word.LENGTH] = need;
    words[w + Word.CONTEXT] = context;
    words[w + Word.TAG] = tag;
    words[w + Word.PAYLOAD] = payloadBytes;
    words[w + Word.REQUEST] = request;
    words[w + Word.OFFSET] = offset;
    words[w + Word.ARENA] = arena;
    if (payload !== undefined) {
      const length = payload.byteLength;
      const bytes = this.bytes;
      const into = at + RECORD_HEADER_BYTES;
      // A loop beats making a view for set() on the small messages that latency is about.
      if (length <= 64) for (let i = 0; i < length; i++) bytes[into + i] = payload[i]!;
      else bytes.set(payload, into);
    } else {
      // Int32 stores above keep the low 32 bits; these are the rest.
      words[w + Word.PAYLOAD_HIGH] = Math.floor(payloadBytes / TWO_TO_32);
      words[w + Word.OFFSET_HIGH] = Math.floor(offset / TWO_TO_32);
    }
    publishWord(words, w + Word.KIND, kind, this.plainPublish);
  }

  /**
   * Producer: touches every memory page of the data area, so that the first
   * pass of records through the ring does not take a page fault every 4 KiB
   * (10-13 us each on a VM: an 8-byte ping-pong paid two every hundred round
   * trips of its first 6,500). An atomic add of zero, which leaves whatever
   * a consumer may be reading as it was.
   */
  prefault(): void {
    const words = this.words;
    const end = this.base + this.capacity;
    for (let at = this.base; at < end; at += PAGE_BYTES) Atomics.add(words, at >> 2, 0);
    Atomics.add(words, (end - 4) >> 2, 0);
  }

  /** Producer: marks that it waits for room, so the consumer rings its doorbell after reading. */
  setProducerWaiting(): void {
    Atomics.store(this.words, this.waitingIndex, 1);
  }

  /** Consumer: true (and clears the flag) when the producer waits for room. */
  takeProducerWaiting(): boolean {
    return Atomics.load(this.words, this.waitingIndex) !== 0 && Atomics.exchange(this.words, this.waitingIndex, 0) !== 0;
  }

  /**
   * Consumer: the byte offset (in {@link bytes}) of the next record's header,
   * or -1 when the ring is empty. Padding records are skipped here.
   */
  peek(): number {
    const words = this.words;
    for (;;) {
      const tail = words[this.tailIndex]!;
      const at = this.base + (tail & this.mask);
      const kind = Atomics.load(words, at >> 2);
      if (kind === Kind.NONE) return -1;
      if (kind !== Kind.PAD) return at;
      this.release(at);
    }
  }

  /** Consumer: frees the record at `at` (from {@link peek}) once it has been read. */
  release(at: number): void {
    const words = this.words;
    const w = at >> 2;
    const length = words[w + Word.LENGTH]!;
    words[w + Word.KIND] = Kind.NONE;
    publishWord(words, this.tailIndex, (words[this.tailIndex]! + length) | 0, this.plainPublish);
  }
}

/** Whether {@link primeRingPaths} ran in this thread. */
let primed = false;

/**
 * Runs every path of {@link Ring} a few times on a small private ring, once
 * per thread, when a rank's engine starts (under 1 ms). The rare paths
 * (a record that wraps and leaves a padding record, a ring that looks full,
 * a producer waiting for room) are first taken only after a few thousand
 * messages; V8 has optimized the hot path by then, and code never run before
 * it was optimized has no type feedback, so the first wrap deoptimized
 * `push`, `peek` and every function they are inlined in (the whole receive
 * path) and V8 compiled them all again, in the middle of the user's loop.
 * Run here first, the rare paths are part of the optimized code from the start.
 * `plainPublish` as the engine's rings.
 */
export function primeRingPaths(plainPublish: boolean): void {
  if (primed) return;
  primed = true;
  const capacity = 256;
  const buffer = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
  const ring = new Ring(new Int32Array(buffer), new Uint8Array(buffer), 0, capacity, plainPublish);
  const small = new Uint8Array(8);
  const large = new Uint8Array(72);
  for (let round = 0; round < 24; round++) {
    let pushed = 0;
    // Until the ring is full: wrapping records, padding, and the re-read of the tail.
    while (ring.push(Kind.EAGER, 0, 0, small.byteLength, 0, 0, 0, (round + pushed) % 3 === 0 ? large : small) &&
      ring.push(Kind.FIN, 0, 0, 0, 1, 0, 0, undefined)) pushed++;
    ring.setProducerWaiting();
    for (let at = ring.peek(); at >= 0; at = ring.peek()) ring.release(at);
    ring.takeProducerWaiting();
    ring.takeProducerWaiting();
  }
}
