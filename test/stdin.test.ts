/**
 * Standard input on the shm transport (src/launcher/stdin.ts), as mpiexec gives it: rank 0's
 * `process.stdin` reads the launcher's, every other rank reads an empty stream, and a job whose
 * rank 0 stops reading, or never reads, ends although its input stays open.
 *
 * Run: `npm run build && node --import tsx --test test/stdin.test.ts`
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launch, linesStartingWith } from './helpers/launch.js';

const PROGRAM = 'test/programs/stdin.ts';
/** Long enough for a job that works; a job held by its open input is killed at this and fails the test. */
const HELD_MS = 60_000;

describe('standard input on shm', () => {
  it('goes to rank 0 to its end, in order, whatever its size', async () => {
    const count = 100_000;
    const text = Array.from({ length: count }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const result = await launch(PROGRAM, 3, ['all'], { input: (stdin) => stdin.end(text) });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank '), [0, 1, 2].map((r) =>
      `rank ${r}: ${count} lines, first line 1, last line ${count}`));
  });

  for (const mode of ['one', 'pause']) {
    it(`lets a job end whose rank 0 read a line of an input that stays open, then stopped (${mode})`, async () => {
      // Node's own stdin of a worker thread held the thread until the input ended, whatever the reader did.
      const result = await launch(PROGRAM, 2, [mode], { timeoutMs: HELD_MS, input: (stdin) => stdin.write('first\nsecond\n') });
      assert.equal(result.code, 0, `${result.stderr} (signal ${result.signal})`);
      assert.deepEqual(linesStartingWith(result.stdout, 'rank '), [0, 1].map((r) => `rank ${r}: 1 lines, first first, last first`));
    });
  }

  it('lets a job end that never reads an input that stays open', async () => {
    const result = await launch(PROGRAM, 2, ['none'], { timeoutMs: HELD_MS, input: (stdin) => stdin.write('unread\n') });
    assert.equal(result.code, 0, `${result.stderr} (signal ${result.signal})`);
    assert.deepEqual(linesStartingWith(result.stdout, 'rank '), [0, 1].map((r) => `rank ${r}: 0 lines, first undefined, last undefined`));
  });

  it('gives the other ranks an empty stdin', async () => {
    const result = await launch(PROGRAM, 2, ['other'], { input: (stdin) => stdin.end('for rank 0 only\n') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^rank 1 read 0 bytes$/m);
  });
});
