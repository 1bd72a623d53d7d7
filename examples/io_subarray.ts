// Parallel I/O with a subarray view: a 2D field of ny x nx doubles is cut into
// blocks over a grid of ranks; each rank sees only its block of the file
// (MPI.DOUBLE.Create_subarray as the filetype of its view) and all write at
// once with Write_all. The file is then the global field in row order: rank 0
// reads it whole and checks every value.
// Run: npx mpi4ts -n 4 examples/io_subarray.ts
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const [py = 1, px = 1] = MPI.Compute_dims(size, 2);      // a py x px grid of ranks
const [ly, lx] = [3, 4];                                  // each rank's block
const [ny, nx] = [py * ly, px * lx];                      // the global field
const [cy, cx] = [Math.floor(rank / px), rank % px];      // this rank's place in the grid

// This rank's block of the field: value(i, j) = i * nx + j at global row i, column j.
const block = Float64Array.from({ length: ly * lx }, (_, k) => (cy * ly + Math.floor(k / lx)) * nx + cx * lx + (k % lx));

// Rank 0 names the file; MODE_DELETE_ON_CLOSE removes it at Close.
const name = await comm.bcast(rank === 0 ? join(tmpdir(), `mpi4ts-field-${process.pid}-${Date.now()}.bin`) : '', 0);
const file = await MPI.File.Open(comm, name, MPI.MODE_CREATE | MPI.MODE_RDWR | MPI.MODE_DELETE_ON_CLOSE);
const view = MPI.DOUBLE.Create_subarray([ny, nx], [ly, lx], [cy * ly, cx * lx]).Commit();
await file.Set_view(0, MPI.DOUBLE, view);
await file.Write_all(block);

// Back to a plain view of doubles: rank 0 reads the whole field.
await file.Set_view(0, MPI.DOUBLE);
if (rank === 0) {
  const field = new Float64Array(ny * nx);
  const status = new MPI.Status();
  await file.Read_at(0, field, status);
  const ok = field.every((value, k) => value === k);
  console.log(`rank 0: read ${status.Get_count(MPI.DOUBLE)} doubles of a ${ny} x ${nx} field written by ${size} ranks ` +
    `in ${py} x ${px} blocks of ${ly} x ${lx}: ${ok ? 'the global array in row order' : 'WRONG'}`);
}
view.Free();
await file.Close();
