/**
 * Allreduce: recursive doubling for short vectors and for non-commutative
 * ops, ring reduce-scatter + ring allgather for long vectors of commutative
 * ops (Rabenseifner's insight; the ring form of Patarasuk and Yuan, as in
 * Open MPI and NCCL).
 *
 * MPI-4.1 §6.9.6. Recursive doubling takes ⌈log2 p⌉ exchanges of the whole
 * vector; ranks beyond the largest power of two first fold into a neighbour
 * and get the result back at the end (MPICH's scheme), so any p works. It
 * combines in rank order (the lower ranks' part on the left), so
 * non-commutative ops are right. The ring moves 2 (p - 1)/p of the vector per
 * rank, the least possible, reducing each segment straight out of the
 * receive buffer, with no copy of the input. On a shared area, a short
 * vector skips messages (`small_exchange.ts`).
 *
 * @module
 */

import { ring as ringAllgather } from './allgather.js';
import type { Call } from './call.js';
import type { Reduction } from '../op/reduction.js';
import { ringReduceScatter } from './ring.js';
import type { Algorithm } from './run.js';
import { evenBlocks, floorPowerOfTwo } from './tree.js';
import { manyStepBytes, tuning } from './tuning.js';

/** Allreduce of the elements in `recv` (from `send`, or in place when it is undefined). */
export function allreduce(call: Call, reduction: Reduction, send: Uint8Array | undefined,
  recv: Uint8Array): Algorithm<void> {
  const count = recv.byteLength / reduction.unit;
  if (reduction.op.commute && recv.byteLength >= manyStepBytes(tuning.allreduceRingBytes, call.size) && count >= call.size && call.size > 1) {
    return ring(call, reduction, send, recv);
  }
  return recursiveDoubling(call, reduction, send, recv);
}

function* recursiveDoubling(call: Call, reduction: Reduction, send: Uint8Array | undefined,
  recv: Uint8Array): Algorithm<void> {
  if (send !== undefined) recv.set(send);
  yield* recursiveDoublingInPlace(call, reduction, recv);
}

/**
 * Recursive doubling on `acc`, which holds this rank's contribution and ends
 * holding the result. Uses scratch slot 1.
 */
export function* recursiveDoublingInPlace(call: Call, reduction: Reduction, acc: Uint8Array): Algorithm<void> {
  const { rank, size } = call;
  const pof2 = floorPowerOfTwo(size);
  const rem = size - pof2;
  const other = call.scratch(1, acc.byteLength);
  // Lower ranks on the left; a predefined op may take the partner's part in either order.
  const symmetric = reduction.op.predefined !== undefined;
  let newRank = rank - rem;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      yield call.send(acc, rank + 1);
      newRank = -1;
    } else {
      yield call.recv(other, rank - 1);
      reduction.apply(other, acc);
      newRank = rank >> 1;
    }
  }
  if (newRank >= 0) {
    for (let mask = 1; mask < pof2; mask <<= 1) {
      const partnerNew = newRank ^ mask;
      const partner = partnerNew < rem ? partnerNew * 2 + 1 : partnerNew + rem;
      yield [call.send(acc, partner), call.recv(other, partner)];
      if (partner < rank || symmetric) {
        reduction.apply(other, acc);
      } else {
        reduction.apply(acc, other);
        acc.set(other);
      }
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) yield call.send(acc, rank - 1);
    else yield call.recv(acc, rank + 1);
  }
}

/** Ring reduce-scatter, then a ring allgather of the reduced blocks, in place in `recv`. */
function* ring(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array): Algorithm<void> {
  const offsets = evenBlocks(recv.byteLength / reduction.unit, call.size, reduction.unit);
  yield* ringReduceScatter(call, reduction, send ?? recv, recv, offsets, 0, send === undefined);
  const displs = offsets.slice(0, call.size);
  yield* ringAllgather(call, undefined, recv, displs.map((d, k) => offsets[k + 1]! - d), displs);
}
