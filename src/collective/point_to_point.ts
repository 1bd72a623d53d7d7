/**
 * Collectives built from point-to-point messages on a communicator's
 * collective context: what the shm transport uses.
 *
 * MPI-4.1 §6.3 to §6.11. Every call takes the next sequence number of its
 * communicator as its tag, so that concurrent nonblocking collectives never
 * take each other's messages.
 *
 * Unfinished: these are the simple linear algorithms; the tree, recursive
 * doubling and ring algorithms picked by size come with the collectives work.
 *
 * @module
 */

import type { Datatype, TypedArray } from '../datatype.js';
import type { Op } from '../op.js';
import type { Collectives, Endpoint, Operation } from '../transport/transport.js';

const SEQUENCE_SPAN = 1 << 30;

function bytesOf(view: TypedArray): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

async function all(ops: Operation[]): Promise<void> {
  for (const op of ops) {
    await op.wait();
    if (op.error !== undefined) throw op.error;
  }
}

/** {@link Collectives} over the point-to-point of a collective-context endpoint. */
export class PointToPointCollectives implements Collectives {
  private sequence = 0;

  constructor(readonly channel: Endpoint) {}

  private nextTag(): number {
    const tag = this.sequence;
    this.sequence = (this.sequence + 1) % SEQUENCE_SPAN;
    return tag;
  }

  async barrier(): Promise<void> {
    const empty = new Uint8Array(0);
    await this.gatherBlocks(empty, undefined, undefined, undefined, 0, this.nextTag());
    await this.bcastBytes(empty, 0, this.nextTag());
  }

  bcast(buf: Uint8Array, root: number): Promise<void> {
    return this.bcastBytes(buf, root, this.nextTag());
  }

  private async bcastBytes(buf: Uint8Array, root: number, tag: number): Promise<void> {
    const { rank, size } = this.channel;
    if (rank === root) {
      const ops: Operation[] = [];
      for (let r = 0; r < size; r++) if (r !== root) ops.push(this.channel.isend(buf, r, tag, false));
      await all(ops);
    } else {
      await all([this.channel.irecv(buf, root, tag)]);
    }
  }

  gatherv(send: Uint8Array | undefined, recv: Uint8Array | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, root: number): Promise<void> {
    return this.gatherBlocks(send, recv, counts, displs, root, this.nextTag());
  }

  private async gatherBlocks(send: Uint8Array | undefined, recv: Uint8Array | undefined,
    counts: readonly number[] | undefined, displs: readonly number[] | undefined, root: number, tag: number): Promise<void> {
    const { rank, size } = this.channel;
    if (rank !== root) {
      await all([this.channel.isend(send ?? new Uint8Array(0), root, tag, false)]);
      return;
    }
    const ops: Operation[] = [];
    for (let r = 0; r < size; r++) {
      const block = recv === undefined ? new Uint8Array(0) : recv.subarray(displs![r], displs![r]! + counts![r]!);
      if (r === rank) {
        if (send !== undefined) block.set(send.subarray(0, block.byteLength));
      } else {
        ops.push(this.channel.irecv(block, r, tag));
      }
    }
    await all(ops);
  }

  async scatterv(send: Uint8Array | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, recv: Uint8Array | undefined, root: number): Promise<void> {
    const { rank, size } = this.channel;
    const tag = this.nextTag();
    if (rank !== root) {
      await all([this.channel.irecv(recv!, root, tag)]);
      return;
    }
    const ops: Operation[] = [];
    for (let r = 0; r < size; r++) {
      const block = send!.subarray(displs![r], displs![r]! + counts![r]!);
      if (r === rank) {
        if (recv !== undefined) recv.set(block);
      } else {
        ops.push(this.channel.isend(block, r, tag, false));
      }
    }
    await all(ops);
  }

  async allgatherv(send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
    displs: readonly number[]): Promise<void> {
    await this.gatherBlocks(send, this.channel.rank === 0 ? recv : undefined, counts, displs, 0, this.nextTag());
    if (send !== undefined && this.channel.rank !== 0) {
      recv.set(send.subarray(0, counts[this.channel.rank]), displs[this.channel.rank]);
    }
    await this.bcastBytes(recv, 0, this.nextTag());
  }

  async alltoallv(send: Uint8Array | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void> {
    const { rank, size } = this.channel;
    const tag = this.nextTag();
    const source = send ?? recv.slice();
    const ops: Operation[] = [];
    for (let r = 0; r < size; r++) {
      const into = recv.subarray(recvDispls[r], recvDispls[r]! + recvCounts[r]!);
      const out = source.subarray(sendDispls[r], sendDispls[r]! + sendCounts[r]!);
      if (r === rank) into.set(out);
      else {
        ops.push(this.channel.irecv(into, r, tag));
        ops.push(this.channel.isend(out, r, tag, false));
      }
    }
    await all(ops);
  }

  async reduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    root: number): Promise<void> {
    const { rank, size } = this.channel;
    const tag = this.nextTag();
    const mine = send ?? recv!;
    if (rank !== root) {
      await all([this.channel.isend(bytesOf(mine), root, tag, false)]);
      return;
    }
    const blocks: TypedArray[] = [];
    const ops: Operation[] = [];
    for (let r = 0; r < size; r++) {
      if (r === rank) {
        blocks.push(mine.slice(0, count));
        continue;
      }
      const block = mine.slice(0, count);
      blocks.push(block);
      ops.push(this.channel.irecv(bytesOf(block), r, tag));
    }
    await all(ops);
    const result = blocks[size - 1]!;
    for (let r = size - 2; r >= 0; r--) op.applyBuffer(blocks[r]!, result, count, datatype);
    recv!.set(result as never);
  }

  async allreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op): Promise<void> {
    await this.reduce(send, recv, count, datatype, op, 0);
    await this.bcastBytes(bytesOf(recv).subarray(0, count * datatype.size), 0, this.nextTag());
  }

  async reduceScatter(send: TypedArray | undefined, recv: TypedArray, counts: readonly number[], datatype: Datatype,
    op: Op): Promise<void> {
    const total = counts.reduce((a, b) => a + b, 0);
    const source = send ?? recv;
    const result = source.slice(0, total);
    await this.allreduce(source.subarray(0, total), result, total, datatype, op);
    let offset = 0;
    for (let r = 0; r < this.channel.rank; r++) offset += counts[r]!;
    recv.set(result.subarray(offset, offset + counts[this.channel.rank]!) as never);
  }

  async scan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void> {
    const { rank, size } = this.channel;
    const tag = this.nextTag();
    const mine = (send ?? recv).slice(0, count);
    // The running prefix travels up the ranks: rank r receives the prefix of 0..r-1.
    let prefix: TypedArray | undefined;
    if (rank > 0) {
      prefix = mine.slice();
      await all([this.channel.irecv(bytesOf(prefix), rank - 1, tag)]);
    }
    const inclusive = mine.slice();
    if (prefix !== undefined) {
      const combined = prefix.slice();
      op.applyBuffer(prefix, inclusive, count, datatype);
      if (exclusive) recv.set(combined as never);
    }
    if (!exclusive) recv.set(inclusive as never);
    if (rank < size - 1) await all([this.channel.isend(bytesOf(inclusive), rank + 1, tag, false)]);
  }
}
