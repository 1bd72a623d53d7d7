// Sending a column of a matrix with a vector datatype: in a row-major n x n
// Float64Array the column j is n doubles, n apart, which
// MPI.DOUBLE.Create_vector(n, 1, n) describes. Rank 0 sends column 1 of its
// matrix to every other rank; rank r receives it into column r of a matrix of
// zeros (the same datatype on a view that starts at element r), and prints
// the matrix. The message is n doubles: a receiver could as well take it into
// a plain Float64Array(n).
// Run: npx mpi4ts -n 4 examples/column.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = 4;
const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();

if (rank === 0) {
  const a = Float64Array.from({ length: n * n }, (_, k) => k); // a[i * n + j] = i * n + j
  for (let dest = 1; dest < size; dest++) await comm.Send([a.subarray(1), 1, column], dest);
  console.log(`rank 0: sent column 1 (${column.size} bytes of data, extent ${column.extent}) to ${size - 1} ranks`);
} else {
  const b = new Float64Array(n * n);
  const status = new MPI.Status();
  await comm.Recv([b.subarray(rank % n), 1, column], 0, MPI.ANY_TAG, status);
  const rows = Array.from({ length: n }, (_, i) => Array.from(b.subarray(i * n, (i + 1) * n)).join(' '));
  console.log(`rank ${rank}: ${status.Get_elements(column)} doubles into column ${rank % n}: ${rows.join(' | ')}`);
}
column.Free();
