// Neighbourhood collectives on grids and graphs in every form, Alltoallw and
// the persistent collectives on the shm transport: their conformance chapter
// (test/conformance/neighbors.ts) at several rank counts. The same chapter
// runs on the mpi transport from test/mpi/conformance.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

describe('neighbors conformance (test/conformance/neighbors.ts)', () => {
  for (const ranks of [1, 2, 3, 4]) {
    it(`passes every case with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      const result = await launch('test/conformance/neighbors.ts', ranks);
      assertAllPassed(result, 'neighbors', ranks);
      assert.equal(result.stderr, '');
    });
  }
});
