// The seed's ring1 lesson: every rank does a blocking Send of a large buffer
// to its right neighbour before it receives. Above the eager limit a Send
// waits for its matching receive, so this deadlocks, as under a real MPI.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const n = Number(process.argv[2] ?? 1_000_000);
const out = new Float64Array(n).fill(comm.rank);
const into = new Float64Array(n);
await comm.Send(out, (comm.rank + 1) % comm.size, 0);
await comm.Recv(into, (comm.rank - 1 + comm.size) % comm.size, 0);
console.log(`rank ${comm.rank} got ${into[0]}`);
