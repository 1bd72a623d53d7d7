// The ring made safe with Sendrecv: one call that sends and receives at
// once, so the library, not the program, orders the two.
// Run: npx mpi4ts -n 4 examples/ring4.ts [n]
import { MPI } from 'mpi4ts';
import { formatArray } from './lib/format.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = Number(process.argv[2] ?? 1_000_000);

const s = new Float64Array(n).fill(rank);
const r = new Float64Array(n);
const src = (rank - 1 + size) % size;
const dst = (rank + 1) % size;

await comm.Sendrecv(s, dst, 0, r, src, 0);
if (!r.every((v) => v === src)) throw new Error(`rank ${rank}: wrong data from rank ${src}`);
console.log(`rank ${rank}: got ${n} doubles from rank ${src}: ${formatArray(r.subarray(0, 10))}`);
