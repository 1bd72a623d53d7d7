/**
 * Reduce_scatter and Reduce_scatter_block: the ring reduce-scatter for long
 * vectors of commutative ops, else recursive doubling over the whole vector
 * and each rank keeps its block.
 *
 * MPI-4.1 §6.10. The ring is bandwidth-optimal and needs no gather; blocks
 * may be uneven or empty. Recursive doubling takes ⌈log2 p⌉ steps and keeps
 * rank order, so it serves short vectors and non-commutative ops.
 *
 * @module
 */

import { recursiveDoublingInPlace } from './allreduce.js';
import type { Call } from './call.js';
import type { Reduction } from '../op/reduction.js';
import { ringReduceScatter } from './ring.js';
import type { Algorithm } from './run.js';
import { packedBlocks } from './tree.js';
import { manyStepBytes, tuning } from './tuning.js';

/**
 * Reduces `sum(counts)` elements and leaves block `rank` at the start of
 * `recv`; `send` undefined: the whole vector is in `recv`.
 */
export function* reduceScatter(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array,
  counts: readonly number[]): Algorithm<void> {
  const { rank, size } = call;
  const offsets = packedBlocks(counts, reduction.unit);
  const total = offsets[size]!;
  const mine = recv.subarray(0, offsets[rank + 1]! - offsets[rank]!);
  const input = send ?? recv.subarray(0, total);
  if (reduction.op.commute && total >= manyStepBytes(tuning.reduceScatterRingBytes, size) && size > 1) {
    const work = send === undefined ? input : call.scratch(0, total);
    yield* ringReduceScatter(call, reduction, input, work, offsets, 0, send === undefined);
    if (send === undefined) recv.copyWithin(0, offsets[rank]!, offsets[rank + 1]!);
    else mine.set(work.subarray(offsets[rank], offsets[rank + 1]));
    return;
  }
  const acc = call.scratch(0, total);
  acc.set(input);
  yield* recursiveDoublingInPlace(call, reduction, acc);
  mine.set(acc.subarray(offsets[rank], offsets[rank + 1]));
}
