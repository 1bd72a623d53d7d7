/**
 * Conformance chapter: process topologies (MPI-4.1 chapter 8): Compute_dims,
 * Cartesian communicators (Create_cart, Get_topo, Get_coords, Get_cart_rank,
 * Shift, Sub) and the neighbour collectives on them. Graph and distributed
 * graph topologies are not implemented. An SPMD program for 1 or more ranks
 * on any transport; see cases.ts for how cases run and report.
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
        // Sub keeps a row
        const row = await cart.Sub([false, true]);
        check.equal(row.size, dims[1]);
        check.equal(row.rank, coords[1]);
        check.deepEqual(await row.allgather(rank), Array.from({ length: dims[1]! }, (_, c) => coords[0]! * dims[1]! + c));
      }
    },
  },
];

await runCases('topology', cases);
