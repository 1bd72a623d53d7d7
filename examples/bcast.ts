// Broadcast: every rank passes its own rank, but only the root's value
// counts, so every rank ends up with 0.
// Run: npx mpi4ts -n 4 examples/bcast.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const result = await comm.bcast(comm.rank, 0);
console.log(`rank ${comm.rank}: bcast gave ${String(result)}`);
