/**
 * Counts of the shm transport at the 2^31 and 2^32 boundaries, without
 * gigabytes of memory: the ring's positions wrapping past both while records
 * go through it, rendezvous records carrying 64-bit lengths and offsets, and
 * the arithmetic of the staging pipe's 32-bit counters; byte views of a
 * typed array past 4 GiB (segmented on Node 20), and segmented bytes through
 * the copy helper, the pipe and the decoder; the wide parsing of the buffer
 * collectives and the packages of the object collectives, whose lengths
 * pass 2^32. (The multi-GiB messages
 * themselves are in `large.test.ts`.)
 *
 * Run: `node --import tsx --test test/wide_counts.test.ts`
 *
 * @module
 */

import assert from 'node:assert/strict';
import { constants } from 'node:buffer';
import { describe, it } from 'node:test';
import {
  bytesOf, bytesOfSpec, copyBytes, elementsIn, isSegmented, parseBuffer, parseWideBuffer, parseWideVectorBuffer,
  SegmentedBytes,
} from '../src/buffer.js';
import { packWide, unpackWide } from '../src/collective/tree.js';
import { decode, encode } from '../src/codec/index.js';
import { datatypes } from '../src/datatype/index.js';
import { ErrorClass, MPIError } from '../src/errors.js';
import { RING_HEADER_BYTES, RING_TAIL } from '../src/transport/shm/layout.js';
import { InboundPipe, OutboundPipe, pipeDistance } from '../src/transport/shm/pipeline.js';
import { Kind, RECORD_HEADER_BYTES, Ring, Word, readWide } from '../src/transport/shm/ring.js';

/** A producer and a consumer over one ring of `capacity` bytes. */
function ringPair(capacity: number): { producer: Ring; consumer: Ring; words: Int32Array } {
  const memory = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
  const words = new Int32Array(memory);
  const bytes = new Uint8Array(memory);
  return { producer: new Ring(words, bytes, 0, capacity, false), consumer: new Ring(words, bytes, 0, capacity, false), words };
}

describe('ring positions', () => {
  it('keep records intact, and the ring refuses them only when full, as they wrap past 2^31 and 2^32', () => {
    const capacity = 1 << 20;
    const { producer, consumer, words } = ringPair(capacity);
    // Just under a quarter of the ring, and not a divisor of it: records wrap with padding at changing places.
    const payload = new Uint8Array(capacity / 4 - 1000);
    // The consumer's position as an Int32: negative once past 2^31, small again once past 2^32.
    let passed31 = false;
    let passed32 = false;
    let laps = 0;
    let record = 0;
    while (!passed32 || laps < 4) {
      // A rendezvous record, with a length and an offset of more than 32 bits, then eager ones until the ring is full.
      const wideBytes = 2 ** 32 + 2 ** 31 + record * 8;
      const wideOffset = 2 ** 31 + record * 64;
      assert.ok(producer.push(Kind.RTS, 1, record, wideBytes, record, wideOffset, 1, undefined));
      let eager = 0;
      for (;;) {
        payload[0] = (record + eager) & 0xff;
        payload[payload.length - 1] = ((record + eager) * 7) & 0xff;
        if (!producer.push(Kind.EAGER, 1, record + eager, payload.length, 0, 0, 0, payload)) break;
        eager++;
      }
      // 4 records of this size fill the ring but for the header words; padding before a wrap can leave room for 3.
      assert.ok(eager === 3 || eager === 4, `${eager} records fit at ${words[RING_TAIL]}`);
      for (let i = 0; i <= eager; i++) {
        const at = consumer.peek();
        assert.ok(at >= 0, `record ${record}+${i} is there`);
        const w = at >> 2;
        if (i === 0) {
          assert.equal(words[w + Word.KIND], Kind.RTS);
          assert.equal(words[w + Word.TAG], record);
          assert.equal(readWide(words, w, Word.PAYLOAD, Word.PAYLOAD_HIGH), wideBytes);
          assert.equal(readWide(words, w, Word.OFFSET, Word.OFFSET_HIGH), wideOffset);
        } else {
          const n = record + i - 1;
          assert.equal(words[w + Word.KIND], Kind.EAGER);
          assert.equal(words[w + Word.TAG], n);
          assert.equal(words[w + Word.PAYLOAD], payload.length);
          const data = at + RECORD_HEADER_BYTES;
          assert.equal(consumer.bytes[data], n & 0xff);
          assert.equal(consumer.bytes[data + payload.length - 1], (n * 7) & 0xff);
        }
        consumer.release(at);
      }
      assert.equal(consumer.peek(), -1);
      if (words[RING_TAIL]! < 0) passed31 = true;
      else if (passed31) passed32 = true;
      if (passed32) laps++;
      record += eager + 1;
    }
  });
});

describe('staging pipe counters', () => {
  /** The Int32 word a count is stored in. */
  const word = (count: number): number => new Int32Array([count])[0]!;

  it('give the distance between a full count and the other side\'s 32-bit word around 2^31 and 2^32', () => {
    const bases = [0, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 3 * 2 ** 32 + 7, 2 ** 40];
    for (const base of bases) {
      for (const distance of [0, 1, 4096, 1 << 20]) {
        // The sender's room: its full count against the receiver's word.
        assert.equal(pipeDistance(base + distance, word(base)), distance, `sender at ${base} + ${distance}`);
        // The receiver's data: the sender's word against its full count.
        assert.equal(pipeDistance(word(base + distance), base), distance, `receiver at ${base} + ${distance}`);
      }
    }
  });
});

describe('byte views of messages', () => {
  it('view a typed array of more than 4 GiB as bytes: one view where Node.js can make it, else segments', () => {
    // 2^32 + 8 bytes of zeroed memory: the pages are never touched, so it costs no real memory.
    const huge = new Float64Array(2 ** 29 + 1);
    const segmented = constants.MAX_LENGTH < huge.byteLength;
    for (const spec of [huge, [huge, 2 ** 29 + 1], [huge, huge.byteLength, datatypes.BYTE]] as const) {
      const bytes = bytesOfSpec(spec, 'Comm.Send');
      assert.equal(bytes.byteLength, 2 ** 32 + 8);
      assert.equal(bytes.buffer, huge.buffer);
      assert.equal(bytes instanceof SegmentedBytes, segmented);
      assert.equal(isSegmented(bytes), segmented);
    }
    // A count of bytes that is no whole number of elements: the covering view runs past it, within the array.
    const odd = bytesOfSpec([huge, 2 ** 32 + 3, datatypes.BYTE], 'Comm.Send');
    assert.equal(odd.byteLength, 2 ** 32 + 3);
    if (odd instanceof SegmentedBytes) {
      const covering = odd.covering();
      assert.ok(covering instanceof Float64Array);
      assert.equal(covering.length, 2 ** 29 + 1);
      // The last bytes are reached through a view of their own.
      huge[2 ** 29] = 1.5;
      assert.deepEqual(odd.subarray(2 ** 32, 2 ** 32 + 3), bytesOf(Float64Array.of(1.5)).subarray(0, 3));
    }
  });

  it('parse a collective\'s buffer of more than the longest Uint8Array as a wide message; parseBuffer refuses it', () => {
    const huge = new Float64Array(2 ** 29 + 1);
    const wide = parseWideBuffer(huge, 'Intracomm.Bcast');
    assert.equal(wide.bytes.byteLength, 2 ** 32 + 8);
    assert.equal(wide.count, 2 ** 29 + 1);
    assert.equal(wide.bytes.buffer, huge.buffer);
    const v = parseWideVectorBuffer([huge, [[2 ** 28, 2 ** 28 + 1], null], datatypes.DOUBLE], 2, 'Intracomm.Allgatherv');
    assert.deepEqual(v.displs, [0, 2 ** 28]);
    if (constants.MAX_LENGTH >= huge.byteLength) {
      assert.ok(wide.bytes instanceof Uint8Array && 'elements' in wide);
      assert.equal(parseBuffer(huge, 'Intracomm.Bcast').bytes.byteLength, 2 ** 32 + 8);
      return;
    }
    assert.ok(wide.bytes instanceof SegmentedBytes && !('elements' in wide));
    assert.ok(v.bytes instanceof SegmentedBytes);
    // Elements of a range past 4 GiB, through a view of their own.
    huge[2 ** 29] = 2.5;
    const range = elementsIn(wide.bytes, datatypes.DOUBLE, 2 ** 29 - 1, 2 ** 29 + 1);
    assert.ok(range instanceof Float64Array);
    assert.deepEqual(Array.from(range), [0, 2.5]);
    // The calls that need one view (neighbourhood and intercommunicator collectives, Reduce_local) still refuse it.
    assert.throws(() => parseBuffer(huge, 'Intracomm.Bcast'), (error: unknown) => {
      assert.ok(error instanceof MPIError);
      assert.equal(error.error_class, ErrorClass.ERR_COUNT);
      assert.match(error.message, /Intracomm\.Bcast: .*4294967304 bytes is longer than the longest byte view .*4294967296/);
      return true;
    });
  });
});

describe('packages of the object collectives', () => {
  it('round-trip values of several ranks, and carry lengths past 2^32 in two words', () => {
    const entries = [{ rank: 2, bytes: Uint8Array.of(1, 2, 3) }, { rank: 0, bytes: new Uint8Array(0) }, { rank: 1, bytes: Uint8Array.of(9) }];
    const packed = packWide(entries);
    assert.ok(packed instanceof Uint8Array);
    const back = unpackWide(packed, 3);
    assert.ok(typeof back !== 'string');
    assert.deepEqual(back.map((e) => [e.rank, Array.from(e.bytes.subarray(0, e.bytes.byteLength))]), [[2, [1, 2, 3]], [0, []], [1, [9]]]);
    // A header claiming 2^32 + 3 bytes: the high word is read, so the block is out of bounds, not 3 bytes.
    const forged = packWide([{ rank: 0, bytes: Uint8Array.of(7, 7, 7) }]);
    assert.ok(forged instanceof Uint8Array);
    new DataView(forged.buffer).setUint32(12, 1, true);
    assert.equal(unpackWide(forged, 1), 'package block 0 is out of bounds');
    assert.equal(unpackWide(packed, 2), 'package claims 3 blocks');
  });
});

describe('segmented bytes', () => {
  /** Bytes `i` of a pattern that a shifted or stale copy does not match. */
  const pattern = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

  it('are told from views by isSegmented', () => {
    assert.equal(isSegmented(new SegmentedBytes(new ArrayBuffer(16), 8, 8)), true);
    assert.equal(isSegmented(new Uint8Array(8)), false);
    assert.equal(isSegmented(Buffer.alloc(8)), false);
  });

  it('copy across segment boundaries, at any offset, both ways', () => {
    const source = pattern(3 * 2 ** 20 + 5, 1);
    const target = new SegmentedBytes(new ArrayBuffer(source.length + 16), 8, source.length);
    copyBytes(target, 3, source, 1, source.length - 1);
    assert.ok(Buffer.from(target.subarray(3, source.length + 2)).equals(Buffer.from(source.subarray(1))));
    const back = new Uint8Array(source.length);
    copyBytes(back, 0, target, 3, source.length - 1);
    assert.ok(Buffer.from(back.subarray(0, source.length - 1)).equals(Buffer.from(source.subarray(1))));
  });

  it('go through a staging pipe from segmented bytes into segmented bytes', () => {
    const data = pattern(5 * 2 ** 20 + 3, 2);
    const source = new SegmentedBytes(data.buffer, 0, data.length);
    const target = new SegmentedBytes(new ArrayBuffer(data.length + 8), 8, data.length);
    const heap = new SharedArrayBuffer(OutboundPipe.heapBytes(data.length));
    const outbound = new OutboundPipe(source, heap, 0, () => undefined);
    const inbound = new InboundPipe(heap, 0, target, target.byteLength, () => undefined);
    while (!inbound.complete) {
      outbound.fill();
      assert.ok(inbound.drain(), 'the receiver found data');
    }
    assert.ok(Buffer.from(target.subarray(0, data.length)).equals(Buffer.from(data)));
  });

  it('decode as object messages', () => {
    const value = { a: [1, 2.5, 'x'], b: new Float64Array([3, 4]) };
    const bytes = encode(value, 'Comm.send');
    const copy = new Uint8Array(bytes.length + 8);
    copy.set(bytes, 8);
    assert.deepEqual(decode(new SegmentedBytes(copy.buffer, 8, bytes.length), 'Comm.recv'), value);
  });
});
