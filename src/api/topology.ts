/**
 * Cartesian process topologies: ranks arranged in a grid, with neighbours.
 *
 * MPI-4.1 §8.5.1 (`MPI_Cart_create`), §8.5.2 (`MPI_Dims_create`), §8.5.5
 * (`MPI_Cart_get`, `MPI_Cart_rank`, `MPI_Cart_coords`), §8.5.6
 * (`MPI_Cart_shift`), §8.5.7 (`MPI_Cart_sub`), §8.6 (neighborhood
 * collectives: `MPI_Neighbor_allgather`, `MPI_Neighbor_alltoall`).
 *
 * Ranks are laid out row-major (the last dimension varies fastest) and are
 * never reordered. Neighbours come in the standard order: for each dimension,
 * the one in the negative direction, then the one in the positive direction;
 * `MPI.PROC_NULL` at the edges of a non-periodic dimension.
 *
 * Unfinished: graph and distributed-graph topologies, `reorder` (accepted,
 * ignored: ranks keep their order).
 *
 * @module
 */

import { type BufferSpec, parseBuffer, singleView } from '../buffer.js';
import { decode, encode } from '../codec/index.js';
import { PROC_NULL, UNDEFINED } from '../constants.js';
import { errors } from '../errors.js';
import { Intracomm } from './intracomm.js';
import { type Endpoint, type Operation, completeAll } from '../transport/transport.js';

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
 * A communicator with a Cartesian topology (MPI-4.1 §8.5). Made by
 * `comm.Create_cart(dims, periods)`.
 *
 * @example
 * ```ts
 * const cart = await MPI.COMM_WORLD.Create_cart(MPI.Compute_dims(comm.size, 2), [false, false]);
 * const [up, down] = cart!.Shift(0, 1);
 * ```
 */
export class Cartcomm extends Intracomm {
  readonly dims: readonly number[];
  readonly periods: readonly boolean[];
  private neighborSequence = 0;

  constructor(endpoint: Endpoint, name: string, dims: readonly number[], periods: readonly boolean[]) {
    super(endpoint, name);
    this.dims = [...dims];
    this.periods = [...periods];
  }

  /** Number of dimensions (`MPI_Cartdim_get`). */
  get ndim(): number {
    return this.dims.length;
  }

  Get_dim(): number {
    return this.ndim;
  }

  /** This rank's coordinates. */
  get coords(): number[] {
    return this.Get_coords(this.rank);
  }

  /** `MPI_Cart_get`: `[dims, periods, coords]`. */
  Get_topo(): [number[], boolean[], number[]] {
    return [[...this.dims], [...this.periods], this.coords];
  }

  /** mpi4py's `topo` property: the same as {@link Get_topo}. */
  get topo(): [number[], boolean[], number[]] {
    return this.Get_topo();
  }

  /** `MPI_Cart_coords` (§8.5.5): the coordinates of `rank`. */
  Get_coords(rank: number): number[] {
    const call = 'Cartcomm.Get_coords';
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) throw errors.rank(call, rank, this.size);
    const coords = new Array<number>(this.ndim);
    for (let d = this.ndim - 1; d >= 0; d--) {
      coords[d] = rank % this.dims[d]!;
      rank = Math.floor(rank / this.dims[d]!);
    }
    return coords;
  }

  /**
   * `MPI_Cart_rank` (§8.5.5): the rank at `coords`; coordinates wrap in
   * periodic dimensions and must be in range in the others.
   */
  Get_cart_rank(coords: readonly number[]): number {
    const call = 'Cartcomm.Get_cart_rank';
    if (coords.length !== this.ndim) throw errors.dims(call, `expected ${this.ndim} coordinates, got ${coords.length}`);
    let rank = 0;
    for (let d = 0; d < this.ndim; d++) {
      let c = coords[d]!;
      const extent = this.dims[d]!;
      if (this.periods[d]) c = ((c % extent) + extent) % extent;
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
    if (!Number.isInteger(direction) || direction < 0 || direction >= this.ndim) {
      throw errors.dims(call, `invalid direction ${String(direction)} for ${this.ndim} dimensions`);
    }
    const at = (offset: number): number => {
      const coords = this.coords;
      const c = coords[direction]! + offset;
      if (!this.periods[direction] && (c < 0 || c >= this.dims[direction]!)) return PROC_NULL;
      coords[direction] = c;
      return this.Get_cart_rank(coords);
    };
    return [at(-disp), at(disp)];
  }

  /**
   * `MPI_Cart_sub` (§8.5.7): the sub-grid that keeps the dimensions where
   * `remainDims` is true and holds this rank. Collective.
   */
  async Sub(remainDims: readonly boolean[]): Promise<Cartcomm> {
    const call = 'Cartcomm.Sub';
    if (remainDims.length !== this.ndim) throw errors.dims(call, `expected ${this.ndim} flags, got ${remainDims.length}`);
    const coords = this.coords;
    let color = 0;
    let key = 0;
    for (let d = 0; d < this.ndim; d++) {
      if (remainDims[d]) key = key * this.dims[d]! + coords[d]!;
      else color = color * this.dims[d]! + coords[d]!;
    }
    const endpoint = await this.endpoint(call).split(color, key);
    return new Cartcomm(endpoint!, `${this.Get_name()} sub`, this.dims.filter((_, d) => remainDims[d]),
      this.periods.filter((_, d) => remainDims[d]));
  }

  /** Ranks of the neighbours, in the standard order (negative then positive, per dimension). */
  private neighbors(): number[] {
    const out: number[] = [];
    for (let d = 0; d < this.ndim; d++) out.push(...this.Shift(d, 1));
    return out;
  }

  /**
   * Sends `outgoing[k]` to neighbour `k` and receives neighbour `k`'s block
   * for this rank into `incoming[k]` (or as bytes when undefined). A message
   * travelling in the positive direction arrives at its receiver from the
   * negative side, so the tag names the direction it was sent in.
   */
  private async exchange(outgoing: readonly Uint8Array[], incoming: readonly (Uint8Array | undefined)[],
    call: string): Promise<(Uint8Array | undefined)[]> {
    const channel = this.endpoint(call).auxiliary;
    const neighbors = this.neighbors();
    const base = (this.neighborSequence++ % 1024) * 2 * this.ndim;
    const receives: (Operation | undefined)[] = neighbors.map((source, k) =>
      source === PROC_NULL ? undefined : channel.irecv(incoming[k], source, base + (k ^ 1)));
    const sends = neighbors.map((dest, k) => (dest === PROC_NULL ? undefined : channel.isend(outgoing[k]!, dest, base + k, false)));
    await completeAll([...receives, ...sends]);
    return receives.map((op) => (op?.data === undefined ? undefined : singleView(op.data, call)));
  }

  /**
   * `MPI_Neighbor_allgather` (§8.6.1): every neighbour's `sendbuf` into
   * consecutive blocks of `recvbuf`, one block per neighbour in the standard
   * order; blocks of missing neighbours (`PROC_NULL`) are left as they were.
   */
  async Neighbor_allgather(sendbuf: BufferSpec, recvbuf: BufferSpec): Promise<void> {
    const call = 'Cartcomm.Neighbor_allgather';
    const send = parseBuffer(sendbuf, call);
    const recv = parseBuffer(recvbuf, call);
    const count = 2 * this.ndim;
    const block = send.bytes.byteLength;
    if (recv.bytes.byteLength < block * count) {
      throw errors.count(call, `the receive buffer holds ${recv.bytes.byteLength} bytes, ${count} blocks of ${block} are needed`);
    }
    await this.exchange(new Array<Uint8Array>(count).fill(send.bytes),
      Array.from({ length: count }, (_, k) => recv.bytes.subarray(k * block, (k + 1) * block)), call);
    recv.unpack?.();
  }

  /**
   * `MPI_Neighbor_alltoall` (§8.6.2): block `k` of `sendbuf` to neighbour
   * `k`, whose block for this rank lands in block `k` of `recvbuf`.
   */
  async Neighbor_alltoall(sendbuf: BufferSpec, recvbuf: BufferSpec): Promise<void> {
    const call = 'Cartcomm.Neighbor_alltoall';
    const send = parseBuffer(sendbuf, call);
    const recv = parseBuffer(recvbuf, call);
    const count = 2 * this.ndim;
    if (send.bytes.byteLength % count !== 0 || recv.bytes.byteLength !== send.bytes.byteLength) {
      throw errors.count(call, `send and receive buffers must hold ${count} equal blocks`);
    }
    const block = send.bytes.byteLength / count;
    const blocks = (bytes: Uint8Array): Uint8Array[] =>
      Array.from({ length: count }, (_, k) => bytes.subarray(k * block, (k + 1) * block));
    await this.exchange(blocks(send.bytes), blocks(recv.bytes), call);
    recv.unpack?.();
  }

  /** Object form of {@link Neighbor_allgather}: an array with each neighbour's value (`undefined` for `PROC_NULL`). */
  async neighbor_allgather(sendobj: unknown): Promise<unknown[]> {
    const call = 'Cartcomm.neighbor_allgather';
    const bytes = encode(sendobj, call);
    const count = 2 * this.ndim;
    const got = await this.exchange(new Array<Uint8Array>(count).fill(bytes), new Array(count).fill(undefined), call);
    return got.map((data) => (data === undefined ? undefined : decode(data, call)));
  }

  /** Object form of {@link Neighbor_alltoall}: `sendobjs[k]` to neighbour `k`. */
  async neighbor_alltoall(sendobjs: readonly unknown[]): Promise<unknown[]> {
    const call = 'Cartcomm.neighbor_alltoall';
    const count = 2 * this.ndim;
    if (!Array.isArray(sendobjs) || sendobjs.length !== count) throw errors.arg(call, `expected an array of ${count} values`);
    const got = await this.exchange(sendobjs.map((v) => encode(v, call)), new Array(count).fill(undefined), call);
    return got.map((data) => (data === undefined ? undefined : decode(data, call)));
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
  return split === undefined ? null : new Cartcomm(split, `${comm.Get_name()} cart`, dims, flags);
}
