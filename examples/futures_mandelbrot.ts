// The Mandelbrot set computed by a pool of workers (mpi4ts/futures), one row
// per task, written as a PGM picture; --check also computes it here, in this
// one rank, and compares.
// Run: npx mpi4ts -n 1 examples/futures_mandelbrot.ts [out.pgm] [width] [height] [--check]
import { writeFileSync } from 'node:fs';
import { MPIPoolExecutor } from 'mpi4ts/futures';
import { type View, mandelbrotRow } from './tasks/mandelbrot.js';

const [out = 'mandelbrot.pgm', width = '640', height = '480'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const view: View = { width: Number(width), height: Number(height), xMin: -2.25, xMax: 0.75, yMin: -1.25, yMax: 1.25, maxIterations: 200 };

const started = performance.now();
await using pool = new MPIPoolExecutor<typeof import('./tasks/mandelbrot.ts')>({
  module: new URL('./tasks/mandelbrot.ts', import.meta.url), maxWorkers: 2 });
const rows: Uint8Array[] = [];
const rowNumbers = Array.from({ length: view.height }, (_, row) => row);
for await (const pixels of pool.starmap('mandelbrotRow', rowNumbers.map((row) => [view, row] as const), { chunksize: 8 })) {
  rows.push(pixels);
}
const seconds = (performance.now() - started) / 1000;

// PGM (binary, "P5"): a header, then one byte per pixel, row after row.
const header = Buffer.from(`P5\n${view.width} ${view.height}\n255\n`, 'ascii');
writeFileSync(out, Buffer.concat([header, ...rows]));
const inside = rows.reduce((n, row) => n + row.filter((p) => p === 0).length, 0);
console.log(`wrote ${out}: ${view.width}x${view.height}, ${inside} pixels in the set, ${pool.numWorkers} workers, ${seconds.toFixed(2)} s`);

if (process.argv.includes('--check')) {
  const same = rows.every((row, r) => Buffer.compare(Buffer.from(row), Buffer.from(mandelbrotRow(view, r))) === 0);
  console.log(same ? 'check: the same as computed sequentially' : 'check: DIFFERENT from the sequential result');
}
