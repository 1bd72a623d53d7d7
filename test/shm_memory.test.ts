/**
 * Unit tests of the shm transport's shared memory, on the built modules and in
 * one thread: the job layout (nothing overlaps), the record ring (wrap-around
 * with padding, a full ring that refuses records and stays intact, records at,
 * just below and past the eager limit), the heap arena's allocator (first fit,
 * alignment, merging of freed neighbours, random patterns against a model),
 * the staging pipe (messages shorter and longer than its ring, counters past
 * 2^32), which protocol an engine picks by size, and how an engine waits (its spin
 * lets other Promise jobs run, in few slices; with more ranks than cores it
 * yields its core before it sleeps). No multi-GiB allocation:
 * the pipe's 4 GiB message is made up as it streams. The ring positions past
 * 2^31 and 2^32 and the pipe's counter arithmetic are in wide_counts.test.ts.
 *
 * Run: `npm run build && node --import tsx --test test/shm_memory.test.ts`
 *
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { ShmEngine, SYNC_RENDEZVOUS_BYTES } from '../dist/transport/shm/engine.js';
import { HeapArena } from '../dist/transport/shm/heap.js';
import {
  ARRIVED_WORD, AWAITS_READ_WORD, COLLECTIVE_SLOTS, CONTRIBUTION_BYTES, Contribution, DIRECT_SOURCES, Global, type JobMemory,
  CONTRIBUTION_BLOCKS, MEMBER_WORDS, OVERSUBSCRIBED_CONTRIBUTION_BLOCKS, READ_WORD, RANK_WORDS, RING_HEADER_BYTES, WAIT_TEXT_BYTES, contributionWords, MAX_JOB_RANKS, SLEEP_BIT, Slot, allocateJobMemory, collectiveSlotBase, growUniverse, maskBase, maskWords, rankBase, ringLocation,
  ringOffset, segmentOf, waitTextOffset,
  contributionBlocks, memberWords,
} from '../dist/transport/shm/layout.js';
import { InboundPipe, OutboundPipe, PIPE_BYTES, PIPE_HEADER_BYTES } from '../dist/transport/shm/pipeline.js';
import { Kind, RECORD_HEADER_BYTES, Ring, Word } from '../dist/transport/shm/ring.js';
import { RequestTable } from '../dist/transport/shm/requests.js';
import { ShmSharedArea } from '../dist/transport/shm/shared_area.js';
import { spinUntil } from '../dist/collective/run.js';
import { parkedExchange, spinBudget } from '../dist/collective/shared_area.js';
import { tuning as collectiveTuning } from '../dist/collective/tuning.js';

/**
 * A producer and a consumer over one ring of `capacity` bytes of its own
 * memory; `plainPublish`: its kind and tail words are plain stores, as on x86
 * with a core per rank (in one thread both kinds of store behave alike).
 */
function ringPair(capacity: number, plainPublish = false): { producer: Ring; consumer: Ring } {
  const memory = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
  const words = new Int32Array(memory);
  const bytes = new Uint8Array(memory);
  return { producer: new Ring(words, bytes, 0, capacity, plainPublish), consumer: new Ring(words, bytes, 0, capacity, plainPublish) };
}

/** `n` bytes whose values depend on `seed`. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Takes the next record off `consumer`: its kind, tag and payload (a copy); undefined when the ring is empty. */
function take(consumer: Ring): { kind: number; tag: number; payload: Uint8Array } | undefined {
  const at = consumer.peek();
  if (at < 0) return undefined;
  const w = at >> 2;
  const kind = consumer.words[w + Word.KIND]!;
  const tag = consumer.words[w + Word.TAG]!;
  const length = kind === Kind.EAGER || kind === Kind.EAGER_SYNC ? consumer.words[w + Word.PAYLOAD]! : 0;
  const payload = consumer.bytes.slice(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
  consumer.release(at);
  return { kind, tag, payload };
}

describe('job layout', () => {
  for (const size of [1, 2, 5, 31, 32, 40]) {
    it(`places every word of a ${size}-rank job once, inside the control block`, () => {
      const memory = allocateJobMemory(size, { eagerLimit: 64 * 1024, heapBytes: 4096 }, size);
      assert.equal(memory.size, size);
      const controlWords = memory.control.byteLength / 4;
      // [first word, words] of every area: rank lines, pending-rings masks, wait texts, collective slots.
      const areas: [string, number, number][] = [['globals', 0, rankBase(0)]];
      for (let r = 0; r < size; r++) {
        areas.push([`rank ${r}`, rankBase(r), RANK_WORDS]);
        if (maskWords(size) > 0) areas.push([`mask ${r}`, maskBase(size, r), maskWords(size)]);
        areas.push([`wait text ${r}`, waitTextOffset(size, r) / 4, WAIT_TEXT_BYTES / 4]);
      }
      for (let s = 0; s < COLLECTIVE_SLOTS; s++) {
        areas.push([`slot ${s}`, collectiveSlotBase(size, s), collectiveSlotBase(size, s + 1) - collectiveSlotBase(size, s)]);
      }
      areas.sort((a, b) => a[1] - b[1]);
      for (let i = 1; i < areas.length; i++) {
        const [name, start, words] = areas[i - 1]!;
        assert.ok(start + words <= areas[i]![1], `${name} overlaps ${areas[i]![0]}`);
      }
      const [lastName, lastStart, lastWords] = areas.at(-1)!;
      assert.ok(lastStart + lastWords <= controlWords, `${lastName} ends past the control block`);
      assert.equal(collectiveSlotBase(size, 0) % 16, 0, 'the collective slots start on a cache line');
      assert.equal(maskWords(size), size <= DIRECT_SOURCES ? 0 : Math.ceil((size - DIRECT_SOURCES) / 32));
      assert.equal(new Int32Array(memory.control)[Global.NEXT_CONTEXT], 16, 'dynamic contexts start after WORLD and SELF');
      assert.equal(memory.heaps.length, size);
      assert.ok(memory.heaps.every((heap) => heap.byteLength === 4096));
    });
  }

  it('lays out a member\'s words of a collective slot in cache lines by writer and reader', () => {
    const line = (word: number): number => Math.floor(word / 16);
    // The first line: the words other members read after this one's reads and barriers.
    assert.equal(line(READ_WORD), 0);
    assert.equal(line(ARRIVED_WORD), 0);
    // The awaiting word alone in its line: every reader looks at it after each read.
    assert.equal(line(AWAITS_READ_WORD), 1);
    const blocks = Array.from({ length: CONTRIBUTION_BLOCKS }, (_, number) => contributionWords(number, CONTRIBUTION_BLOCKS));
    // Small reduction n + CONTRIBUTION_BLOCKS writes the block of reduction n again.
    assert.equal(contributionWords(CONTRIBUTION_BLOCKS + 3, CONTRIBUTION_BLOCKS), blocks[3]);
    for (const block of blocks) {
      assert.equal(block % 16, 0, 'a block starts on a cache line');
      assert.ok(line(block) > line(AWAITS_READ_WORD), 'blocks come after the awaiting word\'s line');
      for (const word of [Contribution.NUMBER, Contribution.TAG, Contribution.LENGTH, Contribution.DATA]) {
        assert.equal(line(block + word), line(block), 'number, tag, length and the first data share the block\'s first line');
      }
      assert.equal(Contribution.DATA % 4, 0, 'the data is 16-byte aligned, for every element type');
      assert.ok(Contribution.DATA > Contribution.LENGTH, 'the data comes after the header words');
    }
    for (let block = 0; block + 1 < blocks.length; block++) {
      assert.ok(blocks[block]! + Contribution.DATA + CONTRIBUTION_BYTES / 4 <= blocks[block + 1]!, 'a full block ends before the next');
    }
    assert.ok(blocks.at(-1)! + Contribution.DATA + CONTRIBUTION_BYTES / 4 <= MEMBER_WORDS, 'the last block ends within the member');
  });

  it('gives a communicator as many contribution blocks as its slot holds when ranks outnumber cores, a power of two', () => {
    assert.equal(MEMBER_WORDS, memberWords(CONTRIBUTION_BLOCKS));
    for (const jobSize of [2, 4, 8, 64, MAX_JOB_RANKS]) {
      for (let members = 1; members <= jobSize; members = members * 2 + 1) {
        assert.equal(contributionBlocks(members, jobSize, false), CONTRIBUTION_BLOCKS, 'ranks on cores of their own: eight');
        const blocks = contributionBlocks(members, jobSize, true);
        assert.ok(blocks >= CONTRIBUTION_BLOCKS && blocks <= OVERSUBSCRIBED_CONTRIBUTION_BLOCKS, `${members} of ${jobSize}: ${blocks}`);
        assert.equal(blocks & (blocks - 1), 0, 'a power of two: block n is n & (blocks - 1)');
        assert.ok(members * memberWords(blocks) <= jobSize * MEMBER_WORDS, 'the members\' words fit the slot\'s room');
        const more = Math.min(2 * blocks, OVERSUBSCRIBED_CONTRIBUTION_BLOCKS);
        assert.ok(more === blocks || members * memberWords(more) > jobSize * MEMBER_WORDS, 'the most that fit');
      }
    }
    assert.equal(contributionBlocks(4, MAX_JOB_RANKS, true), OVERSUBSCRIBED_CONTRIBUTION_BLOCKS);
    assert.equal(contributionBlocks(MAX_JOB_RANKS, MAX_JOB_RANKS, true), CONTRIBUTION_BLOCKS);
    // The block of exchange n comes round again after `blocks` exchanges, within the member's words.
    assert.equal(contributionWords(64 + 5, 64), contributionWords(5, 64));
    assert.ok(contributionWords(63, 64) + Contribution.DATA + CONTRIBUTION_BYTES / 4 <= memberWords(64));
  });

  it('gives every ordered pair of ranks a ring of its own, back to back', () => {
    const size = 5;
    const memory = allocateJobMemory(size, { eagerLimit: 1000, heapBytes: 64 });
    const stride = RING_HEADER_BYTES + memory.ringCapacity;
    const offsets = new Set<number>();
    for (let source = 0; source < size; source++) {
      for (let dest = 0; dest < size; dest++) {
        const offset = ringOffset(memory, source, dest);
        assert.equal(offset % stride, 0);
        assert.ok(offset + stride <= memory.rings[0]!.buffer.byteLength);
        offsets.add(offset);
      }
    }
    assert.equal(offsets.size, size * size);
    assert.equal(memory.rings.length, 1);
    assert.equal(memory.rings[0]!.buffer.byteLength, size * size * stride);
  });

  it('grows the universe: a ring segment and heaps for the new slots, the rings of old ones unmoved', () => {
    const memory = allocateJobMemory(3, { eagerLimit: 1000, heapBytes: 64 }, 40);
    const control = new Int32Array(memory.control);
    assert.equal(memory.size, 40);
    assert.equal(control[Global.UNIVERSE], 3);
    const before = ringLocation(memory, 2, 1);
    const growth = growUniverse(memory, 7)!;
    assert.equal(growth.first, 3);
    assert.equal(growth.heaps.length, 4);
    assert.deepEqual([growth.rings.first, growth.rings.end], [3, 7]);
    assert.equal(control[Global.UNIVERSE], 7);
    assert.equal(memory.heaps.length, 7);
    assert.deepEqual(ringLocation(memory, 2, 1), before);
    assert.equal(growUniverse(memory, 5), undefined, 'a universe never shrinks');
    growUniverse(memory, 33);
    // Every ordered pair of the 33 slots has its own ring inside its segment's buffer.
    const stride = RING_HEADER_BYTES + memory.ringCapacity;
    const seen = new Map<SharedArrayBuffer, Set<number>>();
    for (let source = 0; source < 33; source++) {
      for (let dest = 0; dest < 33; dest++) {
        const { buffer, offset } = ringLocation(memory, source, dest);
        assert.equal(buffer, segmentOf(memory.rings, Math.max(source, dest))!.buffer);
        assert.ok(offset >= 0 && offset + stride <= buffer.byteLength, `ring ${source} -> ${dest}`);
        const offsets = seen.get(buffer) ?? new Set<number>();
        offsets.add(offset);
        seen.set(buffer, offsets);
      }
    }
    assert.equal([...seen.values()].reduce((n, o) => n + o.size, 0), 33 * 33);
    assert.equal(memory.rings.reduce((n, r) => n + r.buffer.byteLength, 0), 33 * 33 * stride);
    assert.throws(() => growUniverse(memory, 41), RangeError);
  });

  it('sizes rings as a power of two that holds two records at the eager limit, at least 4 KiB', () => {
    for (const eagerLimit of [0, 1, 100, 1984, 1985, 4096, 64 * 1024, 100_000, 1 << 20]) {
      const { ringCapacity } = allocateJobMemory(1, { eagerLimit, heapBytes: 64 });
      assert.equal(ringCapacity & (ringCapacity - 1), 0, `${ringCapacity} is a power of two`);
      assert.ok(ringCapacity >= 4096);
      assert.ok(ringCapacity >= 2 * (eagerLimit + 64), `eager limit ${eagerLimit}: ring of ${ringCapacity}`);
      assert.ok(ringCapacity === 4096 || ringCapacity < 4 * (eagerLimit + 64), `eager limit ${eagerLimit}: no larger than needed`);
    }
  });

  it('refuses a job of more ranks than the signal words can name', () => {
    assert.throws(() => allocateJobMemory(MAX_JOB_RANKS + 1, { eagerLimit: 64, heapBytes: 64 }), RangeError);
  });
});

describe('record ring', () => {
  it('is empty at first, and takes records of 8-byte-padded length', () => {
    const { producer, consumer } = ringPair(4096);
    assert.equal(consumer.peek(), -1);
    assert.deepEqual([0, 1, 7, 8, 9, 64].map((n) => Ring.recordBytes(n)), [32, 40, 40, 40, 48, 96]);
    assert.ok(producer.push(Kind.EAGER, 3, 9, 5, 0, 0, 0, Uint8Array.of(1, 2, 3, 4, 5)));
    assert.deepEqual(take(consumer), { kind: Kind.EAGER, tag: 9, payload: Uint8Array.of(1, 2, 3, 4, 5) });
    assert.equal(consumer.peek(), -1);
  });

  it('wraps records of every size around the end with padding, in order and intact', () => {
    const capacity = 4096;
    for (const plainPublish of [false, true]) {
      const { producer, consumer } = ringPair(capacity, plainPublish);
      // Sizes that are not divisors of the ring, so that the wrap falls at every 8-byte position.
      let sent = 0;
      let received = 0;
      for (let round = 0; round < 3000; round++) {
        const n = (round * 37) % 700;
        assert.ok(producer.push(Kind.EAGER, 1, sent, n, 0, 0, 0, pattern(n, sent)), `record ${sent} fits an emptied ring`);
        sent++;
        // Keep a few records in flight, so that the consumer lags behind the wrap.
        while (sent - received > 3) {
          const record = take(consumer)!;
          assert.equal(record.tag, received);
          assert.deepEqual(record.payload, pattern((received * 37) % 700, received), `record ${received}`);
          received++;
        }
      }
      while (received < sent) {
        const record = take(consumer)!;
        assert.equal(record.tag, received);
        assert.deepEqual(record.payload, pattern((received * 37) % 700, received));
        received++;
      }
      assert.equal(consumer.peek(), -1);
    }
  });

  it('refuses a record when full, leaving what it holds intact, and takes it once the consumer frees room', () => {
    const { producer, consumer } = ringPair(4096);
    const n = 1000; // records of 1032 bytes: three fit with the zeroed word after the last, a fourth does not
    let pushed = 0;
    while (producer.push(Kind.EAGER, 1, pushed, n, 0, 0, 0, pattern(n, pushed))) pushed++;
    assert.equal(pushed, 3);
    assert.equal(producer.push(Kind.EAGER, 1, 99, n, 0, 0, 0, pattern(n, 99)), false, 'refused again');
    assert.equal(producer.push(Kind.FIN, 1, 99, 0, 7, 0, 0, undefined), true, 'a control record still fits at the end');
    producer.setProducerWaiting();
    const first = take(consumer)!;
    assert.deepEqual([first.tag, first.payload], [0, pattern(n, 0)]);
    assert.equal(consumer.takeProducerWaiting(), true, 'the consumer sees that the producer waits');
    assert.equal(consumer.takeProducerWaiting(), false, 'and clears the flag');
    // The next record must wrap: the padding to the end and the record need more than the one record freed.
    assert.equal(producer.push(Kind.EAGER, 1, 3, n, 0, 0, 0, pattern(n, 3)), false, 'no room for padding and record yet');
    const second = take(consumer)!;
    assert.deepEqual([second.tag, second.payload], [1, pattern(n, 1)]);
    assert.ok(producer.push(Kind.EAGER, 1, 3, n, 0, 0, 0, pattern(n, 3)));
    const rest = [take(consumer)!, take(consumer)!, take(consumer)!];
    assert.deepEqual(rest.map((r) => [r.kind, r.tag]), [[Kind.EAGER, 2], [Kind.FIN, 99], [Kind.EAGER, 3]]);
    assert.deepEqual(rest[0]!.payload, pattern(n, 2));
    assert.deepEqual(rest[2]!.payload, pattern(n, 3));
    assert.equal(consumer.peek(), -1);
  });

  it('maps its pages without changing a byte: records in flight stay intact, the memory around it untouched', () => {
    // Two rings of 16 KiB back to back in one buffer, as a job's rings are; the first is prefaulted while it holds
    // records on both sides of page boundaries.
    const capacity = 16 * 1024;
    const memory = new SharedArrayBuffer(2 * (RING_HEADER_BYTES + capacity));
    const words = new Int32Array(memory);
    const bytes = new Uint8Array(memory);
    const producer = new Ring(words, bytes, 0, capacity, false);
    const consumer = new Ring(words, bytes, 0, capacity, false);
    for (let i = 0; i < capacity; i++) bytes[RING_HEADER_BYTES + capacity + RING_HEADER_BYTES + i] = (i * 13) & 0xff;
    const n = 1500;
    for (let tag = 0; tag < 6; tag++) assert.ok(producer.push(Kind.EAGER, 1, tag, n, 0, 0, 0, pattern(n, tag)));
    take(consumer);
    const before = Uint8Array.from(bytes);
    producer.prefault();
    assert.ok(Buffer.from(bytes).equals(Buffer.from(before)), 'no byte changed');
    for (let tag = 1; tag < 6; tag++) assert.deepEqual(take(consumer), { kind: Kind.EAGER, tag, payload: pattern(n, tag) });
    assert.equal(consumer.peek(), -1);
  });

  for (const eagerLimit of [1000, 4096, 64 * 1024]) {
    it(`of a job with eager limit ${eagerLimit}: an emptied ring takes a record at the limit wherever its head is`, () => {
      const { ringCapacity } = allocateJobMemory(1, { eagerLimit, heapBytes: 64 });
      const { producer, consumer } = ringPair(ringCapacity);
      const limit = pattern(eagerLimit, 1);
      const below = pattern(eagerLimit - 1, 2);
      // Each round moves the head by an odd number of 8-byte steps, so the rounds start at as many different
      // places of the ring as there are rounds: every place for small rings, a thousand for large ones.
      const moved = Ring.recordBytes(eagerLimit) + Ring.recordBytes(eagerLimit - 1) + Ring.recordBytes(0);
      const filler = new Uint8Array((moved / 8) % 2 === 1 ? 0 : 8);
      const rounds = Math.min(ringCapacity / 8, 1000);
      for (let round = 0; round < rounds; round++) {
        for (const payload of [limit, below]) {
          assert.ok(producer.push(Kind.EAGER, 1, payload.length, payload.length, 0, 0, 0, payload),
            `a ${payload.length}-byte record in round ${round}`);
          const record = take(consumer)!;
          assert.equal(record.tag, payload.length);
          assert.ok(Buffer.from(record.payload).equals(Buffer.from(payload)), `round ${round}: intact`);
        }
        assert.ok(producer.push(Kind.EAGER, 1, 0, filler.length, 0, 0, 0, filler));
        take(consumer);
      }
      assert.equal(consumer.peek(), -1);
    });
  }
});

describe('heap arena', () => {
  it('hands out 64-byte aligned blocks first fit, and -1 when full', () => {
    const arena = new HeapArena(new SharedArrayBuffer(1024));
    assert.deepEqual([1, 64, 65, 0].map((n) => arena.allocate(n)), [0, 64, 128, 256]);
    assert.equal(arena.allocate(1024 - 320 + 1), -1, 'one byte more than is left');
    assert.equal(arena.allocate(1024 - 320), 320, 'exactly what is left');
    assert.equal(arena.allocate(1), -1);
  });

  it('merges a freed block with free neighbours on either side, and ignores unknown or repeated frees', () => {
    const arena = new HeapArena(new SharedArrayBuffer(640));
    const blocks = Array.from({ length: 5 }, () => arena.allocate(128));
    assert.deepEqual(blocks, [0, 128, 256, 384, 512]);
    arena.release(128);
    arena.release(384);
    assert.equal(arena.allocate(256), -1, 'two separate holes of 128 do not make 256');
    arena.release(256); // merges with both neighbours: 128..512
    arena.release(256); // already free: nothing happens
    arena.release(7); // never allocated: nothing happens
    assert.equal(arena.allocate(384), 128);
    assert.equal(arena.allocate(1), -1);
    arena.release(0);
    arena.release(512);
    arena.release(128);
    assert.equal(arena.allocate(640), 0, 'all merged back into one block');
  });

  it('never overlaps blocks and gets back to one whole block, under random allocate and free patterns', () => {
    const bytes = 1 << 16;
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9000 }), fc.nat()), { maxLength: 200 }),
      (steps) => {
        const arena = new HeapArena(new SharedArrayBuffer(bytes));
        const live = new Map<number, number>();
        for (const [allocate, size, pick] of steps) {
          if (allocate || live.size === 0) {
            const offset = arena.allocate(size);
            if (offset < 0) continue;
            assert.equal(offset % 64, 0);
            assert.ok(offset + size <= bytes);
            for (const [other, otherSize] of live) {
              assert.ok(offset + Math.max(size, 1) <= other || other + Math.max(otherSize, 1) <= offset,
                `block ${offset}+${size} overlaps ${other}+${otherSize}`);
            }
            live.set(offset, size);
          } else {
            const offset = [...live.keys()][pick % live.size]!;
            arena.release(offset);
            live.delete(offset);
          }
        }
        for (const offset of live.keys()) arena.release(offset);
        assert.equal(arena.allocate(bytes), 0, 'everything freed merges back into the whole arena');
      }), { numRuns: 300 });
  });

  it('finds room after fragmentation once enough neighbours are freed', () => {
    const arena = new HeapArena(new SharedArrayBuffer(64 * 100));
    const blocks = Array.from({ length: 100 }, () => arena.allocate(64));
    for (let i = 0; i < 100; i += 2) arena.release(blocks[i]!);
    assert.equal(arena.allocate(128), -1, 'only single free blocks between used ones');
    arena.release(blocks[51]!); // joins 50, 51 and 52
    assert.equal(arena.allocate(192), blocks[50]);
  });
});

/** A pipe between a sender and a receiver over one arena, and the wake-ups each side gave. */
function pipePair(data: Uint8Array, target: Uint8Array): { out: OutboundPipe; into: InboundPipe; wakes: { sender: number; receiver: number } } {
  const heap = new SharedArrayBuffer(OutboundPipe.heapBytes(data.byteLength) + 64);
  const wakes = { sender: 0, receiver: 0 };
  const out = new OutboundPipe(data, heap, 64, () => wakes.receiver++);
  const into = new InboundPipe(heap, 64, target, data.byteLength, () => wakes.sender++);
  return { out, into, wakes };
}

describe('request table', () => {
  it('gives each waiting send its own number and hands back exactly that send, past 256 at once and after wrapping', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 700 }), fc.integer(), (count, seed) => {
      const table = new RequestTable<{ request: number; id: number }>();
      const sends = Array.from({ length: count }, (_, id) => ({ request: 0, id }));
      const numbers = sends.map((send) => table.add(send));
      assert.equal(new Set(numbers).size, count, 'numbers are distinct');
      assert.ok(numbers.every((number, id) => number !== 0 && sends[id]!.request === number));
      // Answers come in any order.
      const order = sends.map((_, id) => id).sort((a, b) => ((a * 7919 + seed) % count) - ((b * 7919 + seed) % count));
      for (const id of order) {
        assert.equal(table.take(numbers[id]!), sends[id]);
        assert.equal(table.take(numbers[id]!), undefined, 'taken once');
      }
    }));
    const table = new RequestTable<{ request: number }>();
    table['next'] = 2 ** 31 - 1;
    const numbers = [table.add({ request: 0 }), table.add({ request: 0 }), table.add({ request: 0 })];
    assert.deepEqual(numbers, [2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1], 'numbers are Int32s: they travel in ring words');
    table['next'] = -1;
    assert.deepEqual([table.add({ request: 0 }), table.add({ request: 0 })], [-1, 1], 'never 0 (no request)');
    assert.equal(table.take(12345), undefined, 'an unknown number');
  });

  it('does not hand a send to the answer of an older one that used its slot', () => {
    const table = new RequestTable<{ request: number }>();
    const first = { request: 0 };
    const stale = table.add(first);
    assert.equal(table.take(stale), first);
    for (let i = 0; i < 255; i++) table.take(table.add({ request: 0 }));
    const next = { request: 0 };
    assert.equal(table.add(next) & 255, stale & 255, 'the same slot');
    assert.equal(table.take(stale), undefined);
    assert.equal(table.take(next.request), next);
  });
});

describe('staging pipe', () => {
  for (const bytes of [65_537, PIPE_BYTES - 8, PIPE_BYTES, PIPE_BYTES + 1, 3 * PIPE_BYTES, 5 * PIPE_BYTES + 12_345]) {
    it(`moves a message of ${bytes} bytes through a ring of at most ${PIPE_BYTES} bytes, in order`, () => {
      const data = pattern(bytes, bytes);
      const target = new Uint8Array(bytes);
      const { out, into, wakes } = pipePair(data, target);
      assert.equal(OutboundPipe.heapBytes(bytes), PIPE_HEADER_BYTES + Math.min(bytes, PIPE_BYTES));
      assert.equal(into.drain(), false, 'nothing to read before the sender writes');
      let rounds = 0;
      while (!into.complete) {
        const wrote = out.fill();
        // A full ring refuses more until the receiver drains it.
        if (!out.finished) assert.equal(out.fill(), false, 'the sender wrote into a full ring');
        assert.ok(wrote || out.finished, `round ${rounds}: the sender made no progress`);
        assert.equal(into.drain(), true, `round ${rounds}: the receiver found nothing`);
        assert.equal(into.drain(), false, 'the receiver read the same bytes twice');
        rounds++;
      }
      assert.ok(out.finished);
      assert.equal(rounds, Math.ceil(bytes / Math.min(bytes, PIPE_BYTES)));
      assert.ok(Buffer.from(target).equals(Buffer.from(data)), 'the message arrived intact');
      assert.ok(wakes.receiver > 0 && wakes.sender > 0, 'each side woke the other');
    });
  }

  it('into a shorter target (a truncated receive): reads the whole message, keeps its first bytes, writes nothing past', () => {
    const bytes = 3 * PIPE_BYTES + 99;
    const data = pattern(bytes, 7);
    const backing = new Uint8Array(PIPE_BYTES + 1000).fill(0xee);
    const kept = PIPE_BYTES + 10;
    const { out, into } = pipePair(data, backing.subarray(0, kept));
    while (!into.complete) {
      const wrote = out.fill();
      assert.ok(into.drain() && (wrote || out.finished), 'the pipe stalled');
    }
    assert.ok(out.finished, 'the sender wrote all of it');
    assert.ok(Buffer.from(backing.subarray(0, kept)).equals(Buffer.from(data.subarray(0, kept))), 'the first bytes kept');
    assert.ok(backing.subarray(kept).every((b) => b === 0xee), 'nothing written past the target');
  });

  it('counts past 2^32 bytes: a message of 4 GiB and 3 MiB, made up as it streams, arrives in order', () => {
    // The message's byte at position p is p mod 251; its bytes come from views of one small buffer.
    const period = 251;
    const source = Uint8Array.from({ length: PIPE_BYTES + period }, (_, i) => i % period);
    const total = 2 ** 32 + 3 * 1024 * 1024;
    const data = {
      byteLength: total,
      subarray: (start: number, end: number): Uint8Array => source.subarray(start % period, start % period + end - start),
    } as unknown as Uint8Array;
    // The receiver checks every byte of the last 8 MiB before 2^32 and all after; it counts the rest.
    const checkedFrom = 2 ** 32 - 8 * 1024 * 1024;
    let received = 0;
    let checked = 0;
    const take = (chunk: Uint8Array, offset: number): void => {
      assert.equal(offset, received, 'chunks arrive in order, none skipped');
      if (offset + chunk.byteLength > checkedFrom) {
        const expected = source.subarray(offset % period, offset % period + chunk.byteLength);
        assert.ok(Buffer.from(chunk).equals(Buffer.from(expected)), `bytes at ${offset}`);
        checked += chunk.byteLength;
      }
      received += chunk.byteLength;
    };
    // A message this long is segmented bytes: the pipe writes each chunk through a view of its place.
    const target = {
      byteLength: total,
      subarray: (start: number, end: number) => ({
        set: (chunk: Uint8Array): void => {
          assert.equal(chunk.byteLength, end - start);
          take(chunk, start);
        },
      }),
    } as unknown as Uint8Array;
    const { out, into } = pipePair(data, target);
    while (!into.complete) {
      const wrote = out.fill();
      // Both sides move on every round: a miscounted pipe stalls instead of failing otherwise.
      assert.ok(into.drain() && (wrote || out.finished), `the pipe stalled after ${received} bytes`);
    }
    assert.ok(out.finished);
    assert.equal(received, total);
    assert.ok(checked >= total - checkedFrom);
  });
});

describe('engine protocol by size', () => {
  const eagerLimit = 4096;
  /** Two engines of one job in this thread, and a view of the ring from rank 0 to rank 1 that reads without taking. */
  function job(limit = eagerLimit): { memory: JobMemory; sender: ShmEngine; receiver: ShmEngine; nextKind: () => number } {
    const memory = allocateJobMemory(2, { eagerLimit: limit, heapBytes: 8 * 1024 * 1024 });
    const tuning = { spinMicros: 0, blockMicros: 0, oversubscribed: false };
    const { buffer, offset } = ringLocation(memory, 0, 1);
    const words = new Int32Array(buffer);
    const tail = new Ring(words, new Uint8Array(buffer), offset, memory.ringCapacity, false);
    const nextKind = (): number => {
      const at = tail.base + (words[offset / 4 + 16]! & (memory.ringCapacity - 1));
      return Atomics.load(words, at >> 2);
    };
    return { memory, sender: new ShmEngine(0, memory, tuning), receiver: new ShmEngine(1, memory, tuning), nextKind };
  }

  for (const [bytes, sync, kind, name] of [
    [eagerLimit - 1, false, Kind.EAGER, 'just below the eager limit: eager'],
    [eagerLimit, false, Kind.EAGER, 'at the eager limit: eager'],
    [eagerLimit, true, Kind.EAGER_SYNC, 'at the eager limit, synchronous: eager, answered'],
    [eagerLimit + 1, false, Kind.PIPE, 'just past the eager limit: pipelined rendezvous'],
    [3 * 1024 * 1024 + 5, false, Kind.PIPE, '3 MiB: pipelined rendezvous through a 1 MiB ring'],
  ] as const) {
    it(`${bytes} bytes ${name}`, () => {
      const { sender, receiver, nextKind } = job();
      const data = pattern(bytes, 3);
      const send = sender.isend(16, 1, 5, data, sync, 1);
      assert.equal(nextKind(), kind);
      assert.equal(send.test(), kind === Kind.EAGER, 'only an eager standard send is complete at once');
      const into = new Uint8Array(bytes);
      const receive = receiver.irecv(16, 0, 5, into, Int32Array.of(0, 1), 0);
      for (let i = 0; i < 1000 && !(receive.test() && send.test()); i++) sender.poll();
      assert.ok(receive.test() && send.test(), 'both sides completed');
      assert.deepEqual(receive.envelope, { source: 0, tag: 5, byteLength: bytes });
      assert.ok(Buffer.from(into).equals(Buffer.from(data)));
      assert.equal(sender.arena.allocate(8 * 1024 * 1024), 0, 'the staging memory went back to the heap');
    });
  }

  it('a synchronous send from the sender\'s heap arena goes in place from 16 KiB, below the eager limit too', () => {
    // It waits for its receiver anyway: one copy out of the arena instead of two through the ring.
    const { memory, sender, receiver, nextKind } = job(64 * 1024);
    for (const [bytes, sync, kind] of [
      [SYNC_RENDEZVOUS_BYTES, true, Kind.RTS],
      [64 * 1024, true, Kind.RTS],
      [SYNC_RENDEZVOUS_BYTES - 1, true, Kind.EAGER_SYNC],
      [SYNC_RENDEZVOUS_BYTES, false, Kind.EAGER],
    ] as const) {
      const offset = sender.arena.allocate(bytes);
      const data = new Uint8Array(memory.heaps[0]!, offset, bytes);
      data.set(pattern(bytes, 11));
      const send = sender.isend(16, 1, 8, data, sync, 1);
      assert.equal(nextKind(), kind, `${bytes} bytes, ${sync ? 'synchronous' : 'standard'}`);
      assert.equal(send.test(), !sync, 'a synchronous send waits for its receiver');
      const into = new Uint8Array(bytes);
      const receive = receiver.irecv(16, 0, 8, into, Int32Array.of(0, 1), 0);
      for (let i = 0; i < 1000 && !(receive.test() && send.test()); i++) sender.poll();
      assert.ok(receive.test() && send.test(), 'both sides completed');
      assert.ok(Buffer.from(into).equals(Buffer.from(pattern(bytes, 11))));
      sender.arena.release(offset);
    }
  });

  it('a buffer in the sender\'s heap arena goes by rendezvous from where it is, and a receive that is too small takes it', () => {
    const { memory, sender, receiver, nextKind } = job();
    const bytes = 100_000;
    const offset = sender.arena.allocate(bytes);
    const data = new Uint8Array(memory.heaps[0]!, offset, bytes);
    data.set(pattern(bytes, 9));
    const send = sender.isend(16, 1, 6, data, false, 1);
    assert.equal(nextKind(), Kind.RTS);
    const small = new Uint8Array(bytes - 1);
    const truncated = receiver.irecv(16, 0, 6, small, Int32Array.of(0, 1), 0);
    assert.ok(truncated.test());
    assert.match(String(truncated.error), /of 100000 bytes .* does not fit the 99999-byte receive buffer; it was received/);
    assert.ok(Buffer.from(small).equals(Buffer.from(pattern(bytes, 9).subarray(0, bytes - 1))), 'its first bytes stored');
    assert.ok(send.test(), 'the sender completes');
    assert.equal(receiver.iprobe(16, 0, 6), undefined, 'the message is gone');
    const again = sender.isend(16, 1, 7, data, false, 2);
    const into = new Uint8Array(bytes);
    const receive = receiver.irecv(16, 0, 7, into, Int32Array.of(0, 1), 0);
    assert.ok(receive.test());
    assert.ok(again.test());
    assert.ok(Buffer.from(into).equals(Buffer.from(pattern(bytes, 9))));
  });
});

describe('engine matching', () => {
  it('a receive takes a message already read before one still in the ring, and one in the ring straight from there', () => {
    const memory = allocateJobMemory(2, { eagerLimit: 4096, heapBytes: 1024 * 1024 });
    const tuning = { spinMicros: 0, blockMicros: 0, oversubscribed: false };
    const sender = new ShmEngine(0, memory, tuning);
    const receiver = new ShmEngine(1, memory, tuning);
    const rankOf = Int32Array.of(0, 1);
    // Every message the receiver keeps for later, as it keeps it.
    const kept: number[] = [];
    const unexpected = receiver['unexpected'];
    const push = unexpected.push.bind(unexpected);
    unexpected.push = (...messages: typeof unexpected) => {
      for (const message of messages) kept.push(message.payload?.[0] ?? -1);
      return push(...messages);
    };
    sender.isend(16, 1, 5, pattern(8, 1), false, 1);
    sender.isend(16, 1, 5, pattern(8, 2), false, 1);
    // No receive for tag 5 yet: a receive for tag 7 reads both and keeps them.
    const other = receiver.irecv(16, 0, 7, new Uint8Array(8), rankOf, 0);
    assert.equal(other.test(), false);
    assert.deepEqual(kept, [pattern(8, 1)[0], pattern(8, 2)[0]]);
    sender.isend(16, 1, 5, pattern(8, 3), false, 1);
    // Non-overtaking: the kept messages first, in order, although the third is in the ring already.
    for (const seed of [1, 2, 3]) {
      const into = new Uint8Array(8);
      const receive = receiver.irecv(16, 0, 5, into, rankOf, 0);
      assert.equal(receive.test(), true, `message ${seed} received at once`);
      assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, seed))), `message ${seed} in its order`);
    }
    // The third went from the ring into its receive, not through the kept messages.
    assert.equal(kept.length, 2);
    assert.equal(unexpected.length, 0);
  });
});

describe('engine waiting', () => {
  /** Two engines of one job in this thread; the receiver spins `spinMicros` before it parks. */
  function pair(spinMicros: number): { sender: ShmEngine; receiver: ShmEngine } {
    const memory = allocateJobMemory(2, { eagerLimit: 4096, heapBytes: 1024 * 1024 });
    const tuning = { spinMicros, blockMicros: 0, oversubscribed: false };
    return { sender: new ShmEngine(0, memory, tuning), receiver: new ShmEngine(1, memory, tuning) };
  }

  it('lets other Promise jobs run while a rank spins: a chain of 200 awaits sends what the rank waits for', async () => {
    // The spin may last 10 s: the chain must reach its send while the spin still runs, which it only can if the
    // spin's slices give way to it.
    const { sender, receiver } = pair(10_000_000);
    const into = new Uint8Array(8);
    const receive = receiver.irecv(16, 0, 3, into, Int32Array.of(0, 1), 0);
    const waited = receive.wait();
    let spinningAtSend = false;
    const chain = (async (): Promise<number> => {
      let steps = 0;
      for (; steps < 200; steps++) await null;
      spinningAtSend = receiver['spinning'];
      sender.isend(16, 1, 3, pattern(8, 4), false, 1);
      return steps;
    })();
    await waited;
    assert.equal(await chain, 200);
    assert.ok(spinningAtSend, 'the receiver was still spinning when the chain sent');
    assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, 4))));
    assert.deepEqual(receive.envelope, { source: 0, tag: 3, byteLength: 8 });
  });

  it('a wait for a reply polls for it before it returns a Promise; a receive no send of this rank asked for does not', async () => {
    for (const oversubscribed of [false, true]) {
      const memory = allocateJobMemory(2, { eagerLimit: 4096, heapBytes: 1024 * 1024 });
      const tuning = { spinMicros: 2_000, blockMicros: 0, oversubscribed };
      const sender = new ShmEngine(0, memory, tuning);
      const receiver = new ShmEngine(1, memory, tuning);
      // The sender's message lands while the receiver polls (at its 10th look): as from a peer on another core.
      let looks = 0;
      let replyAt = -1;
      const pollSource = receiver['pollSource'].bind(receiver);
      receiver['pollSource'] = (source: number): void => {
        if (++looks === replyAt) sender.isend(16, 1, 3, pattern(8, looks), false, 1);
        pollSource(source);
      };
      /** Whether the receive had ended when its wait returned the Promise, and how often it had looked then. */
      const exchange = async (replyDue: boolean): Promise<[boolean, number]> => {
        if (replyDue) receiver.isend(16, 0, 3, pattern(8, 1), false, 0);
        const into = new Uint8Array(8);
        replyAt = -1;
        const receive = receiver.irecv(16, 0, 3, into, Int32Array.of(0, 1), 0);
        // The receive read rank 0's ring once as it was posted; the wait's own looks count from here.
        looks = 0;
        replyAt = 10;
        const waited = receive.wait();
        const looksAtReturn = looks;
        const doneAtReturn = receive.test();
        if (!doneAtReturn) sender.isend(16, 1, 3, pattern(8, 10), false, 1);
        await waited;
        assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, 10))));
        while (sender.irecv(16, 1, 3, new Uint8Array(8), Int32Array.of(0, 1), 1).test());
        return [doneAtReturn, looksAtReturn];
      };
      // Nothing sent to rank 0 yet: no reply is due, the receive returns its Promise at once.
      assert.deepEqual(await exchange(false), [false, 0]);
      // A receive after this rank's send to the same rank (a ping-pong) polls, and ends before it returns; but a
      // rank's first 128 replies look twice only (at its ring, then a full poll), so that most go on as Promise waits
      // and that path is compiled in a loop's first calls. Ranks that outnumber cores never poll before the Promise:
      // the peer may need this core to reply.
      assert.deepEqual(await exchange(true), oversubscribed ? [false, 0] : [false, 1]);
      receiver['repliesAwaited'] = 128;
      assert.deepEqual(await exchange(true), oversubscribed ? [false, 0] : [true, 10]);
      // The reply has been read: the next receive is not one (as in Promise.all of a receive and the send that
      // the peer waits for), and polling there would hold that send back.
      assert.deepEqual(await exchange(false), [false, 0]);
    }
  });

  it('keeps its hidden class through a spin: the fields that hold times start as doubles', async () => {
    // A field that starts as a small integer and later takes a fraction gives the engine a new hidden class, and V8
    // deoptimizes every function compiled against the old one (in a user's first loop, issue 12).
    setFlagsFromString('--allow-natives-syntax');
    const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
    const { sender, receiver } = pair(2_000);
    const { receiver: untouched } = pair(2_000);
    assert.ok(sameShape(receiver, untouched));
    const receive = receiver.irecv(16, 0, 3, new Uint8Array(8), Int32Array.of(0, 1), 0);
    const waited = receive.wait();
    // A timer, not a Promise job: the receiver's spin runs its timed slices first, measuring and storing fractions.
    setTimeout(() => sender.isend(16, 1, 3, pattern(8, 5), false, 1), 1);
    await waited;
    assert.ok(sameShape(receiver, untouched), 'the spin changed the engine\'s hidden class');
  });

  /** The shared areas of a 2-rank job's engines (oversubscribed by default: spinless waits), attached to one slot; no sleeping. */
  function attachedAreas(oversubscribed = true, ranks = 2): { engines: ShmEngine[]; group: Int32Array; areas: ShmSharedArea[]; slot: number } {
    const memory = allocateJobMemory(ranks, { eagerLimit: 4096, heapBytes: 1024 * 1024 });
    const tuning = { spinMicros: 0, blockMicros: 0, oversubscribed };
    const group = Int32Array.from({ length: ranks }, (_, rank) => rank);
    const engines = Array.from(group, (rank) => new ShmEngine(rank, memory, tuning));
    const areas = engines.map((engine, rank) => new ShmSharedArea(engine, group, rank));
    const slot = areas[0]!.claim();
    for (const area of areas) area.attach(slot);
    return { engines, group, areas, slot };
  }

  it('a parked wait finds a contribution that came without a wake within milliseconds, not at its 200 ms timeout', async () => {
    // On x86 a member publishes its contribution with a plain store (shared_area.ts), and one that looked at the
    // sleep bits just before this rank set its own wakes nobody, while this rank's last look missed the store: the
    // sleep must look again soon. Here rank 1's block is written by a plain store and no wake, while rank 0 sleeps.
    const { areas } = attachedAreas(false);
    const number = areas[0]!.nextReduction();
    areas[1]!.nextReduction();
    const theirs = areas[0]!.contributed(1, number, true);
    const index = areas[1]!['word'](1, contributionWords(number, areas[1]!.blocks)) + Contribution.NUMBER;
    const control = areas[1]!['engine'].control;
    let storedAt = 0;
    const stored = setTimeout(() => {
      storedAt = performance.now();
      control[index] = number;
    }, 30);
    await theirs.wait();
    const late = performance.now() - storedAt;
    clearTimeout(stored);
    assert.ok(storedAt > 0, 'the wait ended before the word was stored');
    // The sleeps last 1, 2, 4, ... 200 ms: the one under way at 30 ms ends by 63 ms.
    assert.ok(late < 120, `the wait ended ${late.toFixed(1)} ms after the store`);
  });

  it('ends a wait left queued on a shared area before the area gives its slot back to be claimed again', async () => {
    // A parked collective starts a wait and then tests it: when the peer's write lands in between, the wait stays
    // queued with nobody awaiting it, and an oversubscribed (spinless) wait is resolved only at the next idle check.
    // Freed and claimed again before that, the slot's words are cleared and the wait never ends: the rank could never
    // finish (the ports chapter's merged allreduce, issue 12).
    const { engines, group, areas, slot } = attachedAreas();
    const number = areas[0]!.nextReduction();
    areas[1]!.nextReduction();
    areas[0]!.contribute(number, 7, Uint8Array.of(1));
    const theirs = areas[0]!.contributed(1, number);
    const pending = theirs.wait();
    areas[1]!.contribute(number, 7, Uint8Array.of(2));
    assert.ok(theirs.test(), 'the peer\'s contribution is there');
    assert.equal(engines[0]!['waiters'].length, 1, 'the wait is still queued');
    for (const area of areas) area.release();
    assert.equal(engines[0]!['waiters'].length, 0, 'releasing the area ended the queued wait');
    // The next communicator takes the same slot and clears its words; the old wait had ended before.
    const next = new ShmSharedArea(engines[0]!, group, 0);
    assert.equal(next.claim(), slot);
    assert.equal(theirs.test(), false, 'the old wait\'s word is cleared');
    await pending;
  });

  it('resolves a barrier\'s wait left queued before the next barrier waits on the same counter', async () => {
    // One object waits on the counter for every barrier of the area. A wait left queued by `wait(); test()` would read
    // as pending again under the next barrier's value: the deadlock report named that barrier twice.
    const { engines, areas } = attachedAreas();
    const first = areas[0]!.arrive();
    const pending = first.wait();
    areas[1]!.arrive();
    assert.ok(first.test(), 'both ranks arrived');
    assert.equal(engines[0]!['waiters'].length, 1, 'the wait is still queued');
    const second = areas[0]!.arrive();
    assert.equal(second, first, 'the same object waits for the next barrier');
    assert.equal(second.test(), false, 'the next barrier waits for rank 1');
    assert.equal(engines[0]!['waiters'].length, 0, 'the first barrier\'s wait ended before the second began');
    await pending;
    const next = second.wait();
    assert.equal(engines[0]!['waiters'].length, 1, 'the second barrier waits once');
    areas[1]!.arrive();
    engines[0]!.settleReady();
    await next;
  });

  it('wakes a gather\'s sleeping root with each contribution, though no contribution completes a set', () => {
    // The root of an object gather writes no block of its own, so no member's write completes the set that wakes an
    // exchange's waiters: asleep, the root slept out its 20 ms unless the contribution woke it.
    const { engines, areas } = attachedAreas();
    const signal = rankBase(0) + Slot.SIGNAL;
    const control = engines[0]!.control;
    const number = areas[1]!.nextReduction();
    Atomics.store(control, signal, SLEEP_BIT);
    areas[1]!.contribute(number, 7, Uint8Array.of(3), 0);
    assert.equal(Atomics.load(control, signal), SLEEP_BIT | (1 << 1), 'rank 1 rang the sleeping root\'s doorbell');
    Atomics.store(control, signal, SLEEP_BIT);
    areas[1]!.contribute(areas[1]!.nextReduction(), 7, Uint8Array.of(4));
    assert.equal(Atomics.load(control, signal), SLEEP_BIT, 'an exchange\'s contribution that completes nothing wakes nobody');
  });

  it('counts a broadcast\'s root as a reader of its own block, and wakes a root that waits for the reads', async () => {
    // The root marks its broadcast read as it writes it (it reads nothing of it), and says that it waits for the
    // others' marks only when a wait may sleep: polls store nothing to the line the readers look at.
    const { engines, areas } = attachedAreas();
    const signal = rankBase(0) + Slot.SIGNAL;
    const control = engines[0]!.control;
    const first = areas[0]!.nextReduction();
    areas[1]!.nextReduction();
    areas[0]!.contribute(first, 7, Uint8Array.of(5), 'all');
    assert.ok(areas[1]!.readBy(0, first).test(), 'the root\'s own mark came with its block');
    const polled = areas[0]!.readBy(1, first);
    assert.equal(polled.test(), false, 'rank 1 has not read the block yet');
    Atomics.store(control, signal, SLEEP_BIT);
    areas[1]!.markRead(first);
    assert.equal(Atomics.load(control, signal), SLEEP_BIT, 'a root that only polled is not woken');
    assert.ok(polled.test(), 'the poll sees the read');

    const second = areas[0]!.nextReduction();
    areas[1]!.nextReduction();
    areas[0]!.contribute(second, 7, Uint8Array.of(6), 'all');
    const waited = areas[0]!.readBy(1, second);
    const pending = waited.wait();
    areas[1]!.markRead(second);
    assert.equal(Atomics.load(control, signal), SLEEP_BIT | (1 << 1), 'the read that completes the set rang the waiting root');
    engines[0]!.settleReady();
    await pending;
    assert.ok(waited.test());
    // One class for waits on reads and on contributions: the code that handles waits, optimized for the one, is not
    // deoptimized by the first of the other.
    assert.equal(Object.getPrototypeOf(waited), Object.getPrototypeOf(areas[0]!.contributed(1, second)));
  });

  it('wakes a root that waits for the reads of its broadcast only at the read that completes them', async () => {
    // Every reader looks at the members' awaiting words after its read, and at the others' read marks only when one
    // waits: the first of two readers finds rank 2's mark missing and wakes nobody, the second wakes the root.
    const { engines, areas } = attachedAreas(true, 3);
    const signal = rankBase(0) + Slot.SIGNAL;
    const control = engines[0]!.control;
    const number = areas[0]!.nextReduction();
    for (const area of areas.slice(1)) area.nextReduction();
    areas[0]!.contribute(number, 7, Uint8Array.of(9), 'all');
    for (const rank of [1, 2]) assert.deepEqual([...areas[rank]!.contributionData(0, number, 1)], [9]);
    const waited = areas[0]!.readBy(1, number);
    const pending = waited.wait();
    Atomics.store(control, signal, SLEEP_BIT);
    areas[2]!.markRead(number);
    assert.equal(Atomics.load(control, signal), SLEEP_BIT, 'rank 1 has not read yet: rank 2 wakes nobody');
    assert.equal(waited.test(), false);
    areas[1]!.markRead(number);
    assert.equal(Atomics.load(control, signal), SLEEP_BIT | (1 << 1), 'rank 1\'s read completes the set and rings the root');
    engines[0]!.settleReady();
    await pending;
    assert.ok(areas[0]!.readBy(2, number).test(), 'rank 2\'s read is there too');
  });

  /** Two engines of a job with 2 live ranks on `cores` cores; a wait that spun may sleep `blockMicros`. */
  function rankPairOn(cores: number, blockMicros: number): { sender: ShmEngine; receiver: ShmEngine } {
    const memory = allocateJobMemory(2, { eagerLimit: 4096, heapBytes: 1024 * 1024 });
    const tuning = { spinMicros: 0, blockMicros, oversubscribed: cores < 2, cores };
    const sender = new ShmEngine(0, memory, tuning);
    const receiver = new ShmEngine(1, memory, tuning);
    Atomics.store(sender.control, Global.LIVE_RANKS, 2);
    return { sender, receiver };
  }

  it('yields its core when ranks outnumber cores, until the rank it waits for sends: nobody sleeps or wakes', async () => {
    // The system's sched_yield() is replaced by a stand-in that plays the other rank: on the fifth yield it gets the
    // core and sends. A sleeping receiver would have set its sleep bit first, and cost the sender a futex wake.
    // The yielding lasts 0.2 ms of wall time: one preemption of a loaded machine would end it before the fifth yield,
    // so this test gives it a second.
    const { sender, receiver } = rankPairOn(1, 20_000);
    receiver['yieldMillis'] = 1000;
    const signal = rankBase(1) + Slot.SIGNAL;
    let yields = 0;
    let sleepBitAtSend = -1;
    receiver['yieldCore'] = (): number => {
      if (++yields === 5) {
        sleepBitAtSend = Atomics.load(receiver.control, signal) & SLEEP_BIT;
        sender.isend(16, 1, 3, pattern(8, 6), false, 1);
      }
      return 0;
    };
    const into = new Uint8Array(8);
    const receive = receiver.irecv(16, 0, 3, into, Int32Array.of(0, 1), 0);
    const waited = receive.wait();
    assert.equal(receiver['blockUntilSettled'](), true, 'the wait ended');
    assert.equal(yields, 5, 'it yielded until the message came, not once more');
    assert.equal(sleepBitAtSend, 0, 'it did not announce a sleep');
    await waited;
    assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, 6))));
  });

  it('yields between the polls of its spin when ranks outnumber cores, before any idle check', async () => {
    const { sender, receiver } = rankPairOn(1, 20_000);
    let yields = 0;
    receiver['yieldCore'] = (): number => {
      if (++yields === 2) sender.isend(16, 1, 5, pattern(8, 7), false, 1);
      return 0;
    };
    let idleChecked = false;
    receiver['blockUntilSettled'] = (): boolean => {
      idleChecked = true;
      return false;
    };
    const into = new Uint8Array(8);
    await receiver.irecv(16, 0, 5, into, Int32Array.of(0, 1), 0).wait();
    assert.equal(yields, 2, 'the spin yielded after each poll until the message came');
    assert.equal(idleChecked, false, 'the spin ended the wait');
    assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, 7))));
  });

  it('sleeps once its yields have not ended the wait, and never yields with a core per rank', async () => {
    for (const cores of [1, 2]) {
      const { sender, receiver } = rankPairOn(cores, 2_000);
      let yields = 0;
      receiver['yieldCore'] = (): number => {
        yields++;
        return 0;
      };
      const into = new Uint8Array(8);
      const receive = receiver.irecv(16, 0, 4, into, Int32Array.of(0, 1), 0);
      const waited = receive.wait();
      // Nothing comes: the wait yields for 0.2 ms (oversubscribed), then sleeps its 2 ms, and is still pending.
      assert.equal(receiver['blockUntilSettled'](), false, `${cores} cores: nothing ended the wait`);
      if (cores === 1) assert.ok(yields > 0, 'it yielded before it slept');
      else assert.equal(yields, 0, 'with a core per rank it slept without yielding');
      sender.isend(16, 1, 4, pattern(8, cores), false, 1);
      await waited;
      assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, cores))));
    }
  });

  it('reaches the system\'s sched_yield() through node:wasi, without printing WASI\'s ExperimentalWarning, unless MPI4TS_YIELD=0', () => {
    const module = new URL('../dist/transport/shm/sched_yield.js', import.meta.url).href;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { schedYield } from '${module}'; const y = schedYield(); console.log(typeof y, y?.(), y?.(), schedYield() === y);`],
    { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'function 0 0 true\n', 'a function that returns WASI\'s errno 0, made once');
    assert.equal(child.stderr, '', 'nothing on stderr');
    const off = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { schedYield } from '${module}'; console.log(typeof schedYield());`],
    { encoding: 'utf8', env: { ...process.env, MPI4TS_YIELD: '0' } });
    assert.equal(off.stdout, 'undefined\n', 'MPI4TS_YIELD=0 turns yielding off');
  });

  it('gives the core away between a fast path\'s looks when ranks outnumber cores, until the peer arrives', () => {
    const { areas } = attachedAreas();
    assert.equal(typeof areas[0]!.yieldCore, 'function', 'the area of an oversubscribed job yields');
    assert.equal(spinBudget(areas[0], undefined), collectiveTuning.syncYieldMicros);
    // The stand-in for sched_yield() plays the peer, which arrives once it gets the core: at the third yield.
    let yields = 0;
    const arrival = areas[0]!.arrive();
    assert.equal(spinUntil(arrival, 10_000_000, () => {
      if (++yields === 3) areas[1]!.arrive();
    }), true);
    assert.equal(yields, 3, 'it looked after every yield and stopped at the arrival');
    // Nobody comes: the budget runs out.
    yields = 0;
    assert.equal(spinUntil(areas[0]!.arrive(), 200, () => yields++), false);
    assert.ok(yields > 0);
    const { areas: spinning } = attachedAreas(false);
    assert.equal(spinning[0]!.yieldCore, undefined, 'with a core per rank the area has nothing to yield');
    assert.equal(spinBudget(spinning[0], undefined), collectiveTuning.syncSpinMicros, 'and a fast path polls');
  });

  it('polls briefly in each fast path\'s first calls and long after them, counting every call', () => {
    const { areas } = attachedAreas(false);
    const parked = parkedExchange();
    const budgets = Array.from({ length: collectiveTuning.firstCalls + 3 }, () => spinBudget(areas[0], parked));
    assert.ok(collectiveTuning.firstCallsSpinMicros < collectiveTuning.syncSpinMicros);
    assert.deepEqual(budgets.slice(0, collectiveTuning.firstCalls),
      Array(collectiveTuning.firstCalls).fill(collectiveTuning.firstCallsSpinMicros));
    assert.deepEqual(budgets.slice(collectiveTuning.firstCalls), Array(3).fill(collectiveTuning.syncSpinMicros));
    assert.equal(parked.calls, collectiveTuning.firstCalls + 3);
    // Another fast path's record starts its own count; with ranks above cores the yield budget holds from the start.
    assert.equal(spinBudget(areas[0], parkedExchange()), collectiveTuning.firstCallsSpinMicros);
    const { areas: yielding } = attachedAreas();
    assert.equal(spinBudget(yielding[0], parkedExchange()), collectiveTuning.syncYieldMicros);
  });

  it('spins 5 ms in at most 80 slices (each slice is a Promise job, which allocates)', async () => {
    // The wait outlasts the spin: a timer sends (the spin holds the event loop, so the timer fires after it). Slices
    // of a fixed 64 polls took thousands of Promise jobs for such a spin (30-50 KB of garbage per ms); slices that
    // double up to 100 us take about 55, however loaded the machine.
    const { sender, receiver } = pair(5000);
    const queueSpin = receiver['queueSpin'].bind(receiver);
    let slices = 0;
    receiver['queueSpin'] = (): void => {
      slices++;
      queueSpin();
    };
    for (let round = 0; round < 3; round++) {
      slices = 0;
      const into = new Uint8Array(8);
      const receive = receiver.irecv(16, 0, 4, into, Int32Array.of(0, 1), 0);
      const started = performance.now();
      setTimeout(() => sender.isend(16, 1, 4, pattern(8, round), false, 1), 10);
      await receive.wait();
      assert.ok(performance.now() - started >= 5, 'the wait outlasted the spin');
      assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, round))));
      // No lower bound: a rank descheduled for the whole spin (CI's loaded machines) spins it in one slice.
      assert.ok(slices >= 1 && slices <= 80, `a 5 ms spin took ${slices} slices`);
    }
  });
});

describe('collective announcements', () => {
  /** Rank 0's and rank 1's engines of one two-rank job in this thread, and the control block's words. */
  function job(): { announcer: ShmEngine; reader: ShmEngine; control: Int32Array } {
    const memory = allocateJobMemory(2, { eagerLimit: 4096, heapBytes: 1024 * 1024 });
    const tuning = { spinMicros: 0, blockMicros: 0, oversubscribed: false };
    return { announcer: new ShmEngine(0, memory, tuning), reader: new ShmEngine(1, memory, tuning),
      control: new Int32Array(memory.control) };
  }

  it('give the tag for the announced call number and context only', () => {
    const { announcer, reader } = job();
    assert.equal(reader.announcement(0, 16, 5), undefined, 'nothing announced yet');
    announcer.announce(16, 0x1234, 5);
    announcer.publishAnnouncement();
    assert.equal(reader.announcement(0, 16, 5), 0x1234);
    assert.equal(reader.announcement(0, 32, 5), undefined, 'another context');
    // The same call number modulo 128 is another call: the announcer is 128 calls behind.
    assert.equal(reader.announcement(0, 16, 5 + 128), undefined);
    announcer.announce(16, 0x4321, 6);
    announcer.publishAnnouncement();
    assert.equal(reader.announcement(0, 16, 5), undefined, 'no longer the call it announced last');
    assert.equal(reader.announcement(0, 16, 6), 0x4321);
  });

  it('reach the other ranks once the announcer waits, the last one only, and not before', async () => {
    const { announcer, reader } = job();
    announcer.announce(16, 0x1234, 5);
    announcer.announce(16, 0x4321, 6);
    assert.equal(reader.announcement(0, 16, 6), undefined, 'a rank that has not waited since has not published it');
    const into = new Uint8Array(8);
    const waited = announcer.irecv(16, 1, 3, into, Int32Array.of(0, 1), 0).wait();
    assert.equal(reader.announcement(0, 16, 6), 0x4321, 'published as the wait began');
    assert.equal(reader.announcement(0, 16, 5), undefined, 'the earlier call is not the last one');
    reader.isend(16, 0, 3, pattern(8, 9), false, 1);
    await waited;
    assert.ok(Buffer.from(into).equals(Buffer.from(pattern(8, 9))));
  });

  it('give nothing while the announcer rewrites them', () => {
    const { announcer, reader, control } = job();
    announcer.announce(16, 0x1234, 5);
    announcer.publishAnnouncement();
    const version = rankBase(0) + Slot.ANNOUNCED_VERSION;
    const even = Atomics.load(control, version);
    assert.equal(even & 1, 0);
    Atomics.store(control, version, even + 1);
    assert.equal(reader.announcement(0, 16, 5), undefined);
    Atomics.store(control, version, even + 2);
    assert.equal(reader.announcement(0, 16, 5), 0x1234);
  });
});
