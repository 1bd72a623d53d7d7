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
 * Buffers may be longer than the longest byte view (segmented bytes): every
 * block is one point-to-point message of any length, so nothing more is
 * needed (`api/arguments.ts` runs Alltoallv and Alltoallw past that view here).
 *
 * @module
 */

import { allocateBytes, type Bytes, copyBytes, sliceBytes } from '../buffer.js';
import type { Call } from './call.js';
import type { Algorithm } from './run.js';
import { tuning } from './tuning.js';

/**
 * Alltoallv: block `j` of `send` goes to rank `j`, block `i` of `recv` comes
 * from rank `i`. `send` undefined: in place, `recv` holds the outgoing
 * blocks with the receive counts and displacements.
 */
export function* alltoallv(call: Call, send: Bytes | undefined, sendCounts: readonly number[],
  sendDispls: readonly number[], recv: Bytes, recvCounts: readonly number[],
  recvDispls: readonly number[]): Algorithm<void> {
  const { rank, size } = call;
  let source = send;
  if (source === undefined) {
    source = recv instanceof Uint8Array ? call.scratch(0, recv.byteLength) : allocateBytes(recv.byteLength);
    copyBytes(source, 0, recv, 0, recv.byteLength);
    sendCounts = recvCounts;
    sendDispls = recvDispls;
  }
  const from = source;
  const out = (j: number): Bytes => sliceBytes(from, sendDispls[j]!, sendDispls[j]! + sendCounts[j]!);
  const into = (i: number): Bytes => sliceBytes(recv, recvDispls[i]!, recvDispls[i]! + recvCounts[i]!);
  copyBytes(recv, recvDispls[rank]!, from, sendDispls[rank]!, Math.min(sendCounts[rank]!, recvCounts[rank]!));
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
