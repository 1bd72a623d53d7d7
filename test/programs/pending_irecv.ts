// A script that ends with receives pending that nobody waits for (MPI-4.1 §11.2.2 calls such a program erroneous;
// mpi4py's MPI_Finalize just exits): the job ends with code 0 on both transports, without a deadlock report.
// Each rank leaves a value receive and a buffer receive from its left neighbour on a tag nobody sends, and a value
// receive whose message does arrive but is never waited for.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const [left, right] = [(rank + size - 1) % size, (rank + 1) % size];
comm.irecv(left, 98);
comm.Irecv(new Int32Array(4), left, 97);
const arrives = comm.irecv(left, 96);
await comm.send(`from ${rank}`, right, 96);
await comm.Barrier();
console.log(`pending_irecv ${rank} of ${size}: the message that arrived tests ${arrives.test()[0]}`);
