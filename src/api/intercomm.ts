/**
 * Intercommunicators: two disjoint groups that talk across, as a job and the
 * ranks it spawned do.
 *
 * MPI-4.1 §7.6 (intercommunicators: accessors §7.6.1, `MPI_Intercomm_merge`
 * §7.6.2), §6.2.2 (collectives over an intercommunicator: the root group
 * passes `MPI.ROOT` at the root and `MPI.PROC_NULL` elsewhere, the other
 * group passes the root's rank), §11.8.2 (`MPI_Comm_disconnect`).
 *
 * Point-to-point addresses the remote group. The collectives are built on
 * point-to-point across the groups and within each, independent of the
 * transport: data movement (gathers, scatters, all-to-all) goes directly
 * between the ranks concerned; a broadcast crosses once, to the other group's
 * leader, then fans out; reductions reduce within the contributing group to
 * its leader (in rank order, so non-commutative ops hold), then cross.
 * `MPI.IN_PLACE` has no meaning over an intercommunicator (§6.2.2) and is
 * refused.
 *
 * Unfinished: `Reduce_scatter` (per-rank counts), the nonblocking (`I`-forms)
 * and persistent collectives, and `Create_from_groups` / `Intercomm_create_from_groups`.
 *
 * @module
 */

import {
  type BufferSpec, bytesOf, type Message, parseBuffer, parseVectorBuffer, singleView, type VectorBufferSpec,
} from '../buffer.js';
import { checkOp, checkUniform, required } from './arguments.js';
import { decode, encode } from '../codec/index.js';
import { Comm } from './comm.js';
import { IN_PLACE, PROC_NULL, ROOT } from '../constants.js';
import type { TypedArray } from '../datatype.js';
import { errors } from '../errors.js';
import { Group } from './group.js';
import type { Intracomm } from './intracomm.js';
import { type Op, ops } from '../op/op.js';
import { type InterEndpoint, type Operation, type PointToPoint, completeAll } from '../transport/transport.js';

/** Receives of whole messages from every rank of a remote group of `n`, for {@link exchange}. */
function wholeFrom(n: number): (readonly [number, undefined])[] {
  return Array.from({ length: n }, (_, r) => [r, undefined] as const);
}

/**
 * Posts `receives` (from remote ranks, into a view or, when undefined, as a
 * whole message) and `sends` (to remote ranks) on `channel`, and waits for
 * all. A message that does not fill its view exactly is a count mismatch
 * between the groups (a longer one already fails as truncated).
 */
async function exchange(channel: PointToPoint, tag: number, sends: readonly (readonly [number, Uint8Array])[],
  receives: readonly (readonly [number, Uint8Array | undefined])[], call: string): Promise<Uint8Array[]> {
  const recvOps = receives.map(([source, into]) => channel.irecv(into, source, tag));
  const sendOps = sends.map(([dest, data]) => channel.isend(data, dest, tag, false));
  await completeAll([...recvOps, ...sendOps]);
  return recvOps.map((op, i) => {
    const [source, into] = receives[i]!;
    if (into === undefined) return singleView(op.data!, call);
    const got = op.envelope!.byteLength;
    if (got !== into.byteLength) {
      throw errors.count(call, `remote rank ${source} sent ${got} bytes where ${into.byteLength} were expected`);
    }
    return into;
  });
}

/** Throws `ERR_BUFFER` for a missing buffer or `MPI.IN_PLACE`, which intercommunicators do not take (§6.2.2). */
function present(spec: unknown, what: string, call: string): void {
  if (spec === IN_PLACE) throw errors.buffer(call, 'MPI.IN_PLACE is not valid over an intercommunicator');
  required(spec, what, call);
}

/** A buffer that matters on this rank, parsed. */
function buffer(spec: unknown, what: string, call: string): Message {
  present(spec, what, call);
  return parseBuffer(spec, call);
}

/** One byte view per remote rank of a (v-)buffer spec: block `i` goes to or comes from remote rank `i`. */
function remoteBlocks(spec: unknown, remoteSize: number, vector: boolean, what: string, call: string): Uint8Array[] {
  present(spec, `the ${what} buffer`, call);
  const v = parseVectorBuffer(spec, remoteSize, call);
  if (!vector) checkUniform(v, call, what);
  const unit = v.datatype.size;
  return v.counts.map((c, i) => v.bytes.subarray(v.displs[i]! * unit, (v.displs[i]! + c) * unit));
}

/** A fresh buffer for `m.count` elements of its datatype (bytes for the pair types, as reductions see them). */
function scratch(m: Message): TypedArray {
  const arrayType = m.datatype.arrayType;
  return arrayType === undefined ? new Uint8Array(m.count * m.datatype.size) : new arrayType(m.count);
}

/** The send and receive buffers of a reduction, with the op checked for their datatype. */
function reductionArgs(sendbuf: unknown, recvbuf: unknown, op: unknown, call: string): { send: Message; recv: Message; op: Op } {
  const checked = checkOp(op, call);
  const send = buffer(sendbuf, 'the send buffer', call);
  const recv = buffer(recvbuf, 'the receive buffer', call);
  if (send.datatype !== recv.datatype) {
    throw errors.type(call, `the send buffer holds ${send.datatype.name} but the receive buffer ${recv.datatype.name}`);
  }
  checked.check(send.datatype, call);
  return { send, recv, op: checked };
}

/**
 * An intercommunicator (MPI-4.1 §7.6): sends and receives address the
 * remote group. Made by `Spawn`, `Get_parent` and `Create_intercomm`.
 *
 * @example
 * ```ts
 * const children = await MPI.COMM_SELF.Spawn('worker.ts', [], 5);
 * await children.Bcast(BigInt64Array.of(1n, 2n, 3n), MPI.ROOT);
 * await children.Disconnect();
 * ```
 */
export class Intercomm extends Comm<InterEndpoint> {
  private sequence = 0;

  /** `MPI_Comm_remote_size` (§7.6.1). */
  get remote_size(): number {
    return this.endpoint('Intercomm.remote_size').remoteSize;
  }

  Get_remote_size(): number {
    return this.remote_size;
  }

  /** `MPI_Comm_remote_group` (§7.6.1). */
  Get_remote_group(): Group {
    const endpoint = this.endpoint('Intercomm.Get_remote_group');
    return new Group(Array.from({ length: endpoint.remoteSize }, (_, r) => endpoint.remoteWorldRankOf(r)),
      endpoint.worldRankOf(endpoint.rank));
  }

  get remote_group(): Group {
    return this.Get_remote_group();
  }

  /** Always true (`MPI_Comm_test_inter`). */
  get is_inter(): boolean {
    return true;
  }

  /**
   * `MPI_Intercomm_merge` (§7.6.2): one intracommunicator over both groups;
   * the group that passes `high` false comes first. Collective.
   */
  async Merge(high = false): Promise<Intracomm> {
    const merged = await this.endpoint('Intercomm.Merge').merge(Boolean(high));
    const { Intracomm } = await import('./intracomm.js');
    return new Intracomm(merged, `${this.Get_name()} merged`);
  }

  /** `MPI_Comm_disconnect` (§11.8.2): waits for nothing pending, then frees the communicator. */
  async Disconnect(): Promise<void> {
    this.Free();
  }

  // ---------------------------------------------------------- collectives

  private nextTag(): number {
    this.sequence = (this.sequence + 1) % (1 << 30);
    return this.sequence;
  }

  /** Which side of a rooted collective this rank is on. */
  private role(root: number, call: string): 'root' | 'idle' | 'receiver' {
    if (root === ROOT) return 'root';
    if (root === PROC_NULL) return 'idle';
    const remote = this.endpoint(call).remoteSize;
    if (!Number.isInteger(root) || root < 0 || root >= remote) {
      throw errors.root(call, root, remote);
    }
    return 'receiver';
  }

  /** The receiving group's leader takes `bytes` from the root; everybody in the group gets them. */
  private async fanOut(root: number, tag: number, into: Uint8Array | undefined, call: string): Promise<Uint8Array> {
    const endpoint = this.endpoint(call);
    const local = endpoint.local.auxiliary;
    if (endpoint.rank === 0) {
      const op = endpoint.channel.irecv(into, root, tag);
      await completeAll([op]);
      const data = into ?? singleView(op.data!, call);
      const sends: Operation[] = [];
      for (let r = 1; r < endpoint.size; r++) sends.push(local.isend(data, r, tag, false));
      await completeAll(sends);
      return data;
    }
    const op = local.irecv(into, 0, tag);
    await completeAll([op]);
    return into ?? singleView(op.data!, call);
  }

  /** `MPI_Barrier` over both groups (§6.3): resolves once every rank of both has called it. */
  async Barrier(): Promise<void> {
    const call = 'Intercomm.Barrier';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    await endpoint.local.collectives.barrier();
    if (endpoint.rank === 0) {
      const empty = new Uint8Array(0);
      await completeAll([endpoint.channel.isend(empty, 0, tag, false), endpoint.channel.irecv(empty, 0, tag)]);
    }
    await endpoint.local.collectives.barrier();
  }

  barrier(): Promise<void> {
    return this.Barrier();
  }

  /**
   * `MPI_Bcast` over an intercommunicator (§6.4): the root passes `MPI.ROOT`,
   * its group's other ranks `MPI.PROC_NULL`, and the other group the root's rank.
   */
  async Bcast(buf: BufferSpec, root: number): Promise<void> {
    const call = 'Intercomm.Bcast';
    const message = parseBuffer(buf, call);
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') await completeAll([this.endpoint(call).channel.isend(message.bytes, 0, tag, false)]);
    else if (role === 'receiver') await this.fanOut(root, tag, message.bytes, call);
  }

  /** Object form of {@link Bcast}: resolves with the root's value (undefined on `PROC_NULL` ranks). */
  async bcast<T>(obj: T, root: number): Promise<T | undefined> {
    const call = 'Intercomm.bcast';
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') {
      await completeAll([this.endpoint(call).channel.isend(encode(obj, call), 0, tag, false)]);
      return obj;
    }
    if (role === 'idle') return undefined;
    return decode(await this.fanOut(root, tag, undefined, call), call) as T;
  }

  /** `MPI_Gather` of values over an intercommunicator (§6.5): the root gets the other group's values. */
  async gather<T>(sendobj: T, root: number): Promise<unknown[] | undefined> {
    const call = 'Intercomm.gather';
    const endpoint = this.endpoint(call);
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') {
      const all = await exchange(endpoint.channel, tag, [], wholeFrom(endpoint.remoteSize), call);
      return all.map((bytes) => decode(bytes, call));
    }
    if (role === 'receiver') await exchange(endpoint.channel, tag, [[root, encode(sendobj, call)]], [], call);
    return undefined;
  }

  /** `MPI_Scatter` of values over an intercommunicator (§6.6): remote rank `r` gets `sendobj[r]`. */
  async scatter<T>(sendobj: readonly T[] | undefined, root: number): Promise<T | undefined> {
    const call = 'Intercomm.scatter';
    const endpoint = this.endpoint(call);
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') {
      if (!Array.isArray(sendobj) || sendobj.length !== endpoint.remoteSize) {
        throw errors.arg(call, `the root must pass an array of ${endpoint.remoteSize} values, one per remote rank`);
      }
      await exchange(endpoint.channel, tag, sendobj.map((v, r) => [r, encode(v, call)] as const), [], call);
      return undefined;
    }
    if (role === 'idle') return undefined;
    const [bytes] = await exchange(endpoint.channel, tag, [], [[root, undefined]], call);
    return decode(bytes!, call) as T;
  }

  /** `MPI_Allgather` of values over an intercommunicator (§6.7): every rank gets the remote group's values. */
  async allgather<T>(sendobj: T): Promise<unknown[]> {
    const call = 'Intercomm.allgather';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    const bytes = encode(sendobj, call);
    const sends = Array.from({ length: endpoint.remoteSize }, (_, r) => [r, bytes] as const);
    const all = await exchange(endpoint.channel, tag, sends, wholeFrom(endpoint.remoteSize), call);
    return all.map((b) => decode(b, call));
  }

  /**
   * `MPI_Alltoall` of values over an intercommunicator (§6.8): `sendobj[j]`
   * goes to remote rank `j`; position `i` of the result comes from remote rank `i`.
   */
  async alltoall<T>(sendobj: readonly T[]): Promise<unknown[]> {
    const call = 'Intercomm.alltoall';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    if (!Array.isArray(sendobj) || sendobj.length !== endpoint.remoteSize) {
      throw errors.arg(call, `expected an array of ${endpoint.remoteSize} values, one per remote rank`);
    }
    const sends = sendobj.map((v, r) => [r, encode(v, call)] as const);
    const all = await exchange(endpoint.channel, tag, sends, wholeFrom(endpoint.remoteSize), call);
    return all.map((b) => decode(b, call));
  }

  /**
   * `MPI_Allreduce` of values over an intercommunicator (§6.9.6): each group
   * gets the reduction of the other group's values, in rank order.
   */
  async allreduce<T>(sendobj: T, op: Op = ops.SUM): Promise<unknown> {
    const values = await this.allgather(sendobj);
    return reduceInOrder(values, op);
  }

  /** `MPI_Reduce` of values over an intercommunicator (§6.9.1): the root gets the reduction of the other group's values. */
  async reduce<T>(sendobj: T, op: Op = ops.SUM, root: number): Promise<unknown> {
    const values = await this.gather(sendobj, root);
    return values === undefined ? undefined : reduceInOrder(values, op);
  }

  // ------------------------------------------------------------ buffers

  /**
   * The element-wise reduction of this group's `send` buffers in rank order
   * (non-commutative ops included), on the local leader (local rank 0);
   * undefined on the other ranks.
   */
  private async reduceToLeader(send: Message, op: Op, call: string): Promise<TypedArray | undefined> {
    const endpoint = this.endpoint(call);
    const result = endpoint.rank === 0 ? scratch(send) : undefined;
    await endpoint.local.collectives.reduce(send.elements, result, send.count, send.datatype, op, 0);
    return result;
  }

  /**
   * `MPI_Gather` over an intercommunicator (MPI-4.1 §6.5): the root, passing
   * `MPI.ROOT`, gets remote rank `i`'s `sendbuf` as block `i` of `recvbuf`
   * (equal blocks); the other group passes the root's rank and sends; the
   * root's group's other ranks pass `MPI.PROC_NULL` and nothing else matters there.
   *
   * @example
   * ```ts
   * await children.Gather(null, all, MPI.ROOT);            // parent (COMM_SELF spawn)
   * await parent.Gather(Int32Array.of(value), null, 0);    // each child
   * ```
   */
  Gather(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root: number): Promise<void> {
    return this.gatherv(sendbuf, recvbuf, root, false, 'Intercomm.Gather');
  }

  /** `MPI_Gatherv` over an intercommunicator (MPI-4.1 §6.5.1): {@link Gather} with `[buf, [counts, displs], datatype]` at the root. */
  Gatherv(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root: number): Promise<void> {
    return this.gatherv(sendbuf, recvbuf, root, true, 'Intercomm.Gatherv');
  }

  private async gatherv(sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean, call: string): Promise<void> {
    const endpoint = this.endpoint(call);
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') {
      const blocks = remoteBlocks(recvbuf, endpoint.remoteSize, vector, 'receive', call);
      await exchange(endpoint.channel, tag, [], blocks.map((b, r) => [r, b] as const), call);
    } else if (role === 'receiver') {
      await exchange(endpoint.channel, tag, [[root, buffer(sendbuf, 'the send buffer', call).bytes]], [], call);
    }
  }

  /**
   * `MPI_Scatter` over an intercommunicator (MPI-4.1 §6.6): the root, passing
   * `MPI.ROOT`, sends block `i` of `sendbuf` (equal blocks) to remote rank
   * `i`, which passes the root's rank and receives into `recvbuf`; the root's
   * group's other ranks pass `MPI.PROC_NULL`.
   *
   * @example
   * ```ts
   * await children.Scatter(work, null, MPI.ROOT);
   * await parent.Scatter(null, mine, 0);
   * ```
   */
  Scatter(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root: number): Promise<void> {
    return this.scatterv(sendbuf, recvbuf, root, false, 'Intercomm.Scatter');
  }

  /** `MPI_Scatterv` over an intercommunicator (MPI-4.1 §6.6.1): {@link Scatter} with `[buf, [counts, displs], datatype]` at the root. */
  Scatterv(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root: number): Promise<void> {
    return this.scatterv(sendbuf, recvbuf, root, true, 'Intercomm.Scatterv');
  }

  private async scatterv(sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean, call: string): Promise<void> {
    const endpoint = this.endpoint(call);
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') {
      const blocks = remoteBlocks(sendbuf, endpoint.remoteSize, vector, 'send', call);
      await exchange(endpoint.channel, tag, blocks.map((b, r) => [r, b] as const), [], call);
    } else if (role === 'receiver') {
      await exchange(endpoint.channel, tag, [], [[root, buffer(recvbuf, 'the receive buffer', call).bytes]], call);
    }
  }

  /**
   * `MPI_Allgather` over an intercommunicator (MPI-4.1 §6.7): every rank
   * sends `sendbuf` to the remote group and gets remote rank `i`'s as block
   * `i` of `recvbuf` (equal blocks, one per remote rank).
   *
   * @example
   * ```ts
   * const theirs = new Float64Array(inter.remote_size);
   * await inter.Allgather(Float64Array.of(mine), theirs);
   * ```
   */
  Allgather(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    return this.allgatherv(sendbuf, recvbuf, false, 'Intercomm.Allgather');
  }

  /** `MPI_Allgatherv` over an intercommunicator (MPI-4.1 §6.7.1): {@link Allgather} with counts and displacements per remote rank. */
  Allgatherv(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    return this.allgatherv(sendbuf, recvbuf, true, 'Intercomm.Allgatherv');
  }

  private async allgatherv(sendbuf: unknown, recvbuf: unknown, vector: boolean, call: string): Promise<void> {
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    const send = buffer(sendbuf, 'the send buffer', call).bytes;
    const blocks = remoteBlocks(recvbuf, endpoint.remoteSize, vector, 'receive', call);
    await exchange(endpoint.channel, tag, blocks.map((_, r) => [r, send] as const), blocks.map((b, r) => [r, b] as const), call);
  }

  /**
   * `MPI_Alltoall` over an intercommunicator (MPI-4.1 §6.8): block `j` of
   * `sendbuf` goes to remote rank `j`; block `i` of `recvbuf` comes from
   * remote rank `i`. Both have one equal block per remote rank.
   *
   * @example
   * ```ts
   * await inter.Alltoall(outgoing, incoming); // inter.remote_size blocks each
   * ```
   */
  Alltoall(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    return this.alltoallv(sendbuf, recvbuf, false, 'Intercomm.Alltoall');
  }

  /** `MPI_Alltoallv` over an intercommunicator (MPI-4.1 §6.8): {@link Alltoall} with counts and displacements per remote rank on both sides. */
  Alltoallv(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    return this.alltoallv(sendbuf, recvbuf, true, 'Intercomm.Alltoallv');
  }

  private async alltoallv(sendbuf: unknown, recvbuf: unknown, vector: boolean, call: string): Promise<void> {
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    // Block sizes may differ between the groups (one group's send blocks are the other's receive blocks).
    const out = remoteBlocks(sendbuf, endpoint.remoteSize, vector, 'send', call);
    const into = remoteBlocks(recvbuf, endpoint.remoteSize, vector, 'receive', call);
    await exchange(endpoint.channel, tag, out.map((b, j) => [j, b] as const), into.map((b, i) => [i, b] as const), call);
  }

  /**
   * `MPI_Reduce` over an intercommunicator (MPI-4.1 §6.9.1): the root, passing
   * `MPI.ROOT`, gets in `recvbuf` the element-wise `op` of the other group's
   * `sendbuf`s, in that group's rank order; the other group passes the root's
   * rank; the root's group's other ranks pass `MPI.PROC_NULL`.
   *
   * @example
   * ```ts
   * await children.Reduce(null, totals, MPI.SUM, MPI.ROOT);
   * await parent.Reduce(mine, null, MPI.SUM, 0);
   * ```
   */
  async Reduce(sendbuf: BufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM,
    root: number): Promise<void> {
    const call = 'Intercomm.Reduce';
    const endpoint = this.endpoint(call);
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'idle') return;
    const checked = checkOp(op, call);
    const mine = role === 'root' ? buffer(recvbuf, 'the receive buffer at the root', call)
      : buffer(sendbuf, 'the send buffer', call);
    checked.check(mine.datatype, call);
    if (role === 'root') {
      await exchange(endpoint.channel, tag, [], [[0, mine.bytes]], call);
      return;
    }
    const reduced = await this.reduceToLeader(mine, checked, call);
    if (reduced !== undefined) await exchange(endpoint.channel, tag, [[root, bytesOf(reduced)]], [], call);
  }

  /**
   * `MPI_Allreduce` over an intercommunicator (MPI-4.1 §6.9.6): each group's
   * `recvbuf` gets the element-wise `op` of the other group's `sendbuf`s, in
   * that group's rank order. Both groups pass the same count.
   *
   * @example
   * ```ts
   * await inter.Allreduce(mine, theirsSummed, MPI.SUM);
   * ```
   */
  async Allreduce(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    const call = 'Intercomm.Allreduce';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    const { send, recv, op: checked } = reductionArgs(sendbuf, recvbuf, op, call);
    if (recv.count < send.count) {
      throw errors.count(call, `the receive buffer holds ${recv.count} × ${recv.datatype.name}, fewer than the ${send.count} sent`);
    }
    const into = recv.bytes.subarray(0, send.bytes.byteLength);
    const reduced = await this.reduceToLeader(send, checked, call);
    // The leaders swap their groups' results, then each hands the other group's to its own.
    if (reduced !== undefined) await exchange(endpoint.channel, tag, [[0, bytesOf(reduced)]], [[0, into]], call);
    await endpoint.local.collectives.bcast(into, 0);
  }

  /**
   * `MPI_Reduce_scatter_block` over an intercommunicator (MPI-4.1 §6.10.2):
   * each group reduces its `sendbuf`s element-wise, in rank order, and the
   * result is scattered over the other group in equal blocks: `recvbuf`
   * gets block `i` (of the size of `recvbuf`) of the remote group's
   * reduction, `i` this rank. `sendbuf` holds `size × recvcount` elements, a
   * count that must be the same in both groups.
   *
   * @example
   * ```ts
   * await inter.Reduce_scatter_block(new Int32Array(inter.size * 2), mine2, MPI.SUM);
   * ```
   */
  async Reduce_scatter_block(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    const call = 'Intercomm.Reduce_scatter_block';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    const { send, recv, op: checked } = reductionArgs(sendbuf, recvbuf, op, call);
    const { size, remoteSize } = endpoint;
    if (send.count !== size * recv.count) {
      throw errors.count(call, `the send buffer holds ${send.count} elements but ${size} local ranks receiving ` +
        `${recv.count} each need ${size * recv.count}`);
    }
    if (send.count % remoteSize !== 0) {
      throw errors.count(call, `${send.count} elements do not split into ${remoteSize} equal blocks for the remote group`);
    }
    const reduced = await this.reduceToLeader(send, checked, call);
    const sends: (readonly [number, Uint8Array])[] = [];
    if (reduced !== undefined) {
      const bytes = bytesOf(reduced);
      const block = bytes.byteLength / remoteSize;
      for (let j = 0; j < remoteSize; j++) sends.push([j, bytes.subarray(j * block, (j + 1) * block)]);
    }
    await exchange(endpoint.channel, tag, sends, [[0, recv.bytes]], call);
  }
}

function reduceInOrder(values: readonly unknown[], op: Op): unknown {
  let acc = op.prepareObject(values[0], 0);
  for (let r = 1; r < values.length; r++) acc = op.applyObject(acc, op.prepareObject(values[r], r));
  return acc;
}
