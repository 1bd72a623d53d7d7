// Point-to-point with wildcards: receive from whoever is first, then ask the
// Status who it was, which tag they used and how long the message is.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const DATA = 7;

if (comm.rank === 0) {
  const status = new MPI.Status();
  const lines: string[] = [];
  for (let i = 1; i < comm.size; i++) {
    // A buffer of unknown length: Probe, then allocate exactly what came.
    await comm.Probe(MPI.ANY_SOURCE, DATA, status);
    const buf = new Float64Array(status.Get_count(MPI.DOUBLE));
    await comm.Recv(buf, status.Get_source(), DATA);
    lines.push(`${buf.length} doubles from rank ${status.Get_source()}`);
  }
  for (let i = 1; i < comm.size; i++) {
    const text = await comm.recv<string>(MPI.ANY_SOURCE, MPI.ANY_TAG, status);
    lines.push(`"${text}" from rank ${status.Get_source()} with tag ${status.Get_tag()}`);
  }
  console.log(lines.sort().join('\n')); // arrival order changes from run to run
} else {
  await comm.Send(new Float64Array(10 * comm.rank), 0, DATA);
  await comm.send(`hello from rank ${comm.rank}`, 0, 100 + comm.rank);
}
