// The lesson of the slides: a ring shift where every rank first does a
// blocking Send to its right neighbour, then a Recv from its left one. A
// small message is sent eagerly (buffered), so the small shift works; a
// large one waits until its receive is posted, and every rank is waiting in
// Send: a deadlock. Under a real MPI it "correctly hangs"; here the launcher
// reports which rank waits for what and exits with status 3.
// Run: npx mpi4ts -n 4 examples/ring1.ts [n]    (ring2, ring3, ring4: three ways out)
import { MPI } from 'mpi4ts';
import { formatArray } from './lib/format.js';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = Number(process.argv[2] ?? 1_000_000);

const s = new Float64Array(n).fill(rank);
const r = new Float64Array(n);
const src = (rank - 1 + size) % size;
const dst = (rank + 1) % size;

// This works: 10 doubles fit under the eager limit.
await comm.Send(s.subarray(0, 10), dst);
await comm.Recv(r, src);
console.log(`rank ${rank}: small shift got ${formatArray(r.subarray(0, 10))}`);

// This deadlocks: 8 MB per Send, and nobody has posted a Recv yet.
await comm.Send(s, dst);
await comm.Recv(r, src);
console.log(`rank ${rank}: large shift got ${formatArray(r.subarray(0, 10))}`);
