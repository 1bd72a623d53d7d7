// ERRORS_ARE_FATAL (MPI-4.1 §9.3): with it set on COMM_WORLD, rank 1's send
// to a rank that does not exist ends the whole job with the error's class as
// exit code and a report naming the handler, the rank and the call; the other
// ranks wait in a barrier that never completes. With `call` as argument, rank
// 1 calls Comm.Call_errhandler(MPI.ERR_OTHER) instead; with `bcast`, a Bcast
// with a root that does not exist (a collective's error ends the job too);
// with `irecv`, the Wait of an Irecv that rank 0's longer message truncates
// (the completion of a request goes through its communicator's handler); with
// `win`, a Put to a rank that does not exist on a window whose own handler is
// ERRORS_ARE_FATAL (the report names the window).
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
comm.Set_errhandler(MPI.ERRORS_ARE_FATAL);
const win = process.argv[2] === 'win' ? await MPI.Win.Allocate(4, 4, null, comm) : undefined;
win?.Set_errhandler(MPI.ERRORS_ARE_FATAL);
if (comm.rank === 0 && process.argv[2] === 'irecv') await comm.Send(new Int32Array(2), 1, 3);
if (comm.rank === 1) {
  if (process.argv[2] === 'call') comm.Call_errhandler(MPI.ERR_OTHER);
  else if (process.argv[2] === 'bcast') await comm.Bcast(new Int32Array(1), comm.size + 5);
  else if (process.argv[2] === 'irecv') await comm.Irecv(new Int32Array(1), 0, 3).Wait();
  else if (win !== undefined) win.Put(new Int32Array(1), comm.size + 5);
  else await comm.Send(new Int32Array(1), comm.size + 5, 0);
  console.log('not reached');
}
await comm.Barrier();
console.log(`rank ${comm.rank} not reached`);
