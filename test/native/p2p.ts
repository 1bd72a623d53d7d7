// Point-to-point on the native mpi transport, where it differs from shm or is
// its own: what the transport reports about itself, the description of a
// pending Ssend, truncation and invalid arguments as MPI reports them (below
// the API's own checks), and a long wait that sleeps instead of spinning.
// What every transport must do is in test/conformance/p2p.ts. 2 or more ranks.
import assert from 'node:assert/strict';
import { ErrorClass } from '../../src/errors.js';
import { done, isMPIError, pattern, run, sleep, transport } from './helpers.js';

const world = transport.world;
const { rank, size } = world;

await run('p2p', 2, async () => {
  assert.equal(transport.name, 'mpi');
  assert.equal(transport.worldRank, rank);
  assert.equal(transport.worldSize, size);
  assert.equal(transport.self.size, 1);
  assert.equal(transport.self.rank, 0);
  assert.ok(transport.wtick() > 0 && transport.wtick() < 1);
  assert.ok(transport.processorName().length > 0);
  assert.match(transport.libraryVersion(), /MPI/);
  assert.equal(world.sendCopyLimit, 0);
  const f = transport.alloc(Float64Array, 10);
  assert.ok(f instanceof Float64Array && f.length === 10);

  // Pairs (0,1), (2,3), ...; an odd last rank sits out the pair tests.
  const peer = rank ^ 1;
  const paired = peer < size;

  // --- a pending Ssend describes itself for the deadlock watch
  await world.collectives.barrier();
  if (paired) {
    if (rank < peer) {
      const op = world.isend(pattern(8, 1), peer, 5, true);
      assert.match(op.describe(), /Ssend\(dest=\d+, tag=5, 8 bytes\)/);
      await done(op);
    } else {
      await sleep(20);
      await done(world.irecv(new Uint8Array(8), peer, 5));
    }
  }

  // --- truncation: ERR_TRUNCATE, with MPI's error string
  if (paired) {
    if (rank > peer) {
      await done(world.isend(pattern(16, 3), peer, 9, false));
    } else {
      const op = world.irecv(new Uint8Array(8), peer, 9);
      await op.wait(); // never rejects: the error is on the operation
      isMPIError(op.error, ErrorClass.ERR_TRUNCATE, /truncat/i);
      assert.match(op.error!.message, new RegExp(`rank ${peer} \\(tag 9\\)`));
    }
  }

  // --- errors MPI reports: invalid rank, invalid tag
  {
    const bad = world.isend(pattern(8, 0), size + 5, 0, false);
    assert.equal(bad.test(), true);
    isMPIError(bad.error, ErrorClass.ERR_RANK);
    const badTag = world.isend(pattern(8, 0), 0, -5, false);
    await badTag.wait();
    isMPIError(badTag.error, ErrorClass.ERR_TAG);
  }

  // --- a long wait does not keep a core busy: after the active window the engine sleeps
  if (paired) {
    // Both sides start together, so that the receiver waits about as long as the sender sleeps, even on a loaded machine.
    await Promise.all([done(world.irecv(new Uint8Array(8), peer, 89)), done(world.isend(pattern(8, 0), peer, 89, false))]);
    if (rank < peer) {
      const before = process.cpuUsage();
      const t0 = performance.now();
      await done(world.irecv(new Uint8Array(8), peer, 90));
      const wall = performance.now() - t0;
      const used = process.cpuUsage(before);
      const cpu = (used.user + used.system) / 1000;
      assert.ok(wall >= 500, `waited only ${wall} ms`);
      assert.ok(cpu < 0.5 * wall, `a ${wall.toFixed(0)} ms wait used ${cpu.toFixed(0)} ms of CPU`);
    } else {
      await sleep(1000);
      await done(world.isend(pattern(8, 0), peer, 90, false));
    }
  }

  // --- COMM_SELF maps its rank 0 to this process
  assert.equal(transport.self.worldRankOf(0), rank);
});
