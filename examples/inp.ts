// Allgatherv with explicit counts and displacements: each rank contributes a
// row of 8 int32 and every rank gets the (size x 8) matrix. Then the same
// with MPI.IN_PLACE: each rank writes its row straight into the matrix and
// the collective fills in the others, with no separate send buffer.
// Run: npx mpi4ts -n 4 examples/inp.ts
import { MPI } from 'mpi4ts';
import { formatMatrix } from './lib/format.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const ncols = 8;

const x = new Int32Array(ncols).fill(rank);
const counts = Array.from({ length: size }, () => ncols);
const displs = Array.from({ length: size }, (_, i) => ncols * i);

let y = new Int32Array(size * ncols);
await comm.Allgatherv([x, ncols, MPI.INT], [y, [counts, displs], MPI.INT]);
if (rank === 0) console.log(formatMatrix(y, size, ncols));

y = new Int32Array(size * ncols);
y.set(x, rank * ncols); // my row, in place
await comm.Allgatherv(MPI.IN_PLACE, [y, [counts, displs], MPI.INT]);
if (rank === 0) console.log(formatMatrix(y, size, ncols));
