// For the watchdog test: rank 0 computes (a CPU loop of argv[2] seconds, default 6) before it sends;
// the other ranks wait for it in Recv. The watchdog must name rank 0's loop and their Recv.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
await comm.Barrier();

function computeForever(): number {
  const until = Date.now() + 1000 * Number(process.argv[2] ?? 6);
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  return x;
}

if (comm.rank === 0) {
  const x = computeForever();
  for (let r = 1; r < comm.size; r++) await comm.Send(new Float64Array([x]), r, 4);
} else {
  await comm.Recv(new Float64Array(1), 0, 4);
}
