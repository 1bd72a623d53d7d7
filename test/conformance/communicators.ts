// Conformance of communicators, groups, Cartesian topologies and
// intercommunicators: every call, values checked. An SPMD program for 2 or
// more ranks; prints "communicators ok <rank>" on success.
import assert from 'node:assert/strict';
import { MPI, type MPIError } from 'mpi4ts';

const world = MPI.COMM_WORLD;
const { rank, size } = world;

async function rejectsWith(promise: Promise<unknown>, errorClass: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: MPIError) => {
    assert.equal(error.error_class, errorClass, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

// --- Dup, Split (with UNDEFINED), names, Compare, Free
{
  const dup = await world.Dup();
  assert.equal(dup.size, size);
  assert.equal(dup.rank, rank);
  assert.equal(world.Compare(world), MPI.IDENT);
  assert.equal(world.Compare(dup), MPI.CONGRUENT);
  dup.Set_name('my dup');
  assert.equal(dup.Get_name(), 'my dup');
  const clone = await world.Clone();
  assert.equal(clone.Compare(dup), MPI.CONGRUENT);

  // reverse order: key = -rank
  const reversed = await world.Split(0, -rank);
  assert.equal(reversed!.rank, size - 1 - rank);
  assert.equal(world.Compare(reversed!), size > 1 ? MPI.SIMILAR : MPI.CONGRUENT);

  const parity = await world.Split(rank % 2, rank);
  assert.equal(parity!.size, rank % 2 === 0 ? Math.ceil(size / 2) : Math.floor(size / 2));
  assert.equal(parity!.rank, Math.floor(rank / 2));
  // traffic stays inside its communicator
  const total = await parity!.allreduce(rank);
  let expected = 0;
  for (let r = rank % 2; r < size; r += 2) expected += r;
  assert.equal(total, expected);
  assert.equal(world.Compare(parity!), size > 1 ? MPI.UNEQUAL : MPI.CONGRUENT);

  const firstOnly = await world.Split(rank === 0 ? 0 : MPI.UNDEFINED);
  if (rank === 0) assert.equal(firstOnly!.size, 1);
  else assert.equal(firstOnly, null);

  const typeShared = await world.Split_type(MPI.COMM_TYPE_SHARED);
  assert.equal(typeShared!.size, size);

  await rejectsWith(world.Split(-5), MPI.ERR_ARG, /invalid color -5/);
  await rejectsWith(world.Split(1.5), MPI.ERR_ARG, /invalid color 1.5/);

  dup.Free();
  assert.throws(() => dup.rank, (e: MPIError) => e.error_class === MPI.ERR_COMM && /freed/.test(e.message));
  await rejectsWith(dup.Barrier(), MPI.ERR_COMM, /has been freed/);
  await rejectsWith(dup.Dup(), MPI.ERR_COMM, /has been freed/);
  assert.throws(() => world.Free(), (e: MPIError) => e.error_class === MPI.ERR_COMM);
}

// --- groups
{
  const group = world.Get_group();
  assert.equal(group.size, size);
  assert.equal(group.rank, rank);
  const evens = group.Incl(Array.from({ length: Math.ceil(size / 2) }, (_, i) => 2 * i));
  const odds = group.Excl(Array.from({ length: Math.ceil(size / 2) }, (_, i) => 2 * i));
  assert.equal(evens.size + odds.size, size);
  assert.equal(evens.rank, rank % 2 === 0 ? rank / 2 : MPI.UNDEFINED);
  assert.equal(MPI.Group.Union(odds, evens).size, size);
  // evens then odds: the world's order only when there is at most one of each
  assert.equal(evens.Union(odds).Compare(group), size > 2 ? MPI.SIMILAR : MPI.IDENT);
  assert.equal(group.Intersection(evens).Compare(evens), MPI.IDENT);
  assert.equal(group.Difference(evens).Compare(odds), MPI.IDENT);
  assert.equal(evens.Compare(odds), MPI.UNEQUAL);
  assert.deepEqual(evens.Translate_ranks([0], group), [0]);
  assert.deepEqual(group.Translate_ranks([0, 1], evens), [0, MPI.UNDEFINED]);
  assert.deepEqual(group.Range_incl([[size - 1, 0, -1]]).Translate_ranks(undefined, group),
    Array.from({ length: size }, (_, i) => size - 1 - i));
  assert.throws(() => group.Incl([size]), (e: MPIError) => e.error_class === MPI.ERR_RANK);
  // repeated ranks, PROC_NULL kept, the world's group by default (mpi4py)
  assert.deepEqual(group.Translate_ranks([0, 0, MPI.PROC_NULL, size - 1, 0], evens),
    [0, 0, MPI.PROC_NULL, (size - 1) % 2 === 0 ? (size - 1) / 2 : MPI.UNDEFINED, 0]);
  assert.deepEqual(odds.Translate_ranks([0, 0]), [1, 1]);
  assert.deepEqual(evens.Translate_ranks(), Array.from({ length: evens.size }, (_, i) => 2 * i));
  assert.deepEqual(group.Translate_ranks(null, null), Array.from({ length: size }, (_, i) => i));
  assert.throws(() => group.Translate_ranks([size], evens), (e: MPIError) => e.error_class === MPI.ERR_RANK);

  // Create: collective over world, null outside the group
  const evenComm = await world.Create(evens);
  if (rank % 2 === 0) {
    assert.equal(evenComm!.size, evens.size);
    assert.equal(evenComm!.rank, rank / 2);
    assert.deepEqual(await evenComm!.allgather(rank), Array.from({ length: evens.size }, (_, i) => 2 * i));
  } else {
    assert.equal(evenComm, null);
  }
  // Create_group: only members call
  if (rank % 2 === 1) {
    const oddComm = await world.Create_group(odds, 5);
    assert.equal(oddComm.size, odds.size);
    assert.equal(await oddComm.bcast(rank === 1 ? 'from 1' : undefined, 0), 'from 1');
  }
  await world.Barrier();
}

// --- Cartesian topology
{
  assert.deepEqual(MPI.Compute_dims(12, 2), [4, 3]);
  assert.deepEqual(MPI.Compute_dims(12, [0, 2]), [6, 2]);
  assert.deepEqual(MPI.Compute_dims(8, 3), [2, 2, 2]);
  assert.deepEqual(MPI.Compute_dims(7, 2), [7, 1]);
  assert.throws(() => MPI.Compute_dims(10, [3, 0]), (e: MPIError) => e.error_class === MPI.ERR_DIMS && /do not fit/.test(e.message));
  await rejectsWith(world.Create_cart([size + 1, 1], [false, false]), MPI.ERR_DIMS, /needs \d+ ranks/);
  // zero dimensions: a grid of one cell, rank 0 alone; COMM_NULL elsewhere
  const point = await world.Create_cart([]);
  if (rank === 0) {
    assert.equal(point!.size, 1);
    assert.equal(point!.ndim, 0);
    assert.deepEqual(point!.Get_topo(), [[], [], []]);
    assert.deepEqual(await point!.allgather('alone'), ['alone']);
    point!.Free();
  } else {
    assert.equal(point, null);
  }

  const dims = MPI.Compute_dims(size, 2);
  for (const periodic of [false, true]) {
    const cart = (await world.Create_cart(dims, [periodic, periodic]))!;
    assert.deepEqual(cart.dims, dims);
    const coords = cart.Get_coords(cart.rank);
    assert.deepEqual(coords, [Math.floor(rank / dims[1]!), rank % dims[1]!]);
    assert.equal(cart.Get_cart_rank(coords), cart.rank);
    assert.deepEqual(cart.Get_topo(), [dims, [periodic, periodic], coords]);
    for (let d = 0; d < 2; d++) {
      const [source, dest] = cart.Shift(d, 1);
      const up = [...coords]; up[d] = up[d]! - 1;
      const down = [...coords]; down[d] = down[d]! + 1;
      const wrap = (c: number[]): number => cart.Get_cart_rank(c.map((v, i) => (v + dims[i]!) % dims[i]!));
      const inside = (c: number[]): boolean => c[d]! >= 0 && c[d]! < dims[d]!;
      assert.equal(source, periodic || inside(up) ? wrap(up) : MPI.PROC_NULL);
      assert.equal(dest, periodic || inside(down) ? wrap(down) : MPI.PROC_NULL);
      // a shift through Sendrecv moves each rank's value one step along d
      const got = Int32Array.of(-1);
      await cart.Sendrecv(Int32Array.of(rank), dest, 3, got, source, 3);
      assert.equal(got[0], source === MPI.PROC_NULL ? -1 : source);
    }
    if (!periodic) {
      assert.throws(() => cart.Get_cart_rank([dims[0]!, 0]), (e: MPIError) => e.error_class === MPI.ERR_RANK);
    }
    // neighbour collectives: order is (dim 0: -, +), (dim 1: -, +)
    const neighbours = [...cart.Shift(0, 1), ...cart.Shift(1, 1)];
    const gathered = new Int32Array(4).fill(-7);
    await cart.Neighbor_allgather(Int32Array.of(rank * 10), gathered);
    assert.deepEqual(Array.from(gathered), neighbours.map((n) => (n === MPI.PROC_NULL ? -7 : n * 10)));
    const out = Int32Array.from([0, 1, 2, 3], (k) => rank * 100 + k);
    const into = new Int32Array(4).fill(-7);
    await cart.Neighbor_alltoall(out, into);
    // neighbour k sent us its block for the opposite direction (k ^ 1)
    assert.deepEqual(Array.from(into), neighbours.map((n, k) => (n === MPI.PROC_NULL ? -7 : n * 100 + (k ^ 1))));
    assert.deepEqual(await cart.neighbor_allgather({ r: rank }), neighbours.map((n) => (n === MPI.PROC_NULL ? undefined : { r: n })));
    // Sub keeps a row
    const row = await cart.Sub([false, true]);
    assert.equal(row.size, dims[1]);
    assert.equal(row.rank, coords[1]);
    assert.deepEqual(await row.allgather(rank), Array.from({ length: dims[1]! }, (_, c) => coords[0]! * dims[1]! + c));
  }
}

// --- intercommunicators: halves of the world joined, then merged
if (size >= 2) {
  const color = rank < size / 2 ? 0 : 1;
  const half = (await world.Split(color, rank))!;
  const remoteLeader = color === 0 ? Math.ceil(size / 2) : 0;
  const inter = await half.Create_intercomm(0, world, remoteLeader, 12);
  const remoteSize = color === 0 ? size - Math.ceil(size / 2) : Math.ceil(size / 2);
  assert.equal(inter.remote_size, remoteSize);
  assert.equal(inter.size, half.size);
  assert.equal(inter.Get_remote_group().size, remoteSize);
  // point-to-point addresses the remote group
  if (inter.rank === 0) {
    await inter.send({ from: rank }, 0, 4);
    assert.deepEqual(await inter.recv(0, 4), { from: remoteLeader });
  }
  // Bcast with ROOT / PROC_NULL on the root side
  const buf = new Float64Array(3);
  if (color === 0) {
    if (inter.rank === 0) buf.set([1.5, 2.5, 3.5]);
    await inter.Bcast(buf, inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
  } else {
    await inter.Bcast(buf, 0);
    assert.deepEqual(Array.from(buf), [1.5, 2.5, 3.5]);
  }
  const value = await inter.bcast(color === 1 && inter.rank === 0 ? 'from group 1' : undefined,
    color === 1 ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0);
  if (color === 0) assert.equal(value, 'from group 1');
  const remoteRanks = await inter.allgather(rank);
  const expectedRemote = color === 0 ? Array.from({ length: remoteSize }, (_, i) => Math.ceil(size / 2) + i)
    : Array.from({ length: remoteSize }, (_, i) => i);
  assert.deepEqual(remoteRanks, expectedRemote);
  assert.equal(await inter.allreduce(rank), expectedRemote.reduce((a, b) => a + b, 0));
  const gathered = await inter.gather(rank, color === 0 ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0);
  if (color === 0 && inter.rank === 0) assert.deepEqual(gathered, expectedRemote);
  else assert.equal(gathered, undefined);
  const scattered = await inter.scatter(color === 0 && inter.rank === 0 ? expectedRemote.map((r) => r * 2) : undefined,
    color === 0 ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0);
  if (color === 1) assert.equal(scattered, rank * 2);

  // Buffer collectives. Roots sit at either end of either group (not only
  // the leaders); PROC_NULL ranks' buffers must stay untouched.
  const remoteWorld = (i: number): number => expectedRemote[i]!;
  const remoteSum = expectedRemote.reduce((a, b) => a + b, 0);
  /** What this rank passes as root when local rank `at` of group `rootColor` is the root. */
  const rootArg = (rootColor: number, at: number): number =>
    color === rootColor ? (inter.rank === at ? MPI.ROOT : MPI.PROC_NULL) : at;
  const sentinel = (n: number): Int32Array => new Int32Array(n).fill(-1);
  const untouched = (buf: Int32Array): void => assert.ok(buf.every((v) => v === -1), `PROC_NULL buffer changed: ${buf}`);
  const lastOf0 = Math.ceil(size / 2) - 1;
  const lastOf1 = size - Math.ceil(size / 2) - 1;
  {
    // Gather: root is group 0's leader
    const root = rootArg(0, 0);
    const recv = root === MPI.ROOT ? new Int32Array(2 * remoteSize) : sentinel(2 * remoteSize);
    await inter.Gather(color === 1 ? Int32Array.of(rank, rank * 10) : null, color === 0 ? recv : null, root);
    if (root === MPI.ROOT) assert.deepEqual(Array.from(recv), expectedRemote.flatMap((r) => [r, r * 10]));
    else untouched(recv);
  }
  {
    // Gatherv: root is group 1's last rank; remote rank i sends i + 1 elements, blocks one apart
    const root = rootArg(1, lastOf1);
    const counts = expectedRemote.map((_, i) => i + 1);
    const displs = counts.map((_, i) => (i * (i + 1)) / 2 + i);
    const recv = sentinel(displs[remoteSize - 1]! + counts[remoteSize - 1]! + 1);
    await inter.Gatherv(color === 0 ? new Int32Array(inter.rank + 1).fill(rank) : null,
      root === MPI.ROOT ? [recv, [counts, displs], MPI.INT] : null, root);
    if (root === MPI.ROOT) {
      const want = new Int32Array(recv.length).fill(-1);
      counts.forEach((c, i) => want.fill(remoteWorld(i), displs[i]!, displs[i]! + c));
      assert.deepEqual(Array.from(recv), Array.from(want));
    } else {
      untouched(recv);
    }
  }
  {
    // Scatter: root is group 1's last rank; remote rank i gets [100 + 2i, 101 + 2i]
    const root = rootArg(1, lastOf1);
    const send = root === MPI.ROOT ? Int32Array.from({ length: 2 * remoteSize }, (_, k) => 100 + k) : null;
    const recv = sentinel(2);
    await inter.Scatter(send, recv, root);
    if (color === 0) assert.deepEqual(Array.from(recv), [100 + 2 * inter.rank, 101 + 2 * inter.rank]);
    else untouched(recv);
  }
  {
    // Scatterv: root is group 0's last rank; remote rank i gets i + 1 copies of 7 * i
    const root = rootArg(0, lastOf0);
    const counts = expectedRemote.map((_, i) => i + 1);
    const displs = counts.map((_, i) => (i * (i + 1)) / 2);
    const all = Int32Array.from(counts.flatMap((c, i) => new Array<number>(c).fill(7 * i)));
    const recv = sentinel(inter.rank + 1);
    await inter.Scatterv(root === MPI.ROOT ? [all, [counts, displs], MPI.INT] : null, recv, root);
    if (color === 1) assert.deepEqual(Array.from(recv), new Array<number>(inter.rank + 1).fill(7 * inter.rank));
    else untouched(recv);
  }
  {
    // Allgather and Allgatherv: each rank gets the remote group's blocks
    const all = new Int32Array(remoteSize);
    await inter.Allgather(Int32Array.of(rank), all);
    assert.deepEqual(Array.from(all), expectedRemote);
    const counts = expectedRemote.map((_, i) => i + 1);
    const allv = new Float64Array(counts.reduce((a, b) => a + b, 0));
    await inter.Allgatherv(new Float64Array(inter.rank + 1).fill(rank + 0.5), [allv, [counts], MPI.DOUBLE]);
    assert.deepEqual(Array.from(allv), expectedRemote.flatMap((r, i) => new Array<number>(i + 1).fill(r + 0.5)));
  }
  {
    // Alltoall with block sizes that differ between the groups: group 0 sends
    // blocks of 2 and receives blocks of 1, group 1 the reverse
    const out = color === 0 ? 2 : 1;
    const inn = color === 0 ? 1 : 2;
    const send = Int32Array.from({ length: out * remoteSize }, (_, k) => rank * 100 + Math.floor(k / out) * 10 + (k % out));
    const recv = new Int32Array(inn * remoteSize);
    await inter.Alltoall(send, recv);
    assert.deepEqual(Array.from(recv),
      Array.from({ length: inn * remoteSize }, (_, k) => remoteWorld(Math.floor(k / inn)) * 100 + inter.rank * 10 + (k % inn)));
    // Alltoallv: local rank a sends (a + b) % 3 elements to remote rank b
    const sendCounts = expectedRemote.map((_, j) => (inter.rank + j) % 3);
    const recvCounts = expectedRemote.map((_, i) => (inter.rank + i) % 3);
    const sendv = Int32Array.from(sendCounts.flatMap((c, j) => Array.from({ length: c }, (_, k) => rank * 100 + j * 10 + k)));
    const recvv = new Int32Array(recvCounts.reduce((a, b) => a + b, 0));
    await inter.Alltoallv([sendv, [sendCounts], MPI.INT], [recvv, [recvCounts], MPI.INT]);
    assert.deepEqual(Array.from(recvv),
      recvCounts.flatMap((c, i) => Array.from({ length: c }, (_, k) => remoteWorld(i) * 100 + inter.rank * 10 + k)));
    // alltoall of values
    const got = await inter.alltoall(expectedRemote.map((_, j) => `${rank}->${j}`));
    assert.deepEqual(got, expectedRemote.map((r) => `${r}->${inter.rank}`));
  }
  {
    // Reduce: root is group 0's last rank, gets the sum over group 1
    const root = rootArg(0, lastOf0);
    const recv = sentinel(2);
    await inter.Reduce(color === 1 ? Int32Array.of(rank, 1) : null, color === 0 ? recv : null, MPI.SUM, root);
    if (root === MPI.ROOT) assert.deepEqual(Array.from(recv), [remoteSum, remoteSize]);
    else untouched(recv);
  }
  {
    // Allreduce: each group gets the other's sum, and a non-commutative op in
    // the other group's rank order. Affine maps x -> a x + b as [a, b],
    // composed left to right: (a1, b1) op (a2, b2) = (a1 a2, b1 a2 + b2).
    const sums = new Int32Array(1);
    await inter.Allreduce(Int32Array.of(rank), sums, MPI.SUM);
    assert.equal(sums[0], remoteSum);
    const compose = MPI.Op.Create((invec: Float64Array, inout: Float64Array) => {
      for (let k = 0; k < invec.length; k += 2) {
        const [a1, b1, a2, b2] = [invec[k]!, invec[k + 1]!, inout[k]!, inout[k + 1]!];
        inout[k] = a1 * a2;
        inout[k + 1] = b1 * a2 + b2;
      }
    });
    const composed = new Float64Array(2);
    await inter.Allreduce(Float64Array.of(2, rank + 1), composed, compose);
    let [a, b] = [1, 0];
    for (const r of expectedRemote) [a, b] = [a * 2, b * 2 + r + 1];
    assert.deepEqual(Array.from(composed), [a, b]);
  }
  {
    // Reduce_scatter_block: both groups send localSize * remoteSize elements;
    // each rank gets its block of remoteSize elements of the other group's sum
    const n = inter.size * remoteSize;
    const recv = new Int32Array(remoteSize);
    await inter.Reduce_scatter_block(Int32Array.from({ length: n }, (_, k) => rank * 100 + k), recv, MPI.SUM);
    assert.deepEqual(Array.from(recv),
      Array.from({ length: remoteSize }, (_, t) => remoteSum * 100 + remoteSize * (inter.rank * remoteSize + t)));
  }
  // argument errors
  await rejectsWith(inter.Gather(null, null, remoteSize), MPI.ERR_ROOT, /Intercomm\.Gather: invalid root/);
  await rejectsWith(inter.Allreduce(MPI.IN_PLACE as never, new Int32Array(1)), MPI.ERR_BUFFER, /Intercomm\.Allreduce: MPI\.IN_PLACE/);
  await rejectsWith(inter.Reduce_scatter_block(new Int32Array(inter.size + 1), new Int32Array(1)), MPI.ERR_COUNT,
    /Intercomm\.Reduce_scatter_block: the send buffer holds/);
  await rejectsWith(inter.Alltoallv([new Int32Array(remoteSize + 1), [new Array<number>(remoteSize + 1).fill(1)], MPI.INT],
    new Int32Array(remoteSize)), MPI.ERR_COUNT, new RegExp(`Intercomm\\.Alltoallv: counts must be ${remoteSize} non-negative`));
  {
    // a root expecting more than the other group sends: a count error at the root
    const root = rootArg(0, 0);
    const gathering = inter.Gather(color === 1 ? Int32Array.of(rank) : null, new Int32Array(2 * remoteSize), root);
    if (root === MPI.ROOT) await rejectsWith(gathering, MPI.ERR_COUNT, /Intercomm\.Gather: remote rank 0 sent 4 bytes where 8/);
    else await gathering;
  }
  await inter.Barrier();
  // Merge: the group passing high=false comes first
  const merged = await inter.Merge(color === 1);
  assert.equal(merged.size, size);
  assert.equal(merged.rank, rank);
  assert.equal(await merged.allreduce(1), size);
  const flipped = await inter.Merge(color === 0);
  assert.equal(flipped.rank, color === 1 ? rank - Math.ceil(size / 2) : rank + remoteSize);
  await inter.Disconnect();
  await rejectsWith(inter.send(1, 0), MPI.ERR_COMM, /freed/);
}

assert.equal(MPI.Comm.Get_parent(), null);
await world.Barrier();
console.log(`communicators ok ${rank}`);
