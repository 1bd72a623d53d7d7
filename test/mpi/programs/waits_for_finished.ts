// A deadlock with a finished rank: rank 0 waits for a message that the other
// ranks never send, and they finish. Rank 0's watch reports it.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  const got = await comm.recv(comm.size - 1, 5);
  console.log(`rank 0 got ${String(got)}`);
} else {
  console.log(`rank ${comm.rank} done`);
}
