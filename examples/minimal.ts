// The smallest MPI program: every rank prints its rank and the job size.
// Run: npx mpi4ts -n 4 examples/minimal.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
console.log(`${comm.Get_rank()} of ${comm.Get_size()}`);
