// A fixed set of MPI calls, for the profile and trace of test/observe.test.ts:
// per rank 3 Barriers, 1 Bcast, 1 allreduce, an Isend and an Irecv around a ring
// completed by one Waitall; rank 0 Sends two messages that rank 1 Recvs.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
for (let i = 0; i < 3; i++) await comm.Barrier();
if (rank === 0) {
  await comm.Send(new Int32Array([1, 2]), 1, 5);
  await comm.Send(new Int32Array([3, 4, 5]), 1, 5);
} else if (rank === 1) {
  const buf = new Int32Array(3);
  await comm.Recv(buf, 0, 5);
  await comm.Recv(buf, MPI.ANY_SOURCE, MPI.ANY_TAG);
}
const out = new Float64Array(4).fill(rank);
const into = new Float64Array(4);
await MPI.Request.Waitall([comm.Irecv(into, (rank - 1 + size) % size, 9), comm.Isend(out, (rank + 1) % size, 9)]);
const data = new Int32Array(8);
await comm.Bcast(data, 0);
const sum = await comm.allreduce(rank, MPI.SUM);
console.log(`calls done ${rank} ${sum} ${into[0]}`);
