// Derived datatypes on the shm transport: the conformance chapter
// (test/conformance/datatypes.ts) at 1 to 4 ranks; the same chapter runs under
// mpiexec in test/mpi/conformance.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

/** Cases that exchange messages between two ranks. */
const NEEDS_TWO = [
  'Send a matrix column: received as plain doubles and into a column, Get_count and Get_elements (needs 2 ranks)',
  'Send a subarray block and a struct array (needs 2 ranks)',
  'intercommunicator and neighbour collectives with derived types (needs 2 ranks)',
];

describe('datatypes conformance (test/conformance/datatypes.ts)', () => {
  for (const ranks of [1, 2, 3, 4]) {
    it(`passes every case with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      const result = await launch('test/conformance/datatypes.ts', ranks);
      assertAllPassed(result, 'datatypes', ranks, ranks === 1 ? NEEDS_TWO : []);
      assert.equal(result.stderr, '');
    });
  }
});
