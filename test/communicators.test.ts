// Communicators, groups, topologies, intercommunicators and dynamic
// processes on the shm transport: their conformance chapters at several rank
// counts, and Spawn beyond the job's room.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAllPassed, summaryOf } from './helpers/conformance.js';
import { launch, linesStartingWith } from './helpers/launch.js';

describe('communicators conformance (test/conformance/communicators.ts)', () => {
  for (const ranks of [2, 3, 4, 6]) {
    it(`passes every case with ${ranks} ranks`, async () => {
      const result = await launch('test/conformance/communicators.ts', ranks);
      assertAllPassed(result, 'communicators', ranks);
      assert.equal(result.stderr, '');
    });
  }
});

describe('topology conformance (test/conformance/topology.ts)', () => {
  for (const ranks of [1, 2, 3, 4, 6]) {
    it(`passes every case with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      const result = await launch('test/conformance/topology.ts', ranks);
      assertAllPassed(result, 'topology', ranks, ranks === 1 ? ['Intercomm.Create_from_groups: rank 0 against the rest (needs 2 ranks)'] : []);
      assert.equal(result.stderr, '');
    });
  }
});

describe('dynamic processes (test/conformance/spawn.ts)', () => {
  it('spawns 5 children from a 1-rank job, which check their side', async () => {
    const result = await launch('test/conformance/spawn.ts', 1, ['5']);
    assertAllPassed(result, 'spawn', 1);
    assert.equal(result.stderr, '');
    assert.deepEqual(linesStartingWith(result.stdout, 'child'), [0, 1, 2, 3, 4].map((r) => `child ${r} of 5 ok`));
  });

  it('spawns 3 children from a 2-rank job', async () => {
    const result = await launch('test/conformance/spawn.ts', 2, ['3']);
    assertAllPassed(result, 'spawn', 2);
    assert.deepEqual(linesStartingWith(result.stdout, 'child'), [0, 1, 2].map((r) => `child ${r} of 3 ok`));
  });

  it('grows the universe past --universe-size while the children live, and everyone talks (issue 18)', async () => {
    const result = await launch('test/programs/spawn_grow.mjs', 2, ['world', '4', '3'],
      { launcherArgs: ['--universe-size', '3'] });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    // 3 slots, then 6 for the first 4 children, then 12 (the universe at least doubles) for 3 more.
    assert.deepEqual(linesStartingWith(result.stdout, 'grow ok'), ['grow ok 9 universe 12']);
  });

  it('grows the universe past 30 slots, where sources signal through the mask words', async () => {
    const result = await launch('test/programs/spawn_grow.mjs', 2, ['world', '4', '26'],
      { launcherArgs: ['--universe-size', '3'], timeoutMs: 300_000 });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(linesStartingWith(result.stdout, 'grow ok'), ['grow ok 32 universe 32']);
  });

  it('fails with ERR_SPAWN when the universe is at its largest (test hook MPI4TS_TEST_MAX_UNIVERSE)', async () => {
    const result = await launch('test/conformance/spawn.ts', 1, ['5'], { launcherArgs: ['--universe-size', '3'],
      env: { ...process.env, MPI4TS_TEST_MAX_UNIVERSE: '3' } });
    assert.equal(result.code, 1);
    assert.deepEqual(summaryOf(result)?.failed, ['Spawn: Bcast, bcast and gather across, point-to-point to each child, Merge, Disconnect',
      "Spawn reads command, args and maxprocs at the root only; Bcast(null, PROC_NULL) on the root's group"]);
    assert.match(result.stdout, /FAILED spawn\/Spawn: .* on rank 0: MPIError: rank 0: Comm\.Spawn: the job has room for 3 ranks and 1 are taken/);
    assert.equal(linesStartingWith(result.stdout, 'child').length, 0);
  });
});

describe('mismatched intercommunicator collectives', () => {
  const cases: { mode: string; ranks: number; pattern: RegExp }[] = [
    // Either group may see the other's message first.
    { mode: 'kind', ranks: 4,
      pattern: /collective mismatch: this rank called (Barrier\(\) but rank \d called Allgather|Allgather\(\) but rank \d called Barrier)\(\)/ },
    { mode: 'op', ranks: 3, pattern: /this rank called Allreduce\(MPI_DOUBLE, MPI_(SUM|MAX)\) but rank 0 called Allreduce with different counts, datatype or op/ },
  ];
  for (const c of cases) {
    it(`fail with an error naming both calls: ${c.mode}`, async () => {
      const result = await launch('test/programs/intercomm_mismatch.ts', c.ranks, [c.mode], { timeoutMs: 60_000 });
      assert.notEqual(result.code, 0, result.stdout);
      // The first rank to fail may be a leader or a rank its leader told.
      assert.match(result.stderr,
        /MPIError: rank \d+: Intercomm\.(Barrier|Allgather|Allreduce): (the leader of this rank's group \(local rank 0\) failed: )?collective mismatch/);
      assert.match(result.stderr, c.pattern);
      assert.doesNotMatch(result.stdout, /not detected/);
    });
  }
});
