// The ring made safe by ordering: even ranks send then receive, odd ranks
// receive then send, so every Send meets a posted Recv. (With an odd number
// of ranks it still completes: the chain unwinds from the last rank.)
// Run: npx mpi4ts -n 4 examples/ring2.ts [n]
import { MPI } from 'mpi4ts';
import { formatArray } from './lib/format.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = Number(process.argv[2] ?? 1_000_000);

const s = new Float64Array(n).fill(rank);
const r = new Float64Array(n);
const src = (rank - 1 + size) % size;
const dst = (rank + 1) % size;

if (rank % 2 === 0) {
  await comm.Send(s, dst);
  await comm.Recv(r, src);
} else {
  await comm.Recv(r, src);
  await comm.Send(s, dst);
}
if (!r.every((v) => v === src)) throw new Error(`rank ${rank}: wrong data from rank ${src}`);
console.log(`rank ${rank}: got ${n} doubles from rank ${src}: ${formatArray(r.subarray(0, 10))}`);
