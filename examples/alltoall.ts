// All-to-all: rank r sends element i of its list to rank i, and receives
// element r of every rank's list. Here rank r sends i + 10*r to rank i, so
// rank i receives [i, i + 10, i + 20, ...].
// Run: npx mpi4ts -n 4 examples/alltoall.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const outgoing = Array.from({ length: comm.size }, (_, i) => i + 10 * comm.rank);
const incoming = await comm.alltoall(outgoing);
console.log(`rank ${comm.rank}: alltoall gave ${JSON.stringify(incoming)}`);
