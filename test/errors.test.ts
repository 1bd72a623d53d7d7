// Errors on the shm transport: the conformance program that provokes each
// misuse and checks its class, the call and rank it names, and its wording
// (test/mpi/conformance.test.ts runs the same program under mpiexec).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launch, linesStartingWith } from './helpers/launch.js';

describe('errors conformance', () => {
  for (const ranks of [2, 3, 4]) {
    it(`passes with ${ranks} ranks`, async () => {
      const result = await launch('test/conformance/errors.ts', ranks);
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
      assert.deepEqual(linesStartingWith(result.stdout, 'errors ok'),
        Array.from({ length: ranks }, (_, r) => `errors ok ${r}`).sort());
    });
  }
});
