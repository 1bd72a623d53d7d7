// Point-to-point with objects: rank 0 sends a string to rank 1, which
// receives it without naming a source or tag (MPI.ANY_SOURCE, MPI.ANY_TAG).
// Run: npx mpi4ts -n 2 examples/sendrecv.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
if (comm.size < 2) throw new Error('sendrecv needs at least 2 ranks: npx mpi4ts -n 2 examples/sendrecv.ts');

if (comm.rank === 0) {
  await comm.send('Hello, world', 1);
} else if (comm.rank === 1) {
  const message = await comm.recv(); // any source, any tag
  console.log(`rank ${comm.rank}: ${String(message)}`);
}
