// Sharing out the rows of a matrix when they do not divide evenly: a 6x7
// int32 matrix is cut into nearly equal blocks of rows, one per rank; each
// rank fills its block with its rank, and Allgatherv with MPI.IN_PLACE gives
// every rank the whole matrix. The counts and displacements come from the split.
// Run: npx mpi4ts -n 4 examples/inplace.ts
import { MPI } from 'mpi4ts';
import { formatMatrix } from './lib/format.js';

interface Slice {
  start: number;
  stop: number;
}

/** Splits [0, n) into `chunks` contiguous slices whose lengths differ by at most one, longer ones first. */
function islice(n: number, chunks: number): Slice[] {
  const slices: Slice[] = [];
  let start = 0;
  for (let left = chunks; left > 0; left--) {
    const length = Math.ceil(n / left);
    slices.push({ start, stop: start + length });
    start += length;
    n -= length;
  }
  return slices;
}

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const nrows = 6;
const ncols = 7;
const x = new Int32Array(nrows * ncols);

const slices = islice(nrows, size);
const counts = slices.map((s) => ncols * (s.stop - s.start));
const displs = slices.map((s) => ncols * s.start);
x.fill(rank, slices[rank].start * ncols, slices[rank].stop * ncols);

await comm.Allgatherv(MPI.IN_PLACE, [x, [counts, displs], MPI.INT]);
if (rank === 0) {
  console.log(`slices: ${slices.map((s) => `${s.start}:${s.stop}`).join(' ')}`);
  console.log(`counts: ${JSON.stringify(counts)}`);
  console.log(`displs: ${JSON.stringify(displs)}`);
  console.log(formatMatrix(x, nrows, ncols));
}
