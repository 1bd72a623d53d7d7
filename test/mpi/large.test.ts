// Messages over 2^31-1 bytes on the mpi transport (one MPI message each,
// through a derived datatype or MPI-4's large-count calls): 2 ranks, a
// buffer of 2 GiB + 16 MiB + 3 bytes, every byte checked. Needs ~5 GiB for
// the buffers and ~9 GiB for the object; skipped, with the reason, when less
// than 12 GiB is free. Run by `npm run test:mpi`.
import assert from 'node:assert/strict';
import { freemem } from 'node:os';
import { describe, it } from 'node:test';
import { type JobResult, linesStartingWith, mpiexecEnv, runCommand } from '../helpers/launch.js';

const NEEDED = 12 * 2 ** 30;

function mpiexec(args: readonly string[]): Promise<JobResult> {
  return runCommand('mpiexec', ['--oversubscribe', ...args], { env: mpiexecEnv, timeoutMs: 600_000 });
}

describe('messages over 2 GiB under mpiexec', () => {
  const cases = [
    ['buffers', []], ['buffers', ['--mca', 'btl', 'tcp,self']], ['objects', []],
  ] as const;
  for (const [mode, mca] of cases) {
    it(`${mode === 'buffers' ? 'Send/Recv, Probe, Isend/Irecv, Sendrecv and Bcast' : 'send/recv of an object'} of 2 GiB + 16 MiB` +
      `${mca.length > 0 ? ` (${mca.slice(1).join(' ')})` : ''}`, async (t) => {
      if (freemem() < NEEDED) {
        t.skip(`needs ${NEEDED / 2 ** 30} GiB free, ${(freemem() / 2 ** 30).toFixed(1)} GiB is`);
        return;
      }
      const result = await mpiexec([...mca, '-n', '2', process.execPath, 'bin/mpi4ts.js', 'test/mpi/programs/large.ts', mode]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.deepEqual(linesStartingWith(result.stdout, 'large'), [`large ${mode} ok 0`, `large ${mode} ok 1`]);
    });
  }
});
