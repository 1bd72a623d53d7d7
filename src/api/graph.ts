/**
 * Graph and distributed-graph topologies: communicators whose ranks know
 * their neighbours by explicit edge lists.
 *
 * MPI-4.1 §8.5.3 (`MPI_Graph_create`), §8.5.4 (`MPI_Dist_graph_create_adjacent`,
 * `MPI_Dist_graph_create`, `MPI_UNWEIGHTED`, `MPI_WEIGHTS_EMPTY`), §8.5.5
 * (`MPI_Graphdims_get`, `MPI_Graph_get`, `MPI_Graph_neighbors_count`,
 * `MPI_Graph_neighbors`, `MPI_Dist_graph_neighbors_count`,
 * `MPI_Dist_graph_neighbors`), §8.5.8 (`MPI_Graph_map`). Their
 * neighbourhood collectives are `Topocomm`'s (topology.ts): a graph rank
 * sends to and receives from its neighbours in `Get_neighbors` order; a
 * distributed-graph rank receives from its sources and sends to its
 * destinations, each in list order (blocks between one pair of ranks match
 * in that order).
 *
 * `MPI_Dist_graph_create` orders each rank's sources and destinations by the
 * rank that declared the edge, then by its place in that rank's lists (MPI
 * leaves the order to the implementation).
 *
 * On the mpi transport each of them also holds an MPI distributed-graph
 * communicator with the same neighbours (`MPI_Dist_graph_create_adjacent`,
 * also for `Create_graph`), on which the buffer neighbourhood collectives run.
 *
 * Unfinished: `reorder` (accepted, ignored: ranks keep their order); `info`
 * arguments; weights are not passed to MPI.
 *
 * @module
 */

import { DIST_GRAPH, GRAPH, UNDEFINED, UNWEIGHTED, WEIGHTS_EMPTY, type WeightsMarker } from '../constants.js';
import { errors } from '../errors.js';
import type { Intracomm } from './intracomm.js';
import { Topocomm, neighborhoodOf } from './topology.js';
import { type NeighborPlan, listPlan } from '../collective/neighbor.js';
import type { Endpoint, Neighborhood } from '../transport/transport.js';

/** Edge weights of a distributed graph: one number per edge, `MPI.UNWEIGHTED`, or `MPI.WEIGHTS_EMPTY`. */
export type Weights = readonly number[] | WeightsMarker | null | undefined;

/**
 * A communicator with a graph topology (MPI-4.1 §8.5.3): every rank knows
 * the whole graph, given as `index` (cumulative neighbour counts) and
 * `edges` (the neighbours, node after node). Made by `comm.Create_graph`.
 *
 * @example
 * ```ts
 * // a ring of 3: node i's neighbours are i-1 and i+1
 * const graph = await MPI.COMM_WORLD.Create_graph([2, 4, 6], [2, 1, 0, 2, 1, 0]);
 * if (graph !== null) console.log(graph.neighbors);
 * ```
 */
export class Graphcomm extends Topocomm {
  protected readonly kind = 'Graphcomm';
  private readonly indexList: readonly number[];
  private readonly edgeList: readonly number[];
  private cachedPlan: NeighborPlan | undefined;

  constructor(endpoint: Endpoint, name: string, index: readonly number[], edges: readonly number[], neighborhood?: Neighborhood) {
    super(endpoint, name, neighborhood);
    this.indexList = [...index];
    this.edgeList = [...edges];
  }

  /** `MPI.GRAPH`. */
  override Get_topology(): number {
    return GRAPH;
  }

  protected override async sameKind(endpoint: Endpoint, name: string): Promise<Graphcomm> {
    const mine = this.neighbors;
    return new Graphcomm(endpoint, name, this.indexList, this.edgeList,
      await neighborhoodOf(endpoint, { kind: 'graph', sources: mine, destinations: mine }));
  }

  /** `MPI_Graphdims_get` (§8.5.5): `[nnodes, nedges]`. */
  Get_dims(): [number, number] {
    return [this.indexList.length, this.edgeList.length];
  }

  /** mpi4py's `dims`: the same as {@link Get_dims}. */
  get dims(): [number, number] {
    return this.Get_dims();
  }

  /** Number of nodes: the size of the communicator. */
  get nnodes(): number {
    return this.indexList.length;
  }

  /** Number of edges (each undirected edge counts twice, once per end). */
  get nedges(): number {
    return this.edgeList.length;
  }

  /** `MPI_Graph_get` (§8.5.5): `[index, edges]`. */
  Get_topo(): [number[], number[]] {
    return [[...this.indexList], [...this.edgeList]];
  }

  /** mpi4py's `topo`: the same as {@link Get_topo}. */
  get topo(): [number[], number[]] {
    return this.Get_topo();
  }

  /** The `index` array the graph was made with. */
  get index(): number[] {
    return [...this.indexList];
  }

  /** The `edges` array the graph was made with. */
  get edges(): number[] {
    return [...this.edgeList];
  }

  private checkRank(rank: number, call: string): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.nnodes) throw errors.rank(call, rank, this.nnodes);
  }

  /** `MPI_Graph_neighbors_count` (§8.5.5): how many neighbours `rank` has. */
  Get_neighbors_count(rank: number): number {
    try {
      this.checkRank(rank, 'Graphcomm.Get_neighbors_count');
      return this.indexList[rank]! - (rank > 0 ? this.indexList[rank - 1]! : 0);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Graph_neighbors` (§8.5.5): the neighbours of `rank`, in edge order. */
  Get_neighbors(rank: number): number[] {
    try {
      this.checkRank(rank, 'Graphcomm.Get_neighbors');
      return this.edgeList.slice(rank > 0 ? this.indexList[rank - 1]! : 0, this.indexList[rank]!);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** This rank's neighbour count. */
  get nneighbors(): number {
    return this.Get_neighbors_count(this.rank);
  }

  /** This rank's neighbours. */
  get neighbors(): number[] {
    return this.Get_neighbors(this.rank);
  }

  protected plan(): NeighborPlan {
    if (this.cachedPlan === undefined) {
      const mine = this.Get_neighbors(this.rank);
      this.cachedPlan = listPlan(mine, mine);
    }
    return this.cachedPlan;
  }
}

/**
 * A communicator with a distributed-graph topology (MPI-4.1 §8.5.4): each
 * rank knows only its own sources (ranks it receives from) and destinations
 * (ranks it sends to), optionally with edge weights. Made by
 * `comm.Create_dist_graph_adjacent` or `comm.Create_dist_graph`.
 *
 * @example
 * ```ts
 * const next = (comm.rank + 1) % comm.size;
 * const prev = (comm.rank + comm.size - 1) % comm.size;
 * const ring = await comm.Create_dist_graph_adjacent([prev], [next]);
 * const [fromPrev] = await ring.neighbor_allgather(comm.rank);
 * ```
 */
export class Distgraphcomm extends Topocomm {
  protected readonly kind = 'Distgraphcomm';
  private readonly neighborPlan: NeighborPlan;

  constructor(endpoint: Endpoint, name: string, readonly sources: readonly number[], readonly destinations: readonly number[],
    private readonly weights: readonly [readonly number[], readonly number[]] | undefined, neighborhood?: Neighborhood) {
    super(endpoint, name, neighborhood);
    this.neighborPlan = listPlan([...sources], [...destinations]);
  }

  /** `MPI.DIST_GRAPH`. */
  override Get_topology(): number {
    return DIST_GRAPH;
  }

  protected override async sameKind(endpoint: Endpoint, name: string): Promise<Distgraphcomm> {
    return new Distgraphcomm(endpoint, name, this.sources, this.destinations, this.weights,
      await neighborhoodOf(endpoint, { kind: 'graph', sources: [...this.sources], destinations: [...this.destinations] }));
  }

  /**
   * `MPI_Dist_graph_neighbors_count` (§8.5.5): `[indegree, outdegree, weighted]`.
   *
   * @example
   * ```ts
   * const [indegree, outdegree, weighted] = dgraph.Get_dist_neighbors_count();
   * ```
   */
  Get_dist_neighbors_count(): [number, number, boolean] {
    return [this.sources.length, this.destinations.length, this.weights !== undefined];
  }

  /**
   * `MPI_Dist_graph_neighbors` (§8.5.5): `[sources, destinations, weights]`,
   * `weights` being `[sourceweights, destweights]`, or null for an unweighted graph.
   *
   * @example
   * ```ts
   * const [sources, destinations, weights] = dgraph.Get_dist_neighbors();
   * ```
   */
  Get_dist_neighbors(): [number[], number[], [number[], number[]] | null] {
    const weights = this.weights === undefined ? null : [[...this.weights[0]], [...this.weights[1]]] as [number[], number[]];
    return [[...this.sources], [...this.destinations], weights];
  }

  protected plan(): NeighborPlan {
    return this.neighborPlan;
  }
}

function checkList(value: unknown, what: string, call: string): number[] {
  if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v))) {
    throw errors.arg(call, `${what} must be an array of integers`);
  }
  return [...value] as number[];
}

function checkRanks(list: readonly number[], size: number, what: string, call: string): void {
  for (const r of list) if (r < 0 || r >= size) throw errors.rank(call, r, size, `rank in ${what}`);
}

/** The weights argument as a list of `degree` numbers, or undefined for an unweighted graph. */
function weightList(weights: Weights, degree: number, what: string, call: string): number[] | undefined {
  if (weights === undefined || weights === null || weights === UNWEIGHTED) return undefined;
  if (weights === WEIGHTS_EMPTY) {
    if (degree !== 0) throw errors.arg(call, `MPI.WEIGHTS_EMPTY given for ${what} but there are ${degree} edges`);
    return [];
  }
  const list = checkList(weights, what, call);
  if (list.length !== degree) throw errors.arg(call, `${what} has ${list.length} entries for ${degree} edges`);
  if (list.some((w) => w < 0)) throw errors.arg(call, `${what} must be non-negative`);
  return list;
}

/** Checks a graph's `index` and `edges` (MPI-4.1 §8.5.3); returns the number of nodes. */
export function checkGraph(index: readonly number[], edges: readonly number[], size: number, call: string): number {
  const idx = checkList(index, 'index', call);
  const edg = checkList(edges, 'edges', call);
  if (idx.length > size) throw errors.topology(call, `a graph of ${idx.length} nodes needs ${idx.length} ranks but the communicator has ${size}`);
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < (i > 0 ? idx[i - 1]! : 0)) throw errors.topology(call, `index must be non-decreasing and non-negative, got [${idx.join(', ')}]`);
  }
  const total = idx.length > 0 ? idx[idx.length - 1]! : 0;
  if (edg.length !== total) throw errors.topology(call, `index ends at ${total} but there are ${edg.length} edges`);
  for (const e of edg) if (e < 0 || e >= idx.length) throw errors.rank(call, e, idx.length, 'node in edges');
  return idx.length;
}

/** Builds the Graphcomm of `Intracomm.Create_graph` (MPI-4.1 §8.5.3); null on ranks past the graph's nodes. */
export async function createGraph(comm: Intracomm, index: readonly number[], edges: readonly number[]): Promise<Graphcomm | null> {
  const call = 'Comm.Create_graph';
  const endpoint = comm.endpoint(call);
  const nnodes = checkGraph(index, edges, endpoint.size, call);
  const inside = endpoint.rank < nnodes;
  const split = await endpoint.split(inside ? 0 : UNDEFINED, endpoint.rank);
  if (split === undefined) return null;
  const mine = edges.slice(split.rank > 0 ? index[split.rank - 1]! : 0, index[split.rank]!);
  return new Graphcomm(split, `${comm.Get_name()} graph`, index, edges,
    await neighborhoodOf(split, { kind: 'graph', sources: mine, destinations: mine }));
}

/** Builds the Distgraphcomm of `Intracomm.Create_dist_graph_adjacent` (MPI-4.1 §8.5.4). Collective. */
export async function createDistGraphAdjacent(comm: Intracomm, sources: readonly number[], destinations: readonly number[],
  sourceweights: Weights, destweights: Weights): Promise<Distgraphcomm> {
  const call = 'Comm.Create_dist_graph_adjacent';
  const endpoint = comm.endpoint(call);
  const src = checkList(sources, 'sources', call);
  const dst = checkList(destinations, 'destinations', call);
  checkRanks(src, endpoint.size, 'sources', call);
  checkRanks(dst, endpoint.size, 'destinations', call);
  const sw = weightList(sourceweights, src.length, 'sourceweights', call);
  const dw = weightList(destweights, dst.length, 'destweights', call);
  if ((sw === undefined) !== (dw === undefined)) throw errors.arg(call, 'give both sourceweights and destweights, or neither');
  const dup = (await endpoint.split(0, endpoint.rank))!;
  return new Distgraphcomm(dup, `${comm.Get_name()} dist graph`, src, dst, sw === undefined ? undefined : [sw, dw!],
    await neighborhoodOf(dup, { kind: 'graph', sources: src, destinations: dst }));
}

/**
 * Builds the Distgraphcomm of `Intracomm.Create_dist_graph` (MPI-4.1 §8.5.4):
 * each rank declares some edges (`degrees[i]` edges from `sources[i]`, to the
 * next `degrees[i]` entries of `destinations`); the ranks exchange them with
 * `allgather` (`comm`'s, without its error handler, which the caller applies
 * once) and each keeps the edges that touch it. Collective.
 */
export async function createDistGraph(comm: Intracomm, sources: readonly number[], degrees: readonly number[],
  destinations: readonly number[], weights: Weights, allgather: (edges: number[]) => Promise<number[][]>):
  Promise<Distgraphcomm> {
  const call = 'Comm.Create_dist_graph';
  const endpoint = comm.endpoint(call);
  const src = checkList(sources, 'sources', call);
  const deg = checkList(degrees, 'degrees', call);
  const dst = checkList(destinations, 'destinations', call);
  if (deg.length !== src.length) throw errors.arg(call, `${src.length} sources but ${deg.length} degrees`);
  if (deg.some((d) => d < 0)) throw errors.arg(call, 'degrees must be non-negative');
  const total = deg.reduce((a, b) => a + b, 0);
  if (dst.length !== total) throw errors.arg(call, `degrees add up to ${total} but there are ${dst.length} destinations`);
  checkRanks(src, endpoint.size, 'sources', call);
  checkRanks(dst, endpoint.size, 'destinations', call);
  const w = weightList(weights, total, 'weights', call);
  // [weighted, then (source, destination, weight) per edge]
  const mine: number[] = [w === undefined ? 0 : 1];
  let at = 0;
  src.forEach((s, i) => {
    for (let k = 0; k < deg[i]!; k++, at++) mine.push(s, dst[at]!, w?.[at] ?? 1);
  });
  const all = await allgather(mine);
  const weighted = all.some((edges) => edges[0] === 1);
  const me = endpoint.rank;
  const inSources: number[] = [];
  const inWeights: number[] = [];
  const outDestinations: number[] = [];
  const outWeights: number[] = [];
  for (const edges of all) {
    for (let e = 1; e + 2 < edges.length; e += 3) {
      const [s, d, weight] = [edges[e]!, edges[e + 1]!, edges[e + 2]!];
      if (s === me) { outDestinations.push(d); outWeights.push(weight); }
      if (d === me) { inSources.push(s); inWeights.push(weight); }
    }
  }
  const dup = (await endpoint.split(0, endpoint.rank))!;
  return new Distgraphcomm(dup, `${comm.Get_name()} dist graph`, inSources, outDestinations,
    weighted ? [inWeights, outWeights] : undefined,
    await neighborhoodOf(dup, { kind: 'graph', sources: inSources, destinations: outDestinations }));
}
