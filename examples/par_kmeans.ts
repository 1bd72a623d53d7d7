// Parallel k-means restarts, combined with an object gather: each rank runs
// its share of the restarts and sends its best (centroids, distortion) to
// rank 0, which keeps the best of all. Same answer as seq_kmeans.
// Run: npx mpi4ts -n 4 examples/par_kmeans.ts [restarts] [seed]
import { MPI } from 'mpi4ts';
import { formatCentroids, kmeans, readObservations, restartsOf, whiten } from './lib/kmeans.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const k = 4;
const restarts = Number(process.argv[2] ?? 40);
const seed = Number(process.argv[3] ?? 1);

const obs = whiten(readObservations());
const mine = kmeans(obs, k, restartsOf(restarts, size, rank), seed);

const results = await comm.gather(mine, 0);
if (rank === 0) {
  if (results === undefined || results.length !== size) throw new Error('gather should give the root one result per rank');
  console.log(`Worker distortions: ${JSON.stringify(results.map((r) => Number(r.distortion.toFixed(6))))}`);
  // Lowest distortion, then lowest restart: the sequential tie-break.
  results.sort((a, b) => a.distortion - b.distortion || a.restart - b.restart);
  const best = results[0]!;
  console.log(`Best distortion for ${restarts} tries: ${best.distortion.toFixed(6)} (restart ${best.restart})`);
  console.log(formatCentroids(best.centroids, obs.dim));
} else if (results !== undefined) {
  throw new Error('only the root gets the gathered list');
}
