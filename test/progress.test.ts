// shm progress and waiting under load: programs that once ended in a false deadlock report or a stall.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launch, linesStartingWith } from './helpers/launch.js';

describe('shm progress', () => {
  it('a rank computing after a wait ended, with another wait pending, is not reported as deadlocked', async () => {
    const result = await launch('test/programs/busy_after_wait.ts', 3, ['2500']);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'busy_after_wait ok'),
      ['busy_after_wait ok 0', 'busy_after_wait ok 1', 'busy_after_wait ok 2']);
  });

  it('1 MiB Bcasts from every root finish while receives are pending on another communicator', async () => {
    const result = await launch('test/programs/bcast_pending_recv.ts', 4);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'bcast_pending_recv'), ['bcast_pending_recv: 4 ranks, 1048576 bytes: ok']);
  });

  it('alternating Barrier, Bcast and Allreduce with random delays at 8 ranks: no false collective mismatch', async () => {
    const result = await launch('test/programs/collective_stress.ts', 8, ['600', '1'], { timeoutMs: 180_000 });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.equal(linesStartingWith(result.stdout, 'collective_stress ok').length, 8);
  });
});
