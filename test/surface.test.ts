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

describe('ERRORS_ARE_FATAL ends the job (test/programs/errors_fatal.ts)', () => {
  for (const [mode, code, message] of [
    ['send', 6, /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: rank 1: Comm\.Send: invalid dest 8/],
    ['call', 16, /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: error code 16 \(other error\) raised by Comm\.Call_errhandler/],
    ['bcast', 8, /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: rank 1: Comm\.Bcast: invalid root 8/],
    ['irecv', 15, /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: rank 1: Comm\.Irecv: message of 8 bytes from rank 0 \(tag 3\) does not fit/],
    ['win', 6, /MPI_ERRORS_ARE_FATAL on window of MPI_COMM_WORLD: rank 1: Win\.Put: invalid rank 8/],
  ] as const) {
    it(`${mode}: exit code of the error class, a report naming the handler, rank and call`, async () => {
      const result = await launch('test/programs/errors_fatal.ts', 3, [mode], { timeoutMs: 30_000 });
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stdout, /not reached/);
    });
  }
});
