// mpi4ts/futures on the shm transport, through the launcher: MPIPoolExecutor
// on spawned workers, a worker that dies, MPICommExecutor inside an SPMD
// program, `-m futures`, and mpi4ts/util/pool. test/mpi/futures.test.ts runs the same programs
// under mpiexec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launch, linesStartingWith } from './helpers/launch.js';
import { checkPoolOutput, utilPoolExpected } from './futures/expected.js';

describe('mpi4ts/futures on shm', () => {
  it('submit, map, starmap, chunksize, unordered, errors, Future, wait, as_completed, cancel, shutdown', async () => {
    const result = await launch('test/programs/futures/pool.ts', 1);
    assert.equal(result.code, 0, result.stderr);
    checkPoolOutput(result.stdout);
  });

  it('fails the futures of a worker that dies, naming it, and goes on with the others', async () => {
    const result = await launch('test/programs/futures/dead_worker.ts', 1);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^dead task: BrokenExecutor: worker \d \(spawned rank \d\) died \(exited with code 7\) while it held this task \(die, task \d+\)$/m);
    // The dead worker held at most two more tasks (long tasks go three per worker); the other worker ran the rest.
    assert.match(result.stdout, /^others: [456] fulfilled, [012] rejected$/m);
    assert.match(result.stdout, /^numWorkers after: 1$/m);
    assert.match(result.stdout, /^after: 121$/m);
    assert.match(result.stdout, /^end$/m);
  });

  it('fails the futures of a worker with an uncaught error outside its task, naming the worker and the error', async () => {
    const result = await launch('test/programs/futures/dead_worker.ts', 1, ['throw']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^dead task: BrokenExecutor: worker \d \(spawned rank \d\) died \(failed: Error: boom\n/m);
    assert.match(result.stdout, /^numWorkers after: 1$/m);
    assert.match(result.stdout, /^end$/m);
  });

  it('a worker whose initializer ends its process: the pool cannot start and names it', async () => {
    const result = await launch('test/programs/futures/dead_at_boot.ts', 1);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'bootup: BrokenExecutor: MPIPoolExecutor: workers could not start: ' +
      'worker 0 (spawned rank 0): died (exited with code 5)\n');
  });

  it('stops the workers of a pool the script left open, and the job ends cleanly', async () => {
    const result = await launch('test/programs/futures/left_open.ts', 1, [], { timeoutMs: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'left open: 25\n');
  });

  it('runs MPICommExecutor inside an SPMD program: the root gets the pool, the others serve', async () => {
    const result = await launch('test/programs/futures/comm_executor.ts', 3);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'root'), [
      'root error: ParityError: odd input 1', 'root map: [1,4,9,16,25,36,49,64,81,100]', 'root submit: 42', 'root workers: 2',
    ]);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), [
      'rank 0 total 6', 'rank 1 served', 'rank 1 total 6', 'rank 2 served', 'rank 2 total 6',
    ]);
  });

  it('runs MPICommExecutor on a communicator of one rank: the root runs the tasks itself', async () => {
    const result = await launch('test/programs/futures/comm_executor.ts', 1);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'root'), [
      'root error: ParityError: odd input 1', 'root map: [1,4,9,16,25,36,49,64,81,100]', 'root submit: 42', 'root workers: 1',
    ]);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), ['rank 0 total 1']);
  });

  it('-m futures: rank 0 runs the script, the other ranks serve its pools one after the other', async () => {
    const result = await launch('test/programs/futures/world.ts', 3, [], { launcherArgs: ['-m', 'futures'] });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'script on rank 0 of 3\nfirst pool: 2 workers, [55,89,144,233]\nsecond pool: again, world\n');
  });

  it('mpi4ts/util/pool: apply, apply_async, map, starmap, imap, imap_unordered, close, join', async () => {
    const result = await launch('test/programs/futures/util_pool.ts', 1);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, utilPoolExpected);
  });

  it('refuses -m with anything but futures', async () => {
    const result = await launch('test/programs/futures/world.ts', 2, [], { launcherArgs: ['-m', 'pool'] });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /-m expects futures, got "pool"/);
  });
});
