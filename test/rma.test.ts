// One-sided communication on shm through the launcher: the conformance chapter
// (test/conformance/rma.ts) at 1, 2, 3 and 4 ranks, and mpi4ts/util/sync
// (test/programs/sync.ts) at 1, 2 and 4 ranks.
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

/** Cases that need more ranks than one. */
const NEEDS_TWO = [
  'post-start-complete-wait: rank 0 exposes, the others put; Test ends the exposure (needs 2 ranks)',
  'passive target progress: rank 0 locks, puts and unlocks at rank 1 while rank 1 awaits a Barrier (needs 2 ranks)',
];
const SYNC_NEEDS_TWO = ['Condition: waiters sleep until notified; notify(1) wakes one, notify_all the rest (needs 2 ranks)'];

describe('one-sided communication (shm)', () => {
  for (const ranks of [1, 2, 3, 4]) {
    it(`passes every case of the rma chapter with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      const result = await launch('test/conformance/rma.ts', ranks);
      assertAllPassed(result, 'rma', ranks, ranks === 1 ? NEEDS_TWO : []);
    });
  }
  for (const ranks of [1, 2, 4]) {
    it(`mpi4ts/util/sync passes its cases with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      const result = await launch('test/programs/sync.ts', ranks);
      assertAllPassed(result, 'sync', ranks, ranks === 1 ? SYNC_NEEDS_TWO : []);
    });
  }
});
