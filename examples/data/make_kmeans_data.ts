// Generates examples/data/kmeans.csv, the data set of the k-means examples:
// 4 well-separated 2-D clusters of 75 normally distributed points each, from
// a fixed seed, so the file is the same on every run (a test checks that).
// Run: node --import tsx examples/data/make_kmeans_data.ts [out.csv]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Random } from '../lib/random.js';

const centers: [number, number][] = [[0, 0], [8, 1], [2, 9], [10, 10]];
const pointsPerCluster = 75;
const random = new Random(2017);

const lines: string[] = [];
for (const [cx, cy] of centers) {
  for (let i = 0; i < pointsPerCluster; i++) {
    lines.push(`${random.normal(cx, 1).toFixed(4)},${random.normal(cy, 1).toFixed(4)}`);
  }
}
const out = process.argv[2] ?? fileURLToPath(new URL('./kmeans.csv', import.meta.url));
writeFileSync(out, lines.join('\n') + '\n');
