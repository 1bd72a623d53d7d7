// Messages over 2^31-1 bytes on the mpi transport (one MPI message each,
// through a derived datatype or MPI-4's large-count calls): 2 ranks, a
// buffer of 2 GiB + 16 MiB + 3 bytes, every byte checked. Needs ~5 GiB for
// the buffers and ~9 GiB for the object; skipped, with the reason, when less
// than 12 GiB is free or where `MPI4TS_HEAVY_TESTS=off` (test/helpers/heavy.ts).
// Then past 4 GiB (test/programs/huge_messages.ts, as
// on shm; segmented bytes on Node 20): a Float64Array of 4.25 GiB (~9 GiB),
// and an object whose encoding passes 4 GiB (~13 GiB, skipped below 16 GiB
// free). The same paths with their limits lowered are in wide.test.ts. Run by
// `npm run test:mpi`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lackingMemory } from '../helpers/heavy.js';
import { type JobResult, linesStartingWith, mpiexecEnv, runCommand } from '../helpers/launch.js';

const GiB = 2 ** 30;
const NEEDED = 12 * GiB;
/** Free memory the phases of huge_messages.ts need: as `NEEDED`, and more for the object. */
const NEEDED_PHASE: Readonly<Record<string, number>> = { past4: 12 * GiB, object4: 16 * GiB };

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
      const lacking = lackingMemory(NEEDED);
      if (lacking !== false) {
        t.skip(lacking);
        return;
      }
      const result = await mpiexec([...mca, '-n', '2', process.execPath, 'bin/mpi4ts.js', 'test/mpi/programs/large.ts', mode]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.deepEqual(linesStartingWith(result.stdout, 'large'), [`large ${mode} ok 0`, `large ${mode} ok 1`]);
    });
  }

  for (const phase of ['past4', 'object4']) {
    it(`${phase === 'past4' ? 'Probe, Send/Recv and Isend/Irecv of a Float64Array' : 'send/recv of an object'} past 4 GiB`, async (t) => {
      const lacking = lackingMemory(NEEDED_PHASE[phase]!);
      if (lacking !== false) {
        t.skip(lacking);
        return;
      }
      const result = await mpiexec(['-n', '2', process.execPath, 'bin/mpi4ts.js', 'test/programs/huge_messages.ts', phase]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const done = linesStartingWith(result.stdout, `huge ${phase} ok`).map((line) => line.split(' ').slice(0, 4).join(' ')).sort();
      assert.deepEqual(done, [`huge ${phase} ok 0`, `huge ${phase} ok 1`]);
    });
  }
});
