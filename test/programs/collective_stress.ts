// Thousands of alternating Barrier, Bcast and Allreduce calls with random delays: no false collective mismatch.
// argv: iterations (default 2000), seed. Prints "collective_stress ok <rank> <checks>".
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const iterations = Number(process.argv[2] ?? 2000);
let seed = (Number(process.argv[3] ?? 1) * 7919 + rank * 104729) >>> 0;
const random = (): number => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let checks = 0;
const small = new Int32Array(4);
const sum = new Int32Array(1);
for (let i = 0; i < iterations; i++) {
  const r = random();
  // Random delays: none most of the time, a macrotask, or a short timer.
  if (r < 0.05) await sleep(1);
  else if (r < 0.25) await immediate();
  switch (i % 3) {
    case 0:
      await comm.Barrier();
      break;
    case 1: {
      const root = i % size;
      if (rank === root) small.fill(i);
      else small.fill(-1);
      await comm.Bcast(small, root);
      if (small[3] !== i) throw new Error(`rank ${rank}: Bcast ${i} from ${root} gave ${small[3]}`);
      checks++;
      break;
    }
    default:
      await comm.Allreduce(Int32Array.of(i + rank), sum, MPI.SUM);
      if (sum[0] !== size * i + (size * (size - 1)) / 2) throw new Error(`rank ${rank}: Allreduce ${i} gave ${sum[0]}`);
      checks++;
  }
}
console.log(`collective_stress ok ${rank} ${checks}`);
