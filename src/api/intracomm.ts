/**
 * Intra-communicators: the communicators that collectives run on, and the
 * constructors that make new ones.
 *
 * MPI-4.1 §7.4 (communicator constructors: `Dup`, `Split`, `Split_type`,
 * `Create`, `Create_group`), §7.6.2 (`Create_intercomm`), §8.5.1
 * (`Create_cart`), §11.8.2 (`Spawn`), §11.8.3 (`Spawn_multiple`), §11.9.2-3
 * (`Accept`, `Connect`), §11.10.4 (`Disconnect`).
 *
 * MPI-4.1 §6 (collective communication: barrier §6.3, broadcast §6.4,
 * gather §6.5, scatter §6.6, allgather §6.7, all-to-all §6.8, reductions
 * §6.9, reduce-scatter §6.10, scans §6.11, nonblocking collectives §6.12),
 * §7.4.2 (`MPI_Comm_dup`, `MPI_Comm_split`).
 *
 * Two families, as in mpi4py: lower-case methods move any value through the
 * object codec (`bcast`, `gather`, `allreduce`, ...), Capitalized ones move
 * typed-array buffers (`Bcast`, `Gatherv`, `Allreduce`, ...), with the buffer
 * specs of `buffer.ts` and `MPI.IN_PLACE` wherever MPI allows it. Every call
 * returns a Promise; the I-forms (`Ibcast`, ...) return a `Request`. All
 * ranks must call the same collectives in the same order; on shm a mismatch
 * (another collective, root or size) rejects with an error naming both calls.
 *
 * Neighbourhood collectives live on `Cartcomm` (topology.ts), intercommunicator
 * collectives on `Intercomm` (intercomm.ts).
 *
 * MPI-4.1 §6.8 (`MPI_Alltoallw`), §6.13 (persistent collectives:
 * `Barrier_init` ... `Exscan_init`, returning a `CollectivePrequest`),
 * §7.4.2 (`MPI_Comm_idup`, `MPI_Comm_create_from_group`), §8.5.3-§8.5.4
 * (`Create_graph`, `Create_dist_graph_adjacent`, `Create_dist_graph`),
 * §8.5.8 (`Cart_map`, `Graph_map`).
 *
 * Unfinished: `info` arguments. (`Alltoallw` runs as an `Alltoallv` of
 * bytes, MPI's `MPI_Ialltoallv` on the mpi transport, with datatypes that
 * have gaps packed and unpacked around it: `blocks.ts`.)
 *
 * @module
 */

import { type BufferSpec, singleView, type VectorBufferSpec } from '../buffer.js';
import * as args from './arguments.js';
import { objectCollectivesOf, type ObjectCollectives } from '../collective/objects.js';
import { PromiseOperation } from './promise_operation.js';
import { ERRORS_RETURN, type Errhandler, checkErrhandler } from './errhandler.js';
import { hintsFrom, INFO_NULL, type Info } from './info.js';
import { infoArgument } from './port.js';
import { sequencerOf } from '../collective/run.js';
import { Comm } from './comm.js';
import { COMM_TYPE_SHARED, IN_PLACE, type InPlace, UNDEFINED } from '../constants.js';
import { collectiveScratch, Get_processor_name, transport } from '../environment.js';
import { errors, rejecting } from '../errors.js';
import { Group, stringTag } from './group.js';
import { Intercomm } from './intercomm.js';
import { type Op, ops, type ValueFunction } from '../op/op.js';
import { Request } from './request.js';
import type { Cartcomm } from './topology.js';
import type { Distgraphcomm, Graphcomm, Weights } from './graph.js';
import { type WBufferSpec, wLayout } from './blocks.js';
import type { CollectivePrequest } from './persistent.js';
import type { Endpoint, PointToPoint } from '../transport/transport.js';

/** A send or receive buffer that may be `MPI.IN_PLACE`. */
type InPlaceOr<T> = T | InPlace;

/**
 * A nonblocking collective's Request, whose failure goes through `comm`'s
 * error handler; `label` starts with the call's name: `Ibcast(root=0)`.
 */
function request(comm: Intracomm, promise: Promise<void>, label: string): Request<void> {
  return new Request(new PromiseOperation(promise, label), `Comm.${label.slice(0, label.indexOf('('))}`, undefined, comm);
}

/**
 * An intra-communicator (MPI-4.1 §7.1): `MPI.COMM_WORLD`, `MPI.COMM_SELF` and
 * every communicator made from them by `Dup` or `Split`.
 *
 * @example
 * ```ts
 * const comm = MPI.COMM_WORLD;
 * const config = await comm.bcast(comm.rank === 0 ? loadConfig() : undefined);
 * const total = await comm.allreduce(localCount, MPI.SUM);
 * await comm.Allreduce(MPI.IN_PLACE, gradients, MPI.SUM);
 * ```
 */
export class Intracomm extends Comm<Endpoint> {
  constructor(endpoint: Endpoint, name: string) {
    super(endpoint, name);
    sequencerOf(endpoint.collectives.channel, collectiveScratch).communicatorName = name;
  }

  /** `MPI_Comm_set_name` (MPI-4.1 §7.8); deadlock reports name the communicator by it too. */
  override Set_name(name: string): void {
    super.Set_name(name);
    sequencerOf(this.endpoint('Comm.Set_name').collectives.channel, collectiveScratch).communicatorName = this.Get_name();
  }

  /**
   * `MPI_Comm_split` (MPI-4.1 §7.4.2): ranks with the same `color` form a new
   * communicator, ordered by `key` then by rank; `MPI.UNDEFINED` gives
   * `MPI.COMM_NULL` (null). Collective.
   *
   * @example
   * ```ts
   * const row = await comm.Split(Math.floor(comm.rank / 2), comm.rank);
   * ```
   */
  Split(color = 0, key = 0): Promise<Intracomm | null> {
    return this.handled(this.splitAs(color, key, 'Comm.Split'));
  }

  /** `Split` under the name `call`, without the error handler (its caller applies it). */
  private async splitAs(color: number, key: number, call: string): Promise<Intracomm | null> {
    const endpoint = this.endpoint(call);
    args.checkSplit(color, key, call);
    const split = await endpoint.split(color, key);
    return this.adopt(split === undefined ? null : new Intracomm(split, `${this.Get_name()} split ${color}`));
  }

  /**
   * `MPI_Comm_dup` (MPI-4.1 §7.4.2): the same group in a new context, of this
   * communicator's kind (a Cartcomm's copy is a Cartcomm of the same grid).
   * Collective.
   */
  Dup(): Promise<this> {
    return this.rejecting(async () => {
      const endpoint = this.endpoint('Comm.Dup');
      const dup = await endpoint.split(0, endpoint.rank);
      // sameKind makes a communicator of this one's class.
      return this.inherit(await this.sameKind(dup!, `${this.Get_name()} dup`)) as this;
    });
  }

  /** A communicator of this one's kind over `endpoint`, a new context of the same group (what `Dup` returns). */
  protected async sameKind(endpoint: Endpoint, name: string): Promise<Intracomm> {
    return new Intracomm(endpoint, name);
  }

  /** mpi4py's `Clone`: the same as {@link Dup}. */
  Clone(): Promise<this> {
    return this.Dup();
  }

  /**
   * `MPI_Comm_split_type` (MPI-4.1 §7.4.2): with `MPI.COMM_TYPE_SHARED`, one
   * communicator per node (on the mpi transport MPI's own grouping, on shm
   * ranks with the same processor name), ordered by
   * `key`; `MPI.UNDEFINED` gives null. Collective.
   *
   * @example
   * ```ts
   * const node = await comm.Split_type(MPI.COMM_TYPE_SHARED);
   * ```
   */
  Split_type(splitType: number, key = 0): Promise<Intracomm | null> {
    return this.rejecting(async () => {
      const call = 'Comm.Split_type';
      const endpoint = this.endpoint(call);
      if (splitType !== COMM_TYPE_SHARED && splitType !== UNDEFINED) {
        throw errors.arg(call, `invalid split type ${String(splitType)}: use MPI.COMM_TYPE_SHARED or MPI.UNDEFINED`);
      }
      // A transport over a real MPI asks it: hosts may share a name (containers).
      if (splitType === COMM_TYPE_SHARED && endpoint.splitShared !== undefined) {
        if (!Number.isInteger(key)) throw errors.arg(call, `invalid key ${String(key)}: must be an integer`);
        return this.adopt(new Intracomm(await endpoint.splitShared(key), `${this.Get_name()} split shared`));
      }
      const names = await this.objects(call).allgather(splitType === UNDEFINED ? '' : Get_processor_name());
      const color = splitType === UNDEFINED ? UNDEFINED : names.indexOf(names[this.rank]!);
      return this.splitAs(color, key, call);
    });
  }

  /**
   * `MPI_Comm_create` (MPI-4.1 §7.4.2): a communicator over the members of
   * `group` (a subset of this communicator's group), in group order; null on
   * the other ranks. Collective over this communicator.
   *
   * @example
   * ```ts
   * const evens = await comm.Create(comm.Get_group().Incl([0, 2, 4]));
   * ```
   */
  Create(group: Group): Promise<Intracomm | null> {
    return this.rejecting(async () => {
      const call = 'Comm.Create';
      this.checkSubgroup(group, call);
      const member = group.rank !== UNDEFINED;
      return this.splitAs(member ? 0 : UNDEFINED, member ? group.rank : 0, call);
    });
  }

  /**
   * `MPI_Comm_create_group` (MPI-4.1 §7.4.2): like {@link Create}, but only
   * the members of `group` call it; `tag` tells apart concurrent calls.
   *
   * @example
   * ```ts
   * if (isWorker) workers = await comm.Create_group(workerGroup, 5);
   * ```
   */
  Create_group(group: Group, tag = 0): Promise<Intracomm> {
    return this.rejecting(async () => {
      const call = 'Comm.Create_group';
      const endpoint = this.endpoint(call);
      const members = this.checkSubgroup(group, call);
      if (group.rank === UNDEFINED) throw errors.group(call, 'only the members of the group call Create_group');
      if (!Number.isInteger(tag) || tag < 0) throw errors.tag(call, tag, false);
      const created = await endpoint.createGroup(members, tag);
      return this.adopt(new Intracomm(created, `${this.Get_name()} group`));
    });
  }

  /**
   * `MPI_Cart_create` (MPI-4.1 §8.5.1): a Cartesian grid of `dims` over the
   * first ranks of this communicator, `periods` per dimension (or one for
   * all); null on ranks left out. Collective. `dims` may be empty: a grid of
   * one cell, which rank 0 alone joins.
   *
   * @example
   * ```ts
   * const grid = await comm.Create_cart(MPI.Compute_dims(comm.size, 2), [true, true]);
   * ```
   */
  Create_cart(dims: readonly number[], periods?: readonly boolean[] | boolean): Promise<Cartcomm | null> {
    return this.rejecting(async () => {
      const { createCart } = await import('./topology.js');
      return this.adopt(await createCart(this, dims, periods));
    });
  }

  /**
   * `MPI_Graph_create` (MPI-4.1 §8.5.3): a graph of `index.length` nodes over
   * the first ranks of this communicator; `index[i]` is the number of
   * neighbours of nodes 0..i together, `edges` lists them node after node.
   * Null on ranks left out. Collective; `reorder` is accepted and ignored.
   *
   * @example
   * ```ts
   * const graph = await comm.Create_graph([1, 2], [1, 0]); // two nodes, linked
   * ```
   */
  Create_graph(index: readonly number[], edges: readonly number[], reorder = false): Promise<Graphcomm | null> {
    return this.rejecting(async () => {
      void reorder;
      const { createGraph } = await import('./graph.js');
      return this.adopt(await createGraph(this, index, edges));
    });
  }

  /**
   * `MPI_Dist_graph_create_adjacent` (MPI-4.1 §8.5.4): a distributed graph in
   * which this rank receives from `sources` and sends to `destinations`,
   * optionally weighted (`MPI.UNWEIGHTED` by default; `MPI.WEIGHTS_EMPTY`
   * for no edges in a weighted graph). Collective.
   *
   * @example
   * ```ts
   * const ring = await comm.Create_dist_graph_adjacent([(comm.rank + comm.size - 1) % comm.size], [(comm.rank + 1) % comm.size]);
   * ```
   */
  Create_dist_graph_adjacent(sources: readonly number[], destinations: readonly number[],
    sourceweights?: Weights, destweights?: Weights, info?: unknown, reorder = false): Promise<Distgraphcomm> {
    return this.rejecting(async () => {
      void info; void reorder;
      const { createDistGraphAdjacent } = await import('./graph.js');
      return this.adopt(await createDistGraphAdjacent(this, sources, destinations, sourceweights, destweights));
    });
  }

  /**
   * `MPI_Dist_graph_create` (MPI-4.1 §8.5.4): each rank declares any edges:
   * `degrees[i]` edges from `sources[i]` to the next entries of
   * `destinations` (with `weights` per edge, optional). Collective.
   *
   * @example
   * ```ts
   * // rank 0 declares a star: 0 -> every other rank
   * const others = Array.from({ length: comm.size - 1 }, (_, i) => i + 1);
   * const star = await comm.Create_dist_graph(comm.rank === 0 ? [0] : [], comm.rank === 0 ? [others.length] : [], comm.rank === 0 ? others : []);
   * ```
   */
  Create_dist_graph(sources: readonly number[], degrees: readonly number[], destinations: readonly number[],
    weights?: Weights, info?: unknown, reorder = false): Promise<Distgraphcomm> {
    return this.rejecting(async () => {
      void info; void reorder;
      const { createDistGraph } = await import('./graph.js');
      return this.adopt(await createDistGraph(this, sources, degrees, destinations, weights,
        (edges) => this.objects('Comm.Create_dist_graph').allgather(edges)));
    });
  }

  /**
   * `MPI_Cart_map` (MPI-4.1 §8.5.8): this rank's rank in a grid of `dims`
   * made by `Create_cart`, or `MPI.UNDEFINED` if it would be left out.
   *
   * @example
   * ```ts
   * comm.Cart_map([2, 2]); // comm.rank for the first 4 ranks, MPI.UNDEFINED after
   * ```
   */
  Cart_map(dims: readonly number[], periods?: readonly boolean[] | null): number {
    const call = 'Comm.Cart_map';
    try {
      const endpoint = this.endpoint(call);
      if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 1)) {
        throw errors.dims(call, `dims must be positive integers, got ${JSON.stringify(dims)}`);
      }
      if (periods !== undefined && periods !== null && periods.length !== dims.length) {
        throw errors.dims(call, `expected ${dims.length} periods, got ${periods.length}`);
      }
      const cells = dims.reduce((a, b) => a * b, 1);
      if (cells > endpoint.size) throw errors.dims(call, `a ${dims.join('x')} grid needs ${cells} ranks but the communicator has ${endpoint.size}`);
      return endpoint.rank < cells ? endpoint.rank : UNDEFINED;
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Graph_map` (MPI-4.1 §8.5.8): this rank's rank in a graph made by
   * `Create_graph(index, edges)`, or `MPI.UNDEFINED` if it would be left out.
   *
   * @example
   * ```ts
   * comm.Graph_map([1, 2], [1, 0]); // ranks 0 and 1 keep theirs
   * ```
   */
  Graph_map(index: readonly number[], edges: readonly number[]): Promise<number> {
    return this.rejecting(async () => {
      const call = 'Comm.Graph_map';
      const endpoint = this.endpoint(call);
      const { checkGraph } = await import('./graph.js');
      const nnodes = checkGraph(index, edges, endpoint.size, call);
      return endpoint.rank < nnodes ? endpoint.rank : UNDEFINED;
    });
  }

  /**
   * `MPI_Comm_idup` (MPI-4.1 §7.4.2): a nonblocking {@link Dup}, as mpi4py's
   * `[newcomm, request]`; here the communicator comes once the request
   * completes, so this resolves to the pair with the request already complete.
   *
   * @example
   * ```ts
   * const [copy, req] = await comm.Idup();
   * await req.Wait();
   * ```
   */
  async Idup(): Promise<[this, Request<void>]> {
    const copy = await this.Dup();
    return [copy, request(this, Promise.resolve(), 'Idup()')];
  }

  /**
   * `MPI_Comm_create_from_group` (MPI-4.1 §7.4.2): a communicator over the
   * members of `group`, called by them only; `stringtag` tells apart
   * concurrent calls. Needs no parent communicator. The new communicator's
   * hints are `info`'s and its error handler is `errhandler` (§9.3);
   * without one, `MPI.ERRORS_RETURN`, mpi4py's default (its `errhandler=None`).
   *
   * @example
   * ```ts
   * const world = MPI.COMM_WORLD.Get_group();
   * const evens = world.Incl(Array.from({ length: Math.ceil(world.size / 2) }, (_, i) => 2 * i));
   * if (evens.rank !== MPI.UNDEFINED) {
   *   const comm = await MPI.Intracomm.Create_from_group(evens, 'evens', MPI.INFO_NULL, MPI.ERRORS_ARE_FATAL);
   * }
   * ```
   */
  static async Create_from_group(group: Group, stringtag = 'org.mpi4py', info: Info = INFO_NULL,
    errhandler: Errhandler = ERRORS_RETURN): Promise<Intracomm> {
    const call = 'Intracomm.Create_from_group';
    if (!(group instanceof Group)) throw errors.group(call, 'expected an MPI.Group');
    if (group.size === 0) throw errors.group(call, 'the group is empty');
    if (group.rank === UNDEFINED) throw errors.group(call, 'only the members of the group call Create_from_group');
    const hints = hintsFrom(info, call);
    const handler = checkErrhandler(errhandler, call);
    const world = transport().world;
    const created = new Intracomm(await world.createGroup(group.members, stringTag(String(stringtag))), `group ${stringtag}`);
    created.Set_info(hints);
    created.Set_errhandler(handler);
    return created;
  }

  /**
   * `MPI_Alltoallw` (MPI-4.1 §6.8): like {@link Alltoallv}, with byte
   * displacements and a datatype (predefined or derived) per rank:
   * `[buf, [counts, displs], datatypes]`. `sendbuf` may be `MPI.IN_PLACE`.
   *
   * @example
   * ```ts
   * const n = comm.size;
   * const out = Int32Array.from({ length: n }, (_, j) => 10 * comm.rank + j);
   * const into = new Int32Array(n);
   * const counts = new Array<number>(n).fill(1);
   * const displs = Array.from({ length: n }, (_, j) => 4 * j);
   * const types = new Array(n).fill(MPI.INT32_T);
   * await comm.Alltoallw([out, [counts, displs], types], [into, [counts, displs], types]);
   * ```
   */
  Alltoallw(sendbuf: InPlaceOr<WBufferSpec>, recvbuf: WBufferSpec): Promise<void> {
    try {
      return this.handled(this.alltoallw(sendbuf, recvbuf, 'Comm.Alltoallw'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Ialltoallw` (MPI-4.1 §6.12.6): nonblocking {@link Alltoallw}. @example `await comm.Ialltoallw(sendW, recvW).Wait();` */
  Ialltoallw(sendbuf: InPlaceOr<WBufferSpec>, recvbuf: WBufferSpec): Request<void> {
    return request(this, rejecting(() => this.alltoallw(sendbuf, recvbuf, 'Comm.Ialltoallw')), 'Ialltoallw()');
  }

  /**
   * `Alltoallw` is `Alltoallv` in bytes, of the buffers in place or packed
   * (`blocks.ts`). Buffers past the longest byte view take the block
   * collectives (`args.blockPath`).
   */
  private alltoallw(sendbuf: InPlaceOr<WBufferSpec>, recvbuf: WBufferSpec, call: string): Promise<void> {
    const endpoint = this.endpoint(call);
    const recv = wLayout(recvbuf, endpoint.size, 'receive', call, sendbuf === IN_PLACE);
    const send = sendbuf === IN_PLACE ? undefined : wLayout(sendbuf, endpoint.size, 'send', call, true);
    const blocks = args.blockPath(endpoint, !(recv.bytes instanceof Uint8Array) || (send !== undefined && !(send.bytes instanceof Uint8Array)));
    const done = blocks !== undefined
      ? blocks.alltoallv(send?.bytes, send?.counts ?? recv.counts, send?.displs ?? recv.displs, recv.bytes, recv.counts, recv.displs)
      : endpoint.collectives.alltoallv(send && singleView(send.bytes, call), send?.counts ?? recv.counts,
        send?.displs ?? recv.displs, singleView(recv.bytes, call), recv.counts, recv.displs);
    return recv.unpack === undefined ? done : done.then(recv.unpack);
  }

  // ------------------------------------------------------------ persistent

  /**
   * `MPI_Barrier_init` (MPI-4.1 §6.13): a persistent barrier; each `Start`
   * runs one, `Wait` completes it.
   *
   * @example
   * ```ts
   * const b = comm.Barrier_init();
   * b.Start(); await b.Wait();
   * ```
   */
  Barrier_init(): CollectivePrequest {
    const call = 'Comm.Barrier_init';
    return this.persistent(call, () => this.endpoint(call).collectives.barrier());
  }

  /**
   * `MPI_Bcast_init` (MPI-4.1 §6.13): a persistent {@link Bcast} of `buf`,
   * whose contents are read at each `Start`.
   *
   * @example
   * ```ts
   * const p = comm.Bcast_init(data, 0);
   * p.Start(); await p.Wait();
   * ```
   */
  Bcast_init(buf: BufferSpec, root = 0): CollectivePrequest {
    const call = 'Comm.Bcast_init';
    return this.persistent(call, () => args.bcast(this.endpoint(call), buf, root, call));
  }

  /** `MPI_Gather_init` (MPI-4.1 §6.13): a persistent {@link Gather}. @example `const p = comm.Gather_init(mine, all, 0);` */
  Gather_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec | null | undefined, root = 0): CollectivePrequest {
    const call = 'Comm.Gather_init';
    return this.persistent(call, () => args.gather(this.endpoint(call), sendbuf, recvbuf, root, false, call));
  }

  /** `MPI_Gatherv_init` (MPI-4.1 §6.13): a persistent {@link Gatherv}. @example `const p = comm.Gatherv_init(mine, [all, counts], 0);` */
  Gatherv_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec | null | undefined, root = 0): CollectivePrequest {
    const call = 'Comm.Gatherv_init';
    return this.persistent(call, () => args.gather(this.endpoint(call), sendbuf, recvbuf, root, true, call));
  }

  /** `MPI_Scatter_init` (MPI-4.1 §6.13): a persistent {@link Scatter}. @example `const p = comm.Scatter_init(all, mine, 0);` */
  Scatter_init(sendbuf: VectorBufferSpec | null | undefined, recvbuf: InPlaceOr<BufferSpec>, root = 0): CollectivePrequest {
    const call = 'Comm.Scatter_init';
    return this.persistent(call, () => args.scatter(this.endpoint(call), sendbuf, recvbuf, root, false, call));
  }

  /** `MPI_Scatterv_init` (MPI-4.1 §6.13): a persistent {@link Scatterv}. @example `const p = comm.Scatterv_init([all, counts], mine, 0);` */
  Scatterv_init(sendbuf: VectorBufferSpec | null | undefined, recvbuf: InPlaceOr<BufferSpec>, root = 0): CollectivePrequest {
    const call = 'Comm.Scatterv_init';
    return this.persistent(call, () => args.scatter(this.endpoint(call), sendbuf, recvbuf, root, true, call));
  }

  /** `MPI_Allgather_init` (MPI-4.1 §6.13): a persistent {@link Allgather}. @example `const p = comm.Allgather_init(mine, all);` */
  Allgather_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Comm.Allgather_init';
    return this.persistent(call, () => args.allgather(this.endpoint(call), sendbuf, recvbuf, false, call));
  }

  /** `MPI_Allgatherv_init` (MPI-4.1 §6.13): a persistent {@link Allgatherv}. @example `const p = comm.Allgatherv_init(mine, [all, counts]);` */
  Allgatherv_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Comm.Allgatherv_init';
    return this.persistent(call, () => args.allgather(this.endpoint(call), sendbuf, recvbuf, true, call));
  }

  /** `MPI_Alltoall_init` (MPI-4.1 §6.13): a persistent {@link Alltoall}. @example `const p = comm.Alltoall_init(out, into);` */
  Alltoall_init(sendbuf: InPlaceOr<VectorBufferSpec>, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Comm.Alltoall_init';
    return this.persistent(call, () => args.alltoall(this.endpoint(call), sendbuf, recvbuf, false, call));
  }

  /** `MPI_Alltoallv_init` (MPI-4.1 §6.13): a persistent {@link Alltoallv}. @example `const p = comm.Alltoallv_init([out, counts], [into, counts]);` */
  Alltoallv_init(sendbuf: InPlaceOr<VectorBufferSpec>, recvbuf: VectorBufferSpec): CollectivePrequest {
    const call = 'Comm.Alltoallv_init';
    return this.persistent(call, () => args.alltoall(this.endpoint(call), sendbuf, recvbuf, true, call));
  }

  /** `MPI_Alltoallw_init` (MPI-4.1 §6.13): a persistent {@link Alltoallw}. @example `const p = comm.Alltoallw_init(sendW, recvW);` */
  Alltoallw_init(sendbuf: InPlaceOr<WBufferSpec>, recvbuf: WBufferSpec): CollectivePrequest {
    const call = 'Comm.Alltoallw_init';
    return this.persistent(call, () => this.alltoallw(sendbuf, recvbuf, call));
  }

  /** `MPI_Reduce_init` (MPI-4.1 §6.13): a persistent {@link Reduce}. @example `const p = comm.Reduce_init(mine, total, MPI.SUM, 0);` */
  Reduce_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM, root = 0): CollectivePrequest {
    const call = 'Comm.Reduce_init';
    return this.persistent(call, () => args.reduce(this.endpoint(call), sendbuf, recvbuf, op, root, call));
  }

  /** `MPI_Allreduce_init` (MPI-4.1 §6.13): a persistent {@link Allreduce}. @example `const p = comm.Allreduce_init(mine, total, MPI.SUM);` */
  Allreduce_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): CollectivePrequest {
    const call = 'Comm.Allreduce_init';
    return this.persistent(call, () => args.allreduce(this.endpoint(call), sendbuf, recvbuf, op, undefined, call));
  }

  /** `MPI_Reduce_scatter_init` (MPI-4.1 §6.13): a persistent {@link Reduce_scatter}. @example `const p = comm.Reduce_scatter_init(all, mine, counts);` */
  Reduce_scatter_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, recvcounts?: readonly number[] | null,
    op: Op = ops.SUM): CollectivePrequest {
    const call = 'Comm.Reduce_scatter_init';
    return this.persistent(call, () => args.reduceScatter(this.endpoint(call), sendbuf, recvbuf, recvcounts, op, call));
  }

  /** `MPI_Reduce_scatter_block_init` (MPI-4.1 §6.13). @example `const p = comm.Reduce_scatter_block_init(all, mine);` */
  Reduce_scatter_block_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): CollectivePrequest {
    const call = 'Comm.Reduce_scatter_block_init';
    return this.persistent(call, () => args.reduceScatter(this.endpoint(call), sendbuf, recvbuf, 'block', op, call));
  }

  /** `MPI_Scan_init` (MPI-4.1 §6.13): a persistent {@link Scan}. @example `const p = comm.Scan_init(mine, prefix);` */
  Scan_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): CollectivePrequest {
    const call = 'Comm.Scan_init';
    return this.persistent(call, () => args.allreduce(this.endpoint(call), sendbuf, recvbuf, op, 'inclusive', call));
  }

  /** `MPI_Exscan_init` (MPI-4.1 §6.13): a persistent {@link Exscan}. @example `const p = comm.Exscan_init(mine, prefix);` */
  Exscan_init(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): CollectivePrequest {
    const call = 'Comm.Exscan_init';
    return this.persistent(call, () => args.allreduce(this.endpoint(call), sendbuf, recvbuf, op, 'exclusive', call));
  }

  /**
   * `MPI_Intercomm_create` (MPI-4.1 §7.6.2): joins this group and another,
   * whose leaders reach each other through `peerComm` with `tag`. Collective
   * over both groups.
   *
   * @example
   * ```ts
   * const inter = await half.Create_intercomm(0, MPI.COMM_WORLD, otherLeader, 12);
   * ```
   */
  Create_intercomm(localLeader: number, peerComm: Comm<PointToPoint>, remoteLeader: number,
    tag = 0): Promise<Intercomm> {
    return this.rejecting(async () => {
      const call = 'Comm.Create_intercomm';
      const endpoint = this.endpoint(call);
      if (!Number.isInteger(localLeader) || localLeader < 0 || localLeader >= endpoint.size) {
        throw errors.rank(call, localLeader, endpoint.size, 'local leader');
      }
      if (!Number.isInteger(tag) || tag < 0) throw errors.tag(call, tag, false);
      let peer: PointToPoint | undefined;
      if (endpoint.rank === localLeader) {
        peer = peerComm.endpoint(call);
        if (!Number.isInteger(remoteLeader) || remoteLeader < 0 || remoteLeader >= peer.remoteSize) {
          throw errors.rank(call, remoteLeader, peer.remoteSize, 'remote leader');
        }
      }
      const inter = await endpoint.createIntercomm(localLeader, peer ?? endpoint, remoteLeader, tag);
      return this.adopt(new Intercomm(inter, `${this.Get_name()} intercomm`));
    });
  }

  /**
   * `MPI_Comm_spawn` (MPI-4.1 §11.8.2): starts `maxprocs` new ranks running
   * `command` with `args` and returns the intercommunicator to them; they
   * find theirs with `MPI.Comm.Get_parent()`. Collective; `root` decides:
   * `command`, `args` and `maxprocs` are read at the root only (the other
   * ranks may pass anything).
   *
   * @example
   * ```ts
   * const workers = await MPI.COMM_SELF.Spawn('worker.ts', [], 4);
   * ```
   */
  Spawn(command: string, args: readonly string[] = [], maxprocs = 1, root = 0): Promise<Intercomm> {
    return this.rejecting(async () => {
      const call = 'Comm.Spawn';
      const endpoint = this.endpoint(call);
      if (!Number.isInteger(root) || root < 0 || root >= endpoint.size) throw errors.root(call, root, endpoint.size);
      if (endpoint.rank !== root) {
        const inter = await endpoint.spawn('', [], 1, root);
        return this.adopt(new Intercomm(inter, `${this.Get_name()} spawn`));
      }
      if (typeof command !== 'string' || command.length === 0) throw errors.arg(call, 'command must be a script path');
      if (!Number.isInteger(maxprocs) || maxprocs < 1) throw errors.arg(call, `invalid maxprocs ${String(maxprocs)}`);
      if (!Array.isArray(args)) throw errors.arg(call, 'args must be an array of strings');
      const inter = await endpoint.spawn(command, args.map(String), maxprocs, root);
      return this.adopt(new Intercomm(inter, `${this.Get_name()} spawn`));
    });
  }

  /**
   * `MPI_Comm_spawn_multiple` (MPI-4.1 §11.8.3): starts the programs
   * `command[i]`, each `maxprocs[i]` ranks (default 1) with its arguments
   * `args[i]` (default none), as one group (ranks in the order of the
   * programs) and returns the intercommunicator to it. A child's
   * `COMM_WORLD.Get_attr(MPI.APPNUM)` is the index of its program (MPI-4.1
   * §11.10.3). Collective; the arguments are read at `root` only; `info`
   * (one, or one per program) is checked, not used.
   *
   * @example
   * ```ts
   * const workers = await MPI.COMM_SELF.Spawn_multiple(['reader.ts', 'worker.ts'], [['in.dat'], []], [1, 3]);
   * ```
   */
  Spawn_multiple(command: readonly string[], args?: readonly (readonly string[])[] | null,
    maxprocs?: readonly number[] | null, info: Info | readonly Info[] = INFO_NULL, root = 0): Promise<Intercomm> {
    return this.rejecting(async () => {
      const call = 'Comm.Spawn_multiple';
      const endpoint = this.endpoint(call);
      if (!Number.isInteger(root) || root < 0 || root >= endpoint.size) throw errors.root(call, root, endpoint.size);
      if (endpoint.rank !== root) {
        const inter = await endpoint.spawnMultiple([], root);
        return this.adopt(new Intercomm(inter, `${this.Get_name()} spawn`));
      }
      if (!Array.isArray(command) || command.length === 0) throw errors.arg(call, 'command must be a non-empty array of script paths');
      const count = command.length;
      const lists = (what: string, value: unknown): void => {
        if (value !== undefined && value !== null && (!Array.isArray(value) || value.length !== count)) {
          throw errors.arg(call, `${what} must have one entry per command (${count})`);
        }
      };
      lists('args', args);
      lists('maxprocs', maxprocs);
      if (Array.isArray(info)) {
        lists('info', info);
        for (const one of info) infoArgument(one, call);
      } else {
        infoArgument(info, call);
      }
      const apps = command.map((script, i) => {
        if (typeof script !== 'string' || script.length === 0) throw errors.arg(call, `command[${i}] must be a script path`);
        const n = maxprocs?.[i] ?? 1;
        if (!Number.isInteger(n) || n < 1) throw errors.arg(call, `invalid maxprocs[${i}] ${String(n)}`);
        const argv = args?.[i] ?? [];
        if (!Array.isArray(argv)) throw errors.arg(call, `args[${i}] must be an array of strings`);
        return { command: script, args: argv.map(String), maxprocs: n };
      });
      const inter = await endpoint.spawnMultiple(apps, root);
      return this.adopt(new Intercomm(inter, `${this.Get_name()} spawn`));
    });
  }

  /**
   * `MPI_Comm_accept` (MPI-4.1 §11.9.2): waits for a group to `Connect` to
   * `port_name` (from `MPI.Open_port`, read at `root` only) and returns the
   * intercommunicator to it. Collective.
   *
   * @example
   * ```ts
   * const port = MPI.Open_port();
   * MPI.Publish_name('solver', port);
   * const clients = await comm.Accept(port);
   * ```
   */
  Accept(port_name: string, info: Info = INFO_NULL, root = 0): Promise<Intercomm> {
    return this.handled(this.meet('Comm.Accept', port_name, info, root));
  }

  /**
   * `MPI_Comm_connect` (MPI-4.1 §11.9.3): joins the group that accepts on
   * `port_name` (read at `root` only) and returns the intercommunicator to
   * it. Collective; it waits until the other group calls `Accept`.
   *
   * @example
   * ```ts
   * const server = await comm.Connect(MPI.Lookup_name('solver'));
   * ```
   */
  Connect(port_name: string, info: Info = INFO_NULL, root = 0): Promise<Intercomm> {
    return this.handled(this.meet('Comm.Connect', port_name, info, root));
  }

  private async meet(call: 'Comm.Accept' | 'Comm.Connect', port: unknown, info: unknown, root: number): Promise<Intercomm> {
    const endpoint = this.endpoint(call);
    if (!Number.isInteger(root) || root < 0 || root >= endpoint.size) throw errors.root(call, root, endpoint.size);
    let name = '';
    if (endpoint.rank === root) {
      infoArgument(info, call);
      if (typeof port !== 'string' || port.length === 0) {
        throw errors.port(call, `port_name must be a port name of MPI.Open_port, got ${JSON.stringify(port) ?? String(port)}`);
      }
      name = port;
    }
    const inter = call === 'Comm.Accept' ? await endpoint.accept(name, root) : await endpoint.connect(name, root);
    return this.adopt(new Intercomm(inter, `${this.Get_name()} ${call === 'Comm.Accept' ? 'accept' : 'connect'}`));
  }

  /** {@link Disconnect} waits for every rank first. */
  protected override quiesce(): Promise<void> {
    return this.endpoint('Comm.Disconnect').collectives.barrier();
  }

  private objects(call: string): ObjectCollectives {
    const collectives = this.endpoint(call).collectives;
    return objectCollectivesOf(collectives.channel, collectiveScratch, collectives.sharedArea);
  }

  // ------------------------------------------------------------ objects

  /**
   * `MPI_Barrier` (MPI-4.1 §6.3): resolves once every rank has called it.
   *
   * @example
   * ```ts
   * await comm.Barrier();
   * ```
   */
  Barrier(): Promise<void> {
    try {
      return this.handled(this.endpoint('Comm.Barrier').collectives.barrier());
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Barrier` under its object-family name (mpi4py's `barrier`). */
  barrier(): Promise<void> {
    return this.Barrier();
  }

  /**
   * `MPI_Bcast` of a value (MPI-4.1 §6.4): every rank gets the root's `obj`
   * (the root gets `obj` itself; what other ranks pass is ignored).
   *
   * @example
   * ```ts
   * const params = await comm.bcast(comm.rank === 0 ? { steps: 100 } : undefined, 0);
   * ```
   */
  bcast<T>(obj: T, root = 0): Promise<T> {
    const call = 'Comm.bcast';
    try {
      return this.handled(this.objects(call).bcast(obj, args.checkRoot(root, this.size, call)));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Scatter` of values (MPI-4.1 §6.6): the root passes one value per
   * rank; rank `i` gets `sendobj[i]`. Other ranks' `sendobj` is ignored.
   *
   * @example
   * ```ts
   * const mine = await comm.scatter(comm.rank === 0 ? chunks : undefined, 0);
   * ```
   */
  scatter<T>(sendobj: readonly T[] | null | undefined, root = 0): Promise<T> {
    const call = 'Comm.scatter';
    try {
      const { rank, size } = this.endpoint(call);
      root = args.checkRoot(root, size, call);
      if (rank === root && (!Array.isArray(sendobj) || sendobj.length !== size)) {
        throw errors.arg(call, `the root must pass an array of ${size} values, one per rank`);
      }
      return this.handled(this.objects(call).scatter(rank === root ? sendobj! : undefined, root));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Gather` of values (MPI-4.1 §6.5): the root gets an array of every
   * rank's `sendobj` in rank order; other ranks get `undefined`.
   *
   * @example
   * ```ts
   * const all = await comm.gather(comm.rank ** 2, 0); // [0, 1, 4, 9] on rank 0
   * ```
   */
  gather<T>(sendobj: T, root = 0): Promise<T[] | undefined> {
    const call = 'Comm.gather';
    try {
      return this.handled(this.objects(call).gather(sendobj, args.checkRoot(root, this.size, call)));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Allgather` of values (MPI-4.1 §6.7): every rank gets the array of
   * every rank's `sendobj`.
   *
   * @example
   * ```ts
   * const names = await comm.allgather(MPI.Get_processor_name());
   * ```
   */
  allgather<T>(sendobj: T): Promise<T[]> {
    try {
      return this.handled(this.objects('Comm.allgather').allgather(sendobj));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Alltoall` of values (MPI-4.1 §6.8): rank `i` passes one value per
   * rank and gets `sendobj[i]` of every rank `j` at position `j`.
   *
   * @example
   * ```ts
   * const got = await comm.alltoall(Array.from({ length: comm.size }, (_, j) => `${comm.rank}->${j}`));
   * ```
   */
  alltoall<T>(sendobj: readonly T[]): Promise<T[]> {
    const call = 'Comm.alltoall';
    try {
      const size = this.endpoint(call).size;
      if (!Array.isArray(sendobj) || sendobj.length !== size) {
        throw errors.arg(call, `expected an array of ${size} values, one per rank`);
      }
      return this.handled(this.objects(call).alltoall(sendobj));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Reduce` of values (MPI-4.1 §6.9.1): the root gets
   * `v0 op v1 op ... op vn-1`, combined in rank order whatever the op;
   * other ranks get `undefined`. See `op.ts` for what each op does to values.
   * The op may be a function of two values too, as in mpi4py ({@link ValueFunction}).
   *
   * @example
   * ```ts
   * const total = await comm.reduce(localSum, MPI.SUM, 0);
   * const [min, where] = await comm.reduce(t, MPI.MINLOC, 0) as [number, number];
   * const longest = await comm.reduce(word, (a: string, b: string) => (b.length > a.length ? b : a), 0);
   * ```
   */
  reduce<R = unknown>(sendobj: unknown, op: Op | ValueFunction<R> = ops.SUM, root = 0): Promise<R | undefined> {
    const call = 'Comm.reduce';
    try {
      return this.handled(this.objects(call).reduce(sendobj, args.checkValueOp(op, call),
        args.checkRoot(root, this.size, call)) as Promise<R | undefined>);
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Allreduce` of values (MPI-4.1 §6.9.6): every rank gets
   * `v0 op v1 op ... op vn-1`, combined in rank order; the op may be a
   * function of two values ({@link ValueFunction}).
   *
   * @example
   * ```ts
   * const n = await comm.allreduce(items.length);          // MPI.SUM by default
   * const words = await comm.allreduce([word], MPI.SUM);   // concatenated in rank order
   * const merged = await comm.allreduce(counts, (a: Map<string, number>, b: Map<string, number>) => addCounts(a, b));
   * ```
   */
  allreduce<R = unknown>(sendobj: unknown, op: Op | ValueFunction<R> = ops.SUM): Promise<R> {
    const call = 'Comm.allreduce';
    try {
      return this.handled(this.objects(call).allreduce(sendobj, args.checkValueOp(op, call)) as Promise<R>);
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Scan` of values (MPI-4.1 §6.11.1): rank `i` gets `v0 op ... op vi`;
   * the op may be a function of two values ({@link ValueFunction}).
   *
   * @example
   * ```ts
   * const offset = await comm.scan(myCount) - myCount;
   * ```
   */
  scan<R = unknown>(sendobj: unknown, op: Op | ValueFunction<R> = ops.SUM): Promise<R> {
    const call = 'Comm.scan';
    try {
      return this.handled(this.objects(call).scan(sendobj, args.checkValueOp(op, call), false) as Promise<R>);
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Exscan` of values (MPI-4.1 §6.11.2): rank `i > 0` gets
   * `v0 op ... op vi-1`; rank 0 gets `undefined`. The op may be a function
   * of two values ({@link ValueFunction}).
   *
   * @example
   * ```ts
   * const start = (await comm.exscan(myCount)) ?? 0;
   * ```
   */
  exscan<R = unknown>(sendobj: unknown, op: Op | ValueFunction<R> = ops.SUM): Promise<R | undefined> {
    const call = 'Comm.exscan';
    try {
      return this.handled(this.objects(call).scan(sendobj, args.checkValueOp(op, call), true) as Promise<R | undefined>);
    } catch (error) {
      return this.failed(error);
    }
  }

  // ------------------------------------------------------------ buffers

  /**
   * `MPI_Bcast` (MPI-4.1 §6.4): the root's buffer is copied into every
   * rank's buffer of the same size.
   *
   * @example
   * ```ts
   * const data = new Float64Array(1000);
   * if (comm.rank === 0) data.fill(1);
   * await comm.Bcast(data, 0);
   * ```
   */
  Bcast(buf: BufferSpec, root = 0): Promise<void> {
    try {
      return this.handled(args.bcast(this.endpoint('Comm.Bcast'), buf, root, 'Comm.Bcast'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Gather` (MPI-4.1 §6.5): the root's `recvbuf` gets every rank's
   * `sendbuf` in rank order, in equal blocks. At the root `sendbuf` may be
   * `MPI.IN_PLACE` (its block is already in place); `recvbuf` matters at the
   * root only.
   *
   * @example
   * ```ts
   * const all = comm.rank === 0 ? new Int32Array(2 * comm.size) : null;
   * await comm.Gather(Int32Array.of(comm.rank, comm.rank * 10), all, 0);
   * ```
   */
  Gather(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec | null | undefined, root = 0): Promise<void> {
    try {
      return this.handled(args.gather(this.endpoint('Comm.Gather'), sendbuf, recvbuf, root, false, 'Comm.Gather'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Gatherv` (MPI-4.1 §6.5.1): like {@link Gather} with a count and a
   * displacement per rank: `recvbuf` is `[buf, [counts, displs], datatype]`
   * at the root (counts and displacements in elements; zero counts allowed).
   *
   * @example
   * ```ts
   * const counts = [1, 2, 3], displs = [0, 1, 3];
   * const out = comm.rank === 0 ? new Float64Array(6) : null;
   * await comm.Gatherv(new Float64Array(comm.rank + 1).fill(comm.rank), [out!, [counts, displs], MPI.DOUBLE], 0);
   * ```
   */
  Gatherv(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec | null | undefined, root = 0): Promise<void> {
    try {
      return this.handled(args.gather(this.endpoint('Comm.Gatherv'), sendbuf, recvbuf, root, true, 'Comm.Gatherv'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Scatter` (MPI-4.1 §6.6): the root's `sendbuf`, cut into equal
   * blocks, goes block `i` to rank `i`. At the root `recvbuf` may be
   * `MPI.IN_PLACE` (its block stays in `sendbuf`); `sendbuf` matters at the
   * root only.
   *
   * @example
   * ```ts
   * const mine = new Float64Array(4);
   * await comm.Scatter(comm.rank === 0 ? allData : null, mine, 0);
   * ```
   */
  Scatter(sendbuf: VectorBufferSpec | null | undefined, recvbuf: InPlaceOr<BufferSpec>, root = 0): Promise<void> {
    try {
      return this.handled(args.scatter(this.endpoint('Comm.Scatter'), sendbuf, recvbuf, root, false, 'Comm.Scatter'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Scatterv` (MPI-4.1 §6.6.1): like {@link Scatter} with a count and
   * a displacement per rank in `[buf, [counts, displs], datatype]` at the root.
   *
   * @example
   * ```ts
   * await comm.Scatterv(comm.rank === 0 ? [all, [counts, displs], MPI.INT] : null, new Int32Array(counts[comm.rank]), 0);
   * ```
   */
  Scatterv(sendbuf: VectorBufferSpec | null | undefined, recvbuf: InPlaceOr<BufferSpec>, root = 0): Promise<void> {
    try {
      return this.handled(args.scatter(this.endpoint('Comm.Scatterv'), sendbuf, recvbuf, root, true, 'Comm.Scatterv'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Allgather` (MPI-4.1 §6.7): every rank's `recvbuf` gets every rank's
   * `sendbuf` in rank order. `sendbuf` may be `MPI.IN_PLACE`: each rank's
   * block is already at its place in `recvbuf`.
   *
   * @example
   * ```ts
   * const all = new Float64Array(comm.size);
   * await comm.Allgather(Float64Array.of(myValue), all);
   * ```
   */
  Allgather(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec): Promise<void> {
    try {
      return this.handled(args.allgather(this.endpoint('Comm.Allgather'), sendbuf, recvbuf, false, 'Comm.Allgather'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Allgatherv` (MPI-4.1 §6.7.1): like {@link Allgather} with per-rank
   * counts and displacements in `recvbuf`, the same on every rank.
   *
   * @example
   * ```ts
   * await comm.Allgatherv(mine, [all, [counts, displs], MPI.DOUBLE]);
   * ```
   */
  Allgatherv(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec): Promise<void> {
    try {
      return this.handled(args.allgather(this.endpoint('Comm.Allgatherv'), sendbuf, recvbuf, true, 'Comm.Allgatherv'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Alltoall` (MPI-4.1 §6.8): block `j` of rank `i`'s `sendbuf` lands
   * in block `i` of rank `j`'s `recvbuf`; blocks are equal. `sendbuf` may be
   * `MPI.IN_PLACE` (the blocks go out of `recvbuf` and are replaced).
   *
   * @example
   * ```ts
   * await comm.Alltoall(outgoing, incoming); // both of comm.size equal blocks
   * ```
   */
  Alltoall(sendbuf: InPlaceOr<VectorBufferSpec>, recvbuf: VectorBufferSpec): Promise<void> {
    try {
      return this.handled(args.alltoall(this.endpoint('Comm.Alltoall'), sendbuf, recvbuf, false, 'Comm.Alltoall'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Alltoallv` (MPI-4.1 §6.8): like {@link Alltoall} with counts and
   * displacements per rank on both sides.
   *
   * @example
   * ```ts
   * await comm.Alltoallv([out, [sendCounts, sendDispls], MPI.INT], [inc, [recvCounts, recvDispls], MPI.INT]);
   * ```
   */
  Alltoallv(sendbuf: InPlaceOr<VectorBufferSpec>, recvbuf: VectorBufferSpec): Promise<void> {
    try {
      return this.handled(args.alltoall(this.endpoint('Comm.Alltoallv'), sendbuf, recvbuf, true, 'Comm.Alltoallv'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Reduce` (MPI-4.1 §6.9.1): element-wise `op` over every rank's
   * `sendbuf` into the root's `recvbuf`. At the root `sendbuf` may be
   * `MPI.IN_PLACE` (the data is in `recvbuf`); `recvbuf` matters at the root only.
   *
   * @example
   * ```ts
   * const sums = comm.rank === 0 ? new Float64Array(n) : null;
   * await comm.Reduce(local, sums, MPI.SUM, 0);
   * ```
   */
  Reduce(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM, root = 0): Promise<void> {
    try {
      return this.handled(args.reduce(this.endpoint('Comm.Reduce'), sendbuf, recvbuf, op, root, 'Comm.Reduce'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Allreduce` (MPI-4.1 §6.9.6): element-wise `op` over every rank's
   * `sendbuf`, into every rank's `recvbuf`; `sendbuf` may be `MPI.IN_PLACE`.
   *
   * @example
   * ```ts
   * await comm.Allreduce(local, global, MPI.SUM);
   * await comm.Allreduce(MPI.IN_PLACE, grads, MPI.SUM);
   * ```
   */
  Allreduce(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    try {
      return this.handled(args.allreduce(this.endpoint('Comm.Allreduce'), sendbuf, recvbuf, op, undefined, 'Comm.Allreduce'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Reduce_scatter` (MPI-4.1 §6.10.1): element-wise `op` over every
   * rank's `sendbuf`, then block `i` (`recvcounts[i]` elements) of the result
   * to rank `i`. Without `recvcounts`, every rank gets as many elements as
   * its `recvbuf` holds, as in mpi4py (the ranks exchange these counts, and
   * every rank reduces the whole vector). With `MPI.IN_PLACE` the input is in
   * `recvbuf`, the block lands at its start, and `recvcounts` is required.
   *
   * @example
   * ```ts
   * await comm.Reduce_scatter(all, mine, [2, 3, 1], MPI.SUM); // rank 1 gets elements 2..4
   * ```
   */
  Reduce_scatter(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, recvcounts?: readonly number[] | null,
    op: Op = ops.SUM): Promise<void> {
    try {
      return this.handled(args.reduceScatter(this.endpoint('Comm.Reduce_scatter'), sendbuf, recvbuf, recvcounts, op,
        'Comm.Reduce_scatter'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Reduce_scatter_block` (MPI-4.1 §6.10.2): {@link Reduce_scatter}
   * with equal blocks of the size of `recvbuf` (in place: `recvbuf` holds all
   * blocks).
   *
   * @example
   * ```ts
   * await comm.Reduce_scatter_block(new Float64Array(2 * comm.size).fill(1), mine2, MPI.SUM);
   * ```
   */
  Reduce_scatter_block(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    try {
      return this.handled(args.reduceScatter(this.endpoint('Comm.Reduce_scatter_block'), sendbuf, recvbuf, 'block', op,
        'Comm.Reduce_scatter_block'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Scan` (MPI-4.1 §6.11.1): rank `i`'s `recvbuf` gets the element-wise
   * `op` of ranks 0 to `i`; `sendbuf` may be `MPI.IN_PLACE`.
   *
   * @example
   * ```ts
   * await comm.Scan(Int32Array.of(myCount), prefix, MPI.SUM);
   * ```
   */
  Scan(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    try {
      return this.handled(args.allreduce(this.endpoint('Comm.Scan'), sendbuf, recvbuf, op, 'inclusive', 'Comm.Scan'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Exscan` (MPI-4.1 §6.11.2): rank `i`'s `recvbuf` gets the op of
   * ranks 0 to `i - 1`; rank 0's is left untouched. `sendbuf` may be `MPI.IN_PLACE`.
   *
   * @example
   * ```ts
   * await comm.Exscan(Int32Array.of(myCount), offset, MPI.SUM);
   * ```
   */
  Exscan(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Promise<void> {
    try {
      return this.handled(args.allreduce(this.endpoint('Comm.Exscan'), sendbuf, recvbuf, op, 'exclusive', 'Comm.Exscan'));
    } catch (error) {
      return this.failed(error);
    }
  }

  // ------------------------------------------------- buffers, nonblocking

  /**
   * `MPI_Ibarrier` (MPI-4.1 §6.12.1): a Request that completes once every
   * rank has called it.
   *
   * @example
   * ```ts
   * const r = comm.Ibarrier(); doWork(); await r.Wait();
   * ```
   */
  Ibarrier(): Request<void> {
    try {
      return request(this, this.endpoint('Comm.Ibarrier').collectives.barrier(), 'Ibarrier()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Ibcast` (MPI-4.1 §6.12.2): nonblocking {@link Bcast}; do not touch
   * `buf` before the Request completes.
   *
   * @example
   * ```ts
   * const r = comm.Ibcast(data, 0); await r.Wait();
   * ```
   */
  Ibcast(buf: BufferSpec, root = 0): Request<void> {
    try {
      return request(this, args.bcast(this.endpoint('Comm.Ibcast'), buf, root, 'Comm.Ibcast'), `Ibcast(root=${root})`);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Igather` (MPI-4.1 §6.12.3): nonblocking {@link Gather}. */
  Igather(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec | null | undefined, root = 0): Request<void> {
    try {
      return request(this, args.gather(this.endpoint('Comm.Igather'), sendbuf, recvbuf, root, false, 'Comm.Igather'),
        `Igather(root=${root})`);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Igatherv` (MPI-4.1 §6.12.3): nonblocking {@link Gatherv}. */
  Igatherv(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec | null | undefined, root = 0): Request<void> {
    try {
      return request(this, args.gather(this.endpoint('Comm.Igatherv'), sendbuf, recvbuf, root, true, 'Comm.Igatherv'),
        `Igatherv(root=${root})`);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Iscatter` (MPI-4.1 §6.12.4): nonblocking {@link Scatter}. */
  Iscatter(sendbuf: VectorBufferSpec | null | undefined, recvbuf: InPlaceOr<BufferSpec>, root = 0): Request<void> {
    try {
      return request(this, args.scatter(this.endpoint('Comm.Iscatter'), sendbuf, recvbuf, root, false, 'Comm.Iscatter'),
        `Iscatter(root=${root})`);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Iscatterv` (MPI-4.1 §6.12.4): nonblocking {@link Scatterv}. */
  Iscatterv(sendbuf: VectorBufferSpec | null | undefined, recvbuf: InPlaceOr<BufferSpec>, root = 0): Request<void> {
    try {
      return request(this, args.scatter(this.endpoint('Comm.Iscatterv'), sendbuf, recvbuf, root, true, 'Comm.Iscatterv'),
        `Iscatterv(root=${root})`);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Iallgather` (MPI-4.1 §6.12.5): nonblocking {@link Allgather}.
   *
   * @example
   * ```ts
   * const r = comm.Iallgather(mine, all); await r.Wait();
   * ```
   */
  Iallgather(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec): Request<void> {
    try {
      return request(this, args.allgather(this.endpoint('Comm.Iallgather'), sendbuf, recvbuf, false, 'Comm.Iallgather'),
        'Iallgather()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Iallgatherv` (MPI-4.1 §6.12.5): nonblocking {@link Allgatherv}. */
  Iallgatherv(sendbuf: InPlaceOr<BufferSpec>, recvbuf: VectorBufferSpec): Request<void> {
    try {
      return request(this, args.allgather(this.endpoint('Comm.Iallgatherv'), sendbuf, recvbuf, true, 'Comm.Iallgatherv'),
        'Iallgatherv()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Ialltoall` (MPI-4.1 §6.12.6): nonblocking {@link Alltoall}. */
  Ialltoall(sendbuf: InPlaceOr<VectorBufferSpec>, recvbuf: VectorBufferSpec): Request<void> {
    try {
      return request(this, args.alltoall(this.endpoint('Comm.Ialltoall'), sendbuf, recvbuf, false, 'Comm.Ialltoall'),
        'Ialltoall()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Ialltoallv` (MPI-4.1 §6.12.6): nonblocking {@link Alltoallv}. */
  Ialltoallv(sendbuf: InPlaceOr<VectorBufferSpec>, recvbuf: VectorBufferSpec): Request<void> {
    try {
      return request(this, args.alltoall(this.endpoint('Comm.Ialltoallv'), sendbuf, recvbuf, true, 'Comm.Ialltoallv'),
        'Ialltoallv()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Ireduce` (MPI-4.1 §6.12.7): nonblocking {@link Reduce}. */
  Ireduce(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec | null | undefined, op: Op = ops.SUM, root = 0): Request<void> {
    try {
      return request(this, args.reduce(this.endpoint('Comm.Ireduce'), sendbuf, recvbuf, op, root, 'Comm.Ireduce'),
        `Ireduce(root=${root})`);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Iallreduce` (MPI-4.1 §6.12.8): nonblocking {@link Allreduce}.
   *
   * @example
   * ```ts
   * const r = comm.Iallreduce(MPI.IN_PLACE, grads, MPI.SUM); computeNext(); await r.Wait();
   * ```
   */
  Iallreduce(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Request<void> {
    try {
      return request(this, args.allreduce(this.endpoint('Comm.Iallreduce'), sendbuf, recvbuf, op, undefined, 'Comm.Iallreduce'),
        'Iallreduce()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Ireduce_scatter` (MPI-4.1 §6.12.9): nonblocking {@link Reduce_scatter}. */
  Ireduce_scatter(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, recvcounts?: readonly number[] | null,
    op: Op = ops.SUM): Request<void> {
    try {
      return request(this, args.reduceScatter(this.endpoint('Comm.Ireduce_scatter'), sendbuf, recvbuf, recvcounts, op,
        'Comm.Ireduce_scatter'), 'Ireduce_scatter()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Ireduce_scatter_block` (MPI-4.1 §6.12.9): nonblocking {@link Reduce_scatter_block}. */
  Ireduce_scatter_block(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Request<void> {
    try {
      return request(this, args.reduceScatter(this.endpoint('Comm.Ireduce_scatter_block'), sendbuf, recvbuf, 'block', op,
        'Comm.Ireduce_scatter_block'), 'Ireduce_scatter_block()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Iscan` (MPI-4.1 §6.12.11): nonblocking {@link Scan}. */
  Iscan(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Request<void> {
    try {
      return request(this, args.allreduce(this.endpoint('Comm.Iscan'), sendbuf, recvbuf, op, 'inclusive', 'Comm.Iscan'), 'Iscan()');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Iexscan` (MPI-4.1 §6.12.12): nonblocking {@link Exscan}. */
  Iexscan(sendbuf: InPlaceOr<BufferSpec>, recvbuf: BufferSpec, op: Op = ops.SUM): Request<void> {
    try {
      return request(this, args.allreduce(this.endpoint('Comm.Iexscan'), sendbuf, recvbuf, op, 'exclusive', 'Comm.Iexscan'),
        'Iexscan()');
    } catch (error) {
      throw this.raised(error);
    }
  }
}

