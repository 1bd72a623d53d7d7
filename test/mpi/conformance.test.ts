// The conformance suite on the native MPI transport: the same chapters
// (test/conformance/*.ts) as on shm, started by the system's mpiexec (Open MPI
// in CI), once with Open MPI's default transports and once with TCP only, as
// between nodes; then the tests of the native transport itself
// (test/native/*.ts). Needs the addon (npx mpi4ts build-mpi) and mpiexec; run
// by `npm run test:mpi`.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { assertAllPassed } from '../helpers/conformance.js';
import { type JobResult, linesStartingWith, mpiexecEnv, runCommand } from '../helpers/launch.js';

function run(command: string, args: readonly string[], timeoutMs = 300_000): Promise<JobResult> {
  return runCommand(command, args, { env: mpiexecEnv, timeoutMs });
}

function mpiexec(ranks: number, tcp: boolean, program: readonly string[], timeoutMs?: number) {
  return run('mpiexec', ['--oversubscribe', ...(tcp ? ['--mca', 'btl', 'tcp,self'] : []), '-n', String(ranks),
    process.execPath, ...program], timeoutMs);
}

/**
 * The spawn chapter under mpiexec: 3-20 s. Open MPI 4.1 with an external PMIx 4 (Debian's build) hangs in
 * MPI_Comm_spawn or MPI_Comm_disconnect now and then (openpmix/openpmix#2735, not fixed for Open MPI 4.1): once
 * in a CI run out of dozens, not in 2,000 spawns here. A run that hangs is killed at this timeout and run again
 * once, with the first run's last lines and processes as the test's diagnostic; a second hang, or any other
 * failure, fails the test.
 */
const SPAWN_TIMEOUT_MS = 120_000;

const chapters = ['p2p', 'collectives', 'communicators', 'topology', 'neighbors', 'spawn', 'requests', 'environment',
  'rma', 'datatypes', 'io', 'ports'] as const;

for (const tcp of [false, true]) {
  describe(`conformance under mpiexec${tcp ? ' --mca btl tcp,self' : ''}`, () => {
    for (const ranks of [2, 4]) {
      // Spawned children start through the launcher, which loads their TypeScript (no `--import tsx` here);
      // Intercomm.Disconnect calls MPI_Comm_disconnect, so the spawn chapter ends with TCP only too.
      // One-sided with TCP only: Open MPI 4.1's osc components need shared memory or an RDMA network
      // (osc rdma) or are not built (osc pt2pt, osc ucx), so MPI_Win_create fails with MPI_ERR_WIN.
      // (The io chapter passes: a file's shared file pointer is an MPI_Win_allocate window.)
      for (const chapter of chapters.filter((c) => !(tcp && c === 'rma'))) {
        it(`test/conformance/${chapter}.ts passes every case with ${ranks} ranks`, async (t) => {
          const program = ['bin/mpi4ts.js', `test/conformance/${chapter}.ts`];
          let result = await mpiexec(ranks, tcp, program, chapter === 'spawn' ? SPAWN_TIMEOUT_MS : undefined);
          if (chapter === 'spawn' && result.timedOut) {
            t.diagnostic(`hung (run again once), its last lines:\n${result.stdout.split('\n').slice(-12).join('\n')}` +
              `\n${result.stderr.slice(-4000)}\nits processes then:\n${result.processes}`);
            result = await mpiexec(ranks, tcp, program, SPAWN_TIMEOUT_MS);
          }
          assertAllPassed(result, chapter, ranks);
          if (chapter === 'spawn') {
            assert.equal(linesStartingWith(result.stdout, 'child').length, 2);
            assert.deepEqual(linesStartingWith(result.stdout, 'spawned'),
              [0, 1].map((r) => `spawned ${r} of 2: parent null after Disconnect`));
          }
        });
      }
      it(`test/conformance/errors.ts (error classes and wording) with ${ranks} ranks`, async () => {
        const result = await mpiexec(ranks, tcp, ['bin/mpi4ts.js', 'test/conformance/errors.ts']);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(linesStartingWith(result.stdout, 'errors ok'),
          Array.from({ length: ranks }, (_, r) => `errors ok ${r}`).sort());
      });
    }
  });
}

describe('ERRORS_ARE_FATAL under mpiexec (test/programs/errors_fatal.ts)', () => {
  for (const [mode, message] of [
    ['send', /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: rank 1: Comm\.Send: invalid dest 8/],
    ['bcast', /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: rank 1: Comm\.Bcast: invalid root 8/],
    ['irecv', /MPI_ERRORS_ARE_FATAL on MPI_COMM_WORLD: rank 1: Comm\.Irecv: message from rank 0 \(tag 3\) does not fit .*MPI_ERR_TRUNCATE/],
    ['win', /MPI_ERRORS_ARE_FATAL on window of MPI_COMM_WORLD: rank 1: Win\.Put: invalid rank 8/],
  ] as const) {
    it(`${mode}: ends the job with a report naming the handler, the rank and the call`, async () => {
      const result = await mpiexec(3, false, ['bin/mpi4ts.js', 'test/programs/errors_fatal.ts', mode]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stdout, /not reached/);
    });
  }
});

describe('native transport', () => {
  it('test/native/detect.ts: launcher detection, and the error for a missing addon', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', 'test/native/detect.ts']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(result.stdout, 'native detect ok\n');
  });

  for (const test of ['p2p', 'comm', 'collectives', 'intercomm', 'datatype', 'file']) {
    it(`test/native/${test}.ts with 2 and 4 ranks`, async () => {
      for (const ranks of [2, 4]) {
        const result = await mpiexec(ranks, false, ['--import', 'tsx', `test/native/${test}.ts`]);
        assert.equal(result.code, 0, `${ranks} ranks:\n${result.stdout}\n${result.stderr}`);
        assert.deepEqual(linesStartingWith(result.stdout, `native ${test} ok`),
          Array.from({ length: ranks }, (_, r) => `native ${test} ok (rank ${r} of ${ranks})`).sort());
      }
    });
  }

  it('runs every collective with the vote and MPI\'s blocking calls at any size (MPI4TS_BLOCKING_BYTES=0)', async () => {
    for (const ranks of [2, 4]) {
      const forced = ['--oversubscribe', '-x', 'MPI4TS_BLOCKING_BYTES=0', '-n', String(ranks), process.execPath];
      const native = await run('mpiexec', [...forced, '--import', 'tsx', 'test/native/collectives.ts']);
      assert.equal(native.code, 0, `${ranks} ranks:\n${native.stdout}\n${native.stderr}`);
      const conformance = await run('mpiexec', [...forced, 'bin/mpi4ts.js', 'test/conformance/collectives.ts']);
      assertAllPassed(conformance, 'collectives', ranks);
    }
  });

  it('mpi4ts/util/sync (test/programs/sync.ts) with 2 and 4 ranks, on Open MPI\'s osc sm', async () => {
    // osc sm: Open MPI 4.1.4's osc rdma over btl vader crashes (SIGSEGV in mca_btl_vader_send) on the MCS lock's
    // pattern of Fetch_and_op / Accumulate / Compare_and_swap and Recv, from C as well.
    for (const ranks of [2, 4]) {
      const result = await run('mpiexec', ['--oversubscribe', '--mca', 'osc', 'sm', '-n', String(ranks), process.execPath,
        'bin/mpi4ts.js', 'test/programs/sync.ts']);
      assertAllPassed(result, 'sync', ranks);
    }
  });

  it('is picked automatically under mpiexec and reports the MPI library', async () => {
    const result = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/library.ts']);
    assert.equal(result.code, 0, result.stderr);
    const lines = linesStartingWith(result.stdout, 'library');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, /^library (0|1) of 2: Open MPI v\d/);
  });

  it('runs through mpiexec with npx mpi4ts --transport mpi', async () => {
    const result = await run(process.execPath, ['bin/mpi4ts.js', '--transport', 'mpi', '-n', String(Math.max(2, availableParallelism())),
      'test/programs/library.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(linesStartingWith(result.stdout, 'library').length, Math.max(2, availableParallelism()));
  });

  it('never waits before a call returns its Promise: receives started before their sends, 200 exchanges per form', async () => {
    const result = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/recv_first.ts']);
    assert.equal(result.code, 0, result.stderr);
    const forms = result.stdout.trim().split('\n').map((line) => line.split(' '));
    assert.deepEqual(forms.map(([name]) => name), ['recv-send', 'Recv-Send', 'Irecv-Isend-Wait', 'irecv-wait-send',
      'Waitall-Send', 'waitany-send', 'probe-send', 'Ssend-Recv', 'recv-allreduce-send']);
    // A wait that blocked before returning would cost every exchange its spin and sleep; load slows most exchanges
    // but not all 200, so the fastest one is checked (medians and totals flaked on a loaded machine).
    for (const [name, , , fastest] of forms) {
      assert.ok(Number(fastest) < 2, `${name}: the fastest of 200 exchanges took ${fastest} ms`);
    }
  });

  it('Spawn + Disconnect in a loop: 20 rounds (each starts a process), memory printed', async () => {
    const result = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/spawn_loop.ts', '20']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(linesStartingWith(result.stdout, 'loop ok'), ['loop ok 20 on rank 0', 'loop ok 20 on rank 1']);
    assert.match(result.stdout, /^memory [\d.]+ [\d.]+ -> [\d.]+ [\d.]+$/m);
  });

  it('takes the job down when a rank throws', async () => {
    const result = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/failures.ts', 'throw']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /boom from the culprit/);
  });

  it('names a rank that exits with a non-zero code, as on shm, and says nothing more of one that failed', async () => {
    const exited = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/failures.ts', 'exit']);
    assert.equal(exited.code, 5, exited.stderr);
    assert.match(exited.stderr, /^mpi4ts: rank 1 exited with code 5$/m);
    const thrown = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/failures.ts', 'throw']);
    assert.doesNotMatch(thrown.stderr, /exited with code/);
  });

  it('reports what a rank threw that is not an Error, as on shm', async () => {
    const result = await mpiexec(2, false, ['bin/mpi4ts.js', 'test/programs/failures.ts', 'throw-string']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /mpi4ts: rank 1 failed: a string from the culprit\n/);
  });
});
