/**
 * All-to-all of bytes, uniform or v-form: every message posted at once for
 * short exchanges, pairwise steps for long ones (MPICH's "scattered" and
 * "pairwise" algorithms).
 *
 * MPI-4.1 §6.8 (`MPI_Alltoall`, `MPI_Alltoallv`). Each ordered pair of ranks
 * exchanges exactly one message, so the two forms may be mixed: each rank
 * picks by its own byte counts. Pairwise step s sends to rank + s and
 * receives from rank - s, which keeps every rank busy with one partner at a
 * time and bounds the memory in flight.
 *
 * @module
 */

import type { Call } from './call.js';
import type { Algorithm } from './run.js';
import { tuning } from './tuning.js';

/**
 * Alltoallv: block `j` of `send` goes to rank `j`, block `i` of `recv` comes
 * from rank `i`. `send` undefined: in place, `recv` holds the outgoing
 * blocks with the receive counts and displacements.
 */
export function* alltoallv(call: Call, send: Uint8Array | undefined, sendCounts: readonly number[],
  sendDispls: readonly number[], recv: Uint8Array, recvCounts: readonly number[],
  recvDispls: readonly number[]): Algorithm<void> {
  const { rank, size } = call;
  let source = send;
  if (source === undefined) {
    source = call.scratch(0, recv.byteLength);
    source.set(recv);
    sendCounts = recvCounts;
    sendDispls = recvDispls;
  }
  const out = (j: number): Uint8Array => source.subarray(sendDispls[j], sendDispls[j]! + sendCounts[j]!);
  const into = (i: number): Uint8Array => recv.subarray(recvDispls[i], recvDispls[i]! + recvCounts[i]!);
  into(rank).set(out(rank));
  let bytes = 0;
  for (let j = 0; j < size; j++) if (j !== rank) bytes += sendCounts[j]!;
  if (bytes < tuning.alltoallPairwiseBytes) {
    const ops = [];
    for (let s = 1; s < size; s++) ops.push(call.recv(into((rank - s + size) % size), (rank - s + size) % size));
    for (let s = 1; s < size; s++) ops.push(call.send(out((rank + s) % size), (rank + s) % size));
    yield ops;
    return;
  }
  for (let s = 1; s < size; s++) {
    const dest = (rank + s) % size;
    const from = (rank - s + size) % size;
    yield [call.send(out(dest), dest), call.recv(into(from), from)];
  }
}
