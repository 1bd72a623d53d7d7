// Receiving a message of unknown size: Probe waits for a message without
// receiving it, and its Status says who sent it, with which tag and how many
// elements; the receiver then allocates exactly that and receives it.
// Run: npx mpi4ts -n 4 examples/Probe.ts
import { MPI } from 'mpi4ts';
import { formatArray } from './lib/format.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

if (rank === 0) {
  const m = Float64Array.from({ length: 50 }, (_, i) => i);
  for (let dest = 1; dest < size; dest++) await comm.Send([m, MPI.DOUBLE], dest, 100 + dest);
} else {
  const info = new MPI.Status();
  await comm.Probe(MPI.ANY_SOURCE, MPI.ANY_TAG, info);
  const n = info.Get_elements(MPI.DOUBLE);
  const source = info.Get_source();
  const tag = info.Get_tag();
  const x = new Float64Array(n);
  await comm.Recv([x, MPI.DOUBLE], source, tag); // exactly the probed message
  console.log(`rank ${rank}: probed ${n} doubles from rank ${source} with tag ${tag}: ${formatArray(x)}`);
}
