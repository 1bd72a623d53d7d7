/**
 * The collectives of a communicator of one rank (a 1-rank job, `COMM_SELF`,
 * a split into singletons): each is a copy of this rank's data, or nothing,
 * done as it is called.
 *
 * MPI-4.1 §6 (with one member, a collective's result is that member's
 * contribution, whatever the op). Over
 * messages each call went through a run of its algorithm (a sequencer
 * entry, a generator, the call's signature): in 1-rank loops of one double,
 * 1.2-2.8 us a call where mpi4py takes 0.4-1.0. A call made while an
 * earlier nonblocking one is still in flight takes that way too, so that the
 * calls complete in the order they were made.
 *
 * Unfinished: the v-forms, the neighbourhood collectives, the nonblocking
 * and persistent calls and the calls on values take the general paths.
 *
 * @module
 */

import type { Datatype, TypedArray } from '../datatype/index.js';
import type { Op } from '../op/op.js';
import { PointToPointCollectives } from './point_to_point.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Copies the first `bytes` bytes of `send` over those of `recv`; nothing
 * when either is missing (in place). Views of one class copy as they are:
 * `.buffer` of a small typed array made in the loop moves its elements off
 * the V8 heap, a microsecond.
 */
function copied(send: TypedArray | undefined, recv: TypedArray | undefined, bytes: number): Promise<void> {
  if (send === undefined || recv === undefined || bytes === 0) return RESOLVED;
  if (send.constructor === recv.constructor) {
    (recv as Uint8Array).set((send as Uint8Array).subarray(0, bytes / send.BYTES_PER_ELEMENT));
  } else {
    new Uint8Array(recv.buffer, recv.byteOffset, bytes).set(new Uint8Array(send.buffer, send.byteOffset, bytes));
  }
  return RESOLVED;
}

/**
 * {@link PointToPointCollectives} of a communicator of one rank: the calls
 * that the API's fast paths make are copies while no earlier call is in flight.
 *
 * @example
 * ```ts
 * await MPI.COMM_SELF.Allreduce(a, b, MPI.SUM); // b.set(a), as it is called
 * ```
 */
export class SelfCollectives extends PointToPointCollectives {
  /** No earlier call of this communicator is in flight. */
  private get idle(): boolean {
    return this.settled() === undefined;
  }

  override barrier(): Promise<void> {
    return this.idle ? RESOLVED : super.barrier();
  }

  override bcast(buf: Uint8Array, root: number): Promise<void> {
    return this.idle ? RESOLVED : super.bcast(buf, root);
  }

  override bcastOf(array: TypedArray, root: number): Promise<void> {
    return this.idle ? RESOLVED : super.bcastOf(array, root);
  }

  override reduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    root: number): Promise<void> {
    return this.idle ? copied(send, recv, count * datatype.size) : super.reduce(send, recv, count, datatype, op, root);
  }

  override allreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op): Promise<void> {
    return this.idle ? copied(send, recv, count * datatype.size) : super.allreduce(send, recv, count, datatype, op);
  }

  override reduceScatter(send: TypedArray | undefined, recv: TypedArray, counts: readonly number[], datatype: Datatype,
    op: Op): Promise<void> {
    return this.idle ? copied(send, recv, counts[0]! * datatype.size) : super.reduceScatter(send, recv, counts, datatype, op);
  }

  /** An exclusive scan leaves rank 0's receive buffer as it was (MPI-4.1 §6.11.2). */
  override scan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void> {
    if (!this.idle) return super.scan(send, recv, count, datatype, op, exclusive);
    return exclusive ? RESOLVED : copied(send, recv, count * datatype.size);
  }

  override fitsSmallGather(kind: 'all' | 'gather' | 'scatter', block: number): boolean {
    return this.idle || super.fitsSmallGather(kind, block);
  }

  override smallAllgather(send: TypedArray | undefined, recv: TypedArray, block: number): Promise<void> {
    return this.idle ? copied(send, recv, block) : super.smallAllgather(send, recv, block);
  }

  override smallGather(send: TypedArray | undefined, recv: TypedArray | undefined, block: number, root: number): Promise<void> {
    return this.idle ? copied(send, recv, block) : super.smallGather(send, recv, block, root);
  }

  override smallScatter(send: TypedArray | undefined, recv: TypedArray | undefined, block: number, root: number): Promise<void> {
    return this.idle ? copied(send, recv, block) : super.smallScatter(send, recv, block, root);
  }

  override fitsSharedAlltoall(block: number): boolean {
    return this.idle || super.fitsSharedAlltoall(block);
  }

  override sharedAlltoall(send: Uint8Array | undefined, sendDispls: readonly number[] | undefined, recv: Uint8Array,
    recvDispls: readonly number[] | undefined, block: number): Promise<void> {
    if (!this.idle) return super.sharedAlltoall(send, sendDispls, recv, recvDispls, block);
    return copied(send?.subarray(sendDispls?.[0] ?? 0), recv.subarray(recvDispls?.[0] ?? 0), block);
  }

  override sharedAlltoallOf(send: TypedArray | undefined, recv: TypedArray, block: number): Promise<void> {
    return this.idle ? copied(send, recv, block) : super.sharedAlltoallOf(send, recv, block);
  }
}
