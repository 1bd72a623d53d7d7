/**
 * Pipelined rendezvous: how a large message whose buffer is not in the shared
 * heap travels, through a bounded staging ring in the sender's heap arena.
 *
 * MPI-4.1 §3.4 (a standard send may wait for the receive), §3.5 (progress).
 * The sender copies the message into the staging ring chunk by chunk while
 * the receiver copies chunks out behind it, so the two copies overlap on two
 * cores instead of following each other, a chunk is still in cache when it
 * is read, and a message of any size needs only {@link PIPE_BYTES} of heap.
 * (A buffer from `MPI.alloc` is in the heap already: the receiver copies it
 * once, straight out of it, with no pipeline.)
 *
 * The ring is preceded by a cache line with two words, each with one writer:
 * {@link PipeWord.FILLED}, the message bytes the sender has written, and
 * {@link PipeWord.CONSUMED}, those the receiver has read. Each side stores
 * its word, then wakes the other if it sleeps (see `ShmEngine.wakeIfAsleep`).
 * Both sides move their pipe forward whenever their engine polls. The words
 * hold the counts modulo 2^32 (a message can be longer): each side keeps its
 * own full count and needs only the distance to the other's, which is at most
 * the ring's capacity, so {@link pipeDistance} recovers it from the two
 * wrapped values.
 *
 * The message and the target may be segmented bytes (longer than the longest
 * `Uint8Array`, `buffer.ts`): each chunk is then copied through a view of its
 * own, at most a ring long.
 *
 * @module
 */

import type { Bytes } from '../../buffer.js';

/** Bytes the staging ring of a pipelined message holds at most. */
export const PIPE_BYTES = 1024 * 1024;
/** Bytes the sender writes before it tells the receiver: small enough to overlap, large enough to be cheap. */
const CHUNK_BYTES = 128 * 1024;
/** Bytes of the header line before the staging ring. */
export const PIPE_HEADER_BYTES = 64;

/** Int32 words of the header line. */
const PipeWord = {
  FILLED: 0,
  CONSUMED: 1,
} as const;

/**
 * How many bytes the count `ahead` is past the count `behind`, given the full
 * value of one and the 32-bit word of the other (either way round): exact as
 * long as they are less than 2^31 apart, as the two counts of a pipe always are.
 */
export function pipeDistance(ahead: number, behind: number): number {
  return (ahead - behind) | 0;
}

/** The sender's side: copies `data` into the ring as room appears. */
export class OutboundPipe {
  private written = 0;
  private readonly words: Int32Array;
  private readonly ring: Uint8Array;
  readonly capacity: number;

  /**
   * @param heap - the sender's arena; the pipe's header line starts at `offset`
   * @param wake - wakes the receiver if it sleeps
   */
  constructor(private readonly data: Bytes, heap: SharedArrayBuffer, offset: number,
    private readonly wake: () => void) {
    this.capacity = Math.min(data.byteLength, PIPE_BYTES);
    this.words = new Int32Array(heap, offset, PIPE_HEADER_BYTES / 4);
    this.ring = new Uint8Array(heap, offset + PIPE_HEADER_BYTES, this.capacity);
    Atomics.store(this.words, PipeWord.FILLED, 0);
    Atomics.store(this.words, PipeWord.CONSUMED, 0);
  }

  /** Bytes of heap a pipe for a message of `bytes` bytes takes. */
  static heapBytes(bytes: number): number {
    return PIPE_HEADER_BYTES + Math.min(bytes, PIPE_BYTES);
  }

  /** True once every byte is in the ring. */
  get finished(): boolean {
    return this.written === this.data.byteLength;
  }

  /** Writes what fits; true if it wrote anything. */
  fill(): boolean {
    const { data, capacity, ring, words } = this;
    const total = data.byteLength;
    const start = this.written;
    let room = capacity - pipeDistance(start, Atomics.load(words, PipeWord.CONSUMED));
    while (this.written < total && room > 0) {
      const at = this.written % capacity;
      const length = Math.min(CHUNK_BYTES, total - this.written, capacity - at, room);
      ring.set(data.subarray(this.written, this.written + length), at);
      this.written += length;
      room -= length;
      Atomics.store(words, PipeWord.FILLED, this.written);
      this.wake();
    }
    return this.written !== start;
  }
}

/**
 * The receiver's side: copies what the sender has written into `target`;
 * of a message longer than `target` (a truncated receive), the bytes past
 * its end are read and dropped.
 */
export class InboundPipe {
  private consumed = 0;
  private readonly words: Int32Array;
  private readonly ring: Uint8Array;
  private readonly capacity: number;

  /**
   * @param heap - the sender's arena, the header line of whose pipe starts at `offset`
   * @param target - where the message goes: its length, or less
   * @param length - the message's length
   * @param wake - wakes the sender if it sleeps
   */
  constructor(heap: SharedArrayBuffer, offset: number, readonly target: Bytes, readonly length: number,
    private readonly wake: () => void) {
    this.capacity = Math.min(length, PIPE_BYTES);
    this.words = new Int32Array(heap, offset, PIPE_HEADER_BYTES / 4);
    this.ring = new Uint8Array(heap, offset + PIPE_HEADER_BYTES, this.capacity);
  }

  /** True once the whole message has been read. */
  get complete(): boolean {
    return this.consumed === this.length;
  }

  /** Reads what has been written; true if it read anything. */
  drain(): boolean {
    const { target, capacity, ring, words } = this;
    const start = this.consumed;
    const filled = start + pipeDistance(Atomics.load(words, PipeWord.FILLED), start);
    while (this.consumed < filled) {
      const at = this.consumed % capacity;
      const length = Math.min(filled - this.consumed, capacity - at);
      const kept = Math.min(length, target.byteLength - this.consumed);
      if (kept > 0) {
        const chunk = ring.subarray(at, at + kept);
        if (target instanceof Uint8Array) target.set(chunk, this.consumed);
        else target.subarray(this.consumed, this.consumed + kept).set(chunk);
      }
      this.consumed += length;
      Atomics.store(words, PipeWord.CONSUMED, this.consumed);
      this.wake();
    }
    return this.consumed !== start;
  }
}
