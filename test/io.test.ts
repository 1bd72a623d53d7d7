// Parallel I/O on shm through the launcher: the conformance chapter
// (test/conformance/io.ts) at 1, 2 and 4 ranks.
import { describe, it } from 'node:test';
import { assertAllPassed } from './helpers/conformance.js';
import { launch } from './helpers/launch.js';

describe('parallel I/O (shm)', () => {
  for (const ranks of [1, 2, 4]) {
    it(`passes every case of the io chapter with ${ranks} rank${ranks > 1 ? 's' : ''}`, async () => {
      const result = await launch('test/conformance/io.ts', ranks);
      assertAllPassed(result, 'io', ranks);
    });
  }
});
