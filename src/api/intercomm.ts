/**
 * Intercommunicators: two disjoint groups that talk across, as a job and the
 * ranks it spawned do.
 *
 * MPI-4.1 §7.6 (intercommunicators: accessors §7.6.1, `MPI_Intercomm_merge`
 * §7.6.2), §6.2.2 (collectives over an intercommunicator: the root group
 * passes `MPI.ROOT` at the root and `MPI.PROC_NULL` elsewhere, the other
 * group passes the root's rank; `root` defaults to 0, as in mpi4py: the
 * other group's rank 0 is the root), §7.4.2 (`MPI_Comm_dup`, `MPI_Comm_idup`,
 * `MPI_Comm_split`, `MPI_Comm_create` of an intercommunicator), §11.8.2
 * (`MPI_Comm_disconnect`).
 *
 * Point-to-point addresses the remote group. The collectives parse and check
 * their arguments here (with `arguments.ts`) and run in the collective layer
 * (`collective/inter.ts`: algorithms, call order and mismatch detection),
 * independent of the transport. `MPI.IN_PLACE` has no meaning over an
 * intercommunicator (§6.2.2) and is refused.
 *
 * `Alltoallw` (§6.8) reads its W specs as an intracommunicator's does
 * (`blocks.ts`: counts, byte displacements and a datatype per remote rank)
 * and moves their blocks as `Alltoallv` does.
 *
 * The nonblocking forms (§6.12: `Ibarrier`, `Ibcast`, `Igather(v)`,
 * `Iscatter(v)`, `Iallgather(v)`, `Ialltoall(v,w)`, `Ireduce`, `Iallreduce`,
 * `Ireduce_scatter`, `Ireduce_scatter_block`) start the same calls in call
 * order; a bad argument fails their Request (where an intracommunicator's
 * I-form throws).
 *
 * The persistent forms (§6.13: `Barrier_init`, `Bcast_init`,
 * `Gather(v)_init`, `Scatter(v)_init`, `Allgather(v)_init`,
 * `Alltoall(v,w)_init`, `Reduce_init`, `Allreduce_init`,
 * `Reduce_scatter(_block)_init`) return a `CollectivePrequest`
 * (persistent.ts): each `Start` runs the I-form's call once more, which
 * checks the arguments and reads the buffers anew; a bad argument fails that
 * round. MPI has no Scan or Exscan over an intercommunicator.
 *
 * Buffers may be longer than the longest byte view (Node 20): they are
 * parsed as segmented bytes, which `collective/inter.ts` moves.
 *
 * `Create_group` is not offered: mpi4py has it on an intracommunicator only
 * (its `Split` and `Create` are on `Comm`, for both kinds).
 *
 * Unfinished: the `info` argument of the `*_init` calls, as on
 * intracommunicators; an `Alltoallw` spec with a non-contiguous datatype in
 * a buffer past the longest byte view (as in `blocks.ts`).
 *
 * @module
 */

import {
  type BufferSpec, type Bytes, type Message, parseWideBuffer, parseWideVectorBuffer, sliceBytes, type VectorBufferSpec, type WideMessage,
} from '../buffer.js';
import { type WBufferSpec, wBlocks } from './blocks.js';
import { checkOp, checkReductionPair, checkRoot, checkSplit, checkUniform, checkValueOp, recvCounts, required } from './arguments.js';
import { InterCollectives, type InterRole } from '../collective/inter.js';
import { Comm } from './comm.js';
import { IN_PLACE, PROC_NULL, ROOT, UNDEFINED } from '../constants.js';
import { collectiveScratch, transport } from '../environment.js';
import { errors } from '../errors.js';
import { ERRORS_RETURN, type Errhandler, checkErrhandler } from './errhandler.js';
import { Group, stringTag } from './group.js';
import { hintsFrom, INFO_NULL, type Info } from './info.js';
import type { Intracomm } from './intracomm.js';
import { type Op, ops, type ValueFunction } from '../op/op.js';
import type { CollectivePrequest } from './persistent.js';
import type { InterEndpoint } from '../transport/transport.js';
import { PromiseOperation } from './promise_operation.js';
import { Request } from './request.js';

/**
 * A nonblocking collective's Request, whose failure (a bad argument too: these
 * I-forms report theirs through the request) goes through `comm`'s error
 * handler; `label` starts with the call's name: `Ibcast(root=0)`.
 */
function request(comm: Intercomm, promise: Promise<void>, label: string): Request<void> {
  return new Request(new PromiseOperation(promise, label), `Intercomm.${label.slice(0, label.indexOf('('))}`, undefined, comm);
}

/** Throws `ERR_BUFFER` for a missing buffer or `MPI.IN_PLACE`, which intercommunicators do not take (§6.2.2). */
function present(spec: unknown, what: string, call: string): void {
  if (spec === IN_PLACE) throw errors.buffer(call, 'MPI.IN_PLACE is not valid over an intercommunicator');
  required(spec, what, call);
}

/**
 * A buffer that matters on this rank, parsed (segmented past the longest byte
 * view; `wholeElements` for a user op's reduction, see `parseWideBuffer`).
 */
function buffer(spec: unknown, what: string, call: string, wholeElements = false): Message | WideMessage {
  present(spec, what, call);
  return parseWideBuffer(spec, call, wholeElements);
}

/** One byte view per remote rank of a (v-)buffer spec: block `i` goes to or comes from remote rank `i`. */
function remoteBlocks(spec: unknown, remoteSize: number, vector: boolean, what: string, call: string,
  unpacks?: (() => void)[]): Bytes[] {
  present(spec, `the ${what} buffer`, call);
  const v = parseWideVectorBuffer(spec, remoteSize, call);
  if (!vector) checkUniform(v, call, what);
  // A buffer of a non-contiguous derived datatype travels packed: received, it is unpacked afterwards.
  if (unpacks !== undefined && v.unpack !== undefined) unpacks.push(v.unpack);
  const unit = v.datatype.size;
  return v.counts.map((c, i) => sliceBytes(v.bytes, v.displs[i]! * unit, (v.displs[i]! + c) * unit));
}

/** The send and receive buffers of a reduction, with the op checked for their datatype. */
function reductionArgs(sendbuf: unknown, recvbuf: unknown, op: unknown, whole: boolean,
  call: string): { send: Message | WideMessage; recv: Message | WideMessage; op: Op } {
  const checked = checkOp(op, call);
  const send = buffer(sendbuf, 'the send buffer', call, checked.wholeElements);
  const recv = buffer(recvbuf, 'the receive buffer', call, checked.wholeElements);
  checkReductionPair(send, recv, whole, call);
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
  private interCollectives: InterCollectives | undefined;

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

  /**
   * `MPI_Intercomm_create_from_groups` (MPI-4.1 §7.6.2): an
   * intercommunicator between two disjoint groups, without a parent
   * communicator. The members of both groups call it, each with its own
   * group first; the leaders are ranks in their groups. The new
   * communicator's hints are `info`'s and its error handler is `errhandler`
   * (§9.3); without one, `MPI.ERRORS_RETURN`, mpi4py's default (its
   * `errhandler=None`).
   *
   * @example
   * ```ts
   * const world = MPI.COMM_WORLD.Get_group();
   * const low = world.Range_incl([[0, 0, 1]]), high = world.Range_excl([[0, 0, 1]]);
   * const mine = MPI.COMM_WORLD.rank === 0 ? [low, high] as const : [high, low] as const;
   * const inter = await MPI.Intercomm.Create_from_groups(mine[0], 0, mine[1], 0, 'pair', MPI.INFO_NULL, MPI.ERRORS_ARE_FATAL);
   * ```
   */
  static async Create_from_groups(localGroup: Group, localLeader: number, remoteGroup: Group, remoteLeader: number,
    stringtag = 'org.mpi4py', info: Info = INFO_NULL, errhandler: Errhandler = ERRORS_RETURN): Promise<Intercomm> {
    const call = 'Intercomm.Create_from_groups';
    if (!(localGroup instanceof Group) || !(remoteGroup instanceof Group)) throw errors.group(call, 'expected two MPI.Group objects');
    if (localGroup.rank === UNDEFINED) throw errors.group(call, 'only the members of the local group call Create_from_groups');
    checkRoot(localLeader, localGroup.size, call);
    if (!Number.isInteger(remoteLeader) || remoteLeader < 0 || remoteLeader >= remoteGroup.size) {
      throw errors.rank(call, remoteLeader, remoteGroup.size, 'remote leader');
    }
    const remote = new Set(remoteGroup.members);
    if (localGroup.members.some((m) => remote.has(m))) throw errors.group(call, 'the local and remote groups overlap');
    const hints = hintsFrom(info, call);
    const handler = checkErrhandler(errhandler, call);
    const tag = stringTag(String(stringtag));
    const world = transport().world;
    const local = await world.createGroup(localGroup.members, tag);
    // The leaders meet on the world's library context, above the tags of its neighbour exchanges.
    const inter = await local.createIntercomm(localLeader, world.auxiliary, remoteGroup.members[remoteLeader]!, 0x20000 + tag);
    const created = new Intercomm(inter, `intercomm ${stringtag}`);
    created.Set_info(hints);
    created.Set_errhandler(handler);
    return created;
  }

  /** Always true (`MPI_Comm_test_inter`). */
  override get is_inter(): boolean {
    return true;
  }

  /**
   * `MPI_Comm_dup` (MPI-4.1 §7.4.2) of an intercommunicator: the same two
   * groups on a context of their own, with this one's error handler, info
   * and copied attributes. Collective over both groups.
   *
   * @example
   * ```ts
   * const mine = await inter.Dup(); // a library's own channel to the other group
   * ```
   */
  Dup(): Promise<Intercomm> {
    return this.rejecting(async () => {
      const dup = await this.endpoint('Intercomm.Dup').dup();
      return this.inherit(new Intercomm(dup, `${this.Get_name()} dup`));
    });
  }

  /** mpi4py's `Clone`: the same as {@link Dup}. */
  Clone(): Promise<Intercomm> {
    return this.Dup();
  }

  /**
   * `MPI_Comm_idup` (MPI-4.1 §7.4.2): {@link Dup} as mpi4py's
   * `[newcomm, request]`, the request already complete when it resolves.
   */
  async Idup(): Promise<[Intercomm, Request<void>]> {
    const copy = await this.Dup();
    return [copy, request(this, Promise.resolve(), 'Idup()')];
  }

  /**
   * `MPI_Comm_split` of an intercommunicator (MPI-4.1 §7.4.2): an
   * intercommunicator between the local and the remote ranks that pass the
   * same `color`, each group ordered by `key`, then by rank; null
   * (`MPI.COMM_NULL`) for `MPI.UNDEFINED` and for a color that no rank of
   * the other group passes. Collective over both groups.
   *
   * @example
   * ```ts
   * const odd = await inter.Split(inter.rank % 2, inter.rank); // even ranks with even, odd with odd
   * ```
   */
  Split(color = 0, key = 0): Promise<Intercomm | null> {
    return this.rejecting(async () => {
      const call = 'Intercomm.Split';
      checkSplit(color, key, call);
      const split = await this.endpoint(call).split(color, key);
      return this.adopt(split === undefined ? null : new Intercomm(split, `${this.Get_name()} split ${color}`));
    });
  }

  /**
   * `MPI_Comm_create` of an intercommunicator (MPI-4.1 §7.4.2): an
   * intercommunicator between the members of `group`, a subgroup of the
   * local group, in group order, and the members of the group the other
   * side passes; null on the ranks left out, and everywhere when either side
   * passes an empty group. Collective over both groups. (mpi4py has
   * `Create_group` on an intracommunicator only.)
   *
   * @example
   * ```ts
   * const firsts = await inter.Create(inter.Get_group().Incl([0])); // the two leaders
   * ```
   */
  Create(group: Group): Promise<Intercomm | null> {
    return this.rejecting(async () => {
      const call = 'Intercomm.Create';
      this.checkSubgroup(group, call);
      const member = group.rank !== UNDEFINED;
      // One color for the members, ordered by their rank in the group: the split pairs it with the other side's.
      const created = await this.endpoint(call).split(member ? 0 : UNDEFINED, member ? group.rank : 0);
      return this.adopt(created === undefined ? null : new Intercomm(created, `${this.Get_name()} create`));
    });
  }

  /**
   * `MPI_Intercomm_merge` (§7.6.2): one intracommunicator over both groups;
   * the group that passes `high` false comes first. Collective.
   */
  Merge(high = false): Promise<Intracomm> {
    return this.rejecting(async () => {
      const merged = await this.endpoint('Intercomm.Merge').merge(Boolean(high));
      const { Intracomm } = await import('./intracomm.js');
      return this.adopt(new Intracomm(merged, `${this.Get_name()} merged`));
    });
  }

  /**
   * `MPI_Comm_disconnect` (§11.8.2): waits for the communication pending on
   * the intercommunicator, then frees it. Collective over both groups. After
   * the parent intercommunicator is disconnected, `Get_parent()` is null.
   */
  override Disconnect(): Promise<void> {
    return this.rejecting(async () => {
      const endpoint = this.endpoint('Intercomm.Disconnect');
      if (endpoint.disconnect !== undefined) {
        await endpoint.disconnect();
        this.released();
      } else {
        this.Free();
      }
    });
  }

  // ---------------------------------------------------------- collectives

  /** `MPI_Comm_set_name` (MPI-4.1 §7.8); deadlock reports name the communicator by it too. */
  override Set_name(name: string): void {
    super.Set_name(name);
    if (this.interCollectives !== undefined) this.interCollectives.communicatorName = this.Get_name();
  }

  private collectives(call: string): InterCollectives {
    const endpoint = this.endpoint(call);
    if (this.interCollectives === undefined) {
      this.interCollectives = new InterCollectives(endpoint, collectiveScratch);
      this.interCollectives.communicatorName = this.Get_name();
    }
    return this.interCollectives;
  }

  /** Which side of a rooted collective this rank is on. */
  private role(root: number, call: string): InterRole {
    if (root === ROOT) return { kind: 'root' };
    if (root === PROC_NULL) return { kind: 'idle' };
    return { kind: 'receiver', root: checkRoot(root, this.endpoint(call).remoteSize, call) };
  }

  /** `MPI_Barrier` over both groups (§6.3): resolves once every rank of both has called it. */
  Barrier(): Promise<void> {
    try {
      return this.handled(this.collectives('Intercomm.Barrier').barrier());
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Ibarrier` over an intercommunicator (§6.12.1): nonblocking {@link Barrier}. */
  Ibarrier(): Request<void> {
    return request(this, this.collectives('Intercomm.Ibarrier').barrier(), 'Ibarrier()');
  }

  barrier(): Promise<void> {
    return this.Barrier();
  }

  /**
   * `MPI_Bcast` over an intercommunicator (§6.4): the root passes `MPI.ROOT`,
   * its group's other ranks `MPI.PROC_NULL` (with any buffer, `null` too), and
   * the other group the root's rank.
   */
  Bcast(buf: BufferSpec | null, root = 0): Promise<void> {
    return this.handled(this.bcastAs(buf, root, 'Intercomm.Bcast'));
  }

  /**
   * `MPI_Ibcast` over an intercommunicator (§6.12.2): nonblocking {@link Bcast}.
   *
   * @example
   * ```ts
   * const r = inter.Ibcast(data, 0); await r.Wait();
   * ```
   */
  Ibcast(buf: BufferSpec | null, root = 0): Request<void> {
    return request(this, this.bcastAs(buf, root, 'Intercomm.Ibcast'), `Ibcast(root=${root})`);
  }

  /** Bcast under the name `call`; the ranks of the root's group other than the root may pass null. */
  private async bcastAs(buf: BufferSpec | null, root: number, call: string): Promise<void> {
    const role = this.role(root, call);
    if (role.kind === 'idle' && buf === null) return this.collectives(call).bcast(new Uint8Array(0), role, call);
    const message = parseWideBuffer(buf, call);
    await this.collectives(call).bcast(message.bytes, role, call);
    if (role.kind === 'receiver') message.unpack?.();
  }

  /** Object form of {@link Bcast}: resolves with the root's value (undefined on `PROC_NULL` ranks). */
  bcast<T>(obj: T, root = 0): Promise<T | undefined> {
    const call = 'Intercomm.bcast';
    try {
      return this.handled(this.collectives(call).bcastObject(obj, this.role(root, call), call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Gather` of values over an intercommunicator (§6.5): the root gets the other group's values. */
  gather<T>(sendobj: T, root = 0): Promise<unknown[] | undefined> {
    const call = 'Intercomm.gather';
    try {
      return this.handled(this.collectives(call).gatherObject(sendobj, this.role(root, call), call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Scatter` of values over an intercommunicator (§6.6): remote rank `r` gets `sendobj[r]`. */
  scatter<T>(sendobj: readonly T[] | undefined, root = 0): Promise<T | undefined> {
    const call = 'Intercomm.scatter';
    try {
      const role = this.role(root, call);
      const remoteSize = this.endpoint(call).remoteSize;
      if (role.kind === 'root' && (!Array.isArray(sendobj) || sendobj.length !== remoteSize)) {
        throw errors.arg(call, `the root must pass an array of ${remoteSize} values, one per remote rank`);
      }
      return this.handled(this.collectives(call).scatterObject(sendobj, role, call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Allgather` of values over an intercommunicator (§6.7): every rank gets the remote group's values. */
  allgather<T>(sendobj: T): Promise<unknown[]> {
    const call = 'Intercomm.allgather';
    try {
      return this.handled(this.collectives(call).allgatherObject(sendobj, call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Alltoall` of values over an intercommunicator (§6.8): `sendobj[j]`
   * goes to remote rank `j`; position `i` of the result comes from remote rank `i`.
   */
  alltoall<T>(sendobj: readonly T[]): Promise<unknown[]> {
    const call = 'Intercomm.alltoall';
    try {
      const remoteSize = this.endpoint(call).remoteSize;
      if (!Array.isArray(sendobj) || sendobj.length !== remoteSize) {
        throw errors.arg(call, `expected an array of ${remoteSize} values, one per remote rank`);
      }
      return this.handled(this.collectives(call).alltoallObject(sendobj, call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Allreduce` of values over an intercommunicator (§6.9.6): each group
   * gets the reduction of the other group's values, in rank order; the op
   * may be a function of two values ({@link ValueFunction}).
   */
  allreduce<T>(sendobj: T, op: Op | ValueFunction<T> = ops.SUM): Promise<unknown> {
    const call = 'Intercomm.allreduce';
    try {
      return this.handled(this.collectives(call).allreduceObject(sendobj, checkValueOp(op, call), call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Reduce` of values over an intercommunicator (§6.9.1): the root gets the reduction of the other group's values. */
  reduce<T>(sendobj: T, op: Op | ValueFunction<T> = ops.SUM, root = 0): Promise<unknown> {
    const call = 'Intercomm.reduce';
    try {
      return this.handled(this.collectives(call).reduceObject(sendobj, checkValueOp(op, call), this.role(root, call), call));
    } catch (error) {
      return this.failed(error);
    }
  }

  // ------------------------------------------------------------ buffers

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
  Gather(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root = 0): Promise<void> {
    return this.handled(this.gatherv(sendbuf, recvbuf, root, false, 'Intercomm.Gather'));
  }

  /** `MPI_Igather` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Gather}. */
  Igather(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root = 0): Request<void> {
    return request(this, this.gatherv(sendbuf, recvbuf, root, false, 'Intercomm.Igather'), `Igather(root=${root})`);
  }

  /** `MPI_Gatherv` over an intercommunicator (MPI-4.1 §6.5.1): {@link Gather} with `[buf, [counts, displs], datatype]` at the root. */
  Gatherv(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root = 0): Promise<void> {
    return this.handled(this.gatherv(sendbuf, recvbuf, root, true, 'Intercomm.Gatherv'));
  }

  /** `MPI_Igatherv` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Gatherv}. */
  Igatherv(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root = 0): Request<void> {
    return request(this, this.gatherv(sendbuf, recvbuf, root, true, 'Intercomm.Igatherv'), `Igatherv(root=${root})`);
  }

  private async gatherv(sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean, call: string): Promise<void> {
    const role = this.role(root, call);
    const unpacks: (() => void)[] = [];
    const blocks = role.kind === 'root' ? remoteBlocks(recvbuf, this.endpoint(call).remoteSize, vector, 'receive', call,
      unpacks) : undefined;
    const send = role.kind === 'receiver' ? buffer(sendbuf, 'the send buffer', call).bytes : undefined;
    await this.collectives(call).gatherv(send, blocks, role, call);
    for (const unpack of unpacks) unpack();
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
  Scatter(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root = 0): Promise<void> {
    return this.handled(this.scatterv(sendbuf, recvbuf, root, false, 'Intercomm.Scatter'));
  }

  /** `MPI_Iscatter` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Scatter}. */
  Iscatter(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root = 0): Request<void> {
    return request(this, this.scatterv(sendbuf, recvbuf, root, false, 'Intercomm.Iscatter'), `Iscatter(root=${root})`);
  }

  /** `MPI_Scatterv` over an intercommunicator (MPI-4.1 §6.6.1): {@link Scatter} with `[buf, [counts, displs], datatype]` at the root. */
  Scatterv(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root = 0): Promise<void> {
    return this.handled(this.scatterv(sendbuf, recvbuf, root, true, 'Intercomm.Scatterv'));
  }

  /** `MPI_Iscatterv` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Scatterv}. */
  Iscatterv(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root = 0): Request<void> {
    return request(this, this.scatterv(sendbuf, recvbuf, root, true, 'Intercomm.Iscatterv'), `Iscatterv(root=${root})`);
  }

  private async scatterv(sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean, call: string): Promise<void> {
    const role = this.role(root, call);
    const blocks = role.kind === 'root' ? remoteBlocks(sendbuf, this.endpoint(call).remoteSize, vector, 'send', call)
      : undefined;
    const recv = role.kind === 'receiver' ? buffer(recvbuf, 'the receive buffer', call) : undefined;
    await this.collectives(call).scatterv(blocks, recv?.bytes, role, call);
    recv?.unpack?.();
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
    return this.handled(this.allgatherv(sendbuf, recvbuf, false, 'Intercomm.Allgather'));
  }

  /** `MPI_Iallgather` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Allgather}. */
  Iallgather(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return request(this, this.allgatherv(sendbuf, recvbuf, false, 'Intercomm.Iallgather'), 'Iallgather()');
  }

  /** `MPI_Allgatherv` over an intercommunicator (MPI-4.1 §6.7.1): {@link Allgather} with counts and displacements per remote rank. */
  Allgatherv(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    return this.handled(this.allgatherv(sendbuf, recvbuf, true, 'Intercomm.Allgatherv'));
  }

  /** `MPI_Iallgatherv` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Allgatherv}. */
  Iallgatherv(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return request(this, this.allgatherv(sendbuf, recvbuf, true, 'Intercomm.Iallgatherv'), 'Iallgatherv()');
  }

  private async allgatherv(sendbuf: unknown, recvbuf: unknown, vector: boolean, call: string): Promise<void> {
    const send = buffer(sendbuf, 'the send buffer', call).bytes;
    const unpacks: (() => void)[] = [];
    const blocks = remoteBlocks(recvbuf, this.endpoint(call).remoteSize, vector, 'receive', call, unpacks);
    await this.collectives(call).allgatherv(send, blocks, call);
    for (const unpack of unpacks) unpack();
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
    return this.handled(this.alltoallv(sendbuf, recvbuf, false, 'Intercomm.Alltoall'));
  }

  /** `MPI_Ialltoall` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Alltoall}. */
  Ialltoall(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return request(this, this.alltoallv(sendbuf, recvbuf, false, 'Intercomm.Ialltoall'), 'Ialltoall()');
  }

  /** `MPI_Alltoallv` over an intercommunicator (MPI-4.1 §6.8): {@link Alltoall} with counts and displacements per remote rank on both sides. */
  Alltoallv(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    return this.handled(this.alltoallv(sendbuf, recvbuf, true, 'Intercomm.Alltoallv'));
  }

  /** `MPI_Ialltoallv` over an intercommunicator (MPI-4.1 §6.12): nonblocking {@link Alltoallv}. */
  Ialltoallv(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return request(this, this.alltoallv(sendbuf, recvbuf, true, 'Intercomm.Ialltoallv'), 'Ialltoallv()');
  }

  private async alltoallv(sendbuf: unknown, recvbuf: unknown, vector: boolean, call: string): Promise<void> {
    const remoteSize = this.endpoint(call).remoteSize;
    // Block sizes may differ between the groups (one group's send blocks are the other's receive blocks).
    const out = remoteBlocks(sendbuf, remoteSize, vector, 'send', call);
    const unpacks: (() => void)[] = [];
    const into = remoteBlocks(recvbuf, remoteSize, vector, 'receive', call, unpacks);
    await this.collectives(call).alltoallv(out, into, call);
    for (const unpack of unpacks) unpack();
  }

  /**
   * `MPI_Alltoallw` over an intercommunicator (MPI-4.1 §6.8): {@link Alltoallv}
   * with byte displacements and a datatype (predefined or derived) per remote
   * rank, `[buf, [counts, displs], datatypes]` or
   * `[buf, counts, displs, datatypes]` as on an intracommunicator; entry `j`
   * is the block for or from remote rank `j`. No `MPI.IN_PLACE`.
   *
   * @example
   * ```ts
   * // one double to each remote rank; one int from each (the other group sends ints)
   * const n = inter.remote_size;
   * const ones = new Array<number>(n).fill(1);
   * const out = new Float64Array(n).fill(inter.rank);
   * const into = new Int32Array(n);
   * await inter.Alltoallw([out, [ones, ones.map((_, j) => 8 * j)], new Array(n).fill(MPI.DOUBLE)],
   *   [into, [ones, ones.map((_, i) => 4 * i)], new Array(n).fill(MPI.INT)]);
   * ```
   */
  Alltoallw(sendbuf: WBufferSpec, recvbuf: WBufferSpec): Promise<void> {
    return this.handled(this.alltoallw(sendbuf, recvbuf, 'Intercomm.Alltoallw'));
  }

  /** `MPI_Ialltoallw` over an intercommunicator (MPI-4.1 §6.12.6): nonblocking {@link Alltoallw}. @example `await inter.Ialltoallw(sendW, recvW).Wait();` */
  Ialltoallw(sendbuf: WBufferSpec, recvbuf: WBufferSpec): Request<void> {
    return request(this, this.alltoallw(sendbuf, recvbuf, 'Intercomm.Ialltoallw'), 'Ialltoallw()');
  }

  private async alltoallw(sendbuf: WBufferSpec, recvbuf: WBufferSpec, call: string): Promise<void> {
    const remoteSize = this.endpoint(call).remoteSize;
    present(sendbuf, 'the send buffer', call);
    present(recvbuf, 'the receive buffer', call);
    const out = wBlocks(sendbuf, remoteSize, 'send', call, true);
    // A receive spec with gaps (see blocks.ts) arrives in staging and is unpacked afterwards.
    const into = wBlocks(recvbuf, remoteSize, 'receive', call, false);
    await this.collectives(call).alltoallv(out.blocks, into.blocks, call);
    into.unpack?.();
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
  Reduce(sendbuf: BufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM,
    root = 0): Promise<void> {
    return this.handled(this.reduceAs(sendbuf, recvbuf, op, root, 'Intercomm.Reduce'));
  }

  /** `MPI_Ireduce` over an intercommunicator (§6.12.7): nonblocking {@link Reduce}. */
  Ireduce(sendbuf: BufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM,
    root = 0): Request<void> {
    return request(this, this.reduceAs(sendbuf, recvbuf, op, root, 'Intercomm.Ireduce'), `Ireduce(root=${root})`);
  }

  private async reduceAs(sendbuf: BufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, op: Op,
    root: number, call: string): Promise<void> {
    const role = this.role(root, call);
    if (role.kind === 'idle') return this.collectives(call).reduce(undefined, undefined, undefined, undefined, role, call);
    const checked = checkOp(op, call);
    const mine = role.kind === 'root' ? buffer(recvbuf, 'the receive buffer at the root', call, checked.wholeElements)
      : buffer(sendbuf, 'the send buffer', call, checked.wholeElements);
    checked.check(mine.datatype, call);
    await this.collectives(call).reduce(role.kind === 'receiver' ? mine.bytes : undefined,
      role.kind === 'root' ? mine.bytes : undefined, mine.datatype, checked, role, call);
    if (role.kind === 'root') mine.unpack?.();
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
  Allreduce(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    return this.handled(this.allreduceAs(sendbuf, recvbuf, op, 'Intercomm.Allreduce'));
  }

  /** `MPI_Iallreduce` over an intercommunicator (§6.12.8): nonblocking {@link Allreduce}. */
  Iallreduce(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): Request<void> {
    return request(this, this.allreduceAs(sendbuf, recvbuf, op, 'Intercomm.Iallreduce'), 'Iallreduce()');
  }

  private async allreduceAs(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op, call: string): Promise<void> {
    const { send, recv, op: checked } = reductionArgs(sendbuf, recvbuf, op, true, call);
    await this.collectives(call).allreduce(send.bytes, sliceBytes(recv.bytes, 0, send.bytes.byteLength), send.datatype,
      checked, call);
    recv.unpack?.(send.bytes.byteLength);
  }

  /**
   * `MPI_Reduce_scatter` over an intercommunicator (MPI-4.1 §6.10.1): each
   * group reduces its `sendbuf`s element-wise, in rank order, and the result
   * is scattered over the other group: local rank `i` gets `recvcounts[i]`
   * elements of the remote group's reduction. Within a group every rank
   * passes the same `recvcounts` (one per local rank) and a `sendbuf` of
   * their sum, a sum that must be the same in both groups. `recvcounts` is
   * required, as in mpi4py over an intercommunicator.
   *
   * @example
   * ```ts
   * const counts = [2, 1]; // a local group of two
   * await inter.Reduce_scatter(new Float64Array(3).fill(inter.rank), mine, counts, MPI.SUM);
   * ```
   */
  Reduce_scatter(sendbuf: BufferSpec, recvbuf: BufferSpec, recvcounts: readonly number[], op: Op = ops.SUM): Promise<void> {
    return this.handled(this.reduceScatterAs(sendbuf, recvbuf, recvcounts, op, 'Intercomm.Reduce_scatter'));
  }

  /** `MPI_Ireduce_scatter` over an intercommunicator (§6.12.9): nonblocking {@link Reduce_scatter}. */
  Ireduce_scatter(sendbuf: BufferSpec, recvbuf: BufferSpec, recvcounts: readonly number[], op: Op = ops.SUM): Request<void> {
    return request(this, this.reduceScatterAs(sendbuf, recvbuf, recvcounts, op, 'Intercomm.Ireduce_scatter'),
      'Ireduce_scatter()');
  }

  private async reduceScatterAs(sendbuf: BufferSpec, recvbuf: BufferSpec, recvcounts: readonly number[], op: Op,
    call: string): Promise<void> {
    const { rank, size } = this.endpoint(call);
    const { send, recv, op: checked } = reductionArgs(sendbuf, recvbuf, op, false, call);
    // Checked at run time too: a JavaScript caller may pass null, which mpi4py refuses over an intercommunicator.
    const counts = recvCounts(recvcounts, size, recvbuf, recv, call, ', one per local rank');
    const total = counts.reduce((a, b) => a + b, 0);
    if (send.count !== total) {
      throw errors.count(call, `the send buffer holds ${send.count} elements but recvcounts add up to ${total}`);
    }
    if (recv.count < counts[rank]!) {
      throw errors.count(call, `the receive buffer holds ${recv.count} elements, ${counts[rank]} needed`);
    }
    const unit = send.datatype.size;
    await this.collectives(call).reduceScatter(send.bytes, sliceBytes(recv.bytes, 0, counts[rank]! * unit),
      counts.map((c) => c * unit), send.datatype, checked, call);
    recv.unpack?.(counts[rank]! * unit);
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
  Reduce_scatter_block(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    return this.handled(this.reduceScatterBlockAs(sendbuf, recvbuf, op, 'Intercomm.Reduce_scatter_block'));
  }

  /** `MPI_Ireduce_scatter_block` over an intercommunicator (§6.12.9): nonblocking {@link Reduce_scatter_block}. */
  Ireduce_scatter_block(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): Request<void> {
    return request(this, this.reduceScatterBlockAs(sendbuf, recvbuf, op, 'Intercomm.Ireduce_scatter_block'),
      'Ireduce_scatter_block()');
  }

  private async reduceScatterBlockAs(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op, call: string): Promise<void> {
    const { size, remoteSize } = this.endpoint(call);
    const { send, recv, op: checked } = reductionArgs(sendbuf, recvbuf, op, false, call);
    if (send.count !== size * recv.count) {
      throw errors.count(call, `the send buffer holds ${send.count} elements but ${size} local ranks receiving ` +
        `${recv.count} each need ${size * recv.count}`);
    }
    if (send.count % remoteSize !== 0) {
      throw errors.count(call, `${send.count} elements do not split into ${remoteSize} equal blocks for the remote group`);
    }
    await this.collectives(call).reduceScatterBlock(send.bytes, recv.bytes, send.datatype, checked, call);
    recv.unpack?.();
  }

  // ------------------------------------------------------------ persistent

  /**
   * `MPI_Barrier_init` over an intercommunicator (MPI-4.1 §6.13): a
   * persistent {@link Barrier}; each `Start` runs one over both groups.
   *
   * @example
   * ```ts
   * const b = inter.Barrier_init();
   * b.Start(); await b.Wait();
   * ```
   */
  Barrier_init(): CollectivePrequest {
    const call = 'Intercomm.Barrier_init';
    return this.persistent(call, () => this.collectives(call).barrier());
  }

  /**
   * `MPI_Bcast_init` over an intercommunicator (MPI-4.1 §6.13): a persistent
   * {@link Bcast}, roots as there; the root's `buf` is read at each `Start`.
   *
   * @example
   * ```ts
   * const p = children.Bcast_init(params, MPI.ROOT); // each child: parent.Bcast_init(params, 0)
   * p.Start(); await p.Wait();
   * ```
   */
  Bcast_init(buf: BufferSpec | null, root = 0): CollectivePrequest {
    const call = 'Intercomm.Bcast_init';
    return this.persistent(call, () => this.bcastAs(buf, root, call));
  }

  /** `MPI_Gather_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Gather}. @example `const p = inter.Gather_init(null, all, MPI.ROOT);` */
  Gather_init(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root = 0): CollectivePrequest {
    const call = 'Intercomm.Gather_init';
    return this.persistent(call, () => this.gatherv(sendbuf, recvbuf, root, false, call));
  }

  /** `MPI_Gatherv_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Gatherv}. @example `const p = inter.Gatherv_init(null, [all, counts], MPI.ROOT);` */
  Gatherv_init(sendbuf: BufferSpec | null | undefined, recvbuf: VectorBufferSpec | null | undefined, root = 0): CollectivePrequest {
    const call = 'Intercomm.Gatherv_init';
    return this.persistent(call, () => this.gatherv(sendbuf, recvbuf, root, true, call));
  }

  /** `MPI_Scatter_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Scatter}. @example `const p = inter.Scatter_init(null, mine, 0);` */
  Scatter_init(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root = 0): CollectivePrequest {
    const call = 'Intercomm.Scatter_init';
    return this.persistent(call, () => this.scatterv(sendbuf, recvbuf, root, false, call));
  }

  /** `MPI_Scatterv_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Scatterv}. @example `const p = inter.Scatterv_init([all, counts], null, MPI.ROOT);` */
  Scatterv_init(sendbuf: VectorBufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, root = 0): CollectivePrequest {
    const call = 'Intercomm.Scatterv_init';
    return this.persistent(call, () => this.scatterv(sendbuf, recvbuf, root, true, call));
  }

  /** `MPI_Allgather_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Allgather}. @example `const p = inter.Allgather_init(mine, theirs);` */
  Allgather_init(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Intercomm.Allgather_init';
    return this.persistent(call, () => this.allgatherv(sendbuf, recvbuf, false, call));
  }

  /** `MPI_Allgatherv_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Allgatherv}. @example `const p = inter.Allgatherv_init(mine, [theirs, counts]);` */
  Allgatherv_init(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Intercomm.Allgatherv_init';
    return this.persistent(call, () => this.allgatherv(sendbuf, recvbuf, true, call));
  }

  /** `MPI_Alltoall_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Alltoall}. @example `const p = inter.Alltoall_init(outgoing, incoming);` */
  Alltoall_init(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Intercomm.Alltoall_init';
    return this.persistent(call, () => this.alltoallv(sendbuf, recvbuf, false, call));
  }

  /** `MPI_Alltoallv_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Alltoallv}. @example `const p = inter.Alltoallv_init([out, sendCounts], [into, recvCounts]);` */
  Alltoallv_init(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Intercomm.Alltoallv_init';
    return this.persistent(call, () => this.alltoallv(sendbuf, recvbuf, true, call));
  }

  /** `MPI_Alltoallw_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Alltoallw}. @example `const p = inter.Alltoallw_init(sendW, recvW);` */
  Alltoallw_init(sendbuf: WBufferSpec, recvbuf: WBufferSpec): CollectivePrequest {
    const call = 'Intercomm.Alltoallw_init';
    return this.persistent(call, () => this.alltoallw(sendbuf, recvbuf, call));
  }

  /** `MPI_Reduce_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Reduce}. @example `const p = inter.Reduce_init(null, totals, MPI.SUM, MPI.ROOT);` */
  Reduce_init(sendbuf: BufferSpec | null | undefined, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM,
    root = 0): CollectivePrequest {
    const call = 'Intercomm.Reduce_init';
    return this.persistent(call, () => this.reduceAs(sendbuf, recvbuf, op, root, call));
  }

  /** `MPI_Allreduce_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Allreduce}. @example `const p = inter.Allreduce_init(mine, theirsSummed, MPI.SUM);` */
  Allreduce_init(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): CollectivePrequest {
    const call = 'Intercomm.Allreduce_init';
    return this.persistent(call, () => this.allreduceAs(sendbuf, recvbuf, op, call));
  }

  /** `MPI_Reduce_scatter_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Reduce_scatter}. @example `const p = inter.Reduce_scatter_init(all, mine, [2, 1], MPI.SUM);` */
  Reduce_scatter_init(sendbuf: BufferSpec, recvbuf: BufferSpec, recvcounts: readonly number[], op: Op = ops.SUM): CollectivePrequest {
    const call = 'Intercomm.Reduce_scatter_init';
    return this.persistent(call, () => this.reduceScatterAs(sendbuf, recvbuf, recvcounts, op, call));
  }

  /** `MPI_Reduce_scatter_block_init` over an intercommunicator (MPI-4.1 §6.13): a persistent {@link Reduce_scatter_block}. @example `const p = inter.Reduce_scatter_block_init(all, mine, MPI.SUM);` */
  Reduce_scatter_block_init(sendbuf: BufferSpec, recvbuf: BufferSpec, op: Op = ops.SUM): CollectivePrequest {
    const call = 'Intercomm.Reduce_scatter_block_init';
    return this.persistent(call, () => this.reduceScatterBlockAs(sendbuf, recvbuf, op, call));
  }
}
