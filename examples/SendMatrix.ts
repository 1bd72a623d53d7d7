// Sending part of a matrix, and receiving straight into part of another:
// a row of a row-major matrix is a subarray, a view that shares memory (like
// a NumPy slice), so no copy is needed on either side. Dice pick the sender
// (highest roll) and the receiver (lowest); on a tie everybody rolls again.
// Run: npx mpi4ts -n 4 examples/SendMatrix.ts [seed]
import { MPI } from 'mpi4ts';
import { formatMatrix } from './lib/format.js';
import { Random } from './lib/random.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
if (size < 2) throw new Error('SendMatrix needs at least 2 ranks');
const seed = Number(process.argv[2] ?? 1);
const random = Random.stream(seed, rank);
const N = 10;

let sender: number;
let receiver: number;
for (;;) {
  const dice = await comm.allgather(random.randint(1, 1000));
  sender = dice.indexOf(Math.max(...dice));
  receiver = dice.indexOf(Math.min(...dice));
  if (sender !== receiver) {
    if (rank === sender) console.log(`rank ${rank}: dice ${JSON.stringify(dice)}, I send row 2 to rank ${receiver}`);
    break;
  }
  if (rank === 0) console.log(`Trying again: ${JSON.stringify(dice)}`);
}

const row = (matrix: Float64Array, i: number): Float64Array => matrix.subarray(i * N, (i + 1) * N);
if (rank === sender) {
  const m = Float64Array.from({ length: N * N }, (_, i) => i);
  await comm.Send([row(m, 2), MPI.DOUBLE], receiver);
} else if (rank === receiver) {
  const x = new Float64Array(N * N);
  await comm.Recv([row(x, 2), MPI.DOUBLE]); // lands in row 2 of x
  console.log(formatMatrix(x, N, N));
}
