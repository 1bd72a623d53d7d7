// Each rank says it is there (its rank a number, which console.log colours on a terminal), then sleeps for two
// minutes: a job for a test to stop from outside.
import { MPI } from 'mpi4ts';

console.log('sleeping', MPI.COMM_WORLD.rank);
await new Promise((resolve) => setTimeout(resolve, 120_000));
