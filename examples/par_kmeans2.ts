// Parallel k-means restarts, combined without moving every rank's centroids:
// allreduce with MPI.MINLOC finds the lowest distortion and the rank that has
// it, and that rank broadcasts its centroids with a buffer Bcast. Every rank
// ends with the same answer as seq_kmeans.
// Run: npx mpi4ts -n 4 examples/par_kmeans2.ts [restarts] [seed]
import { MPI } from 'mpi4ts';
import { formatCentroids, kmeans, readObservations, restartsOf, whiten } from './lib/kmeans.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const k = 4;
const restarts = Number(process.argv[2] ?? 40);
const seed = Number(process.argv[3] ?? 1);

const obs = whiten(readObservations());
const { centroids, distortion, restart } = kmeans(obs, k, restartsOf(restarts, size, rank), seed);

// A bare number is [value, rank]; on a tie MINLOC keeps the lowest rank,
// whose restarts come first, as in the sequential loop.
const [minDistortion, owner] = await comm.allreduce<[number, number]>(distortion, MPI.MINLOC);
await comm.Bcast([centroids, MPI.DOUBLE], owner);
const bestRestart = await comm.bcast(restart, owner);

if (rank === 0) console.log(`Best distortion for ${restarts} tries: ${minDistortion.toFixed(6)} (restart ${bestRestart}, rank ${owner})`);
console.log(`rank ${rank}: ${formatCentroids(centroids, obs.dim, '; ')}`); // one line: ranks print concurrently
