// Computing pi by numerical integration: pi is the integral of 4 / (1 + x^2)
// over [0, 1]. Each rank adds up every size-th interval of the midpoint
// rule, and a reduce with MPI.SUM adds the ranks' shares on rank 0.
// Run: npx mpi4ts -n 4 examples/pi.ts [intervals]
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

// The root decides the number of intervals and tells everybody.
const n = (await comm.bcast(rank === 0 ? Number(process.argv[2] ?? 1_000_000) : null, 0)) as number;
const h = 1 / n;
let sum = 0;
for (let i = rank; i < n; i += size) {
  const x = h * (i + 0.5);
  sum += 4 / (1 + x * x);
}
const pi = await comm.reduce<number>(h * sum, MPI.SUM, 0); // undefined off the root
if (pi !== undefined) {
  console.log(`pi is approximately ${pi.toPrecision(16)}, error ${Math.abs(pi - Math.PI).toExponential(2)}`);
}
