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
 * point-to-point across the groups and within each: the data crosses once,
 * between the root and the other group's leader, then fans out.
 *
 * Unfinished: the buffer forms of the intercommunicator collectives other
 * than `Bcast` and `Barrier`; the v-forms, `Alltoall` and `Reduce_scatter` over
 * an intercommunicator.
 *
 * @module
 */

import { type BufferSpec, parseBuffer } from './buffer.js';
import { decode, encode } from './codec/index.js';
import { Comm } from './comm.js';
import { PROC_NULL, ROOT } from './constants.js';
import { errors } from './errors.js';
import { Group } from './group.js';
import type { Intracomm } from './intracomm.js';
import { type Op, ops } from './op.js';
import type { InterEndpoint, Operation, PointToPoint } from './transport/transport.js';

async function settled(ops: readonly Operation[]): Promise<void> {
  for (const op of ops) {
    await op.wait();
    if (op.error !== undefined) throw op.error;
  }
}

async function receiveBytes(channel: PointToPoint, source: number, tag: number): Promise<Uint8Array> {
  const op = channel.irecv(undefined, source, tag);
  await settled([op]);
  return op.data!;
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
      await settled([op]);
      const data = into ?? op.data!;
      const sends: Operation[] = [];
      for (let r = 1; r < endpoint.size; r++) sends.push(local.isend(data, r, tag, false));
      await settled(sends);
      return data;
    }
    const op = local.irecv(into, 0, tag);
    await settled([op]);
    return into ?? op.data!;
  }

  /** `MPI_Barrier` over both groups (§6.3): resolves once every rank of both has called it. */
  async Barrier(): Promise<void> {
    const call = 'Intercomm.Barrier';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    await endpoint.local.collectives.barrier();
    if (endpoint.rank === 0) {
      const empty = new Uint8Array(0);
      await settled([endpoint.channel.isend(empty, 0, tag, false), endpoint.channel.irecv(empty, 0, tag)]);
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
    if (role === 'root') await settled([this.endpoint(call).channel.isend(message.bytes, 0, tag, false)]);
    else if (role === 'receiver') await this.fanOut(root, tag, message.bytes, call);
  }

  /** Object form of {@link Bcast}: resolves with the root's value (undefined on `PROC_NULL` ranks). */
  async bcast<T>(obj: T, root: number): Promise<T | undefined> {
    const call = 'Intercomm.bcast';
    const role = this.role(root, call);
    const tag = this.nextTag();
    if (role === 'root') {
      await settled([this.endpoint(call).channel.isend(encode(obj, call), 0, tag, false)]);
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
      const all = await Promise.all(Array.from({ length: endpoint.remoteSize }, (_, r) => receiveBytes(endpoint.channel, r, tag)));
      return all.map((bytes) => decode(bytes, call));
    }
    if (role === 'receiver') await settled([endpoint.channel.isend(encode(sendobj, call), root, tag, false)]);
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
      await settled(sendobj.map((v, r) => endpoint.channel.isend(encode(v, call), r, tag, false)));
      return undefined;
    }
    if (role === 'idle') return undefined;
    return decode(await receiveBytes(endpoint.channel, root, tag), call) as T;
  }

  /** `MPI_Allgather` of values over an intercommunicator (§6.7): every rank gets the remote group's values. */
  async allgather<T>(sendobj: T): Promise<unknown[]> {
    const call = 'Intercomm.allgather';
    const endpoint = this.endpoint(call);
    const tag = this.nextTag();
    const bytes = encode(sendobj, call);
    const sends = Array.from({ length: endpoint.remoteSize }, (_, r) => endpoint.channel.isend(bytes, r, tag, false));
    const all = await Promise.all(Array.from({ length: endpoint.remoteSize }, (_, r) => receiveBytes(endpoint.channel, r, tag)));
    await settled(sends);
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
}

function reduceInOrder(values: readonly unknown[], op: Op): unknown {
  let acc = op.prepareObject(values[0], 0);
  for (let r = 1; r < values.length; r++) acc = op.applyObject(acc, op.prepareObject(values[r], r));
  return acc;
}
