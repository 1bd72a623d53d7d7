// The ring made safe with nonblocking calls: Isend and Irecv only start the
// transfers and return requests at once; Waitall then waits for both, so no
// rank sits in a Send while its own receive is not posted.
// Run: npx mpi4ts -n 4 examples/ring3.ts [n]
import { MPI } from 'mpi4ts';
import { formatArray } from './lib/format.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = Number(process.argv[2] ?? 1_000_000);

const s = new Float64Array(n).fill(rank);
const r = new Float64Array(n);
const src = (rank - 1 + size) % size;
const dst = (rank + 1) % size;

// Neither buffer may be touched until Waitall has resolved.
await MPI.Request.Waitall([comm.Isend(s, dst), comm.Irecv(r, src)]);
if (!r.every((v) => v === src)) throw new Error(`rank ${rank}: wrong data from rank ${src}`);
console.log(`rank ${rank}: got ${n} doubles from rank ${src}: ${formatArray(r.subarray(0, 10))}`);
