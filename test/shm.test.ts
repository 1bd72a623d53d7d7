// The shm transport end to end: conformance at several rank counts, load,
// oversubscription, the launcher, and every way a job can fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { JOB_TIMEOUT_MS, launch, linesStartingWith, root } from './helpers/launch.js';

describe('point-to-point conformance (test/conformance/p2p.ts)', () => {
  for (const ranks of [2, 3, 4]) {
    it(`passes every case with ${ranks} ranks`, async () => {
      const result = await launch('test/conformance/p2p.ts', ranks);
      assertAllPassed(result, 'p2p', ranks);
      assert.equal(result.stderr, '');
    });
  }
});

describe('ordering and loss', () => {
  it('delivers 200,000 messages of 0 B to 1 MiB among 4 ranks once, intact and in order, with senders ending early', async () => {
    const result = await launch('test/programs/stress.ts', 4, ['200000'], { timeoutMs: 600_000 });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    const counts = [...result.stdout.matchAll(/^stress rank (\d) sent=(\d+) received=(\d+) sent_bytes=(\d+) received_bytes=(\d+)/gm)]
      .map((m) => m.slice(1).map(Number));
    assert.deepEqual(counts.map(([rank]) => rank).sort(), [0, 1, 2, 3], result.stdout);
    const sum = (column: number): number => counts.reduce((total, row) => total + row[column]!, 0);
    assert.equal(sum(1), 200_000, 'messages sent');
    assert.equal(sum(2), 200_000, 'messages received and checked');
    assert.equal(sum(3), sum(4), 'bytes sent and received');
  });
});

describe('delivery after the sender is done', () => {
  for (const mode of ['objects', 'timer']) {
    it(`${mode}: 3000 queued sends arrive although the sender ${mode === 'objects' ? 'ended' : 'awaits a timer'}`, async () => {
      const result = await launch('test/programs/early_finish.ts', 2, [mode], { timeoutMs: 60_000 });
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
      assert.deepEqual(linesStartingWith(result.stdout, 'rank'), ['rank 0 done', 'rank 1 received 3000']);
    });
  }

  it('large sends never waited for arrive after their sender ended', async () => {
    const result = await launch('test/programs/early_finish.ts', 2, ['large'], { timeoutMs: 60_000 });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), ['rank 0 done', 'rank 1 received 2 large messages']);
  });

  it('9000 large sends never waited for: their sender stays for the receiver\'s answers, and the job ends cleanly', async () => {
    const result = await launch('test/programs/early_finish.ts', 2, ['many'], { timeoutMs: 60_000 });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), ['rank 0 done', 'rank 1 received 9000']);
  });

  it('reports a finished rank whose large send is never received', async () => {
    const result = await launch('test/programs/early_finish.ts', 2, ['never-large'], { timeoutMs: 20_000 });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /rank 0: finished, still holding 1 send not yet received by rank 1\n/);
    assert.match(result.stderr, /rank 1: finished\n/);
  });

  it('reports a finished rank whose messages are never received, with what it still holds', async () => {
    const result = await launch('test/programs/early_finish.ts', 2, ['never'], { timeoutMs: 20_000 });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /deadlock: every rank is blocked/);
    assert.match(result.stderr, /rank 0: finished, still holding \d+ undelivered messages to rank 1\n/);
    assert.match(result.stderr, /rank 1: finished\n/);
    assert.match(result.stderr, /hint: a rank whose script is over stays until the messages it sent are received/);
  });
});

describe('receives pending when the script ends (test/programs/pending_irecv.ts)', () => {
  it('end the job with code 0, as under mpiexec and as mpi4py does', async () => {
    const result = await launch('test/programs/pending_irecv.ts', 3, [], { timeoutMs: 60_000 });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'pending_irecv'),
      [0, 1, 2].map((r) => `pending_irecv ${r} of 3: the message that arrived tests true`));
  });
});

describe('waits never block before returning their Promise', () => {
  it('a receive started before the send in the same tick costs no sleep: 200 exchanges per form', async () => {
    const result = await launch('test/programs/recv_first.ts', 2);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    const times = new Map(result.stdout.trim().split('\n').map((line) => {
      const [name, , , fastest] = line.split(' ');
      return [name!, { fastest: Number(fastest) }] as const;
    }));
    assert.deepEqual([...times.keys()], ['recv-send', 'Recv-Send', 'Irecv-Isend-Wait', 'irecv-wait-send', 'Waitall-Send',
      'waitany-send', 'probe-send', 'Ssend-Recv', 'recv-allreduce-send']);
    // The fault this guards against sleeps 20 ms (the engine's block time) in every exchange; a loaded machine slows
    // most exchanges but not all 200: the fastest one tells the fault apart, where medians and totals did not.
    for (const [name, { fastest }] of times) {
      assert.ok(fastest < 20, `${name}: the fastest of 200 exchanges took ${fastest} ms`);
    }
  });
});

describe('large messages', () => {
  it('stream through a bounded pipe: 24 MB messages with a 4 MiB heap, every form', async () => {
    const result = await launch('test/programs/large_messages.ts', 3, [], { launcherArgs: ['--heap-size', '4194304'] });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'large ok'), ['large ok 0', 'large ok 1', 'large ok 2']);
  });
});

describe('oversubscription', () => {
  it('runs 8 ranks on this machine without stalling', async () => {
    const result = await launch('test/programs/oversubscribed.ts', 8, ['300'], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(linesStartingWith(result.stdout, 'oversubscribed ok').length, 8);
  });
});

describe('launcher', () => {
  it('passes arguments through and forwards whole lines, tagged with --tag-output', async () => {
    const result = await launch('test/programs/args.ts', 3, ['--flag', 'two words'], { launcherArgs: ['--tag-output'] });
    assert.equal(result.code, 0, result.stderr);
    for (let rank = 0; rank < 3; rank++) {
      const line = result.stdout.split('\n').find((l) => l.startsWith(`[${rank}] {`));
      assert.ok(line, result.stdout);
      const seen = JSON.parse(line.slice(line.indexOf('{'))) as { rank: number; size: number; argv: string[]; script: string };
      assert.deepEqual(seen.argv, ['--flag', 'two words']);
      assert.equal(seen.rank, rank);
      assert.equal(seen.size, 3);
      assert.match(seen.script, /args\.ts$/);
      assert.ok(result.stdout.includes(`[${rank}] partial line from ${rank} completed\n`));
    }
  });

  it('runs a script without the launcher as a singleton', () => {
    const result = spawnSync(process.execPath, ['test/programs/singleton.mjs'], { cwd: root, encoding: 'utf8', timeout: JOB_TIMEOUT_MS });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'singleton ok\n');
  });

  it('rejects a bad command line with the usage', () => {
    const result = spawnSync(process.execPath, ['bin/mpi4ts.js', '-n', 'zero', 'x.ts'], { cwd: root, encoding: 'utf8', timeout: JOB_TIMEOUT_MS });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /-n expects a positive integer/);
    assert.match(result.stderr, /Usage: mpi4ts/);
  });

  it('runs the README hello world', async () => {
    const result = await launch('examples/hello.ts', 4);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'Hello').map((l) => l.replace(/ on .*/, '')),
      [0, 1, 2, 3].map((r) => `Hello from rank ${r} of 4`));
  });
});

describe('failures end the job', () => {
  const cases: [string, number | undefined, RegExp][] = [
    ['throw', 1, /rank 2 failed: Error: boom from the culprit/],
    ['throw-string', 1, /rank 2 failed: a string from the culprit\n/],
    ['reject', 1, /rank 2 failed: RangeError: unhandled rejection from the culprit/],
    ['abort', 7, /rank 2 called Abort\(7\)/],
    ['exit', 5, /rank 2 exited with code 5\n/],
    ['unsettled', 13, /rank 2 exited with code 13: its top-level await never settled/],
    ['truncate', 1, /rank 2 failed: MPIError: rank 2: Comm\.Recv: message of 64 bytes .* does not fit the 32-byte/],
    ['unserializable', 1, /rank 2 failed: MPIError: rank 2: Comm\.send: cannot send value\.callback: a function/],
    ['bad-rank', 1, /rank 2 failed: MPIError: rank 2: Comm\.send: invalid dest 13/],
    ['bad-tag', 1, /rank 2 failed: MPIError: rank 2: Comm\.send: invalid tag -3/],
  ];
  for (const [mode, code, message] of cases) {
    it(`${mode}: non-zero exit, a report naming the rank, nothing left running`, async () => {
      const result = await launch('test/programs/failures.ts', 3, [mode], { timeoutMs: 20_000 });
      assert.equal(result.signal, null, 'the launcher ended by itself');
      assert.equal(result.code, code);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /stopping the job \(3 ranks\) because rank 2 failed/);
    });
  }

  it('reports the ring deadlock of large blocking sends', async () => {
    const result = await launch('test/programs/ring_deadlock.ts', 4, ['1000000'], { timeoutMs: 20_000 });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /deadlock: every rank is blocked/);
    for (let rank = 0; rank < 4; rank++) {
      assert.match(result.stderr, new RegExp(`rank ${rank}: blocked in Send\\(dest=${(rank + 1) % 4}, tag=0, 8000000 bytes\\)`));
    }
  });

  it('runs the same ring below the eager limit, and deadlocks it when the limit is lowered', async () => {
    const small = await launch('test/programs/ring_deadlock.ts', 4, ['1000']);
    assert.equal(small.code, 0, small.stderr);
    assert.equal(linesStartingWith(small.stdout, 'rank').length, 4);
    const lowered = await launch('test/programs/ring_deadlock.ts', 4, ['1000'], { launcherArgs: ['--eager-limit', '4k'] });
    assert.equal(lowered.code, 3);
    assert.match(lowered.stderr, /blocked in Send\(dest=1, tag=0, 8000 bytes\)/);
  });

  it('does not mistake a long computation for a deadlock', async () => {
    const result = await launch('test/programs/slow_rank.ts', 3, ['2500']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank'), ['rank 1 got true', 'rank 2 got true']);
  });
});
