/**
 * Process topologies: the common base of topology communicators and their
 * neighbourhood collectives, and Cartesian grids.
 *
 * MPI-4.1 §8.5.1 (`MPI_Cart_create`), §8.5.2 (`MPI_Dims_create`), §8.5.5
 * (`MPI_Topo_test`, `MPI_Cart_get`, `MPI_Cart_rank`, `MPI_Cart_coords`),
 * §8.5.6 (`MPI_Cart_shift`), §8.5.7 (`MPI_Cart_sub`), §8.5.8
 * (`MPI_Cart_map`), §8.6 (neighbourhood collectives:
 * `MPI_Neighbor_allgather(v)`, `MPI_Neighbor_alltoall(v,w)`), §8.7 (their
 * nonblocking forms), §8.8 (their persistent forms).
 *
 * Ranks are laid out row-major (the last dimension varies fastest) and are
 * never reordered. Neighbours come in the standard order: for each dimension,
 * the one in the negative direction, then the one in the positive direction;
 * `MPI.PROC_NULL` at the edges of a non-periodic dimension, whose slot is
 * kept and left as it was. Graph and distributed-graph communicators are in
 * `graph.ts`; the exchange under every neighbourhood collective is
 * `collective/neighbor.ts`, over the communicator's auxiliary context on
 * both transports.
 *
 * Every neighbourhood collective, buffer or object form, on both transports,
 * runs on the exchange over point-to-point, which moves each block as one
 * message of any length. A transport may offer neighbourhood collectives of
 * its own (`Endpoint.neighborhood`; mpi: an `MPI_Ineighbor_alltoallv` of
 * bytes on an MPI topology communicator, native/topo.c), but only if its
 * calls take any length: MPI's counts and displacements are C ints
 * (`Collectives.maxCallBytes`), and no rank knows whether its neighbours'
 * blocks pass that limit, so on the mpi transport they are not used (see
 * `neighborhoodOf`).
 *
 * Unfinished: `reorder` (accepted, ignored: ranks keep their order); MPI's
 * own neighbourhood collectives on the mpi transport (they need the ranks to
 * agree first that every block and displacement fits a C int, or MPI-4's
 * large-count calls, which Open MPI 4.1 lacks).
 *
 * @module
 */

import { type BufferSpec, type Bytes, singleView, type VectorBufferSpec } from '../buffer.js';
import { decode, encode } from '../codec/index.js';
import { CART, PROC_NULL, UNDEFINED } from '../constants.js';
import { errors, rejecting } from '../errors.js';
import { Intracomm } from './intracomm.js';
import { type WBufferSpec, singleBlock, vectorBlocks, wBlocks } from './blocks.js';
import { type NeighborPlan, NeighborSequence, exchange } from '../collective/neighbor.js';
import type { CollectivePrequest } from './persistent.js';
import { PromiseOperation } from './promise_operation.js';
import { Request } from './request.js';
import type { Endpoint, Neighborhood, NeighborhoodSpec } from '../transport/transport.js';

/**
 * `MPI_Dims_create` (MPI-4.1 §8.5.2): a balanced grid of `nnodes` ranks in
 * `dims.length` dimensions; zero entries are chosen, others kept. Pass a
 * number for that many free dimensions.
 *
 * @example
 * ```ts
 * MPI.Compute_dims(12, 2);      // [4, 3]
 * MPI.Compute_dims(12, [0, 2]); // [6, 2]
 * ```
 */
export function Compute_dims(nnodes: number, dims: number | readonly number[]): number[] {
  const call = 'MPI.Compute_dims';
  const result = typeof dims === 'number' ? new Array<number>(dims).fill(0) : [...dims];
  if (!Number.isInteger(nnodes) || nnodes < 1) throw errors.dims(call, `invalid number of nodes ${String(nnodes)}`);
  if (result.some((d) => !Number.isInteger(d) || d < 0)) throw errors.dims(call, `dims must be non-negative integers, got [${result.join(', ')}]`);
  const fixed = result.filter((d) => d > 0).reduce((a, b) => a * b, 1);
  if (nnodes % fixed !== 0) throw errors.dims(call, `${nnodes} nodes do not fit dims [${result.join(', ')}]`);
  const free = result.map((d, i) => (d === 0 ? i : -1)).filter((i) => i >= 0);
  let rest = nnodes / fixed;
  if (free.length === 0) {
    if (rest !== 1) throw errors.dims(call, `dims [${result.join(', ')}] hold ${fixed} nodes, not ${nnodes}`);
    return result;
  }
  const factors: number[] = [];
  for (let p = 2; p * p <= rest; p++) while (rest % p === 0) { factors.push(p); rest /= p; }
  if (rest > 1) factors.push(rest);
  const sizes = new Array<number>(free.length).fill(1);
  // Largest factors first, each to the currently smallest dimension: as balanced as it gets.
  for (const f of factors.sort((a, b) => b - a)) sizes[sizes.indexOf(Math.min(...sizes))]! *= f;
  sizes.sort((a, b) => b - a);
  free.forEach((at, k) => { result[at] = sizes[k]!; });
  return result;
}

/**
 * The base of the communicators with a topology (MPI-4.1 §8): Cartesian
 * grids (`Cartcomm`), graphs (`Graphcomm`) and distributed graphs
 * (`Distgraphcomm`). It holds the neighbourhood collectives (§8.6), which
 * send to the topology's destinations and receive from its sources, one
 * block per neighbour in the order of `inedges` / `outedges`.
 *
 * @example
 * ```ts
 * const ring = await MPI.COMM_WORLD.Create_dist_graph_adjacent([(comm.rank + comm.size - 1) % comm.size], [(comm.rank + 1) % comm.size]);
 * const got = await ring.neighbor_allgather(comm.rank);  // [left neighbour's rank]
 * ```
 */
export abstract class Topocomm extends Intracomm {
  private readonly sequence = new NeighborSequence();

  /**
   * @param neighborhood - the transport's own neighbourhood collectives on this topology, if it has them
   */
  constructor(endpoint: Endpoint, name: string, private readonly neighborhood: Neighborhood | undefined) {
    super(endpoint, name);
  }

  /** `MPI_Comm_free` (MPI-4.1 §7.4.3), with the transport's topology communicator. */
  override Free(): void {
    super.Free();
    this.neighborhood?.free();
  }

  /** A communicator of this one's kind and topology over `endpoint` (what `Dup` returns). */
  protected abstract override sameKind(endpoint: Endpoint, name: string): Promise<Topocomm>;

  /** The class name that errors use: `'Cartcomm'`, `'Graphcomm'`, `'Distgraphcomm'`. */
  protected abstract readonly kind: string;

  /** Who this rank exchanges with, and how blocks are tagged. */
  protected abstract plan(): NeighborPlan;

  /** `MPI_Topo_test` (MPI-4.1 §8.5.5): `MPI.CART`, `MPI.GRAPH` or `MPI.DIST_GRAPH`. */
  abstract override Get_topology(): number;

  /** `[indegree, outdegree]`: how many neighbours this rank receives from and sends to. */
  get degrees(): [number, number] {
    const plan = this.plan();
    return [plan.sources.length, plan.destinations.length];
  }

  /** Number of source slots (`MPI.PROC_NULL` slots of a grid's edge included). */
  get indegree(): number {
    return this.plan().sources.length;
  }

  /** Number of destination slots. */
  get outdegree(): number {
    return this.plan().destinations.length;
  }

  /** The ranks this rank receives from, in slot order. */
  get inedges(): number[] {
    return [...this.plan().sources];
  }

  /** The ranks this rank sends to, in slot order. */
  get outedges(): number[] {
    return [...this.plan().destinations];
  }

  /** `[inedges, outedges]`. */
  get inoutedges(): [number[], number[]] {
    return [this.inedges, this.outedges];
  }

  /** Posts one exchange (synchronously: later calls cannot overtake it) and resolves when it is done. */
  private run(outgoing: readonly Bytes[], incoming: readonly (Bytes | undefined)[], call: string):
    Promise<(Uint8Array | undefined)[]> {
    const plan = this.plan();
    const channel = this.endpoint(call).auxiliary;
    return exchange(channel, plan, this.sequence.take(plan), outgoing, incoming, call);
  }

  /**
   * A buffer neighbourhood collective: on the transport's own neighbourhood
   * collectives where it has them (and they take blocks of any length: see
   * `neighborhoodOf`), else the exchange, which moves each block as one
   * point-to-point message of any length.
   */
  private runBlocks(outgoing: readonly Bytes[], incoming: readonly Bytes[], call: string): Promise<void> {
    const nb = this.neighborhood;
    if (nb === undefined) return this.run(outgoing, incoming, call).then(() => undefined);
    this.endpoint(call);
    const send = spanOf(outgoing.map((b) => singleView(b, call)));
    const recv = spanOf(incoming.map((b) => singleView(b, call)));
    return nb.alltoallv(send.base, send.counts, send.displs, recv.base, recv.counts, recv.displs);
  }

  private allgatherBlocks(sendbuf: BufferSpec, recvbuf: VectorBufferSpec, vector: boolean, call: string): Promise<void> {
    const [indegree, outdegree] = this.degrees;
    const send = singleBlock(sendbuf, 'send', call);
    const { blocks: recv, unpack } = vectorBlocks(recvbuf, indegree, !vector, 'receive', call);
    if (!vector && recv.length > 0 && recv[0]!.byteLength !== send.byteLength) {
      throw errors.count(call, `send blocks of ${send.byteLength} bytes but receive blocks of ${recv[0]!.byteLength}`);
    }
    const done = this.runBlocks(new Array<Bytes>(outdegree).fill(send), recv, call);
    return unpack === undefined ? done : done.then(unpack);
  }

  private alltoallBlocks(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec, vector: boolean, call: string): Promise<void> {
    const [indegree, outdegree] = this.degrees;
    const send = vectorBlocks(sendbuf, outdegree, !vector, 'send', call).blocks;
    const { blocks: recv, unpack } = vectorBlocks(recvbuf, indegree, !vector, 'receive', call);
    if (!vector && send.length > 0 && recv.length > 0 && send[0]!.byteLength !== recv[0]!.byteLength) {
      throw errors.count(call, `send blocks of ${send[0]!.byteLength} bytes but receive blocks of ${recv[0]!.byteLength}`);
    }
    const done = this.runBlocks(send, recv, call);
    return unpack === undefined ? done : done.then(unpack);
  }

  private alltoallwBlocks(sendbuf: WBufferSpec, recvbuf: WBufferSpec, call: string): Promise<void> {
    const [indegree, outdegree] = this.degrees;
    const recv = wBlocks(recvbuf, indegree, 'receive', call, false);
    const done = this.runBlocks(wBlocks(sendbuf, outdegree, 'send', call, true).blocks, recv.blocks, call);
    return recv.unpack === undefined ? done : done.then(recv.unpack);
  }

  private request(start: (call: string) => Promise<void>, name: string): Request<void> {
    const call = `${this.kind}.${name}`;
    return new Request(new PromiseOperation(rejecting(() => start(call)), `${name}()`), call, undefined, this);
  }

  private persistentNeighbor(start: (call: string) => Promise<void>, name: string): CollectivePrequest {
    const call = `${this.kind}.${name}`;
    return this.persistent(call, () => start(call));
  }

  /**
   * `MPI_Neighbor_allgather` (MPI-4.1 §8.6.1): this rank's `sendbuf` to every
   * destination; block `k` of `recvbuf` gets source `k`'s. Blocks of
   * `MPI.PROC_NULL` sources are left as they were.
   *
   * @example
   * ```ts
   * const got = new Int32Array(cart.indegree);
   * await cart.Neighbor_allgather(Int32Array.of(comm.rank), got);
   * ```
   */
  Neighbor_allgather(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    const call = `${this.kind}.Neighbor_allgather`;
    return this.rejecting(() => this.allgatherBlocks(sendbuf, recvbuf, false, call));
  }

  /**
   * `MPI_Neighbor_allgatherv` (MPI-4.1 §8.6.1): like {@link Neighbor_allgather}
   * with a count (and displacement) per source: `[buf, [counts, displs]]`.
   *
   * @example
   * ```ts
   * await graph.Neighbor_allgatherv(mine, [got, [counts, displs]]);
   * ```
   */
  Neighbor_allgatherv(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    const call = `${this.kind}.Neighbor_allgatherv`;
    return this.rejecting(() => this.allgatherBlocks(sendbuf, recvbuf, true, call));
  }

  /**
   * `MPI_Neighbor_alltoall` (MPI-4.1 §8.6.2): block `k` of `sendbuf` to
   * destination `k`; block `k` of `recvbuf` from source `k`.
   *
   * @example
   * ```ts
   * await cart.Neighbor_alltoall(halos, ghosts);
   * ```
   */
  Neighbor_alltoall(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    const call = `${this.kind}.Neighbor_alltoall`;
    return this.rejecting(() => this.alltoallBlocks(sendbuf, recvbuf, false, call));
  }

  /**
   * `MPI_Neighbor_alltoallv` (MPI-4.1 §8.6.2): {@link Neighbor_alltoall} with
   * counts and displacements (in elements) per neighbour.
   *
   * @example
   * ```ts
   * await graph.Neighbor_alltoallv([out, [sendCounts, sendDispls]], [into, [recvCounts, recvDispls]]);
   * ```
   */
  Neighbor_alltoallv(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Promise<void> {
    const call = `${this.kind}.Neighbor_alltoallv`;
    return this.rejecting(() => this.alltoallBlocks(sendbuf, recvbuf, true, call));
  }

  /**
   * `MPI_Neighbor_alltoallw` (MPI-4.1 §8.6.2): counts, byte displacements and
   * a (predefined) datatype per neighbour: `[buf, [counts, displs], datatypes]`.
   *
   * @example
   * ```ts
   * await graph.Neighbor_alltoallw([out, [[1], [0]], [MPI.INT]], [into, [[1], [0]], [MPI.INT]]);
   * ```
   */
  Neighbor_alltoallw(sendbuf: WBufferSpec, recvbuf: WBufferSpec): Promise<void> {
    const call = `${this.kind}.Neighbor_alltoallw`;
    return this.rejecting(() => this.alltoallwBlocks(sendbuf, recvbuf, call));
  }

  /** `MPI_Ineighbor_allgather` (MPI-4.1 §8.7): the nonblocking {@link Neighbor_allgather}. @example `await cart.Ineighbor_allgather(a, b).Wait();` */
  Ineighbor_allgather(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return this.request((call) => this.allgatherBlocks(sendbuf, recvbuf, false, call), 'Ineighbor_allgather');
  }

  /** `MPI_Ineighbor_allgatherv` (MPI-4.1 §8.7). @example `await cart.Ineighbor_allgatherv(a, [b, counts]).Wait();` */
  Ineighbor_allgatherv(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return this.request((call) => this.allgatherBlocks(sendbuf, recvbuf, true, call), 'Ineighbor_allgatherv');
  }

  /** `MPI_Ineighbor_alltoall` (MPI-4.1 §8.7). @example `await cart.Ineighbor_alltoall(a, b).Wait();` */
  Ineighbor_alltoall(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return this.request((call) => this.alltoallBlocks(sendbuf, recvbuf, false, call), 'Ineighbor_alltoall');
  }

  /** `MPI_Ineighbor_alltoallv` (MPI-4.1 §8.7). @example `await g.Ineighbor_alltoallv([a, counts], [b, counts]).Wait();` */
  Ineighbor_alltoallv(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): Request<void> {
    return this.request((call) => this.alltoallBlocks(sendbuf, recvbuf, true, call), 'Ineighbor_alltoallv');
  }

  /** `MPI_Ineighbor_alltoallw` (MPI-4.1 §8.7). @example `await g.Ineighbor_alltoallw(sendW, recvW).Wait();` */
  Ineighbor_alltoallw(sendbuf: WBufferSpec, recvbuf: WBufferSpec): Request<void> {
    return this.request((call) => this.alltoallwBlocks(sendbuf, recvbuf, call), 'Ineighbor_alltoallw');
  }

  /** `MPI_Neighbor_allgather_init` (MPI-4.1 §8.8): a persistent {@link Neighbor_allgather}. @example `const p = cart.Neighbor_allgather_init(a, b); p.Start(); await p.Wait();` */
  Neighbor_allgather_init(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    return this.persistentNeighbor((call) => this.allgatherBlocks(sendbuf, recvbuf, false, call), 'Neighbor_allgather_init');
  }

  /** `MPI_Neighbor_allgatherv_init` (MPI-4.1 §8.8). @example `const p = g.Neighbor_allgatherv_init(a, [b, counts]);` */
  Neighbor_allgatherv_init(sendbuf: BufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    return this.persistentNeighbor((call) => this.allgatherBlocks(sendbuf, recvbuf, true, call), 'Neighbor_allgatherv_init');
  }

  /** `MPI_Neighbor_alltoall_init` (MPI-4.1 §8.8). @example `const p = cart.Neighbor_alltoall_init(a, b);` */
  Neighbor_alltoall_init(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    return this.persistentNeighbor((call) => this.alltoallBlocks(sendbuf, recvbuf, false, call), 'Neighbor_alltoall_init');
  }

  /** `MPI_Neighbor_alltoallv_init` (MPI-4.1 §8.8). @example `const p = g.Neighbor_alltoallv_init([a, counts], [b, counts]);` */
  Neighbor_alltoallv_init(sendbuf: VectorBufferSpec, recvbuf: VectorBufferSpec): CollectivePrequest {
    return this.persistentNeighbor((call) => this.alltoallBlocks(sendbuf, recvbuf, true, call), 'Neighbor_alltoallv_init');
  }

  /** `MPI_Neighbor_alltoallw_init` (MPI-4.1 §8.8). @example `const p = g.Neighbor_alltoallw_init(sendW, recvW);` */
  Neighbor_alltoallw_init(sendbuf: WBufferSpec, recvbuf: WBufferSpec): CollectivePrequest {
    return this.persistentNeighbor((call) => this.alltoallwBlocks(sendbuf, recvbuf, call), 'Neighbor_alltoallw_init');
  }

  /**
   * Object form of {@link Neighbor_allgather}: an array with each source's
   * value (`undefined` for `MPI.PROC_NULL` slots), as mpi4py's
   * `neighbor_allgather`.
   *
   * @example
   * ```ts
   * const names = await cart.neighbor_allgather(MPI.Get_processor_name());
   * ```
   */
  neighbor_allgather<T = unknown>(sendobj: unknown): Promise<(T | undefined)[]> {
    const call = `${this.kind}.neighbor_allgather`;
    return this.rejecting(async () => {
      const [indegree, outdegree] = this.degrees;
      const bytes = encode(sendobj, call);
      const got = await this.run(new Array<Uint8Array>(outdegree).fill(bytes), new Array<undefined>(indegree).fill(undefined), call);
      return got.map((data) => (data === undefined ? undefined : decode(data, call) as T));
    });
  }

  /**
   * Object form of {@link Neighbor_alltoall}: `sendobjs[k]` to destination
   * `k`; resolves with each source's value for this rank.
   *
   * @example
   * ```ts
   * const got = await graph.neighbor_alltoall(graph.outedges.map((d) => `to ${d}`));
   * ```
   */
  neighbor_alltoall<T = unknown>(sendobjs: readonly unknown[]): Promise<(T | undefined)[]> {
    const call = `${this.kind}.neighbor_alltoall`;
    return this.rejecting(async () => {
      const [indegree, outdegree] = this.degrees;
      if (!Array.isArray(sendobjs) || sendobjs.length !== outdegree) throw errors.arg(call, `expected an array of ${outdegree} values, one per destination`);
      const got = await this.run(sendobjs.map((v) => encode(v, call)), new Array<undefined>(indegree).fill(undefined), call);
      return got.map((data) => (data === undefined ? undefined : decode(data, call) as T));
    });
  }
}

/**
 * A communicator with a Cartesian topology (MPI-4.1 §8.5). Made by
 * `comm.Create_cart(dims, periods)`.
 *
 * @example
 * ```ts
 * const cart = await MPI.COMM_WORLD.Create_cart(MPI.Compute_dims(comm.size, 2), [false, false]);
 * const [up, down] = cart!.Shift(0, 1);
 * ```
 */
export class Cartcomm extends Topocomm {
  private readonly gridDims: readonly number[];
  private readonly gridPeriods: readonly boolean[];
  protected readonly kind = 'Cartcomm';
  private cachedPlan: NeighborPlan | undefined;

  constructor(endpoint: Endpoint, name: string, dims: readonly number[], periods: readonly boolean[],
    neighborhood?: Neighborhood) {
    super(endpoint, name, neighborhood);
    this.gridDims = [...dims];
    this.gridPeriods = [...periods];
  }

  /** mpi4py's `dims` (MPI-4.1 §8.5.5, `MPI_Cart_get`): the number of processes along each dimension. */
  get dims(): number[] {
    return [...this.gridDims];
  }

  /** mpi4py's `periods` (MPI-4.1 §8.5.5, `MPI_Cart_get`): whether each dimension wraps around. */
  get periods(): boolean[] {
    return [...this.gridPeriods];
  }

  /** `MPI.CART`. */
  override Get_topology(): number {
    return CART;
  }

  protected override async sameKind(endpoint: Endpoint, name: string): Promise<Cartcomm> {
    const [dims, periods] = [this.gridDims, this.gridPeriods];
    return new Cartcomm(endpoint, name, dims, periods, await neighborhoodOf(endpoint, { kind: 'cart', dims, periods }));
  }

  /** Number of dimensions (`MPI_Cartdim_get`). */
  get ndim(): number {
    return this.gridDims.length;
  }

  /** mpi4py's `dim`: the same as {@link ndim}. */
  get dim(): number {
    return this.ndim;
  }

  /** `MPI_Cartdim_get` (§8.5.5). */
  Get_dim(): number {
    return this.ndim;
  }

  /** This rank's coordinates. */
  get coords(): number[] {
    return this.Get_coords(this.rank);
  }
  /** `MPI_Cart_get`: `[dims, periods, coords]`. */
  Get_topo(): [number[], boolean[], number[]] {
    return [[...this.gridDims], [...this.gridPeriods], this.coords];
  }

  /** mpi4py's `topo` property: the same as {@link Get_topo}. */
  get topo(): [number[], boolean[], number[]] {
    return this.Get_topo();
  }

  /** `MPI_Cart_coords` (§8.5.5): the coordinates of `rank`. */
  Get_coords(rank: number): number[] {
    const call = 'Cartcomm.Get_coords';
    try {
      if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) throw errors.rank(call, rank, this.size);
      const coords = new Array<number>(this.ndim);
      for (let d = this.ndim - 1; d >= 0; d--) {
        coords[d] = rank % this.gridDims[d]!;
        rank = Math.floor(rank / this.gridDims[d]!);
      }
      return coords;
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Cart_rank` (§8.5.5): the rank at `coords`; coordinates wrap in
   * periodic dimensions and must be in range in the others.
   */
  Get_cart_rank(coords: readonly number[]): number {
    try {
      return this.cartRank(coords, 'Cartcomm.Get_cart_rank');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** {@link Get_cart_rank} under the name `call`, without the error handler (its caller applies it). */
  private cartRank(coords: readonly number[], call: string): number {
    if (coords.length !== this.ndim) throw errors.dims(call, `expected ${this.ndim} coordinates, got ${coords.length}`);
    let rank = 0;
    for (let d = 0; d < this.ndim; d++) {
      let c = coords[d]!;
      const extent = this.gridDims[d]!;
      if (this.gridPeriods[d]) c = ((c % extent) + extent) % extent;
      else if (!Number.isInteger(c) || c < 0 || c >= extent) {
        throw errors.rank(call, c, extent, `coordinate in non-periodic dimension ${d}`);
      }
      rank = rank * extent + c;
    }
    return rank;
  }

  /**
   * `MPI_Cart_shift` (§8.5.6): `[source, dest]` for a shift of `disp` along
   * `direction`: receive from `source`, send to `dest`. `MPI.PROC_NULL` past
   * the edge of a non-periodic dimension.
   *
   * @example
   * ```ts
   * const [left, right] = cart.Shift(1, 1);
   * await cart.Sendrecv(edge, right, 0, halo, left, 0);
   * ```
   */
  Shift(direction: number, disp = 1): [number, number] {
    const call = 'Cartcomm.Shift';
    try {
      if (!Number.isInteger(direction) || direction < 0 || direction >= this.ndim) {
        throw errors.dims(call, `invalid direction ${String(direction)} for ${this.ndim} dimensions`);
      }
      const at = (offset: number): number => {
        const coords = this.coords;
        const c = coords[direction]! + offset;
        if (!this.gridPeriods[direction] && (c < 0 || c >= this.gridDims[direction]!)) return PROC_NULL;
        coords[direction] = c;
        return this.cartRank(coords, call);
      };
      return [at(-disp), at(disp)];
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Cart_sub` (§8.5.7): the sub-grid that keeps the dimensions where
   * `remainDims` is true and holds this rank. Collective.
   */
  Sub(remainDims: readonly boolean[]): Promise<Cartcomm> {
    return this.rejecting(async () => {
      const call = 'Cartcomm.Sub';
      if (remainDims.length !== this.ndim) throw errors.dims(call, `expected ${this.ndim} flags, got ${remainDims.length}`);
      const coords = this.coords;
      let color = 0;
      let key = 0;
      for (let d = 0; d < this.ndim; d++) {
        if (remainDims[d]) key = key * this.gridDims[d]! + coords[d]!;
        else color = color * this.gridDims[d]! + coords[d]!;
      }
      const endpoint = (await this.endpoint(call).split(color, key))!;
      const dims = this.gridDims.filter((_, d) => remainDims[d]);
      const periods = this.gridPeriods.filter((_, d) => remainDims[d]);
      return this.adopt(new Cartcomm(endpoint, `${this.Get_name()} sub`, dims, periods,
        await neighborhoodOf(endpoint, { kind: 'cart', dims, periods })));
    });
  }

  /**
   * Sources and destinations: per dimension the negative neighbour, then the
   * positive one. A block sent in direction `k` arrives at its receiver from
   * the opposite side, slot `k ^ 1`.
   */
  protected plan(): NeighborPlan {
    if (this.cachedPlan === undefined) {
      const neighbors: number[] = [];
      for (let d = 0; d < this.ndim; d++) neighbors.push(...this.Shift(d, 1));
      this.cachedPlan = { sources: neighbors, destinations: neighbors, recvTag: (k) => k ^ 1, sendTag: (k) => k,
        width: Math.max(1, 2 * this.ndim) };
    }
    return this.cachedPlan;
  }
}

/** Builds the Cartcomm of `Intracomm.Create_cart` (MPI-4.1 §8.5.1); null on ranks left out. */
export async function createCart(comm: Intracomm, dims: readonly number[], periods: readonly boolean[] | boolean | undefined):
  Promise<Cartcomm | null> {
  const call = 'Comm.Create_cart';
  const endpoint = comm.endpoint(call);
  // No dimensions is legal: a grid of one cell, the first rank (MPI-4.1 §8.5.1).
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw errors.dims(call, `dims must be positive integers, got ${JSON.stringify(dims)}`);
  }
  const cells = dims.reduce((a, b) => a * b, 1);
  if (cells > endpoint.size) throw errors.dims(call, `a ${dims.join('x')} grid needs ${cells} ranks but the communicator has ${endpoint.size}`);
  const flags = Array.isArray(periods) ? periods.map(Boolean) : new Array<boolean>(dims.length).fill(Boolean(periods));
  if (flags.length !== dims.length) throw errors.dims(call, `expected ${dims.length} periods, got ${flags.length}`);
  const inside = endpoint.rank < cells;
  const split = await endpoint.split(inside ? 0 : UNDEFINED, endpoint.rank);
  if (split === undefined) return null;
  return new Cartcomm(split, `${comm.Get_name()} cart`, dims, flags, await neighborhoodOf(split, { kind: 'cart', dims, periods: flags }));
}

/**
 * The transport's own neighbourhood collectives over `endpoint` with
 * `topology`, where it has them and its calls take blocks of any length
 * (none where `Collectives.maxCallBytes` is set: on the mpi transport, a
 * block or displacement past 2^31-1 bytes that only its own ranks know of
 * would make some ranks take MPI's call and others not). Not for a grid with
 * a periodic dimension of 1 or 2 ranks either, where one rank is both
 * neighbours: there MPI libraries differ (Open MPI 4.1 pairs the two blocks
 * in list order, not by direction, which MPI-4.1 §8.6 asks for).
 */
export async function neighborhoodOf(endpoint: Endpoint, topology: NeighborhoodSpec): Promise<Neighborhood | undefined> {
  if (endpoint.neighborhood === undefined || endpoint.collectives.maxCallBytes !== undefined) return undefined;
  if (topology.kind === 'cart' && topology.dims.some((d, i) => topology.periods[i] && d <= 2)) return undefined;
  return endpoint.neighborhood(topology);
}

/** Blocks that are views of one buffer, as that span of it and each block's byte count and offset in it. */
function spanOf(blocks: readonly Uint8Array[]): { base: Uint8Array; counts: number[]; displs: number[] } {
  if (blocks.length === 0) return { base: new Uint8Array(0), counts: [], displs: [] };
  let start = Infinity;
  let end = 0;
  for (const b of blocks) {
    start = Math.min(start, b.byteOffset);
    end = Math.max(end, b.byteOffset + b.byteLength);
  }
  return {
    base: new Uint8Array(blocks[0]!.buffer, start, end - start),
    counts: blocks.map((b) => b.byteLength),
    displs: blocks.map((b) => b.byteOffset - start),
  };
}
