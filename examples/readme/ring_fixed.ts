// Three ways out of the ring deadlock, one after the other.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const right = (comm.rank + 1) % comm.size;
const left = (comm.rank - 1 + comm.size) % comm.size;
const out = new Float64Array(1_000_000).fill(comm.rank);
const into = new Float64Array(1_000_000);

// 1. Order the calls: even ranks send first, odd ranks receive first (ring2).
if (comm.rank % 2 === 0) {
  await comm.Send(out, right);
  await comm.Recv(into, left);
} else {
  await comm.Recv(into, left);
  await comm.Send(out, right);
}
console.log(`ordered: rank ${comm.rank} got ${into[0]}`);

// 2. Start both without waiting, then wait for both (ring3).
await MPI.Request.Waitall([comm.Isend(out, right), comm.Irecv(into, left)]);
console.log(`nonblocking: rank ${comm.rank} got ${into[0]}`);

// 3. One call that sends and receives, paired by the library (ring4).
await comm.Sendrecv(out, right, 0, into, left, 0);
console.log(`sendrecv: rank ${comm.rank} got ${into[0]}`);
