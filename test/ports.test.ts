// The conformance chapter of client/server connections, Spawn_multiple, Comm.Join and window
// attributes (test/conformance/ports.ts) on the shm transport; the same chapter runs on the mpi
// transport from test/mpi/conformance.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

describe('ports conformance (test/conformance/ports.ts)', () => {
  for (const ranks of [2, 4]) {
    it(`passes every case with ${ranks} ranks`, async () => {
      const result = await launch('test/conformance/ports.ts', ranks);
      assertAllPassed(result, 'ports', ranks);
      assert.equal(result.stderr, '');
    });
  }
});
