// Collectives past the longest byte view (Node 20: 4 GiB) on the shm
// transport, with that limit lowered to 256 KiB by the test hook
// MPI4TS_TEST_MAX_VIEW_BYTES (src/buffer.ts): the conformance chapter
// test/conformance/wide.ts at 1 to 4 ranks, every buffer collective, their
// in-place and I-forms, Sendrecv_replace and the object collectives in
// rounds, every element checked. The same chapter runs under mpiexec in
// test/mpi/large.test.ts; the real sizes are in test/large.test.ts.
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

describe('collectives past the longest byte view (lowered to 256 KiB)', () => {
  for (const ranks of [1, 2, 3, 4]) {
    it(`pass every case of test/conformance/wide.ts with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      process.env['MPI4TS_TEST_MAX_VIEW_BYTES'] = String(2 ** 18);
      try {
        const result = await launch('test/conformance/wide.ts', ranks, [], { timeoutMs: 240_000 });
        // One rank makes no intercommunicator: that case reports itself skipped, never passed.
        assertAllPassed(result, 'wide', ranks, ranks < 2
          ? ['intercommunicator collectives past the limit, both groups as root and as receivers (needs 2 ranks)'] : []);
      } finally {
        delete process.env['MPI4TS_TEST_MAX_VIEW_BYTES'];
      }
    });
  }
});
