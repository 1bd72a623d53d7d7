// Intercommunicators on the native mpi transport, at the transport's
// interface: remote and local rank maps of an intercommunicator between the
// even and the odd ranks, and its channel (the context of the intercommunicator
// collectives, which the API never shows) matching nothing sent on the
// intercommunicator itself. What every transport must do, Spawn included, is
// in test/conformance/communicators.ts and spawn.ts. 2 or more ranks.
import assert from 'node:assert/strict';
import { ANY_SOURCE, ANY_TAG } from '../../src/constants.js';
import { done, pattern, run, transport } from './helpers.js';

const world = transport.world;
const { rank, size } = world;

await run('intercomm', 2, async () => {
  assert.equal(transport.parent, undefined);
  assert.equal(world.remoteSize, size);
  assert.equal(world.remoteWorldRankOf(size - 1), size - 1);

  // --- an intercommunicator between the even and the odd ranks (leaders: world ranks 0 and 1)
  const half = (await world.split(rank % 2, rank))!;
  const inter = await half.createIntercomm(0, world, rank % 2 === 0 ? 1 : 0, 77);
  const all = Array.from({ length: size }, (_, r) => r);
  const mine = all.filter((r) => r % 2 === rank % 2);
  const remote = all.filter((r) => r % 2 !== rank % 2);
  assert.equal(inter.size, mine.length);
  assert.equal(inter.rank, mine.indexOf(rank));
  assert.equal(inter.remoteSize, remote.length);
  for (let r = 0; r < inter.remoteSize; r++) assert.equal(inter.remoteWorldRankOf(r), remote[r]);
  for (let r = 0; r < inter.size; r++) assert.equal(inter.worldRankOf(r), mine[r]);
  assert.equal(inter.local.size, mine.length);

  // The channel is a context of its own: a message there does not match a receive on the intercommunicator.
  if (inter.rank < inter.remoteSize) {
    const peer = inter.rank;
    const onChannel = inter.channel.isend(pattern(5, 1), peer, 3, false);
    const viaChannel = await done(inter.channel.irecv(undefined, ANY_SOURCE, ANY_TAG));
    await done(onChannel);
    assert.equal(viaChannel.data?.byteLength, 5);
    assert.equal(inter.iprobe(ANY_SOURCE, ANY_TAG), undefined);
  }
  await world.collectives.barrier();
  inter.free();
  half.free();
});
