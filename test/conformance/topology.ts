/**
 * Conformance chapter: process topologies (MPI-4.1 chapter 8): Compute_dims,
 * Cartesian communicators (Create_cart, Get_topo, Get_coords, Get_cart_rank,
 * Shift, Sub) and the neighbour collectives on them; graph topologies
 * (Create_graph, Graph_map, Get_neighbors), distributed graphs
 * (Create_dist_graph_adjacent, Create_dist_graph, weights); Get_topology,
 * Is_inter, Group.Dup, GROUP_EMPTY, Create_from_group, Create_from_groups,
 * Idup. The neighbour collectives in all their forms are in neighbors.ts.
 * An SPMD program for 1 or more ranks on any transport; see cases.ts for how
 * cases run and report.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

// Every case runs on a Dup of COMM_WORLD: the same ranks and size.
const { rank, size } = MPI.COMM_WORLD;

const cases: Case[] = [
  {
    name: 'Compute_dims; Create_cart with too many ranks; a grid of zero dimensions',
    run: async (comm) => {
      check.deepEqual(MPI.Compute_dims(12, 2), [4, 3]);
      check.deepEqual(MPI.Compute_dims(12, [0, 2]), [6, 2]);
      check.deepEqual(MPI.Compute_dims(8, 3), [2, 2, 2]);
      check.deepEqual(MPI.Compute_dims(7, 2), [7, 1]);
      check.throwsMPI(() => MPI.Compute_dims(10, [3, 0]), MPI.ERR_DIMS, /do not fit/);
      await check.rejectsMPI(comm.Create_cart([size + 1, 1], [false, false]), MPI.ERR_DIMS, /needs \d+ ranks/);
      // zero dimensions: a grid of one cell, rank 0 alone; COMM_NULL elsewhere
      const point = await comm.Create_cart([]);
      if (rank === 0) {
        check.equal(point!.size, 1);
        check.equal(point!.ndim, 0);
        check.deepEqual(point!.Get_topo(), [[], [], []]);
        check.deepEqual(await point!.allgather('alone'), ['alone']);
        point!.Free();
      } else {
        check.equal(point, null);
      }
    },
  },
  {
    name: 'Cartesian grids, periodic and not: coordinates, ranks, Shift, neighbour collectives, Sub',
    run: async (comm) => {
      const dims = MPI.Compute_dims(size, 2);
      for (const periodic of [false, true]) {
        const cart = (await comm.Create_cart(dims, [periodic, periodic]))!;
        check.deepEqual(cart.dims, dims);
        const coords = cart.Get_coords(cart.rank);
        check.deepEqual(coords, [Math.floor(rank / dims[1]!), rank % dims[1]!]);
        check.equal(cart.Get_cart_rank(coords), cart.rank);
        check.deepEqual(cart.Get_topo(), [dims, [periodic, periodic], coords]);
        check.deepEqual([cart.dims, cart.periods], [dims, [periodic, periodic]]);
        cart.dims[0] = -1; // a copy, as mpi4py's list is
        check.deepEqual(cart.dims, dims);
        for (let d = 0; d < 2; d++) {
          const [source, dest] = cart.Shift(d, 1);
          const up = [...coords]; up[d] = up[d]! - 1;
          const down = [...coords]; down[d] = down[d]! + 1;
          const wrap = (c: number[]): number => cart.Get_cart_rank(c.map((v, i) => (v + dims[i]!) % dims[i]!));
          const inside = (c: number[]): boolean => c[d]! >= 0 && c[d]! < dims[d]!;
          check.equal(source, periodic || inside(up) ? wrap(up) : MPI.PROC_NULL);
          check.equal(dest, periodic || inside(down) ? wrap(down) : MPI.PROC_NULL);
          // a shift through Sendrecv moves each rank's value one step along d
          const got = Int32Array.of(-1);
          await cart.Sendrecv(Int32Array.of(rank), dest, 3, got, source, 3);
          check.equal(got[0], source === MPI.PROC_NULL ? -1 : source);
        }
        if (!periodic) {
          check.throwsMPI(() => cart.Get_cart_rank([dims[0]!, 0]), MPI.ERR_RANK);
        }
        // neighbour collectives: order is (dim 0: -, +), (dim 1: -, +)
        const neighbours = [...cart.Shift(0, 1), ...cart.Shift(1, 1)];
        const gathered = new Int32Array(4).fill(-7);
        await cart.Neighbor_allgather(Int32Array.of(rank * 10), gathered);
        check.deepEqual(Array.from(gathered), neighbours.map((n) => (n === MPI.PROC_NULL ? -7 : n * 10)));
        const out = Int32Array.from([0, 1, 2, 3], (k) => rank * 100 + k);
        const into = new Int32Array(4).fill(-7);
        await cart.Neighbor_alltoall(out, into);
        // neighbour k sent us its block for the opposite direction (k ^ 1)
        check.deepEqual(Array.from(into), neighbours.map((n, k) => (n === MPI.PROC_NULL ? -7 : n * 100 + (k ^ 1))));
        check.deepEqual(await cart.neighbor_allgather({ r: rank }), neighbours.map((n) => (n === MPI.PROC_NULL ? undefined : { r: n })));
        // Dup keeps the grid (MPI-4.1 §7.4.2), in a context of its own
        const copy = await cart.Dup();
        check.ok(copy instanceof MPI.Cartcomm, 'a Cartcomm\'s Dup is a Cartcomm');
        check.deepEqual([copy.Get_topology(), copy.Get_topo()], [MPI.CART, cart.Get_topo()]);
        check.deepEqual([copy.Shift(0, 1), copy.Shift(1, 1)], [cart.Shift(0, 1), cart.Shift(1, 1)]);
        const viaCopy = new Int32Array(4).fill(-7);
        await copy.Neighbor_allgather(Int32Array.of(rank * 10), viaCopy);
        check.deepEqual(Array.from(viaCopy), Array.from(gathered));
        check.equal(copy.Compare(cart), MPI.CONGRUENT);
        copy.Free();
        // Sub keeps a row
        const row = await cart.Sub([false, true]);
        check.equal(row.size, dims[1]);
        check.equal(row.rank, coords[1]);
        check.deepEqual(await row.allgather(rank), Array.from({ length: dims[1]! }, (_, c) => coords[0]! * dims[1]! + c));
      }
    },
  },
  {
    name: 'Create_graph: a ring; Get_dims, Get_topo, Get_neighbors, Graph_map, Get_topology; ranks past the nodes get null',
    run: async (comm) => {
      const n = size;
      const index = Array.from({ length: n }, (_, i) => 2 * (i + 1));
      const edges = Array.from({ length: n }, (_, i) => [(i + n - 1) % n, (i + 1) % n]).flat();
      const graph = (await comm.Create_graph(index, edges))!;
      check.equal(graph.Get_topology(), MPI.GRAPH);
      check.equal(graph.topology, MPI.GRAPH);
      check.equal(graph.is_topo, true);
      check.deepEqual(graph.Get_dims(), [n, 2 * n]);
      check.deepEqual([graph.nnodes, graph.nedges], [n, 2 * n]);
      check.deepEqual(graph.Get_topo(), [index, edges]);
      check.deepEqual([graph.index, graph.edges], [index, edges]);
      const left = (rank + n - 1) % n;
      const right = (rank + 1) % n;
      check.deepEqual(graph.neighbors, [left, right]);
      check.equal(graph.nneighbors, 2);
      check.deepEqual(graph.Get_neighbors((rank + 1) % n), [rank, (rank + 2) % n]);
      check.equal(graph.Get_neighbors_count(0), 2);
      check.deepEqual(graph.degrees, [2, 2]);
      check.deepEqual(graph.inoutedges, [[left, right], [left, right]]);
      check.throwsMPI(() => graph.Get_neighbors(n), MPI.ERR_RANK, /Graphcomm.Get_neighbors/);
      check.deepEqual(await graph.neighbor_allgather(rank), [left, right]);
      const [graphCopy, dupped] = await graph.Idup();
      await dupped.Wait();
      check.ok(graphCopy instanceof MPI.Graphcomm, 'a Graphcomm\'s Idup is a Graphcomm');
      check.deepEqual([graphCopy.Get_topo(), graphCopy.neighbors], [[index, edges], [left, right]]);
      check.deepEqual(await graphCopy.neighbor_allgather(-rank), [-left, -right]);
      graphCopy.Free();
      check.equal(await comm.Graph_map(index, edges), rank);
      graph.Free();
      // a graph of one node fewer than the ranks: the last rank is left out
      if (n > 1) {
        const path = await comm.Create_graph(Array.from({ length: n - 1 }, () => 0), []);
        if (rank === n - 1) check.equal(path, null);
        else check.deepEqual(path!.Get_dims(), [n - 1, 0]);
        check.equal(await comm.Graph_map(Array.from({ length: n - 1 }, () => 0), []), rank === n - 1 ? MPI.UNDEFINED : rank);
      }
      await check.rejectsMPI(comm.Create_graph([-1], []), MPI.ERR_TOPOLOGY, /non-decreasing/);
      await check.rejectsMPI(comm.Create_graph([1], [5]), MPI.ERR_RANK, /Comm.Create_graph/);
      await check.rejectsMPI(comm.Create_graph(new Array<number>(n + 1).fill(0), []), MPI.ERR_TOPOLOGY, /needs/);
    },
  },
  {
    name: 'Create_dist_graph_adjacent and Create_dist_graph: neighbours, weights, UNWEIGHTED and WEIGHTS_EMPTY',
    run: async (comm) => {
      const n = size;
      const sources = [(rank + n - 1) % n, (rank + n - 2 + n) % n];
      const destinations = [(rank + 1) % n, (rank + 2) % n];
      const plain = await comm.Create_dist_graph_adjacent(sources, destinations);
      check.equal(plain.Get_topology(), MPI.DIST_GRAPH);
      check.deepEqual(plain.Get_dist_neighbors_count(), [2, 2, false]);
      check.deepEqual(plain.Get_dist_neighbors(), [sources, destinations, null]);
      check.deepEqual([plain.indegree, plain.outdegree, plain.inedges, plain.outedges], [2, 2, sources, destinations]);
      plain.Free();
      const weighted = await comm.Create_dist_graph_adjacent(sources, destinations, [1, 2], [3, 4]);
      check.deepEqual(weighted.Get_dist_neighbors(), [sources, destinations, [[1, 2], [3, 4]]]);
      check.deepEqual(weighted.Get_dist_neighbors_count(), [2, 2, true]);
      weighted.Free();
      const explicit = await comm.Create_dist_graph_adjacent(sources, destinations, MPI.UNWEIGHTED, MPI.UNWEIGHTED);
      check.equal(explicit.Get_dist_neighbors()[2], null);
      explicit.Free();
      const lonely = await comm.Create_dist_graph_adjacent([], [], MPI.WEIGHTS_EMPTY, MPI.WEIGHTS_EMPTY);
      check.deepEqual(lonely.Get_dist_neighbors(), [[], [], [[], []]]);
      lonely.Free();
      // rank 0 declares the whole ring i -> i+1 with weight 10 * i; the others declare nothing
      const all = Array.from({ length: n }, (_, i) => i);
      const ring = await comm.Create_dist_graph(rank === 0 ? all : [], rank === 0 ? all.map(() => 1) : [],
        rank === 0 ? all.map((i) => (i + 1) % n) : [], rank === 0 ? all.map((i) => 10 * i) : MPI.WEIGHTS_EMPTY);
      const prev = (rank + n - 1) % n;
      check.deepEqual(ring.Get_dist_neighbors(), [[prev], [(rank + 1) % n], [[10 * prev], [10 * rank]]]);
      check.deepEqual(await ring.neighbor_allgather(`r${rank}`), [`r${prev}`]);
      const ringCopy = await ring.Dup();
      check.ok(ringCopy instanceof MPI.Distgraphcomm, 'a Distgraphcomm\'s Dup is a Distgraphcomm');
      check.deepEqual(ringCopy.Get_dist_neighbors(), ring.Get_dist_neighbors());
      check.deepEqual(await ringCopy.neighbor_allgather(`c${rank}`), [`c${prev}`]);
      ringCopy.Free();
      ring.Free();
      await check.rejectsMPI(comm.Create_dist_graph_adjacent([n], []), MPI.ERR_RANK, /Comm.Create_dist_graph_adjacent/);
      await check.rejectsMPI(comm.Create_dist_graph_adjacent([0], [0], [1, 2], [1]), MPI.ERR_ARG, /sourceweights/);
      await check.rejectsMPI(comm.Create_dist_graph([0], [2], [0]), MPI.ERR_ARG, /degrees add up to 2/);
    },
  },
  {
    name: 'Get_topology, Is_inter, Group.Dup, GROUP_EMPTY, GROUP_NULL, Create_from_group, Idup, Cart_map',
    run: async (comm) => {
      check.equal(comm.Get_topology(), MPI.UNDEFINED);
      check.equal(comm.is_topo, false);
      check.equal(comm.Is_inter(), false);
      check.equal(comm.Is_intra(), true);
      check.equal(comm.is_intra, true);
      const cart = (await comm.Create_cart([size]))!;
      check.equal(cart.Get_topology(), MPI.CART);
      check.equal(cart.topology, MPI.CART);
      check.deepEqual(cart.degrees, [2, 2]);
      cart.Free();
      check.equal(comm.Cart_map([size]), rank);
      check.equal(comm.Cart_map([1]), rank === 0 ? 0 : MPI.UNDEFINED);
      check.throwsMPI(() => comm.Cart_map([size + 1]), MPI.ERR_DIMS, /Comm.Cart_map/);
      const world = comm.Get_group();
      const copy = world.Dup();
      check.equal(copy.Compare(world), MPI.IDENT);
      check.notEqual(copy, world);
      check.equal(MPI.GROUP_EMPTY.size, 0);
      check.equal(MPI.GROUP_EMPTY.rank, MPI.UNDEFINED);
      check.equal(MPI.GROUP_NULL, null);
      check.equal(MPI.Group.Union(MPI.GROUP_EMPTY, world).Compare(world), MPI.IDENT);
      check.equal(world.Intersection(MPI.GROUP_EMPTY).size, 0);
      check.equal(world.Difference(world).Compare(MPI.GROUP_EMPTY), MPI.IDENT);
      check.throwsMPI(() => MPI.GROUP_EMPTY.Free(), MPI.ERR_GROUP, /GROUP_EMPTY/);
      // the even ranks of the world make a communicator of their own, without a parent
      const evens = MPI.COMM_WORLD.Get_group().Range_incl([[0, size - 1, 2]]);
      if (evens.rank !== MPI.UNDEFINED) {
        const sub = await MPI.Intracomm.Create_from_group(evens, 'conformance.evens');
        check.equal(sub.size, Math.ceil(size / 2));
        check.equal(sub.rank, rank / 2);
        check.deepEqual(await sub.allgather(rank), Array.from({ length: sub.size }, (_, i) => 2 * i));
        sub.Free();
      } else {
        await check.rejectsMPI(MPI.Intracomm.Create_from_group(evens, 'x'), MPI.ERR_GROUP, /only the members/);
      }
      const [dup, request] = await comm.Idup();
      await request.Wait();
      check.equal(dup.Compare(comm), MPI.CONGRUENT);
      check.deepEqual(await dup.allgather(rank), Array.from({ length: size }, (_, i) => i));
      dup.Free();
      await comm.Barrier();
    },
  },
  {
    name: 'Intercomm.Create_from_groups: rank 0 against the rest',
    minRanks: 2,
    run: async (comm) => {
      const world = MPI.COMM_WORLD.Get_group();
      const low = world.Incl([0]);
      const high = world.Excl([0]);
      const [local, remote] = rank === 0 ? [low, high] : [high, low];
      const inter = await MPI.Intercomm.Create_from_groups(local, 0, remote, 0, 'conformance.pair');
      check.equal(inter.Is_inter(), true);
      check.equal(inter.is_intra, false);
      check.equal(inter.size, rank === 0 ? 1 : size - 1);
      check.equal(inter.remote_size, rank === 0 ? size - 1 : 1);
      const got = await inter.allgather(rank);
      check.deepEqual(got, rank === 0 ? Array.from({ length: size - 1 }, (_, i) => i + 1) : [0]);
      inter.Free();
      await comm.Barrier();
    },
  },
];

await runCases('topology', cases);
