/**
 * Scan and Exscan: recursive doubling (MPICH's algorithm), in rank order.
 *
 * MPI-4.1 §6.11 (`MPI_Scan`: inclusive prefix; `MPI_Exscan`: exclusive, its
 * result undefined on rank 0, which is left untouched). In step k every rank
 * exchanges the reduction of its aligned group of 2^k ranks with the partner
 * group; contributions from lower ranks go on the left, so non-commutative
 * ops are right. ⌈log2 p⌉ steps, any p.
 *
 * @module
 */

import type { Call } from './call.js';
import type { Reduction } from '../op/reduction.js';
import type { Algorithm } from './run.js';

/** Inclusive (or `exclusive`) prefix reduction of `bytes` bytes into `recv`; `send` undefined: in place. */
export function* scan(call: Call, reduction: Reduction, send: Uint8Array | undefined, recv: Uint8Array,
  exclusive: boolean): Algorithm<void> {
  const { rank, size } = call;
  const bytes = recv.byteLength;
  const partial = call.scratch(0, bytes);
  partial.set(send ?? recv);
  if (!exclusive && send !== undefined) recv.set(send);
  const other = call.scratch(1, bytes);
  const symmetric = reduction.op.predefined !== undefined;
  let haveResult = !exclusive;
  for (let mask = 1; mask < size; mask <<= 1) {
    const partner = rank ^ mask;
    if (partner >= size) continue;
    yield [call.send(partial, partner), call.recv(other, partner)];
    if (partner < rank) {
      reduction.apply(other, partial);
      if (haveResult) {
        reduction.apply(other, recv);
      } else {
        recv.set(other);
        haveResult = true;
      }
    } else if (symmetric) {
      reduction.apply(other, partial);
    } else {
      reduction.apply(partial, other);
      partial.set(other);
    }
  }
}
