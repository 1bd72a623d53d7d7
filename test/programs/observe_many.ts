// For the observe test of long recordings: 2 ranks exchange argv[2] (default 5,000) messages each
// way, more calls than a rank's recorder keeps in memory, so its records go through its spill file.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const peer = 1 - comm.rank;
const count = Number(process.argv[2] ?? 5_000);
const buffer = new Float64Array(1);
for (let i = 0; i < count; i++) {
  if (comm.rank === 0) {
    buffer[0] = i;
    await comm.Send(buffer, peer, i % 7);
    await comm.Recv(buffer, peer, i % 7);
  } else {
    await comm.Recv(buffer, peer, i % 7);
    await comm.Send(buffer, peer, i % 7);
  }
  if (buffer[0] !== i) throw new Error(`rank ${comm.rank}: message ${i} carried ${buffer[0]}`);
}
