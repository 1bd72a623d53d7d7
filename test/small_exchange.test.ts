// The plans of the short collectives on the shm shared area (src/collective/small_exchange.ts, small_scan.ts): what each rank
// takes out of the contributions of one exchange, read in place, and the mismatch errors for contributions that
// do not fit. The whole calls run in the conformance chapter (test/collectives.test.ts) at 2 ranks, where every
// short collective goes through the area.
//
// Run: `npm run build && node --import tsx --test test/small_exchange.test.ts`
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Call } from '../dist/collective/call.js';
import type { Algorithm } from '../dist/collective/run.js';
import { BlockCopy, SmallReduction } from '../dist/collective/small_exchange.js';
import { ScanChain } from '../dist/collective/small_scan.js';
import { datatypes } from '../dist/datatype/datatype.js';
import { ops } from '../dist/op/op.js';
import { Reduction } from '../dist/op/reduction.js';
import { ShmEngine } from '../dist/transport/shm/engine.js';
import { allocateJobMemory } from '../dist/transport/shm/layout.js';
import { ShmSharedArea } from '../dist/transport/shm/shared_area.js';

const TAG = 7;

/** The areas of a communicator of `ranks` ranks, attached to one slot, and the number of their first exchange. */
function exchange(ranks: number): { areas: ShmSharedArea[]; number: number } {
  const memory = allocateJobMemory(ranks, { eagerLimit: 4096, heapBytes: 64 * 1024 });
  const tuning = { spinMicros: 0, blockMicros: 0, oversubscribed: false };
  const group = Int32Array.from({ length: ranks }, (_, rank) => rank);
  const areas = Array.from(group, (rank) => new ShmSharedArea(new ShmEngine(rank, memory, tuning), group, rank));
  const slot = areas[0]!.claim();
  for (const area of areas) area.attach(slot);
  const number = areas.map((area) => area.nextReduction())[0]!;
  return { areas, number };
}

/** The parts of a Call that taking a result uses: its size and tag, and its errors. */
function callOf(rank: number, size: number): Call {
  return {
    rank, size, tag: TAG,
    mismatch: (peer: number, tag: number) => new Error(`mismatch with rank ${peer}, tag ${tag}`),
    malformed: (peer: number, detail: string) => new Error(`rank ${peer}: ${detail}`),
  } as unknown as Call;
}

function bytesOf(values: Float64Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

const unused = (): Algorithm<void> => {
  throw new Error('the calls here have an area');
};

describe('short collectives on the shared area', () => {
  it('fold the contributions each rank\'s result needs, in rank order: Scan, Exscan, Reduce_scatter', () => {
    const { areas, number } = exchange(3);
    // Rank r contributes [r + 1, 10 (r + 1)].
    for (const [rank, area] of areas.entries()) area.contribute(number, TAG, bytesOf(Float64Array.of(rank + 1, 10 * (rank + 1))));
    const sum = new Reduction(ops.SUM, datatypes.DOUBLE);
    for (const rank of [0, 1, 2]) {
      const scanned = new Float64Array(2);
      const scan = new SmallReduction(areas[rank]!, sum, 0, rank + 1, 0, 16, unused);
      assert.equal(scan.takeShared(callOf(rank, 3), number, bytesOf(scanned)), undefined);
      const prefix = ((rank + 1) * (rank + 2)) / 2;
      assert.deepEqual([...scanned], [prefix, 10 * prefix], `Scan at rank ${rank}`);
      const exscanned = Float64Array.of(-1, -1);
      new SmallReduction(areas[rank]!, sum, 0, rank, 0, 16, unused).takeShared(callOf(rank, 3), number, bytesOf(exscanned));
      assert.deepEqual([...exscanned], rank === 0 ? [-1, -1] : [prefix - rank - 1, 10 * (prefix - rank - 1)],
        `Exscan at rank ${rank} (rank 0 keeps its buffer)`);
    }
    // Reduce_scatter with blocks of one element: rank 1 takes the sums of the second elements.
    const block = new Float64Array(1);
    new SmallReduction(areas[1]!, sum, 0, 3, 8, 8, unused).takeShared(callOf(1, 3), number, bytesOf(block));
    assert.deepEqual([...block], [60]);
  });

  it('read in a Scan the contributions of the ranks up to their own alone', () => {
    const { areas, number } = exchange(3);
    // Only rank 0 has contributed: its Scan is whole; rank 1's reads a block that holds no contribution of this call.
    areas[0]!.contribute(number, TAG, bytesOf(Float64Array.of(5)));
    const sum = new Reduction(ops.SUM, datatypes.DOUBLE);
    const first = new Float64Array(1);
    const scan = new SmallReduction(areas[0]!, sum, 0, 1, 0, 8, unused);
    assert.equal(scan.to, 1, 'the exchange waits for rank 0 alone');
    assert.equal(scan.takeShared(callOf(0, 3), number, bytesOf(first)), undefined);
    assert.equal(first[0], 5);
    assert.match(String(new SmallReduction(areas[1]!, sum, 0, 2, 0, 8, unused).takeShared(callOf(1, 3), number, bytesOf(first))),
      /mismatch with rank 1, tag 0/);
  });

  it('pass a Scan and an Exscan down the chain: each rank folds its data into its predecessor\'s prefix alone', () => {
    // x op y = 2x - y, not commutative: rank r's prefix is p_r = 2 p_(r-1) - d_r, with p_0 = d_0.
    const ordered = new Reduction(ops.SUM, datatypes.INT);
    ordered.apply = (input: Uint8Array, inout: Uint8Array): void => {
      const x = new Int32Array(input.buffer, input.byteOffset, 1);
      const y = new Int32Array(inout.buffer, inout.byteOffset, 1);
      y[0] = 2 * x[0]! - y[0]!;
    };
    for (const exclusive of [false, true]) {
      const { areas, number } = exchange(3);
      const chains = areas.map((area) => new ScanChain(area, ordered, 4, exclusive, unused));
      const results = [Int32Array.of(-1), Int32Array.of(-1), Int32Array.of(-1)];
      for (const rank of [0, 1, 2]) {
        const data = Int32Array.of(rank + 3);
        // In place for the Exscan: the data starts in the result's buffer, which then takes the prefix before.
        if (exclusive) results[rank]!.set(data);
        const send = exclusive ? undefined : bytesOf(data);
        assert.equal(chains[rank]!.fold(callOf(rank, 3), number, send, bytesOf(results[rank]!)), undefined);
        assert.equal(areas[rank]!.holds(rank, number), true, `rank ${rank} published its prefix`);
      }
      // d = 3, 4, 5: p_0 = 3, p_1 = 2 * 3 - 4 = 2, p_2 = 2 * 2 - 5 = -1.
      assert.deepEqual(results.map((r) => r[0]), exclusive ? [3, 3, 2] : [3, 2, -1],
        exclusive ? 'Exscan: rank 0 keeps its buffer, the others get the prefix before theirs' : 'Scan');
    }
  });

  it('name in a chain Scan a predecessor\'s block of another call', () => {
    const { areas, number } = exchange(2);
    areas[0]!.contribute(number, TAG + 1, bytesOf(Float64Array.of(5)));
    const chain = new ScanChain(areas[1]!, new Reduction(ops.SUM, datatypes.DOUBLE), 8, false, unused);
    const result = Float64Array.of(-1);
    assert.match(String(chain.fold(callOf(1, 2), number, bytesOf(Float64Array.of(1)), bytesOf(result))),
      /mismatch with rank 0, tag 8/);
    assert.equal(result[0], -1, 'nothing taken');
  });

  it('fold a non-commutative op from the right, so that every rank combines in rank order', () => {
    const { areas, number } = exchange(3);
    for (const [rank, area] of areas.entries()) area.contribute(number, TAG, bytesOf(Int32Array.of(rank + 2)));
    // x op y = 2x - y: folding from the right gives 2*2 - (2*3 - 4) = 2; any other order another value.
    const ordered = new Reduction(ops.SUM, datatypes.INT);
    ordered.apply = (input: Uint8Array, inout: Uint8Array): void => {
      const x = new Int32Array(input.buffer, input.byteOffset, 1);
      const y = new Int32Array(inout.buffer, inout.byteOffset, 1);
      y[0] = 2 * x[0]! - y[0]!;
    };
    const result = new Int32Array(1);
    new SmallReduction(areas[2]!, ordered, 0, 3, 0, 4, unused).takeShared(callOf(2, 3), number, bytesOf(result));
    assert.equal(result[0], 2);
  });

  it('copy blocks: an Allgather\'s and a Gather root\'s in rank order, a Scatter\'s own block of the root\'s', () => {
    const { areas, number } = exchange(3);
    for (const [rank, area] of areas.entries()) {
      // Rank 1 is the scatter's root here: it contributes three blocks, the others one.
      area.contribute(number, TAG, bytesOf(rank === 1 ? Int32Array.of(10, 11, 12) : Int32Array.of(rank)));
    }
    const gathered = new Int32Array(3);
    const copy = new BlockCopy(areas[0]!, 0, 3, 0, 4, 4, 0, 4, 'the root', unused);
    const error = copy.takeShared(callOf(0, 3), number, bytesOf(gathered));
    assert.match(String(error), /rank 1: it gave 12 bytes where the root expects 4/, 'rank 1\'s block is longer');
    assert.deepEqual([...gathered], [0, 0, 0], 'nothing is taken from contributions that do not fit');
    for (const rank of [0, 2]) {
      const mine = new Int32Array(1);
      assert.equal(new BlockCopy(areas[rank]!, 1, 2, rank * 4, 4, 12, 0, 0, 'this rank', unused)
        .takeShared(callOf(rank, 3), number, bytesOf(mine)), undefined);
      assert.equal(mine[0], 10 + rank, `rank ${rank}'s block of the scatter`);
    }
    // The same from the blocks as the generator path hands them over.
    const both = new Int32Array(2);
    new BlockCopy(areas[1]!, 0, 2, 0, 4, 4, 0, 4, 'this rank', unused).take(callOf(1, 3),
      [bytesOf(Int32Array.of(5)), bytesOf(Int32Array.of(6))], bytesOf(both));
    assert.deepEqual([...both], [5, 6]);
  });

  it('send their own block of the result when in place, and nothing where they send nothing', () => {
    const { areas } = exchange(2);
    const recv = Int32Array.of(1, 2, 3);
    const allgather = new BlockCopy(areas[1]!, 0, 2, 0, 4, 4, 4, 4, 'this rank', unused);
    assert.deepEqual([...allgather.contribution(undefined, bytesOf(recv))], [...bytesOf(Int32Array.of(2))]);
    const send = bytesOf(Int32Array.of(9));
    assert.equal(allgather.contribution(send, bytesOf(recv)), send);
    const scatterMember = new BlockCopy(areas[1]!, 0, 1, 4, 4, 8, 0, 0, 'this rank', unused);
    assert.equal(scatterMember.contribution(undefined, bytesOf(recv)).byteLength, 0);
  });

  it('fold at a Reduce root its own data, not on the area, with the others\' blocks in rank order, in place too', () => {
    const { areas, number } = exchange(3);
    // Rank 1 is the root: ranks 0 and 2 contribute; x op y = 2x - y folded from the right gives 2*2 - (2*3 - 4) = 2.
    for (const rank of [0, 2]) areas[rank]!.contribute(number, TAG, bytesOf(Int32Array.of(rank + 2)), 1);
    const ordered = new Reduction(ops.SUM, datatypes.INT);
    ordered.apply = (input: Uint8Array, inout: Uint8Array): void => {
      const x = new Int32Array(input.buffer, input.byteOffset, 1);
      const y = new Int32Array(inout.buffer, inout.byteOffset, 1);
      y[0] = 2 * x[0]! - y[0]!;
    };
    const plan = new SmallReduction(areas[1]!, ordered, 0, 3, 0, 4, unused);
    const result = new Int32Array(1);
    assert.equal(plan.takeAtRoot(callOf(1, 3), number, bytesOf(Int32Array.of(3)), bytesOf(result)), undefined);
    assert.equal(result[0], 2);
    // In place, the root's data is its receive buffer, which the fold from the right writes first.
    const inPlace = Int32Array.of(3);
    assert.equal(plan.takeAtRoot(callOf(1, 3), number, bytesOf(inPlace), bytesOf(inPlace)), undefined);
    assert.equal(inPlace[0], 2);
    // A block of another call: nothing is folded.
    areas[2]!.contribute(number + 2, TAG + 1, bytesOf(Int32Array.of(9)), 1);
    areas[0]!.contribute(number + 2, TAG, bytesOf(Int32Array.of(9)), 1);
    const untouched = Int32Array.of(-1);
    assert.match(String(plan.takeAtRoot(callOf(1, 3), number + 2, bytesOf(Int32Array.of(3)), bytesOf(untouched))),
      /mismatch with rank 2, tag 8/);
    assert.equal(untouched[0], -1);
  });

  it('copy at a Gather root its own block and the others\' in rank order, and name a block of another length', () => {
    const { areas, number } = exchange(3);
    areas[0]!.contribute(number, TAG, bytesOf(Int32Array.of(10)), 1);
    areas[2]!.contribute(number, TAG, bytesOf(Int32Array.of(12)), 1);
    const plan = new BlockCopy(areas[1]!, 0, 3, 0, 4, 4, 4, 4, 'the root', unused);
    const gathered = new Int32Array(3);
    assert.equal(plan.takeAtRoot(callOf(1, 3), number, bytesOf(Int32Array.of(11)), bytesOf(gathered)), undefined);
    assert.deepEqual([...gathered], [10, 11, 12]);
    const inPlace = Int32Array.of(-1, 11, -1);
    assert.equal(plan.takeAtRoot(callOf(1, 3), number, plan.contribution(undefined, bytesOf(inPlace)), bytesOf(inPlace)), undefined);
    assert.deepEqual([...inPlace], [10, 11, 12]);
    areas[0]!.contribute(number + 2, TAG, bytesOf(Int32Array.of(10)), 1);
    areas[2]!.contribute(number + 2, TAG, bytesOf(Int32Array.of(12, 13)), 1);
    const untouched = new Int32Array(3);
    assert.match(String(plan.takeAtRoot(callOf(1, 3), number + 2, bytesOf(Int32Array.of(11)), bytesOf(untouched))),
      /rank 2: it gave 8 bytes where the root expects 4/);
    assert.deepEqual([...untouched], [0, 0, 0]);
  });

  it('take a Scatter member\'s part of the root\'s block, and name a root block of another length', () => {
    const { areas } = exchange(3);
    const all = bytesOf(Int32Array.of(10, 11, 12));
    for (const rank of [0, 2]) {
      const plan = new BlockCopy(areas[rank]!, 1, 2, rank * 4, 4, 12, 0, 0, 'this rank', unused);
      const mine = new Int32Array(1);
      assert.equal(plan.takeRootBlock(callOf(rank, 3), all, bytesOf(mine)), undefined);
      assert.equal(mine[0], 10 + rank);
      assert.match(String(plan.takeRootBlock(callOf(rank, 3), all.subarray(0, 8), bytesOf(mine))),
        /rank 1: it gave 8 bytes where this rank expects 12/);
      assert.match(String(plan.takeRootBlock(callOf(rank, 3), undefined, bytesOf(mine))), /rank 1: a block larger than the shared area/);
    }
  });

  it('name the tag of a contribution of another call', () => {
    const { areas, number } = exchange(2);
    areas[0]!.contribute(number, TAG, bytesOf(Float64Array.of(1)));
    areas[1]!.contribute(number, TAG + 1, bytesOf(Float64Array.of(2)));
    const plan = new SmallReduction(areas[0]!, new Reduction(ops.SUM, datatypes.DOUBLE), 0, 2, 0, 8, unused);
    const result = Float64Array.of(-1);
    assert.match(String(plan.takeShared(callOf(0, 2), number, bytesOf(result))), /mismatch with rank 1, tag 8/);
    assert.equal(result[0], -1, 'nothing is folded');
  });
});
