/**
 * Reduce to a root: a binomial tree for short vectors and non-commutative
 * ops, ring reduce-scatter + binomial gather for long vectors of commutative
 * ops (Rabenseifner's reduce, with a ring for any p).
 *
 * MPI-4.1 §6.9.1. The binomial tree takes ⌈log2 p⌉ steps; for a
 * non-commutative op it is rooted at rank 0 so that every node combines
 * contiguous ranges of ranks in order, and rank 0 passes the result to the
 * root (MPICH does the same). The long form moves (p - 1)/p of the vector per
 * rank in the ring, then gathers the reduced blocks up a binomial tree
 * straight into place, so the root receives the vector once.
 *
 * @module
 */

import type { Call } from './call.js';
import type { Reduction } from '../op/reduction.js';
import { ringReduceScatter } from './ring.js';
import type { Algorithm } from './run.js';
import { absolute, childrenOf, evenBlocks, parentOf, relative, subtreeEnd } from './tree.js';
import { manyStepBytes, tuning } from './tuning.js';

/** Reduce of `bytes` bytes to `root`: `send` undefined at the root means the data is in `recv`. */
export function reduce(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  bytes: number, root: number): Algorithm<void> {
  const count = bytes / reduction.unit;
  if (reduction.op.commute && bytes >= manyStepBytes(tuning.reduceRingBytes, call.size) && count >= call.size && call.size > 1) {
    return ring(call, reduction, send, recv, bytes, root);
  }
  return binomial(call, reduction, send, recv, bytes, root);
}

function* binomial(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  bytes: number, root: number): Algorithm<void> {
  const { rank, size } = call;
  const ordered = !reduction.op.commute;
  const top = ordered ? 0 : root;
  const v = relative(rank, top, size);
  const own = send ?? recv!.subarray(0, bytes);
  const children: number[] = [];
  for (let mask = 1; mask < size && (v & mask) === 0; mask <<= 1) if (v + mask < size) children.push(v + mask);
  let acc = own;
  if (children.length > 0 || v === 0) {
    const holdsResult = v === 0 && rank === root;
    acc = holdsResult ? recv!.subarray(0, bytes) : call.scratch(0, bytes);
    if (send !== undefined || !holdsResult) acc.set(own);
    let other = call.scratch(1, bytes);
    for (const child of children) {
      yield call.recv(other, absolute(child, top, size));
      if (!ordered) {
        reduction.apply(other, acc);
      } else {
        reduction.apply(acc, other);
        if (holdsResult) {
          acc.set(other);
        } else {
          [acc, other] = [other, acc];
        }
      }
    }
  }
  if (v !== 0) yield call.send(acc, absolute(parentOf(v), top, size));
  else if (rank !== root) yield call.send(acc, root);
  if (rank === root && v !== 0) yield call.recv(recv!.subarray(0, bytes), top);
}

function* ring(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array | undefined,
  bytes: number, root: number): Algorithm<void> {
  const { rank, size } = call;
  const v = relative(rank, root, size);
  const work = rank === root ? recv!.subarray(0, bytes) : call.scratch(0, bytes);
  const offsets = evenBlocks(bytes / reduction.unit, size, reduction.unit);
  yield* ringReduceScatter(call, reduction, send ?? work, work, offsets, root, send === undefined);
  const range = (u: number): Uint8Array => work.subarray(offsets[u], offsets[subtreeEnd(u, size)]);
  const children = childrenOf(v, size);
  if (children.length > 0) yield children.map((c) => call.recv(range(c), absolute(c, root, size)));
  if (v !== 0) yield call.send(range(v), absolute(parentOf(v), root, size));
}
