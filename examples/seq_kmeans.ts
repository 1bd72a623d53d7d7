// k-means with many random restarts, sequentially: the baseline that
// par_kmeans and par_kmeans2 must reproduce exactly. The data are the
// points of examples/data/kmeans.csv (4 clusters), whitened.
// Run: npx mpi4ts -n 1 examples/seq_kmeans.ts [restarts] [seed]
import { formatCentroids, kmeans, readObservations, whiten } from './lib/kmeans.js';

const k = 4;
const restarts = Number(process.argv[2] ?? 40);
const seed = Number(process.argv[3] ?? 1);

const obs = whiten(readObservations());
const best = kmeans(obs, k, [0, restarts], seed);
console.log(`Best distortion for ${restarts} tries: ${best.distortion.toFixed(6)} (restart ${best.restart})`);
console.log(formatCentroids(best.centroids, obs.dim));
