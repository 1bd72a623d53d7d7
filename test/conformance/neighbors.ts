/**
 * Conformance chapter: neighbourhood collectives (MPI-4.1 §8.6-§8.8) on
 * Cartesian grids and distributed graphs, in every form (allgather(v),
 * alltoall(v,w), nonblocking, persistent, object), `Alltoallw` /
 * `Ialltoallw` (§6.8), and the persistent collectives (§6.13: every
 * `*_init`, `Start`, `Startall`). An SPMD program for 1 or more ranks on any
 * transport; see cases.ts for how cases run and report.
 *
 * @module
 */
import { type Intracomm, MPI, type Topocomm } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

const { rank, size } = MPI.COMM_WORLD;

/**
 * What arrives in source slot `k` of `me` when every rank sends `value(s, m)`
 * in its destination slot `m`: the j-th slot of `me` naming source `s` gets
 * what `s` sends in the j-th of its destination slots naming `me` (MPI's rule
 * for repeated edges), or, on a grid, the block `s` sent in direction `k ^ 1`.
 */
async function expected(topo: Topocomm, value: (source: number, slot: number) => number,
  cartesian: boolean): Promise<(number | undefined)[]> {
  const all = await topo.allgather([topo.inedges, topo.outedges]);
  const me = topo.rank;
  return topo.inedges.map((source, k) => {
    if (source === MPI.PROC_NULL) return undefined;
    if (cartesian) return value(source, k ^ 1);
    const j = topo.inedges.slice(0, k).filter((s) => s === source).length;
    const slots = all[source]![1].map((d, m) => (d === me ? m : -1)).filter((m) => m >= 0);
    return value(source, slots[j]!);
  });
}

/** The topologies every case runs on: a 2-D grid periodic in one dimension, a periodic ring, and two distributed graphs. */
async function topologies(comm: Intracomm): Promise<[string, Topocomm, boolean][]> {
  const n = size;
  const cart = (await comm.Create_cart(MPI.Compute_dims(n, 2), [true, false]))!;
  // every rank sends to the next two; with 1 or 2 ranks edges repeat
  const skip = await comm.Create_dist_graph_adjacent([(rank + n - 1) % n, (rank + 2 * n - 2) % n], [(rank + 1) % n, (rank + 2) % n]);
  // rank 0 sends to everyone, nobody else sends: in-degree 1, out-degree n at rank 0 and 0 elsewhere
  const star = await comm.Create_dist_graph_adjacent([0], rank === 0 ? Array.from({ length: n }, (_, i) => i) : []);
  // a periodic ring: with 3 ranks or more each rank has two different neighbours
  const ring = (await comm.Create_cart([n], [true]))!;
  return [['cart', cart, true], ['ring', ring, true], ['skip', skip, false], ['star', star, false]];
}

const cases: Case[] = [
  {
    name: 'Neighbor_allgather(v) and Neighbor_alltoall(v) on a grid and on graphs; PROC_NULL slots keep their values',
    run: async (comm) => {
      for (const [label, topo, cartesian] of await topologies(comm)) {
        const [indegree, outdegree] = topo.degrees;
        const fromEach = await expected(topo, (s) => s * 10, cartesian);
        const gathered = new Int32Array(indegree).fill(-7);
        await topo.Neighbor_allgather(Int32Array.of(rank * 10), gathered);
        check.deepEqual(Array.from(gathered), fromEach.map((v) => v ?? -7), `${label} allgather`);
        // allgatherv: each source's 2 values at displacement 3k
        const spaced = new Int32Array(3 * indegree).fill(-7);
        await topo.Neighbor_allgatherv(Int32Array.of(rank * 10, rank * 10 + 1),
          [spaced, [new Array<number>(indegree).fill(2), Array.from({ length: indegree }, (_, k) => 3 * k)]]);
        check.deepEqual(Array.from(spaced), fromEach.flatMap((v) => (v === undefined ? [-7, -7, -7] : [v, v + 1, -7])), `${label} allgatherv`);
        // alltoall: slot m carries 100 * rank + m
        const out = Int32Array.from({ length: outdegree }, (_, m) => 100 * rank + m);
        const into = new Int32Array(indegree).fill(-7);
        await topo.Neighbor_alltoall(out, into);
        const blocks = await expected(topo, (s, m) => 100 * s + m, cartesian);
        check.deepEqual(Array.from(into), blocks.map((v) => v ?? -7), `${label} alltoall`);
        // alltoallv: slot m carries m + 1 copies of 100 * rank + m
        const sendCounts = Array.from({ length: outdegree }, (_, m) => m + 1);
        const sendData = Int32Array.from(sendCounts.flatMap((c, m) => new Array<number>(c).fill(100 * rank + m)));
        const recvCounts = blocks.map((v, k) => (cartesian ? (k ^ 1) + 1 : v === undefined ? 0 : (v % 100) + 1));
        const recvData = new Int32Array(recvCounts.reduce((a, b) => a + b, 0)).fill(-7);
        await topo.Neighbor_alltoallv([sendData, [sendCounts]], [recvData, [recvCounts]]);
        check.deepEqual(Array.from(recvData), blocks.flatMap((v, k) => new Array<number>(recvCounts[k]!).fill(v ?? -7)), `${label} alltoallv`);
        topo.Free();
      }
    },
  },
  {
    name: 'Neighbor_alltoallw, the I-forms, the persistent forms and the object forms',
    run: async (comm) => {
      for (const [label, topo, cartesian] of await topologies(comm)) {
        const [indegree, outdegree] = topo.degrees;
        const blocks = await expected(topo, (s, m) => 100 * s + m, cartesian);
        // alltoallw: a double out, the same 8 bytes in as MPI.BYTE, at byte displacements 16k
        const out = Float64Array.from({ length: outdegree }, (_, m) => 100 * rank + m);
        const into = new Float64Array(2 * indegree).fill(-7);
        await topo.Neighbor_alltoallw(
          [out, [new Array<number>(outdegree).fill(1), Array.from({ length: outdegree }, (_, m) => 8 * m)], new Array(outdegree).fill(MPI.DOUBLE)],
          [into, new Array<number>(indegree).fill(8), Array.from({ length: indegree }, (_, k) => 16 * k), new Array(indegree).fill(MPI.BYTE)]);
        check.deepEqual(Array.from(into), blocks.flatMap((v) => [v ?? -7, -7]), `${label} alltoallw`);
        // with gaps: two ints out of every other slot of 4 ints, into the first two of a 3-int slot
        const everyOther = MPI.INT.Create_vector(2, 1, 2).Commit();
        const spread = Int32Array.from({ length: 4 * outdegree }, (_, k) => (k % 2 === 0 ? 100 * rank + k : -5));
        const landed = new Int32Array(3 * indegree).fill(-7);
        await topo.Neighbor_alltoallw([spread, new Array<number>(outdegree).fill(1), Array.from({ length: outdegree }, (_, m) => 16 * m),
          new Array(outdegree).fill(everyOther)],
        [landed, new Array<number>(indegree).fill(2), Array.from({ length: indegree }, (_, k) => 12 * k), new Array(indegree).fill(MPI.INT)]);
        check.deepEqual(Array.from(landed), blocks.flatMap((v) => (v === undefined ? [-7, -7, -7]
          : [v - (v % 100) + 4 * (v % 100), v - (v % 100) + 4 * (v % 100) + 2, -7])), `${label} alltoallw with gaps`);
        everyOther.Free();
        // nonblocking: two in flight at once, completed in the other order
        const a = new Int32Array(indegree).fill(-7);
        const b = new Int32Array(indegree).fill(-7);
        const first = topo.Ineighbor_alltoall(Int32Array.from({ length: outdegree }, (_, m) => 100 * rank + m), a);
        const second = topo.Ineighbor_allgather(Int32Array.of(rank * 10), b);
        await second.Wait();
        await first.Wait();
        check.deepEqual(Array.from(a), blocks.map((v) => v ?? -7), `${label} Ineighbor_alltoall`);
        check.deepEqual(Array.from(b), (await expected(topo, (s) => s * 10, cartesian)).map((v) => v ?? -7), `${label} Ineighbor_allgather`);
        const v = new Int32Array(indegree).fill(-7);
        await topo.Ineighbor_alltoallv([Int32Array.from({ length: outdegree }, (_, m) => 100 * rank + m), [new Array<number>(outdegree).fill(1)]],
          [v, [new Array<number>(indegree).fill(1)]]).Wait();
        check.deepEqual(Array.from(v), blocks.map((x) => x ?? -7), `${label} Ineighbor_alltoallv`);
        // persistent: the send buffer's contents are read at every Start
        const send = new Int32Array(outdegree);
        const recv = new Int32Array(indegree);
        const persistent = topo.Neighbor_alltoall_init(send, recv);
        for (const round of [1, 2]) {
          recv.fill(-7);
          send.set(Array.from({ length: outdegree }, (_, m) => 1000 * round + 100 * rank + m));
          persistent.Start();
          await persistent.Wait();
          check.deepEqual(Array.from(recv), blocks.map((x) => (x === undefined ? -7 : 1000 * round + x)), `${label} persistent round ${round}`);
        }
        persistent.Free();
        // objects
        check.deepEqual(await topo.neighbor_allgather({ r: rank }),
          (await expected(topo, (s) => s, cartesian)).map((s) => (s === undefined ? undefined : { r: s })), `${label} neighbor_allgather`);
        check.deepEqual(await topo.neighbor_alltoall(Array.from({ length: outdegree }, (_, m) => 100 * rank + m)), blocks, `${label} neighbor_alltoall`);
        await check.rejectsMPI(topo.neighbor_alltoall([1, 2, 3, 4, 5, 6, 7].slice(0, outdegree + 1)), MPI.ERR_ARG, /neighbor_alltoall/);
        if (indegree > 0) {
          await check.rejectsMPI(topo.Neighbor_allgather(Int32Array.of(1, 2), new Int32Array(indegree)), MPI.ERR_COUNT, /Neighbor_allgather/);
        }
        topo.Free();
      }
    },
  },
  {
    name: 'Alltoallw and Ialltoallw: counts, byte displacements and datatypes per rank; IN_PLACE',
    run: async (comm) => {
      // to rank j: j + 1 doubles of value 100 * rank + j, laid 64 bytes apart; received as bytes, 64 apart
      const out = new Float64Array(8 * size);
      for (let j = 0; j < size; j++) out.fill(100 * rank + j, 8 * j, 8 * j + j + 1);
      const sendSpec = [out, [Array.from({ length: size }, (_, j) => j + 1), Array.from({ length: size }, (_, j) => 64 * j)],
        new Array(size).fill(MPI.DOUBLE)] as const;
      const into = new Float64Array(8 * size).fill(-7);
      const recvSpec = [into, new Array<number>(size).fill(8 * (rank + 1)), Array.from({ length: size }, (_, i) => 64 * i),
        new Array(size).fill(MPI.BYTE)] as const;
      const want = Array.from({ length: size }, (_, i) => [...new Array<number>(rank + 1).fill(100 * i + rank), ...new Array<number>(7 - rank).fill(-7)]).flat();
      await comm.Alltoallw(sendSpec, recvSpec);
      check.deepEqual(Array.from(into), want);
      into.fill(-7);
      await comm.Ialltoallw(sendSpec, recvSpec).Wait();
      check.deepEqual(Array.from(into), want);
      // in place: block i of the buffer goes to rank i, and rank i's block for us replaces it
      const inplace = Int32Array.from({ length: size }, (_, i) => 10 * rank + i);
      const spec = [inplace, [new Array<number>(size).fill(1), Array.from({ length: size }, (_, i) => 4 * i)], new Array(size).fill(MPI.INT)] as const;
      await comm.Alltoallw(MPI.IN_PLACE, spec);
      check.deepEqual(Array.from(inplace), Array.from({ length: size }, (_, i) => 10 * i + rank));
      await check.rejectsMPI(comm.Alltoallw(spec, [inplace, [new Array<number>(size).fill(size + 1), new Array<number>(size).fill(0)], new Array(size).fill(MPI.DOUBLE)]),
        MPI.ERR_COUNT, /Comm.Alltoallw/);
      // Layouts with gaps: the data lands in the layout's slots and the gaps keep their bytes (they once got the
      // packed bytes: [0,1,-1,-1,...] where [0,-1,1,-1,...] was due). Two ints to each rank, contiguous out;
      // in, every other int of a 4-int slot (a vector), and to rank j also a column of a 2-row matrix.
      const strided = MPI.INT.Create_vector(2, 1, 2).Commit();
      const pairs = Int32Array.from({ length: 2 * size }, (_, k) => 100 * rank + k);
      const holes = new Int32Array(4 * size).fill(-1);
      const ones = new Array<number>(size).fill(1);
      await comm.Alltoallw([pairs, [new Array<number>(size).fill(2), Array.from({ length: size }, (_, i) => 8 * i)], new Array(size).fill(MPI.INT)],
        [holes, [ones, Array.from({ length: size }, (_, i) => 16 * i)], new Array(size).fill(strided)]);
      check.deepEqual(Array.from(holes), Array.from({ length: size }, (_, i) => [100 * i + 2 * rank, -1, 100 * i + 2 * rank + 1, -1]).flat());
      // out of a column (stride size), in place through the strided type, and nonblocking
      const grid = Int32Array.from({ length: 2 * size }, (_, k) => 1000 * rank + k); // 2 rows of size ints: column j is [j, size + j]
      const column = MPI.INT.Create_vector(2, 1, size).Commit();
      holes.fill(-1);
      await comm.Ialltoallw([grid, [ones, Array.from({ length: size }, (_, j) => 4 * j)], new Array(size).fill(column)],
        [holes, [ones, Array.from({ length: size }, (_, i) => 16 * i)], new Array(size).fill(strided)]).Wait();
      check.deepEqual(Array.from(holes), Array.from({ length: size }, (_, i) => [1000 * i + rank, -1, 1000 * i + size + rank, -1]).flat());
      const slots = Int32Array.from({ length: 4 * size }, (_, k) => (k % 2 === 0 ? 10 * rank + k : -3));
      await comm.Alltoallw(MPI.IN_PLACE, [slots, [ones, Array.from({ length: size }, (_, i) => 16 * i)], new Array(size).fill(strided)]);
      check.deepEqual(Array.from(slots), Array.from({ length: size }, (_, i) => [10 * i + 4 * rank, -3, 10 * i + 4 * rank + 2, -3]).flat());
      // a block past the buffer's end is refused before anything moves
      await check.rejectsMPI(comm.Alltoallw(MPI.IN_PLACE, [holes, [ones, Array.from({ length: size }, (_, i) => 16 * i + 8)], new Array(size).fill(strided)]),
        MPI.ERR_COUNT, /Comm.Alltoallw: receive block \d+: count 1 of .* reaches byte/);
      strided.Free();
      column.Free();
    },
  },
  {
    name: 'persistent collectives: every *_init, started twice, Startall and Waitall with point-to-point ones, Start of an active request',
    run: async (comm) => {
      const n = size;
      const value = new Int32Array(1);
      const bcast = new Int32Array(1);
      const gathered = new Int32Array(n);
      const gatheredv = new Int32Array(2 * n);
      const scatterFrom = new Int32Array(n);
      const scattervFrom = new Int32Array(2 * n);
      const scattered = new Int32Array(1);
      const scatteredv = new Int32Array(1);
      const all = new Int32Array(n);
      const allv = new Int32Array(n);
      const a2aOut = new Int32Array(n);
      const a2a = new Int32Array(n);
      const a2av = new Int32Array(n);
      const a2aw = new Int32Array(n);
      const sum = new Int32Array(1);
      const rootSum = new Int32Array(1);
      const rsOut = new Int32Array(n);
      const rs = new Int32Array(1);
      const rsb = new Int32Array(1);
      const scan = new Int32Array(1);
      const exscan = new Int32Array(1);
      const counts = new Array<number>(n).fill(1);
      const requests = [
        comm.Barrier_init(),
        comm.Bcast_init(bcast, 0),
        comm.Gather_init(value, gathered, 0),
        comm.Gatherv_init(value, [gatheredv, [counts, Array.from({ length: n }, (_, i) => 2 * i)]], 0),
        comm.Scatter_init(scatterFrom, scattered, 0),
        comm.Scatterv_init([scattervFrom, [counts, Array.from({ length: n }, (_, i) => 2 * i)]], scatteredv, 0),
        comm.Allgather_init(value, all),
        comm.Allgatherv_init(value, [allv, [counts]]),
        comm.Alltoall_init(a2aOut, a2a),
        comm.Alltoallv_init([a2aOut, [counts]], [a2av, [counts]]),
        comm.Alltoallw_init([a2aOut, [counts, Array.from({ length: n }, (_, i) => 4 * i)], new Array(n).fill(MPI.INT)],
          [a2aw, [counts, Array.from({ length: n }, (_, i) => 4 * i)], new Array(n).fill(MPI.INT)]),
        comm.Reduce_init(value, rootSum, MPI.SUM, 0),
        comm.Allreduce_init(value, sum, MPI.SUM),
        comm.Reduce_scatter_init(rsOut, rs, counts, MPI.SUM),
        comm.Reduce_scatter_block_init(rsOut, rsb, MPI.SUM),
        comm.Scan_init(value, scan, MPI.SUM),
        comm.Exscan_init(value, exscan, MPI.SUM),
      ];
      const ranks = Array.from({ length: n }, (_, i) => i);
      for (const round of [1, 2]) {
        const v = (r: number): number => 1000 * round + r;
        value[0] = v(rank);
        if (rank === 0) {
          bcast[0] = 77 * round;
          scatterFrom.set(ranks.map((r) => v(r) + 1));
          scattervFrom.set(ranks.flatMap((r) => [v(r) + 2, -1]));
        }
        a2aOut.set(ranks.map((j) => 100 * rank + j + 1000 * round));
        rsOut.set(ranks.map((j) => round * (rank + j)));
        if (round === 1) {
          for (const request of requests) request.Start();
          check.equal(requests.every((r) => r.isActive), true);
          check.throwsMPI(() => requests[1]!.Start(), MPI.ERR_REQUEST, /still active/);
          for (const request of requests) await request.Wait();
        } else {
          // A persistent collective is a Prequest: the general calls take it beside persistent point-to-point ones.
          const got = new Int32Array(1);
          const [send, recv] = [comm.Send_init(Int32Array.of(rank), (rank + 1) % n, 8), comm.Recv_init(got, (rank + n - 1) % n, 8)];
          MPI.Prequest.Startall([...requests, send, recv]);
          await MPI.Request.Waitall([...requests, send, recv]);
          check.equal(got[0], (rank + n - 1) % n);
          send.Free();
          recv.Free();
        }
        check.equal(requests.some((r) => r.isActive), false);
        check.equal(bcast[0], 77 * round);
        if (rank === 0) {
          check.deepEqual(Array.from(gathered), ranks.map(v));
          check.deepEqual(Array.from(gatheredv).filter((_, i) => i % 2 === 0), ranks.map(v));
          check.equal(rootSum[0], ranks.map(v).reduce((x, y) => x + y, 0));
        }
        check.equal(scattered[0], v(rank) + 1);
        check.equal(scatteredv[0], v(rank) + 2);
        check.deepEqual(Array.from(all), ranks.map(v));
        check.deepEqual(Array.from(allv), ranks.map(v));
        check.deepEqual(Array.from(a2a), ranks.map((i) => 100 * i + rank + 1000 * round));
        check.deepEqual(Array.from(a2av), ranks.map((i) => 100 * i + rank + 1000 * round));
        check.deepEqual(Array.from(a2aw), ranks.map((i) => 100 * i + rank + 1000 * round));
        check.equal(sum[0], ranks.map(v).reduce((x, y) => x + y, 0));
        check.equal(rs[0], ranks.map((i) => round * (i + rank)).reduce((x, y) => x + y, 0));
        check.equal(rsb[0], rs[0]);
        check.equal(scan[0], ranks.slice(0, rank + 1).map(v).reduce((x, y) => x + y, 0));
        if (rank > 0) check.equal(exscan[0], ranks.slice(0, rank).map(v).reduce((x, y) => x + y, 0));
      }
      for (const request of requests) request.Free();
      check.throwsMPI(() => requests[0]!.Start(), MPI.ERR_REQUEST, /freed/);
    },
  },
];

await runCases('neighbors', cases);
