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
  assert.throws(() => world.Free(), (e: MPIError) => e.error_class === MPI.ERR_ARG);
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
