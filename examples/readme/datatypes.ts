// Derived datatypes: describe where the data lies, and send it as one message.
import { MPI } from 'mpi4ts';
import { fromTypedArray } from 'mpi4ts/util/dtlib';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = 4;
const a = Float64Array.from({ length: n * n }, (_, k) => k);   // a row-major n x n matrix

// Column j of the matrix: n blocks of 1 double, n doubles apart, from element j.
const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit();
// Rank r sends its column r; the root takes each as n plain doubles (the type signatures match).
const rows = rank === 0 ? new Float64Array(size * n) : null;
await comm.Gather([a.subarray(rank % n), 1, column], rows, 0);

// The 2 x 2 block at (1, 1), received into the 2 x 2 block at (0, 0) of the next rank's matrix.
const middle = MPI.DOUBLE.Create_subarray([n, n], [2, 2], [1, 1]).Commit();
const corner = MPI.DOUBLE.Create_subarray([n, n], [2, 2], [0, 0]).Commit();
const b = new Float64Array(n * n);
await comm.Sendrecv([a, 1, middle], (rank + 1) % size, 0, [b, 1, corner], (rank - 1 + size) % size, 0);

// Pack gives the bytes a message of the type carries.
const packed = new Uint8Array(column.Pack_size(1, comm));
column.Pack([a, 1], packed, 0, comm);

if (rows !== null) {
  console.log(JSON.stringify({ rows: Array.from(rows), corner: [b[0], b[1], b[4], b[5]],
    packed: Array.from(new Float64Array(packed.buffer)), extent: column.extent, type: fromTypedArray(a).name }));
}
