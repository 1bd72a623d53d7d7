// One rank computes for a while before it sends; the others wait in a
// receive meanwhile. A long computation is not a deadlock: the job finishes.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const millis = Number(process.argv[2] ?? 2500);
if (comm.rank === 0) {
  const end = Date.now() + millis;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  for (let r = 1; r < comm.size; r++) await comm.send(x > 0, r);
} else {
  const got = await comm.recv(0);
  console.log(`rank ${comm.rank} got ${String(got)}`);
}
