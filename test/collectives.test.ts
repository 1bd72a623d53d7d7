// The collectives through the launcher: the conformance chapter at 1, 2, 3,
// 4, 5 and 8 ranks (every collective, every op, IN_PLACE and v-forms, so
// every algorithm runs, at powers of two and not), mismatched calls, which
// must fail naming both calls rather than hang or give garbage, and a
// collective that a rank never enters, which the deadlock report must name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { beyondMaxRanks } from './helpers/heavy.js';
import { launch, linesStartingWith } from './helpers/launch.js';

const PROGRAM = 'test/conformance/collectives.ts';
const MISMATCH = 'test/programs/collective_mismatch.ts';
/** Thresholds that make every many-step algorithm run on the program's small data, reductions over messages (see src/collective/tuning.ts). */
const MANY_STEPS = JSON.stringify({
  bcastScatterBytes: 0, bcastScatterRanks: 2, bcastReferenceBytes: 0, gatherDirectBytes: 4, allgatherRingBytes: 0, alltoallPairwiseBytes: 0,
  alltoallReferenceBytes: 0,
  allreduceRingBytes: 0, allreduceReferenceBytes: 0, reduceRingBytes: 0, reduceScatterRingBytes: 0, shortExchangeBytes: 0, segmentBytes: 256,
  syncSendBytes: 0,
  oversubscribedScale: 1,
});

/** Cases that need more ranks than one. */
const NEEDS_TWO = [
  'a user op that throws fails the collective on every rank, and the next collective works (needs 2 ranks)',
  'a user op that throws in large reductions fails the call on every rank; the communicator stays usable (needs 2 ranks)',
];

async function conformance(ranks: number): Promise<void> {
  const result = await launch(PROGRAM, ranks, [], { timeoutMs: 240_000 });
  assertAllPassed(result, 'collectives', ranks, ranks === 1 ? NEEDS_TWO : []);
}

describe('collectives', () => {
  for (const ranks of [1, 2, 3, 4, 5, 8]) {
    it(`pass every case of the conformance chapter with ${ranks} rank${ranks > 1 ? 's' : ''}`, { skip: beyondMaxRanks(ranks) },
      () => conformance(ranks));
  }
  for (const ranks of [2, 3, 5, 8]) {
    it(`pass it with ${ranks} ranks when the many-step algorithms (rings, segments, scatter + allgather) run`, { skip: beyondMaxRanks(ranks) }, async () => {
      process.env['MPI4TS_COLLECTIVE_TUNING'] = MANY_STEPS;
      try {
        await conformance(ranks);
      } finally {
        delete process.env['MPI4TS_COLLECTIVE_TUNING'];
      }
    });
  }
});

describe('mismatched collectives', () => {
  const cases: { mode: string; ranks: number; patterns: RegExp[] }[] = [
    { mode: 'kind', ranks: 3, patterns: [/collective mismatch: this rank called Barrier\(\) but rank 0 called Bcast\(root=0\)/] },
    { mode: 'late', ranks: 2, patterns: [/collective mismatch: this rank called Barrier\(\) but rank 0 called Bcast\(root=0\)/] },
    { mode: 'root', ranks: 2, patterns: [/Bcast\(root=0/, /Bcast\(root=1/, /collective call #2/] },
    { mode: 'object root', ranks: 3, patterns: [/bcast\(root=0/, /bcast\(root=1/, /collective call #2/] },
    { mode: 'count', ranks: 2, patterns: [/this rank called Allreduce\((4|8) × MPI_DOUBLE, MPI_SUM\) but rank \d called Allreduce with different counts, datatype or op/] },
    { mode: 'op', ranks: 4, patterns: [/Allreduce\(4 × MPI_DOUBLE, MPI_(SUM|MAX)\) but rank \d called Allreduce with different counts, datatype or op/] },
    { mode: 'family', ranks: 2, patterns: [/this rank called Bcast\(root=0, 8 bytes\) but rank 0 called bcast\(root=0\)/] },
    { mode: 'gather', ranks: 3, patterns: [/this rank called Gather\(root=0.*rank 1 .*12 bytes where the root expects 8/] },
    // At 2 ranks on 2 cores, a short Gather goes through the shared area: the root finds the longer block there.
    { mode: 'gather', ranks: 2, patterns: [/this rank called Gather\(root=0.*rank 1 .*12 bytes where the root expects 8/] },
    { mode: 'roots', ranks: 2, patterns: [/this rank called Reduce\(root=(0|1), .*\) but rank (0|1) called Reduce\(root=(0|1)\)/] },
    { mode: 'flags', ranks: 3, patterns: [/this rank called Barrier\(\) but rank 0 called Bcast\(root=0\)/] },
  ];
  for (const c of cases) {
    it(`fail with an error naming both calls: ${c.mode} (${c.ranks} ranks)`, async () => {
      const result = await launch(MISMATCH, c.ranks, [c.mode], { timeoutMs: 60_000 });
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stderr, /MPIError/);
      for (const pattern of c.patterns) assert.match(result.stderr, pattern);
      // the script's frames or none, never mpi4ts's own (the mismatch is often found after the call returned)
      assert.doesNotMatch(result.stderr, /dist\/chunks|\/src\/(collective|transport)\//);
    });
  }
});

describe('mismatched collectives caught (COMM_WORLD returns errors)', () => {
  // Every rank that meets the mismatch catches it, and then nothing of the call keeps it waiting: the job ends as the
  // script does. (A rank that waits for a peer that caught it and went on, in a call it shares with that peer, is
  // blocked for good: that ends in a deadlock report naming both.)
  const cases: { mode: string; ranks: number; caught: number[] }[] = [
    { mode: 'count', ranks: 2, caught: [0, 1] },
    { mode: 'op', ranks: 2, caught: [0, 1] },
    { mode: 'alloc count', ranks: 2, caught: [0, 1] },
    { mode: 'flags', ranks: 4, caught: [1, 2, 3] },
  ];
  for (const c of cases) {
    it(`end with exit status 0: ${c.mode} (${c.ranks} ranks)`, async () => {
      const result = await launch(MISMATCH, c.ranks, [c.mode, 'caught'], { timeoutMs: 60_000 });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const caught = linesStartingWith(result.stdout, 'caught on rank');
      assert.deepEqual(caught.map((line) => Number(/^caught on rank (\d+)/.exec(line)![1])), c.caught, result.stdout);
      for (const line of caught) assert.match(line, /: collective mismatch: this rank called /);
      assert.equal(linesStartingWith(result.stdout, 'mismatch ').length, c.ranks - c.caught.length, result.stdout);
    });
  }
});

describe('ranks many calls apart', () => {
  it('do not look mismatched when one runs 128 calls ahead of another', async () => {
    process.env['MPI4TS_COLLECTIVE_TUNING'] = JSON.stringify({ syncEveryCalls: 1_000_000 });
    try {
      const result = await launch('test/programs/collective_lag.ts', 3, [], { timeoutMs: 60_000 });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(linesStartingWith(result.stdout, 'lag ok').length, 3, result.stdout);
    } finally {
      delete process.env['MPI4TS_COLLECTIVE_TUNING'];
    }
  });
});

describe('a collective that a rank never enters', () => {
  const cases: { mode: string[]; call: string }[] = [
    { mode: ['Bcast'], call: 'Bcast\\(root=0, 4 bytes\\)' },
    { mode: ['bcast'], call: 'bcast\\(root=0\\)' },
    { mode: ['Allreduce'], call: 'Allreduce\\(1 × MPI_DOUBLE, MPI_SUM\\)' },
    { mode: ['Barrier', 'warm'], call: 'Barrier\\(\\)' },
  ];
  for (const c of cases) {
    it(`is named in the deadlock report: ${c.mode.join(' ')}`, async () => {
      const result = await launch('test/programs/collective_deadlock.ts', 4, c.mode, { timeoutMs: 30_000 });
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /rank 0: blocked in Recv\(source=1, tag=5, 4-byte buffer\)/);
      // Ranks 1 to 3 wait in the collective, each for a rank further up its tree (or ring), down to rank 0.
      for (const rank of [1, 2, 3]) {
        assert.match(result.stderr,
          new RegExp(`rank ${rank}: blocked in ${c.call} on MPI_COMM_WORLD, waiting for rank [0-${rank - 1}]\\n`));
      }
    });
  }
});
