// The conformance chapters of the rest of the MPI surface on the shm
// transport: requests (matched probes, buffered and ready sends, persistent
// and generalized requests, cancel) and environment (init and thread queries,
// Info, error handlers, error classes, attributes). The same chapters run on
// the mpi transport from test/mpi/conformance.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

for (const chapter of ['requests', 'environment'] as const) {
  describe(`${chapter} conformance (test/conformance/${chapter}.ts)`, () => {
    for (const ranks of [2, 4]) {
      it(`passes every case with ${ranks} ranks`, async () => {
        const result = await launch(`test/conformance/${chapter}.ts`, ranks);
        assertAllPassed(result, chapter, ranks);
        assert.equal(result.stderr, '');
      });
    }
  });
}
