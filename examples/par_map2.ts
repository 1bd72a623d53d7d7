// The parallel map again with the simplest split: chunks of ceil(n / size),
// so the last rank may get fewer (or none), and allreduce alone combines them.
// Run: npx mpi4ts -n 4 examples/par_map2.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const x = Array.from({ length: 20 }, (_, i) => i);

const m = Math.ceil(x.length / size);
const rChunk = x.slice(rank * m, (rank + 1) * m).map(Math.sqrt);
const r = await comm.allreduce(rChunk, MPI.SUM); // concatenation, in rank order
console.log(`rank ${rank}: ${JSON.stringify(r)}`);
