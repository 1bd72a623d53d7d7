/**
 * Allgather of bytes, uniform or v-form: Bruck's algorithm for short
 * totals, a ring in place for long ones, as MPICH picks them.
 *
 * MPI-4.1 §6.7 (`MPI_Allgather`, `MPI_Allgatherv`). Every rank knows every
 * count, so all ranks pick alike. Bruck takes ⌈log2 p⌉ steps for any p
 * through a scratch buffer; the ring takes p - 1 steps and moves every block
 * straight into its place in the receive buffer, with no copy besides the
 * message itself.
 *
 * @module
 */

import { blockOf } from '../buffer.js';
import type { Call } from './call.js';
import type { Algorithm } from './run.js';
import { manyStepBytes, tuning } from './tuning.js';

/** Allgatherv: block `r` (`counts[r]` bytes at `displs[r]`) from rank `r`; `send` undefined: in place. */
export function allgatherv(call: Call, send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
  displs: readonly number[]): Algorithm<void> {
  let total = 0;
  for (const c of counts) total += c;
  return total < manyStepBytes(tuning.allgatherRingBytes, call.size) && call.size > 2
    ? bruck(call, send, recv, counts, displs) : ring(call, send, recv, counts, displs);
}

/** Ring: in step s, pass block rank - s to the right and take block rank - s - 1 from the left. */
export function* ring(call: Call, send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
  displs: readonly number[]): Algorithm<void> {
  const { rank, size } = call;
  if (send !== undefined) recv.set(send.subarray(0, counts[rank]), displs[rank]);
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  for (let s = 0; s < size - 1; s++) {
    const out = (rank - s + size) % size;
    const into = (rank - s - 1 + size) % size;
    yield [call.send(blockOf(recv, counts, displs, out), right), call.recv(blockOf(recv, counts, displs, into), left)];
  }
}

/**
 * Bruck: a scratch buffer holds the blocks of ranks rank, rank + 1, ... in
 * that order; in the step of distance d a rank sends its first min(d, p - d)
 * blocks to rank - d and appends as many from rank + d.
 */
export function* bruck(call: Call, send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
  displs: readonly number[]): Algorithm<void> {
  const { rank, size } = call;
  const offsets = new Array<number>(size + 1);
  offsets[0] = 0;
  for (let j = 0; j < size; j++) offsets[j + 1] = offsets[j]! + counts[(rank + j) % size]!;
  const scratch = call.scratch(0, offsets[size]!);
  scratch.set(send === undefined ? recv.subarray(displs[rank], displs[rank]! + counts[rank]!)
    : send.subarray(0, counts[rank]));
  for (let d = 1; d < size; d *= 2) {
    const n = Math.min(d, size - d);
    yield [
      call.send(scratch.subarray(0, offsets[n]), (rank - d + size) % size),
      call.recv(scratch.subarray(offsets[d], offsets[d + n]), (rank + d) % size),
    ];
  }
  for (let j = send === undefined ? 1 : 0; j < size; j++) {
    recv.set(scratch.subarray(offsets[j], offsets[j + 1]), displs[(rank + j) % size]);
  }
}
