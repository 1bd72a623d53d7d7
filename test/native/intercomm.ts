// Groups and intercommunicators on the native mpi transport: createGroup
// (MPI_Comm_create_group), createIntercomm between the even and the odd ranks,
// point-to-point across it and on its channel, remote ranks, merge, and
// spawn (MPI_Comm_spawn of test/native/spawn_child.ts, which checks its side).
// 2 or more ranks; spawning needs free slots (mpiexec --oversubscribe).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ANY_SOURCE, ANY_TAG } from '../../src/constants.js';
import { datatypes } from '../../src/datatype.js';
import { done, pattern, predefined, run, transport } from './helpers.js';

const world = transport.world;
const { rank, size } = world;

await run('intercomm', 2, async () => {
  assert.equal(transport.parent, undefined);
  assert.equal(world.remoteSize, size);
  assert.equal(world.remoteWorldRankOf(size - 1), size - 1);

  // --- createGroup: the even ranks, in reverse order; only they call it
  const evens = Array.from({ length: size }, (_, r) => r).filter((r) => r % 2 === 0).reverse();
  if (rank % 2 === 0) {
    const g = await world.createGroup(evens, 5);
    assert.equal(g.size, evens.length);
    assert.equal(g.rank, evens.indexOf(rank));
    for (let r = 0; r < g.size; r++) assert.equal(g.worldRankOf(r), evens[r]);
    const v = new Uint8Array(4);
    if (g.rank === 0) v.set(pattern(4, 9));
    await g.collectives.bcast(v, 0);
    assert.deepEqual(v, pattern(4, 9));
    g.free();
  }

  // --- an intercommunicator between the even and the odd ranks (leaders: world ranks 0 and 1)
  const half = (await world.split(rank % 2, rank))!;
  const inter = await half.createIntercomm(0, world, rank % 2 === 0 ? 1 : 0, 77);
  const all = Array.from({ length: size }, (_, r) => r);
  const odds = all.filter((r) => r % 2 === 1);
  const evensInOrder = all.filter((r) => r % 2 === 0);
  const mine = rank % 2 === 0 ? evensInOrder : odds;
  const remote = rank % 2 === 0 ? odds : evensInOrder;
  assert.equal(inter.size, mine.length);
  assert.equal(inter.rank, mine.indexOf(rank));
  assert.equal(inter.remoteSize, remote.length);
  for (let r = 0; r < inter.remoteSize; r++) assert.equal(inter.remoteWorldRankOf(r), remote[r]);
  for (let r = 0; r < inter.size; r++) assert.equal(inter.worldRankOf(r), mine[r]);
  assert.equal(inter.local.size, mine.length);

  // Point-to-point across: rank i of each group sends to rank i of the other, if there is one.
  if (inter.rank < inter.remoteSize) {
    const peer = inter.rank;
    const into = new Uint8Array(8);
    const s = inter.isend(pattern(8, rank), peer, 3, false);
    const r = await done(inter.irecv(into, peer, 3));
    await done(s);
    assert.deepEqual(into, pattern(8, remote[peer]!));
    assert.deepEqual(r.envelope, { source: peer, tag: 3, byteLength: 8 });
    // The channel is a context of its own: a message there does not match a receive on the intercommunicator.
    const onChannel = inter.channel.isend(pattern(5, 1), peer, 3, false);
    const viaChannel = await done(inter.channel.irecv(undefined, ANY_SOURCE, ANY_TAG));
    await done(onChannel);
    assert.equal(viaChannel.data?.byteLength, 5);
    assert.equal(inter.iprobe(ANY_SOURCE, ANY_TAG), undefined);
  }

  // --- merge: the group that passes high=false comes first
  const merged = await inter.merge(rank % 2 === 1);
  assert.equal(merged.size, size);
  const order = [...evensInOrder, ...odds];
  assert.equal(merged.rank, order.indexOf(rank));
  for (let r = 0; r < size; r++) assert.equal(merged.worldRankOf(r), order[r]);
  await merged.collectives.barrier();
  merged.free();
  inter.free();
  half.free();

  // --- spawn: two children of COMM_WORLD; rank 0 talks to them, they check their side
  const children = await world.spawn(fileURLToPath(new URL('./spawn_child.ts', import.meta.url)), ['hello', '42'], 2, 0);
  assert.equal(children.remoteSize, 2);
  assert.equal(children.size, size);
  if (rank === 0) {
    for (let c = 0; c < 2; c++) await done(children.isend(new Uint8Array(Buffer.from(`to child ${c}`)), c, 1, false));
    for (let c = 0; c < 2; c++) {
      const r = await done(children.irecv(undefined, c, 2));
      assert.equal(Buffer.from(r.data as Uint8Array).toString(), `child ${c} of 2 got: to child ${c} hello 42`);
    }
  }
  // Both jobs in one intracommunicator: parents first.
  const family = await children.merge(false);
  assert.equal(family.size, size + 2);
  assert.equal(family.rank, rank);
  const sum = new Float64Array(1);
  await family.collectives.allreduce(Float64Array.of(1), sum, 1, datatypes.DOUBLE, predefined('MPI_SUM'));
  assert.equal(sum[0], size + 2);
  family.free();
  children.free();
});
