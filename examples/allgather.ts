// Allgather: every rank gets the list of every rank's value. It is the same
// as a gather to one root followed by a broadcast from it, in one call.
// Run: npx mpi4ts -n 4 examples/allgather.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;

const all = await comm.allgather(comm.rank);
console.log(`rank ${comm.rank}: allgather gave ${JSON.stringify(all)}`);

// The long way round, for comparison.
const gathered = await comm.gather(comm.rank, 0);
const same = await comm.bcast(gathered, 0);
console.log(`rank ${comm.rank}: gather+bcast gave ${JSON.stringify(same)}`);
