// mpi4ts/futures on the mpi transport, under Open MPI's mpiexec: spawned
// workers (MPI_Comm_spawn), MPICommExecutor inside an SPMD program,
// `-m futures`, mpi4ts/util/pool, and a worker that dies. Run by `npm run test:mpi`. Open MPI
// without fault tolerance ends the whole job when a process dies: what is
// tested is that the pool's owner learns which worker died first (a non-zero
// exit or an uncaught error), or that mpiexec names it (SIGKILL).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linesStartingWith, mpiexecEnv, runCommand } from '../helpers/launch.js';
import { checkPoolOutput, utilPoolExpected } from '../futures/expected.js';

const mpiexec = (ranks: number, program: readonly string[]) =>
  runCommand('mpiexec', ['--oversubscribe', '-n', String(ranks), process.execPath, 'bin/mpi4ts.js', ...program], { env: mpiexecEnv });

describe('mpi4ts/futures under mpiexec', () => {
  it('runs the executor on spawned workers: submit, map, errors, cancel, shutdown', async () => {
    const result = await mpiexec(1, ['test/programs/futures/pool.ts']);
    assert.equal(result.code, 0, result.stderr);
    checkPoolOutput(result.stdout);
  });

  it('mpi4ts/util/pool: apply, apply_async, map, starmap, imap, imap_unordered, close, join', async () => {
    const result = await mpiexec(1, ['test/programs/futures/util_pool.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, utilPoolExpected);
  });

  for (const [how, reason] of [['exit', 'exited with code 7'], ['throw', 'failed: Error: boom']] as const) {
    it(`a worker that dies (${how}) fails its futures, naming it, before Open MPI ends the job`, async () => {
      const result = await mpiexec(1, ['test/programs/futures/dead_worker.ts', how]);
      assert.notEqual(result.code, 0, 'Open MPI ends the job when a process dies');
      const died = `worker \\d \\(spawned rank \\d\\) died \\(${reason.replace(/[()]/g, '\\$&')}\\)`;
      assert.match(result.stdout, new RegExp(`^dead task: BrokenExecutor: ${died} while it held this task`, 'm'), result.stderr);
      assert.match(result.stderr, new RegExp(`mpi4ts/futures: ${died}; without fault tolerance the MPI library ends the job`));
    });
  }

  it('a worker whose initializer ends its process: the pool cannot start and names it before the job ends', async () => {
    const result = await mpiexec(1, ['test/programs/futures/dead_at_boot.ts']);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout, /^bootup: BrokenExecutor: MPIPoolExecutor: workers could not start: worker 0 \(spawned rank 0\): died \(exited with code 5\)$/m,
      result.stderr);
  });

  it('a worker killed by SIGKILL: mpiexec names the process and ends the job (the pool cannot notice)', async () => {
    const result = await mpiexec(1, ['test/programs/futures/dead_worker.ts', 'kill']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /process rank \d with PID \d+ on node \S+ exited on signal 9/);
    assert.doesNotMatch(result.stdout, /^dead task/m);
  });

  it('runs MPICommExecutor inside an SPMD program', async () => {
    const result = await mpiexec(3, ['test/programs/futures/comm_executor.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'root'), [
      'root error: ParityError: odd input 1', 'root map: [1,4,9,16,25,36,49,64,81,100]', 'root submit: 42', 'root workers: 2',
    ]);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), [
      'rank 0 total 6', 'rank 1 served', 'rank 1 total 6', 'rank 2 served', 'rank 2 total 6',
    ]);
  });

  it('runs MPICommExecutor on a communicator of one rank: the root runs the tasks itself', async () => {
    const result = await mpiexec(1, ['test/programs/futures/comm_executor.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'root'), [
      'root error: ParityError: odd input 1', 'root map: [1,4,9,16,25,36,49,64,81,100]', 'root submit: 42', 'root workers: 1',
    ]);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), ['rank 0 total 1']);
  });

  it('npx mpi4ts --transport mpi -n 3 -m futures: the launcher starts mpiexec, rank 0 runs the script', async () => {
    const result = await runCommand(process.execPath,
      ['bin/mpi4ts.js', '--transport', 'mpi', '-n', '3', '-m', 'futures', 'test/programs/futures/world.ts'], { env: mpiexecEnv });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'script on rank 0 of 3\nfirst pool: 2 workers, [55,89,144,233]\nsecond pool: again, world\n');
  });

  it('-m futures: rank 0 runs the script, the others serve', async () => {
    const result = await mpiexec(3, ['-m', 'futures', 'test/programs/futures/world.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'script on rank 0 of 3\nfirst pool: 2 workers, [55,89,144,233]\nsecond pool: again, world\n');
  });
});
