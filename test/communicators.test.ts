// Communicators, groups, topologies, intercommunicators and dynamic
// processes on the shm transport, at several rank counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launch, linesStartingWith } from './helpers/launch.js';

describe('communicators conformance', () => {
  for (const ranks of [2, 3, 4, 6]) {
    it(`passes with ${ranks} ranks`, async () => {
      const result = await launch('test/conformance/communicators.ts', ranks);
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
      assert.deepEqual(linesStartingWith(result.stdout, 'communicators ok'),
        Array.from({ length: ranks }, (_, r) => `communicators ok ${r}`).sort());
    });
  }
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
      assert.match(result.stderr, /MPIError/);
      assert.match(result.stderr, c.pattern);
      assert.doesNotMatch(result.stdout, /not detected/);
    });
  }
});

describe('dynamic processes', () => {
  it('spawns 5 children from a 1-rank job and broadcasts across the intercommunicator', async () => {
    const result = await launch('test/programs/spawn_parent.ts', 1, ['5']);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.deepEqual(linesStartingWith(result.stdout, 'parent'), ['parent 0 ok with 5 children']);
    assert.deepEqual(linesStartingWith(result.stdout, 'child'), [0, 1, 2, 3, 4].map((r) => `child ${r} of 5 ok`));
  });

  it('spawns from a 2-rank job', async () => {
    const result = await launch('test/programs/spawn_parent.ts', 2, ['3']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(linesStartingWith(result.stdout, 'parent').length, 2);
    assert.equal(linesStartingWith(result.stdout, 'child').length, 3);
  });

  it('fails with ERR_SPAWN when the job has no room left', async () => {
    const result = await launch('test/programs/spawn_parent.ts', 1, ['5'], { launcherArgs: ['--universe-size', '3'] });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /MPIError: rank 0: Comm\.Spawn: the job has room for 3 ranks and 1 are taken/);
  });
});
