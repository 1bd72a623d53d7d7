// --trace and --profile on the mpi transport (through mpiexec): the same checks as on shm
// (test/observe.test.ts). Run by `npm run test:mpi`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mpiexecEnv, runCommand } from '../helpers/launch.js';
import { checkRingTrace, checkRollCall, expectedCalls, flows, profileCounts, readTrace } from '../helpers/observe.js';

const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-observe-mpi-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const launcher = (args: readonly string[]) =>
  runCommand(process.execPath, ['bin/mpi4ts.js', '--transport', 'mpi', ...args], { env: mpiexecEnv });

describe('--trace and --profile on mpi', () => {
  it('traces examples/ring4.ts: 4 rank tracks and a flow from each send to its receive', async () => {
    const file = join(dir, 'ring.json');
    const result = await launcher(['-n', '4', '--trace', file, 'examples/ring4.ts', '100']);
    assert.equal(result.code, 0, result.stderr);
    checkRingTrace(readTrace(file));
  });

  it('counts in the profile the calls the program made', async () => {
    const file = join(dir, 'calls.json');
    const result = await launcher(['-n', '3', '--profile', '--trace', file, 'test/programs/observe_calls.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(profileCounts(result.stderr), expectedCalls(3));
    assert.match(result.stderr, /^Comm\.Recv at test\/programs\/observe_calls\.ts:14 +1 /m);
    assert.deepEqual(flows(readTrace(file)), [[0, 1, 5, 8], [0, 1, 5, 12], [0, 1, 9, 32], [1, 2, 9, 32], [2, 0, 9, 32]]);
  });

  it('--watchdog adds the user\'s frames to a deadlock report, as on shm', async () => {
    const result = await launcher(['-n', '2', '--watchdog', '30', '--deadlock-timeout', '2', 'examples/ring1.ts']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /rank 0: blocked in Send\(dest=1, tag=0, 8000000 bytes\).*\n +at examples\/ring1\.ts:26\n/);
    assert.match(result.stderr, /rank 1: blocked in Send\(dest=0, tag=0, 8000000 bytes\).*\n +at examples\/ring1\.ts:26\n/);
  });

  it('--watchdog: each rank\'s watchdog thread names it, computing or waiting in Recv; the job goes on', async () => {
    const result = await launcher(['-n', '4', '--watchdog', '1', 'test/programs/observe_stuck.ts', '6']);
    assert.equal(result.code, 0, result.stderr);
    checkRollCall(result.stderr);
    // A rank computing shows where it made its last MPI call (its live stack is shm's alone).
    assert.match(result.stderr, /rank 0: not in an MPI call .*\n +its last MPI call was made\n +at test\/programs\/observe_stuck\.ts:6/);
  });

  it('--inspect-rank 1 opens the inspector on rank 1 alone and prints its URL; --node-options reaches the ranks', async () => {
    const result = await launcher(['-n', '2', '--inspect-rank', '1', '--node-options', '--expose-gc --no-warnings', 'test/programs/node_flags.ts']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /mpi4ts: rank 1: inspector listening on ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\n/);
    assert.doesNotMatch(result.stderr, /rank 0: inspector/);
    assert.match(result.stdout, /rank 1: gc function, no-warnings true/);
  });

  it('mpiexec started the ranks: each writes its part, rank 0 merges them into the trace and prints the profile', async () => {
    const file = join(dir, 'direct.json');
    const direct = (args: readonly string[]) => runCommand('mpiexec', ['--oversubscribe', '-n', '4', process.execPath, 'bin/mpi4ts.js', ...args],
      { env: mpiexecEnv });
    const result = await direct(['--trace', file, '--profile', 'examples/ring4.ts', '100']);
    assert.equal(result.code, 0, result.stderr);
    checkRingTrace(readTrace(file));
    assert.equal(result.stderr.match(/trace of 4 ranks written to/g)?.length, 1, result.stderr);
    assert.deepEqual(profileCounts(result.stderr), new Map([['Comm.Sendrecv', 4]]));
    assert.match(result.stderr, /^Comm\.Sendrecv at examples\/ring4\.ts:16 +4 /m);
    // The parts' directory is gone; only the trace is left.
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('direct')), ['direct.json']);
    const calls = join(dir, 'direct-calls.html');
    const html = await direct(['--trace', calls, 'test/programs/observe_calls.ts']);
    assert.equal(html.code, 0, html.stderr);
    assert.match(readFileSync(calls, 'utf8'), /^<!DOCTYPE html>/);
  });
});
