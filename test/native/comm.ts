// Communicators on the native mpi transport, at the transport's interface:
// split (colors, keys) and worldRankOf, isolation of the contexts the API
// never shows (a communicator's collective channel and auxiliary context),
// free. What every transport must do is in test/conformance/communicators.ts.
// 2 or more ranks.
import assert from 'node:assert/strict';
import { ANY_SOURCE, ANY_TAG } from '../../src/constants.js';
import { ErrorClass } from '../../src/errors.js';
import type { PointToPoint } from '../../src/transport/transport.js';
import { done, isMPIError, pattern, run, transport } from './helpers.js';

const world = transport.world;
const { rank, size } = world;

await run('comm', 2, async () => {
  // --- worldRankOf on the world and on self
  for (let r = 0; r < size; r++) assert.equal(world.worldRankOf(r), r);
  assert.equal(transport.self.worldRankOf(0), rank);
  assert.throws(() => world.worldRankOf(size), (e: unknown) => {
    isMPIError(e, ErrorClass.ERR_RANK);
    return true;
  });

  // --- split by parity, keys reversing the order
  const half = (await world.split(rank % 2, -rank))!;
  assert.ok(half !== undefined);
  const members = Array.from({ length: size }, (_, r) => r).filter((r) => r % 2 === rank % 2).reverse();
  assert.equal(half.size, members.length);
  assert.equal(half.rank, members.indexOf(rank));
  for (let r = 0; r < half.size; r++) assert.equal(half.worldRankOf(r), members[r]);

  // --- Dup as split(0, rank): same group, a separate context
  const dup = (await world.split(0, rank))!;
  assert.equal(dup.rank, rank);
  assert.equal(dup.size, size);

  // --- messages of one communicator never match receives of another
  if (rank === 0 || rank === 1) {
    const peer = 1 - rank;
    const contexts: [string, PointToPoint][] = [
      ['world', world], ['dup', dup], ['world channel', world.collectives.channel], ['dup channel', dup.collectives.channel],
      ['world auxiliary', world.auxiliary], ['dup auxiliary', dup.auxiliary],
    ];
    if (rank === 0) {
      // Post receives on all four contexts with the same source and tag; each must get its own message.
      const ops = contexts.map(([, ep]) => ep.irecv(undefined, ANY_SOURCE, ANY_TAG));
      for (let i = 0; i < ops.length; i++) {
        const op = await done(ops[i]!);
        assert.equal(Buffer.from(op.data as Uint8Array).toString(), `to ${contexts[i]![0]}`, `message on ${contexts[i]![0]}`);
      }
    } else {
      // Send in the reverse order, so that a wrong match would be visible.
      for (const [name, ep] of [...contexts].reverse()) {
        await done(ep.isend(new Uint8Array(Buffer.from(`to ${name}`)), peer, 0, false));
      }
    }
  }

  // --- collectives on the split communicators
  {
    const v = new Uint8Array(4);
    if (half.rank === 0) v.set(pattern(4, rank));
    await half.collectives.bcast(v, 0);
    assert.deepEqual(Array.from(v), Array.from(pattern(4, members[0]!)));
  }

  // --- free: the endpoint (and its channel) are gone; using it throws ERR_COMM
  await dup.collectives.barrier();
  dup.free();
  dup.free(); // a second free is a no-op
  assert.throws(() => dup.isend(pattern(1, 0), 0, 0, false), (e: unknown) => {
    isMPIError(e, ErrorClass.ERR_COMM, /freed/);
    return true;
  });
  await assert.rejects(dup.collectives.barrier(), (e: unknown) => {
    isMPIError(e, ErrorClass.ERR_COMM);
    return true;
  });
  assert.throws(() => world.free(), (e: unknown) => {
    isMPIError(e, ErrorClass.ERR_COMM);
    return true;
  });
  half.free();
});
