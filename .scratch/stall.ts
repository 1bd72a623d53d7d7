import { MPI } from 'mpi4ts';
const comm = MPI.COMM_WORLD;
const n = Number(process.argv[2] ?? 131072), iters = Number(process.argv[3] ?? 110);
const send = MPI.alloc(Float64Array, n), recv = MPI.alloc(Float64Array, n);
send.fill(comm.rank + 1);
const times = new Float64Array(iters + 1);
for (let i = 0; i < iters; i++) {
  times[i] = performance.now();
  await comm.Allreduce(send, recv, MPI.SUM);
}
times[iters] = performance.now();
const slow: string[] = [];
for (let i = 0; i < iters; i++) { const d = times[i + 1]! - times[i]!; if (d > 1) slow.push(`${i}:${d.toFixed(1)}ms`); }
console.log(`rank ${comm.rank} slow: ${slow.join(' ')} total ${(times[iters]! - times[0]!).toFixed(1)}ms`);
