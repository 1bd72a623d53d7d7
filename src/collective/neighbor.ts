/**
 * The exchange under every neighbourhood collective and `Alltoallw`: one
 * block to each destination, one block from each source, over point-to-point
 * on a context that only the library's protocols use.
 *
 * MPI-4.1 §8.6 (neighbourhood collectives: `MPI_Neighbor_allgather(v)`,
 * `MPI_Neighbor_alltoall(v,w)`), §8.7 (their nonblocking forms), §6.8
 * (`MPI_Alltoallw`, which is the exchange with every rank as a neighbour).
 *
 * Matching: each call takes a fresh tag window (`base`), the same on every
 * rank because all ranks of a communicator make their collectives in the same
 * order. Within the window a block carries the tag its plan gives it: for
 * graphs and distributed graphs every block has offset 0, and blocks between
 * one pair of ranks match in the order of the lists (MPI's rule for repeated
 * edges, kept by the non-overtaking order of point-to-point); for Cartesian
 * grids the block sent in direction `k` arrives on the opposite side, so the
 * receiver of slot `k` expects offset `k ^ 1` (two neighbours on one rank, as
 * in a periodic dimension of size 2, are told apart by that).
 *
 * `MPI.PROC_NULL` neighbours keep their slot and move nothing. A block may be
 * longer than the longest byte view (segmented bytes): it is one message.
 *
 * Unfinished: nothing beyond point-to-point (no shared-memory path).
 *
 * @module
 */

import { type Bytes, singleView } from '../buffer.js';
import { PROC_NULL } from '../constants.js';
import { type Operation, type PointToPoint, completeAll } from '../transport/transport.js';

/** Who a rank exchanges with in one neighbourhood collective, and the tag offset of each block. */
export interface NeighborPlan {
  /** Ranks this rank receives from, in slot order; `MPI.PROC_NULL` keeps a slot without data. */
  readonly sources: readonly number[];
  /** Ranks this rank sends to, in slot order. */
  readonly destinations: readonly number[];
  /** Tag offset (inside the call's window) of the block received in slot `k`. */
  readonly recvTag: (k: number) => number;
  /** Tag offset of the block sent in slot `k`. */
  readonly sendTag: (k: number) => number;
  /** Tags a call uses: offsets run from 0 to `width - 1`. */
  readonly width: number;
}

/** Calls before tag windows repeat; far more than can be in flight between two ranks. */
const WINDOWS = 1024;

/** The plan of a graph or distributed graph: every block at offset 0, matched in list order. */
export function listPlan(sources: readonly number[], destinations: readonly number[]): NeighborPlan {
  return { sources, destinations, recvTag: () => 0, sendTag: () => 0, width: 1 };
}

/** Numbers the neighbourhood calls of one communicator: the same sequence on every rank. */
export class NeighborSequence {
  private next = 0;

  /** The tag base of the next call under `plan`. */
  take(plan: NeighborPlan): number {
    return (this.next++ % WINDOWS) * plan.width;
  }
}

/**
 * Sends `outgoing[k]` to destination `k` and receives source `k`'s block into
 * `incoming[k]` (as bytes of its own when `incoming[k]` is undefined). Every
 * operation is posted before this returns, so a nonblocking call started
 * later cannot overtake it. Resolves with what arrived per source slot
 * (undefined for `PROC_NULL` and for slots received into `incoming`).
 */
export async function exchange(channel: PointToPoint, plan: NeighborPlan, base: number,
  outgoing: readonly Bytes[], incoming: readonly (Bytes | undefined)[], call: string): Promise<(Uint8Array | undefined)[]> {
  const receives: (Operation | undefined)[] = plan.sources.map((source, k) =>
    (source === PROC_NULL ? undefined : channel.irecv(incoming[k], source, base + plan.recvTag(k))));
  const sends = plan.destinations.map((dest, k) =>
    (dest === PROC_NULL ? undefined : channel.isend(outgoing[k]!, dest, base + plan.sendTag(k), false)));
  await completeAll([...receives, ...sends]);
  return receives.map((op, k) => (op?.data === undefined || incoming[k] !== undefined ? undefined : singleView(op.data, call)));
}
