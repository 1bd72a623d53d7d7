// The ring lesson with objects instead of buffers: a lower-case send of a
// large value is a large message too, and waits for its receive the same
// way. A short list goes round; the even/odd ordering moves a list of
// 1,000,000 numbers safely; the naive order with the large list then
// deadlocks, and the launcher reports it (exit status 3).
// Run: npx mpi4ts -n 4 examples/ring_hang.ts [n]
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const n = Number(process.argv[2] ?? 1_000_000);

const s = Array.from({ length: n }, (_, i) => i);
const src = (rank - 1 + size) % size;
const dst = (rank + 1) % size;

// This works because the data is small.
await comm.send(s.slice(0, 10), dst);
let m = (await comm.recv(src)) as number[];
console.log(`rank ${rank}: small list ${JSON.stringify(m)}`);

// This works because of the ordering.
if (rank % 2 === 0) {
  await comm.send(s, dst);
  m = (await comm.recv(src)) as number[];
} else {
  m = (await comm.recv(src)) as number[];
  await comm.send(s, dst);
}
console.log(`rank ${rank}: large list in even/odd order, ${m.length} items ${JSON.stringify(m.slice(0, 10))}`);

// This doesn't work because the data is large: every rank waits in send.
await comm.send(s, dst);
m = (await comm.recv(src)) as number[];
console.log(`rank ${rank}: large list in naive order ${JSON.stringify(m.slice(0, 10))}`);
