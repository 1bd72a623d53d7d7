// Non-blocking requests: start the transfers, do something useful, then
// wait. isend/irecv and Isend/Irecv return a Request at once.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

const incoming = comm.irecv(left, 1);            // an object
const block = new Float64Array(4);               // a buffer
const requests = [
  comm.isend({ from: rank }, right, 1),
  comm.Irecv(block, left, 2),
  comm.Isend(new Float64Array(4).fill(rank), right, 2),
];

let work = 0;
for (let i = 1; i <= 1_000_000; i++) work += 1 / (i * i); // overlaps with the messages

const message = await incoming.wait();           // wait() gives the received object
await MPI.Request.Waitall(requests);             // do not touch the buffers before this
console.log(`rank ${rank}: ${JSON.stringify(message)}, [${block.join(', ')}], work ${work.toFixed(6)}`);
