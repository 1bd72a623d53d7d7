/**
 * One single-producer single-consumer ring of records in shared memory.
 *
 * A record is a 32-byte header of eight Int32 words plus an optional payload,
 * padded to 8 bytes. A record never wraps: when it does not fit before the end
 * of the data area, the producer fills the rest with a padding record. Head and
 * tail are byte counters that wrap at 2^32; the data area is a power of two.
 * The producer publishes with `Atomics.store(head)` after writing, the consumer
 * frees with `Atomics.store(tail)` after reading, so plain reads and writes of
 * the record itself are ordered by those two seq-cst operations.
 *
 * @module
 */

import { RING_HEAD, RING_HEADER_BYTES, RING_PRODUCER_WAITING, RING_TAIL } from './layout.js';

/** Bytes of a record header. */
export const RECORD_HEADER_BYTES = 32;

/** Header words of a record (Int32 offsets from the record's start). */
export const Word = {
  KIND: 0,
  /** Bytes of the whole record, header and padding included. */
  LENGTH: 1,
  CONTEXT: 2,
  TAG: 3,
  /** Bytes of the message (the payload for eager records). */
  PAYLOAD: 4,
  /** The sender's request id, for records that are answered. */
  REQUEST: 5,
  /** Rendezvous: byte offset of the data in the heap arena named by {@link ARENA}. */
  OFFSET: 6,
  ARENA: 7,
} as const;

/** Record kinds. */
export const Kind = {
  PAD: 0,
  /** Message with its payload inline. */
  EAGER: 1,
  /** Eager message whose sender waits for an ACK once it is matched (Ssend). */
  EAGER_SYNC: 2,
  /** Rendezvous: the message waits in a heap arena; the receiver copies it and answers FIN. */
  RTS: 3,
  /** Answer to EAGER_SYNC and RTS: the sender's request is complete. */
  FIN: 4,
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
  private readonly headIndex: number;
  private readonly tailIndex: number;
  private readonly waitingIndex: number;
  /** Producer side: the consumer's read position as last seen; re-read only when the ring looks full. */
  private knownTail = 0;
  /** Consumer side: the producer's write position as last seen; re-read only when the ring looks empty. */
  private knownHead = 0;

  constructor(words: Int32Array, bytes: Uint8Array, offset: number, capacity: number) {
    this.words = words;
    this.bytes = bytes;
    this.base = offset + RING_HEADER_BYTES;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.headIndex = offset / 4 + RING_HEAD;
    this.tailIndex = offset / 4 + RING_TAIL;
    this.waitingIndex = offset / 4 + RING_PRODUCER_WAITING;
  }

  /** Bytes a record with `payloadBytes` of payload takes. */
  static recordBytes(payloadBytes: number): number {
    return RECORD_HEADER_BYTES + ((payloadBytes + 7) & ~7);
  }

  /**
   * Producer: writes one record, copying `payload` after the header. Returns
   * false, leaving the ring as it was, when there is no room yet.
   */
  push(kind: number, context: number, tag: number, payloadBytes: number, request: number, offset: number, arena: number,
    payload: Uint8Array | undefined): boolean {
    const words = this.words;
    const head = words[this.headIndex]!;
    const need = Ring.recordBytes(payload === undefined ? 0 : payload.byteLength);
    let free = this.capacity - ((head - this.knownTail) | 0);
    if (free < 2 * need) {
      this.knownTail = Atomics.load(words, this.tailIndex);
      free = this.capacity - ((head - this.knownTail) | 0);
    }
    let position = head & this.mask;
    const contiguous = this.capacity - position;
    let advance = need;
    if (need > contiguous) {
      if (free < contiguous + need) return false;
      const pad = (this.base + position) >> 2;
      words[pad + Word.KIND] = Kind.PAD;
      words[pad + Word.LENGTH] = contiguous;
      advance += contiguous;
      position = 0;
    } else if (free < need) {
      return false;
    }
    const at = this.base + position;
    const w = at >> 2;
    words[w + Word.KIND] = kind;
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
    }
    Atomics.store(words, this.headIndex, (head + advance) | 0);
    return true;
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
      if (tail === this.knownHead) {
        this.knownHead = Atomics.load(words, this.headIndex);
        if (tail === this.knownHead) return -1;
      }
      const at = this.base + (tail & this.mask);
      if (words[(at >> 2) + Word.KIND] !== Kind.PAD) return at;
      Atomics.store(words, this.tailIndex, (tail + words[(at >> 2) + Word.LENGTH]!) | 0);
    }
  }

  /** Consumer: frees the record at `at` (from {@link peek}) once it has been read. */
  release(at: number): void {
    const tail = this.words[this.tailIndex]!;
    Atomics.store(this.words, this.tailIndex, (tail + this.words[(at >> 2) + Word.LENGTH]!) | 0);
  }
}
