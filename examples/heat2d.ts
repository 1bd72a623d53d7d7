// A real application: the 2D heat equation solved by Jacobi iteration on a
// grid split over a 2D Cartesian communicator. Each rank owns a block of the
// grid plus a one-cell halo; every iteration it swaps edge rows and columns
// with its four neighbours through Sendrecv, then updates its block. Edge
// ranks have MPI.PROC_NULL neighbours, so they need no special cases. The
// blocks are gathered on rank 0, which prints the time and a checksum, and
// with --check compares against the sequential solver (the same kernel, so
// the difference is exactly 0).
// Run: npx mpi4ts -n 4 examples/heat2d.ts [n] [m] [iterations] [--check]
import { MPI } from 'mpi4ts';

/** Fixed temperature on the edge of the global n x m grid: hot top, warm left, cold right and bottom. */
function boundary(i: number, j: number): number {
  if (i === 0) return 1;
  return j === 0 ? 0.5 : 0;
}

/**
 * One Jacobi sweep over rows [rowLo, rowHi) and columns [colLo, colHi) of a
 * row-major grid `width` wide: each point becomes the mean of its four
 * neighbours. Both solvers call this, so they do the same arithmetic.
 */
function sweep(u: Float64Array, next: Float64Array, width: number,
  rowLo: number, rowHi: number, colLo: number, colHi: number): void {
  for (let i = rowLo; i < rowHi; i++) {
    const row = i * width;
    for (let j = colLo; j < colHi; j++) {
      const k = row + j;
      next[k] = (u[k - width]! + u[k + width]! + u[k - 1]! + u[k + 1]!) / 4;
    }
  }
}

/** The whole grid on one process: the reference answer. */
function solveSequential(n: number, m: number, iterations: number): Float64Array {
  let u = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) if (i === 0 || i === n - 1 || j === 0 || j === m - 1) u[i * m + j] = boundary(i, j);
  }
  let next = u.slice(); // boundary values in both: a sweep never writes them
  for (let it = 0; it < iterations; it++) {
    sweep(u, next, m, 1, n - 1, 1, m - 1);
    [u, next] = [next, u];
  }
  return u;
}

/** Start of block k when n points are split into `parts` blocks whose sizes differ by at most one. */
const blockStart = (n: number, parts: number, k: number): number => Math.floor((k * n) / parts);

const args = process.argv.slice(2);
const check = args.includes('--check');
const [n = 512, m = 512, iterations = 200] = args.filter((a) => !a.startsWith('--')).map(Number);

const world = MPI.COMM_WORLD;
const dims = MPI.Compute_dims(world.size, 2);
if (n < Math.max(3, dims[0]!) || m < Math.max(3, dims[1]!)) {
  throw new Error(`a ${n}x${m} grid is too small for a ${dims.join('x')} process grid`);
}
const cart = (await world.Create_cart(dims, [false, false]))!; // every rank is in the grid
const [py, px] = cart.coords;

// This rank's block: global rows [row0, row0 + rows), columns [col0, col0 + cols).
const row0 = blockStart(n, dims[0]!, py!);
const col0 = blockStart(m, dims[1]!, px!);
const rows = blockStart(n, dims[0]!, py! + 1) - row0;
const cols = blockStart(m, dims[1]!, px! + 1) - col0;

// Stored with a one-cell halo: local (i, j) is global (row0 + i - 1, col0 + j - 1).
const width = cols + 2;
let u = new Float64Array((rows + 2) * width);
for (let i = 1; i <= rows; i++) {
  for (let j = 1; j <= cols; j++) {
    const gi = row0 + i - 1;
    const gj = col0 + j - 1;
    if (gi === 0 || gi === n - 1 || gj === 0 || gj === m - 1) u[i * width + j] = boundary(gi, gj);
  }
}
let next = u.slice();

// Local rows and columns to update: those not on the global boundary.
const rowLo = row0 === 0 ? 2 : 1;
const rowHi = row0 + rows === n ? rows : rows + 1;
const colLo = col0 === 0 ? 2 : 1;
const colHi = col0 + cols === m ? cols : cols + 1;

// Shift gives [source, dest]: up/down along dimension 0, left/right along 1.
const [up, down] = cart.Shift(0, 1);
const [left, right] = cart.Shift(1, 1);
const sendColumn = new Float64Array(rows);
const recvColumn = new Float64Array(rows);
const row = (grid: Float64Array, i: number): Float64Array => grid.subarray(i * width + 1, i * width + 1 + cols);

/** Fills the halo of `grid` from the neighbours' edges. A PROC_NULL receive leaves its buffer as it was. */
async function exchangeHalo(grid: Float64Array): Promise<void> {
  // Rows are contiguous: send them in place, receive straight into the halo rows.
  await cart.Sendrecv(row(grid, rows), down, 0, row(grid, 0), up, 0);
  await cart.Sendrecv(row(grid, 1), up, 1, row(grid, rows + 1), down, 1);
  // Columns are strided: pack into a contiguous buffer, send, unpack.
  for (let i = 0; i < rows; i++) sendColumn[i] = grid[(i + 1) * width + cols]!;
  await cart.Sendrecv(sendColumn, right, 2, recvColumn, left, 2);
  if (left !== MPI.PROC_NULL) for (let i = 0; i < rows; i++) grid[(i + 1) * width] = recvColumn[i]!;
  for (let i = 0; i < rows; i++) sendColumn[i] = grid[(i + 1) * width + 1]!;
  await cart.Sendrecv(sendColumn, left, 3, recvColumn, right, 3);
  if (right !== MPI.PROC_NULL) for (let i = 0; i < rows; i++) grid[(i + 1) * width + cols + 1] = recvColumn[i]!;
}

await cart.Barrier(); // start the clock together
const start = MPI.Wtime();
for (let it = 0; it < iterations; it++) {
  await exchangeHalo(u);
  sweep(u, next, width, rowLo, rowHi, colLo, colHi);
  [u, next] = [next, u];
}
await cart.Barrier(); // stop it when the slowest rank is done
const elapsed = MPI.Wtime() - start;

// Gather the blocks, packed without their halos, in rank order on rank 0.
const block = new Float64Array(rows * cols);
for (let i = 0; i < rows; i++) block.set(row(u, i + 1), i * cols);
const extents = Array.from({ length: cart.size }, (_, r) => {
  const [cy, cx] = cart.Get_coords(r);
  return {
    row0: blockStart(n, dims[0]!, cy!), rows: blockStart(n, dims[0]!, cy! + 1) - blockStart(n, dims[0]!, cy!),
    col0: blockStart(m, dims[1]!, cx!), cols: blockStart(m, dims[1]!, cx! + 1) - blockStart(m, dims[1]!, cx!),
  };
});
const counts = extents.map((e) => e.rows * e.cols);
const displs = counts.map((_, r) => counts.slice(0, r).reduce((a, b) => a + b, 0));
const packed = cart.rank === 0 ? new Float64Array(n * m) : null;
await cart.Gatherv(block, packed === null ? null : [packed, [counts, displs], MPI.DOUBLE], 0);

if (packed !== null) {
  const grid = new Float64Array(n * m);
  extents.forEach((e, r) => {
    for (let i = 0; i < e.rows; i++) {
      const from = displs[r]! + i * e.cols;
      grid.set(packed.subarray(from, from + e.cols), (e.row0 + i) * m + e.col0);
    }
  });
  console.log(`heat2d: ${n}x${m}, ${iterations} iterations, ${cart.size} rank${cart.size === 1 ? '' : 's'} (${dims.join('x')} grid): ${elapsed.toFixed(3)} s`);
  console.log(`checksum = ${grid.reduce((a, b) => a + b, 0)}`);
  if (check) {
    const reference = solveSequential(n, m, iterations);
    let diff = 0;
    for (let k = 0; k < n * m; k++) diff = Math.max(diff, Math.abs(grid[k]! - reference[k]!));
    console.log(`max |parallel - sequential| = ${diff}`);
  }
}
