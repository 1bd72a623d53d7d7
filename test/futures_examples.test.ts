// The futures examples: the Mandelbrot picture computed by a pool, and
// par_map rewritten on the executor, checked against what they must print.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { launch } from './helpers/launch.js';

describe('futures examples', () => {
  it('futures_mandelbrot writes the PGM picture of the set, the same as computed sequentially', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-mandelbrot-'));
    try {
      const out = join(dir, 'm.pgm');
      const result = await launch('examples/futures_mandelbrot.ts', 1, [out, '160', '120', '--check']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^wrote .*m\.pgm: 160x120, (\d+) pixels in the set, 2 workers, [\d.]+ s\ncheck: the same as computed sequentially\n$/);
      const picture = readFileSync(out);
      const header = 'P5\n160 120\n255\n';
      assert.equal(picture.subarray(0, header.length).toString('ascii'), header);
      assert.equal(picture.length, header.length + 160 * 120);
      // The point -0.5 + 0i (the middle of the main cardioid) is in the set: black; the corners are not.
      const pixel = (row: number, col: number): number => picture[header.length + row * 160 + col]!;
      const col = Math.round(((-0.5 + 2.25) / 3) * 159);
      assert.equal(pixel(Math.round(119 / 2), col), 0);
      assert.ok(pixel(0, 0) > 0 && pixel(119, 159) > 0);
      const inside = Number(/(\d+) pixels in the set/.exec(result.stdout)![1]);
      assert.equal(inside, [...picture.subarray(header.length)].filter((p) => p === 0).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('par_map_futures gives the sequential map (seq_map), by map and by submit', async () => {
    const expected = JSON.stringify(Array.from({ length: 20 }, (_, i) => Math.sqrt(i)));
    const result = await launch('examples/par_map_futures.ts', 1);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `map: ${expected}\nsubmit: ${expected}\n`);
  });
});
