// Gather: the root gets a list with one value per rank, in rank order; the
// other ranks get undefined. Any rank can be the root, and values can be
// anything (here [rank, size] pairs).
// Run: npx mpi4ts -n 4 examples/gather.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

const ranks = await comm.gather(rank, 0);
console.log(`rank ${rank}: gather to 0 gave ${JSON.stringify(ranks) ?? 'undefined'}`);

await comm.barrier();
console.log(`rank ${rank}: passed the barrier`);

const pairs = await comm.gather([rank, size], 1);
console.log(`rank ${rank}: gather to 1 gave ${JSON.stringify(pairs) ?? 'undefined'}`);
