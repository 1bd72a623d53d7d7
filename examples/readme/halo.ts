// Halo exchange on a 2D Cartesian grid of ranks: each rank owns a block of a
// grid with a one-cell border, the halo, that Sendrecv fills with the edges
// of its four neighbours' blocks.
import { MPI } from 'mpi4ts';

const dims = MPI.Compute_dims(MPI.COMM_WORLD.size, 2);        // 4 ranks: [2, 2]
const cart = (await MPI.COMM_WORLD.Create_cart(dims, [false, false]))!;
const rows = 3;
const cols = 4;
const width = cols + 2;                                       // a row of the block and its halo
const u = new Float64Array((rows + 2) * width).fill(-1);      // -1: nothing received
for (let i = 1; i <= rows; i++) u.fill(cart.rank, i * width + 1, i * width + 1 + cols);

const [up, down] = cart.Shift(0, 1);                          // [source, dest]; MPI.PROC_NULL past an edge
const [left, right] = cart.Shift(1, 1);
// Rows are contiguous: send them and receive them in place.
const row = (i: number): Float64Array => u.subarray(i * width + 1, i * width + 1 + cols);
await cart.Sendrecv(row(rows), down, 0, row(0), up, 0);
await cart.Sendrecv(row(1), up, 0, row(rows + 1), down, 0);
// Columns are strided: pack them, send, unpack.
const column = (j: number): Float64Array => Float64Array.from({ length: rows }, (_, i) => u[(i + 1) * width + j]!);
const fromLeft = column(0);                                   // a receive from PROC_NULL leaves it as it was
const fromRight = column(cols + 1);
await cart.Sendrecv(column(cols), right, 0, fromLeft, left, 0);
await cart.Sendrecv(column(1), left, 0, fromRight, right, 0);
fromLeft.forEach((v, i) => { u[(i + 1) * width] = v; });
fromRight.forEach((v, i) => { u[(i + 1) * width + cols + 1] = v; });

const at = (i: number, j: number): number => u[i * width + j]!;
console.log(`rank ${cart.rank} at (${cart.coords.join(', ')}): up ${at(0, 1)}, down ${at(rows + 1, 1)}, ` +
  `left ${at(1, 0)}, right ${at(1, cols + 1)}`);
