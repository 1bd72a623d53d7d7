// The conformance runner (test/conformance/cases.ts): a failing case names
// itself and the rank, does not hide the cases after it, and fails the job; a
// case that checks nothing fails; a case in which ranks wait forever (for a
// peer that failed, or for each other) is named by the last `case` line, the
// failed rank's `FAILED` line and the deadlock report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summaryOf } from './helpers/conformance.js';
import { launch, linesStartingWith } from './helpers/launch.js';

const PROGRAM = 'test/programs/cases_runner.ts';

describe('conformance runner', () => {
  it('reports a case that fails on one rank and goes on with the next, at 2 and 4 ranks', async () => {
    for (const ranks of [2, 4]) {
      const result = await launch(PROGRAM, ranks, ['fail'], { timeoutMs: 30_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(summaryOf(result), {
        chapter: 'runner', ranks, passed: ['before', 'after'], failed: ['rank 1 sees a wrong value'],
        skipped: ['needs more ranks than any job of this test (needs 1000 ranks)'],
      });
      const failed = linesStartingWith(result.stdout, 'FAILED');
      assert.equal(failed.length, 1, result.stdout);
      assert.match(failed[0]!, /^FAILED runner\/rank 1 sees a wrong value on rank 1: AssertionError/);
      assert.match(result.stdout, /^runner: 2 passed, 1 failed: rank 1 sees a wrong value, 1 skipped: .* \(\d ranks\)$/m);
      assert.deepEqual(linesStartingWith(result.stdout, 'case '),
        ['case runner/after', 'case runner/before', 'case runner/rank 1 sees a wrong value']);
      assert.deepEqual(linesStartingWith(result.stdout, 'passed '), ['passed runner/after: ' + ranks + ' checks',
        'passed runner/before: ' + ranks + ' checks']);
    }
  });

  it('names a case whose ranks wait for a peer that failed: its FAILED line, the case line, the deadlock report', async () => {
    const result = await launch(PROGRAM, 3, ['stuck'], { timeoutMs: 30_000 });
    assert.equal(result.code, 3, result.stderr);
    assert.equal(summaryOf(result), undefined);
    assert.deepEqual(linesStartingWith(result.stdout, 'FAILED'),
      ['FAILED runner/rank 1 fails while the others wait for it on rank 1: Error: rank 1 gives up']);
    assert.equal(linesStartingWith(result.stdout, 'case ').pop(), 'case runner/rank 1 fails while the others wait for it');
    assert.match(result.stderr, /rank 0: blocked in .*Barrier\(\) on runner\/rank 1 fails while the others wait for it/);
  });

  it('fails a case that makes no check on any rank', async () => {
    const result = await launch(PROGRAM, 2, ['empty'], { timeoutMs: 30_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(summaryOf(result)?.failed, ['checks nothing']);
    assert.deepEqual(summaryOf(result)?.passed, ['after']);
    assert.match(result.stdout, /^FAILED runner\/checks nothing: made no checks on any rank$/m);
  });

  it('names a case in which every rank waits: the last case line, and the communicator in the deadlock report', async () => {
    const result = await launch(PROGRAM, 3, ['deadlock'], { timeoutMs: 30_000 });
    assert.equal(result.code, 3, result.stderr);
    assert.equal(summaryOf(result), undefined);
    const name = 'runner/rank 0 waits for a message nobody sends, the others in a barrier';
    assert.equal(linesStartingWith(result.stdout, 'case ').pop(), `case ${name}`);
    assert.match(result.stderr, /deadlock: every rank is blocked/);
    assert.match(result.stderr, /rank 0: blocked in .*Recv\(source=ANY_SOURCE, tag=99\)/);
    for (const rank of [1, 2]) assert.match(result.stderr, new RegExp(`rank ${rank}: blocked in .*Barrier\\(\\) on ${name}`));
  });
});
