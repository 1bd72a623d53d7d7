// A collective that one rank never enters: rank 0 waits for a message that
// nobody sends while the others wait in a collective for rank 0. The
// launcher's deadlock report must name the collective each rank waits in.
// The collective is argv[2]: bcast (object), Bcast (buffer), Allreduce, Barrier.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const which = process.argv[2] ?? 'Bcast';
// With 'warm', a first Barrier sets the communicator's shared area up, which the small collectives then use.
if (process.argv[3] === 'warm') await comm.Barrier();
if (comm.rank === 0) {
  await comm.Recv(new Int32Array(1), 1, 5);
} else if (which === 'bcast') {
  await comm.bcast(null, 0);
} else if (which === 'Bcast') {
  await comm.Bcast(new Int32Array(1), 0);
} else if (which === 'Allreduce') {
  await comm.Allreduce(Float64Array.of(comm.rank), new Float64Array(1), MPI.SUM);
} else if (which === 'Barrier') {
  await comm.Barrier();
}
console.log(`rank ${comm.rank} left`);
