/**
 * Collectives built from point-to-point messages on a communicator's
 * collective context: what the shm transport uses.
 *
 * MPI-4.1 §6.3 to §6.11. Each call picks its algorithm by size and rank count
 * (see `tuning.ts` and the algorithm modules: `barrier.ts` dissemination,
 * `broadcast.ts` binomial / scatter + ring allgather, `gather.ts` binomial
 * packages / direct, `allgather.ts` Bruck / ring, `alltoall.ts` scattered /
 * pairwise, `reduce.ts` binomial / ring + gather, `allreduce.ts` recursive
 * doubling / ring, `reduce_scatter.ts`, `scan.ts` recursive doubling). Calls
 * run one after another per communicator (`run.ts`), and every message
 * carries the call's signature, so mismatched calls fail with an error
 * naming both (`signature.ts`). Where the transport offers a shared area
 * (`shared_area.ts`), the barrier, small allreduces and (when ranks fit the
 * cores) small broadcasts run on it instead of on messages.
 *
 * Unfinished: algorithms aware of the machine's topology (all ranks of shm
 * share one node, so none is needed there).
 *
 * @module
 */

import type { Datatype, TypedArray } from '../datatype.js';
import { errors } from '../errors.js';
import type { Op } from '../op/op.js';
import type { Collectives, Endpoint } from '../transport/transport.js';
import { allgatherv } from './allgather.js';
import { allreduce, smallAllreduce } from './allreduce.js';
import { alltoallv } from './alltoall.js';
import { barrier, fastBarrier, fastFlagBarrier, firstBarrier, flagBarrier } from './barrier.js';
import { bcast, smallBcast } from './broadcast.js';
import { gatherv, scatterv } from './gather.js';
import { reduce } from './reduce.js';
import { reduceScatter } from './reduce_scatter.js';
import { bytesOf, Reduction } from '../op/reduction.js';
import type { Call } from './call.js';
import { type Algorithm, type Detour, type Sequencer, sequencerOf } from './run.js';
import { scan } from './scan.js';
import type { SharedArea } from './shared_area.js';
import { Code, opCode, signature } from './signature.js';

const BARRIER = signature(Code.Barrier, -1, [], 'Barrier()');

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * {@link Collectives} over the point-to-point of a collective-context endpoint.
 * Its checks repeat the API layer's for callers inside the library; what they
 * find throws at once, before anything is sent (the API layer turns a throw
 * into a rejection where its call returns a Promise).
 */
export class PointToPointCollectives implements Collectives {
  private readonly sequencer: Sequencer;
  private readonly flagPaths: {
    readonly fast: (call: Call) => Detour | Error | undefined;
    readonly rest: (call: Call) => Algorithm<void>;
    readonly first: (call: Call) => Algorithm<void>;
  } | undefined;

  /** @param sharedArea - words in shared memory for the barrier and small collectives, when the transport has them */
  constructor(readonly channel: Endpoint, readonly sharedArea?: SharedArea) {
    this.sequencer = sequencerOf(channel);
    if (sharedArea !== undefined) {
      this.flagPaths = {
        fast: (call) => fastFlagBarrier(call, sharedArea),
        rest: (call) => flagBarrier(call, sharedArea),
        first: (call) => firstBarrier(call, sharedArea),
      };
    }
  }

  barrier(): Promise<void> {
    const mode = this.sharedArea?.mode ?? 'messages';
    if (mode === 'messages') return this.sequencer.startFast(BARRIER, fastBarrier, barrier);
    const paths = this.flagPaths!;
    if (mode === 'shared') return this.sequencer.startFast(BARRIER, paths.fast, paths.rest);
    return this.sequencer.start(BARRIER, paths.first).result();
  }

  bcast(buf: Uint8Array, root: number): Promise<void> {
    const call = 'Comm.Bcast';
    this.checkRoot(root, call);
    const sig = signature(Code.Bcast, root, [buf.byteLength], () => `Bcast(root=${root}, ${buf.byteLength} bytes)`);
    const area = this.sharedArea;
    if (area !== undefined && !area.oversubscribed && buf.byteLength > 0 && buf.byteLength <= area.contributionBytes) {
      return this.sequencer.start(sig, (c) => smallBcast(c, area, buf, root)).result();
    }
    return this.sequencer.start(sig, (c) => bcast(c, buf, root)).result();
  }

  gatherv(send: Uint8Array | undefined, recv: Uint8Array | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, root: number): Promise<void> {
    this.checkRoot(root, 'Comm.Gatherv');
    if (this.channel.rank === root) this.checkBlocks(recv, counts, displs, 'Comm.Gatherv', 'recv');
    else if (send === undefined) throw errors.buffer('Comm.Gatherv', 'MPI.IN_PLACE is for the root only');
    const text = (): string => this.channel.rank === root ? `Gather(root=${root}, ${sum(counts!)} bytes in all)`
      : `Gather(root=${root}, ${send!.byteLength} bytes from this rank)`;
    return this.sequencer.start(signature(Code.Gather, root, [], text),
      (c) => gatherv(c, send, recv, counts, displs, root)).result();
  }

  scatterv(send: Uint8Array | undefined, counts: readonly number[] | undefined, displs: readonly number[] | undefined,
    recv: Uint8Array | undefined, root: number): Promise<void> {
    this.checkRoot(root, 'Comm.Scatterv');
    if (this.channel.rank === root) this.checkBlocks(send, counts, displs, 'Comm.Scatterv', 'send');
    else if (recv === undefined) throw errors.buffer('Comm.Scatterv', 'MPI.IN_PLACE is for the root only');
    const text = (): string => this.channel.rank === root ? `Scatter(root=${root}, ${sum(counts!)} bytes in all)`
      : `Scatter(root=${root}, ${recv!.byteLength} bytes to this rank)`;
    return this.sequencer.start(signature(Code.Scatter, root, [], text),
      (c) => scatterv(c, send, counts, displs, recv, root)).result();
  }

  allgatherv(send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
    displs: readonly number[]): Promise<void> {
    this.checkBlocks(recv, counts, displs, 'Comm.Allgatherv', 'recv');
    const sig = signature(Code.Allgather, -1, counts, () => `Allgather(${sum(counts)} bytes in all)`);
    return this.sequencer.start(sig, (c) => allgatherv(c, send, recv, counts, displs)).result();
  }

  alltoallv(send: Uint8Array | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void> {
    if (send !== undefined) this.checkBlocks(send, sendCounts, sendDispls, 'Comm.Alltoallv', 'send');
    this.checkBlocks(recv, recvCounts, recvDispls, 'Comm.Alltoallv', 'recv');
    const text = (): string => `Alltoall(${sum(send === undefined ? recvCounts : sendCounts)} bytes from this rank)`;
    return this.sequencer.start(signature(Code.Alltoall, -1, [], text),
      (c) => alltoallv(c, send, sendCounts, sendDispls, recv, recvCounts, recvDispls)).result();
  }

  reduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    root: number): Promise<void> {
    const call = 'Comm.Reduce';
    this.checkRoot(root, call);
    const bytes = this.checkReduction(send, this.channel.rank === root ? recv : undefined, count, datatype, op, call);
    if (this.channel.rank === root ? recv === undefined : send === undefined) {
      throw errors.buffer(call, this.channel.rank === root ? 'the root needs a receive buffer'
        : 'MPI.IN_PLACE is for the root only');
    }
    const sig = signature(Code.Reduce, root, [bytes, datatype.code, opCode(op)],
      () => `Reduce(root=${root}, ${count} × ${datatype.name}, ${op.name})`);
    const reduction = new Reduction(op, datatype);
    return this.sequencer.start(sig, (c) => reduce(c, reduction, part(send, bytes),
      this.channel.rank === root ? part(recv, bytes) : undefined, bytes, root)).result();
  }

  allreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op): Promise<void> {
    const bytes = this.checkReduction(send, recv, count, datatype, op, 'Comm.Allreduce');
    const sig = signature(Code.Allreduce, -1, [bytes, datatype.code, opCode(op)],
      () => `Allreduce(${count} × ${datatype.name}, ${op.name})`);
    const reduction = new Reduction(op, datatype);
    const area = this.sharedArea;
    if (area !== undefined && bytes > 0 && bytes <= area.contributionBytes) {
      return this.sequencer.start(sig, (c) => smallAllreduce(c, area, reduction, part(send, bytes), part(recv, bytes)!))
        .result();
    }
    return this.sequencer.start(sig, (c) => allreduce(c, reduction, part(send, bytes), part(recv, bytes)!)).result();
  }

  reduceScatter(send: TypedArray | undefined, recv: TypedArray, counts: readonly number[], datatype: Datatype,
    op: Op): Promise<void> {
    const call = 'Comm.Reduce_scatter';
    const total = sum(counts);
    if (counts.length !== this.channel.size) throw errors.count(call, `${counts.length} counts for ${this.channel.size} ranks`);
    this.checkReduction(send, undefined, total, datatype, op, call);
    const need = (send === undefined ? total : counts[this.channel.rank]!) * datatype.size;
    if (recv.byteLength < need) throw errors.count(call, `the receive buffer has ${recv.byteLength} bytes, ${need} needed`);
    const sig = signature(Code.Reduce_scatter, -1, [...counts, datatype.code, opCode(op)],
      () => `Reduce_scatter(${total} × ${datatype.name} in all, ${op.name})`);
    const reduction = new Reduction(op, datatype);
    return this.sequencer.start(sig, (c) => reduceScatter(c, reduction, part(send, total * datatype.size),
      bytesOf(recv), counts)).result();
  }

  scan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void> {
    const name = exclusive ? 'Exscan' : 'Scan';
    const bytes = this.checkReduction(send, recv, count, datatype, op, `Comm.${name}`);
    const sig = signature(exclusive ? Code.Exscan : Code.Scan, -1, [bytes, datatype.code, opCode(op)],
      () => `${name}(${count} × ${datatype.name}, ${op.name})`);
    const reduction = new Reduction(op, datatype);
    return this.sequencer.start(sig, (c) => scan(c, reduction, part(send, bytes), part(recv, bytes)!, exclusive))
      .result();
  }

  // ------------------------------------------------------------ checks

  private checkRoot(root: number, call: string): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.channel.size) throw errors.root(call, root, this.channel.size);
  }

  private checkBlocks(buf: Uint8Array | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, call: string, what: string): void {
    const size = this.channel.size;
    if (buf === undefined || counts === undefined || displs === undefined) {
      throw errors.buffer(call, `the ${what} buffer, counts and displacements are required here`);
    }
    if (counts.length !== size || displs.length !== size) {
      throw errors.count(call, `${counts.length} counts and ${displs.length} displacements for ${size} ranks`);
    }
    for (let r = 0; r < size; r++) {
      if (displs[r]! + counts[r]! > buf.byteLength) {
        throw errors.count(call, `block ${r} (${counts[r]} bytes at ${displs[r]}) is beyond the ${buf.byteLength}-byte ${what} buffer`);
      }
    }
  }

  /** Checks a reduction's op and buffers; returns its bytes. */
  private checkReduction(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype,
    op: Op, call: string): number {
    op.check(datatype, call);
    if (!Number.isInteger(count) || count < 0) throw errors.count(call, `invalid count ${count}`);
    const bytes = count * datatype.size;
    for (const [buf, what] of [[send, 'send'], [recv, 'receive']] as const) {
      if (buf !== undefined && buf.byteLength < bytes) {
        throw errors.count(call, `${count} × ${datatype.name} needs ${bytes} bytes but the ${what} buffer has ${buf.byteLength}`);
      }
    }
    return bytes;
  }
}

/** The first `bytes` bytes of a typed array. */
function part(view: TypedArray | undefined, bytes: number): Uint8Array | undefined {
  if (view === undefined) return undefined;
  if (view instanceof Uint8Array && view.byteLength === bytes) return view;
  return new Uint8Array(view.buffer, view.byteOffset, bytes);
}
