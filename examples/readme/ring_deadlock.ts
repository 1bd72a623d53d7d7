// A ring shift: each rank sends a large buffer to its right neighbour, then
// receives from its left one. This deadlocks.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const right = (comm.rank + 1) % comm.size;
const left = (comm.rank - 1 + comm.size) % comm.size;
const out = new Float64Array(1_000_000).fill(comm.rank);
const into = new Float64Array(1_000_000);

await comm.Send(out, right);   // 8 MB: waits until `right` has posted its Recv...
await comm.Recv(into, left);   // ...which it never does: it is waiting in its own Send
console.log(`rank ${comm.rank} got ${into[0]}`);
