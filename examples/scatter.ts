// Scatter: the root hands element r of a list to rank r. The other ranks'
// first argument is ignored (they pass null).
// Run: npx mpi4ts -n 4 examples/scatter.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const items = comm.rank === 0 ? Array.from({ length: comm.size }, (_, i) => i) : null;
const mine = await comm.scatter(items, 0);
console.log(`rank ${comm.rank}: scatter gave ${String(mine)}`);
