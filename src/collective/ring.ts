/**
 * The ring reduce-scatter that the long-vector reductions share
 * (Patarasuk and Yuan's bandwidth-optimal allreduce, half of it).
 *
 * MPI-4.1 §6.10 (reduce-scatter), used by `Allreduce` (§6.9.6), `Reduce`
 * (§6.9.1) and `Reduce_scatter` for commutative ops. The vector is cut into
 * p blocks; in step s rank v passes block v - s - 1 to the right and reduces
 * block v - s - 2 coming from the left, so after p - 1 steps it holds block v
 * reduced over every rank. Each rank sends and receives (p - 1)/p of the
 * vector, whatever p is.
 *
 * Large blocks travel in segments of `tuning.segmentBytes`: a segment lands
 * in its final place (or, in place, in scratch) and is reduced while it is
 * still in cache, so a reduction reads the incoming data once from memory.
 *
 * @module
 */

import type { Call } from './call.js';
import type { Reduction } from '../op/reduction.js';
import type { Algorithm } from './run.js';
import { absolute, relative } from './tree.js';
import { tuning } from './tuning.js';

/**
 * Ring reduce-scatter over ranks relative to `root`; block `k` (bytes
 * `offsets[k]` to `offsets[k + 1]`) ends reduced in `work` on relative rank
 * `k`. `own` is this rank's contribution; with `inPlace` it is `work` itself.
 */
export function* ringReduceScatter(call: Call, reduction: Reduction, own: Uint8Array, work: Uint8Array,
  offsets: readonly number[], root: number, inPlace: boolean): Algorithm<void> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  const right = absolute((v + 1) % size, root, size);
  const left = absolute((v - 1 + size) % size, root, size);
  const unit = reduction.unit;
  const segment = Math.max(unit, Math.floor(tuning.segmentBytes / unit) * unit);
  for (let s = 0; s < size - 1; s++) {
    const out = (v - s - 1 + 2 * size) % size;
    const into = (v - s - 2 + 2 * size) % size;
    const source = s === 0 ? own : work;
    const sends = [];
    for (let a = offsets[out]!; a < offsets[out + 1]!; a += segment) {
      sends.push(call.send(source.subarray(a, Math.min(a + segment, offsets[out + 1]!)), right));
    }
    for (let a = offsets[into]!; a < offsets[into + 1]!; a += segment) {
      const b = Math.min(a + segment, offsets[into + 1]!);
      if (inPlace) {
        const incoming = call.scratch(1, b - a);
        yield call.recv(incoming, left);
        reduction.apply(incoming, work.subarray(a, b));
      } else {
        const target = work.subarray(a, b);
        yield call.recv(target, left);
        reduction.apply(own.subarray(a, b), target);
      }
    }
    if (sends.length > 0) yield sends;
  }
}
