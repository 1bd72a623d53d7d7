// The collectives past the longest byte view on the mpi transport, with that
// limit lowered to 256 KiB by the test hook MPI4TS_TEST_MAX_VIEW_BYTES: the
// conformance chapter test/conformance/wide.ts at 2 and 4 ranks, as on shm
// (test/large_collectives.test.ts); and past the 2^31-1 bytes of one MPI call
// (C-int counts, on every Node.js), that limit lowered to 256 KiB by
// MPI4TS_TEST_MAX_CALL_BYTES: the same chapter at 3 ranks. The real sizes are
// in large.test.ts. Run by `npm run test:mpi`.
import { describe, it } from 'node:test';
import { assertAllPassed } from '../helpers/conformance.js';
import { mpiexecEnv, runCommand } from '../helpers/launch.js';

describe('collectives past the longest byte view, and past one MPI call, under mpiexec (lowered to 256 KiB)', () => {
  const runs = [['MPI4TS_TEST_MAX_VIEW_BYTES', 2], ['MPI4TS_TEST_MAX_VIEW_BYTES', 4], ['MPI4TS_TEST_MAX_CALL_BYTES', 3]] as const;
  for (const [hook, ranks] of runs) {
    it(`test/conformance/wide.ts passes every case with ${ranks} ranks and ${hook}`, async () => {
      const result = await runCommand('mpiexec', ['--oversubscribe', '-n', String(ranks), process.execPath, 'bin/mpi4ts.js',
        'test/conformance/wide.ts'], { env: { ...mpiexecEnv, [hook]: String(2 ** 18) }, timeoutMs: 300_000 });
      assertAllPassed(result, 'wide', ranks);
    });
  }
});
