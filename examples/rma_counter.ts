// A work-stealing task farm on a shared counter: task i costs i % 7 + 1 units
// of work, and every rank takes the next task number from a counter at rank 0
// with Win.Fetch_and_op, so fast ranks simply take more tasks. No rank hands
// out work: the counter is the only shared state. Rank 0 prints how many tasks
// each rank ran and checks the sum of the results.
// Run: npx mpi4ts -n 4 examples/rma_counter.ts [tasks]
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const tasks = Number(process.argv[2] ?? 1000);

/** The work of task i: a sum whose length depends on i. */
function work(i: number): number {
  let s = 0;
  for (let k = 0; k < (i % 7 + 1) * 1000; k++) s += (k % 10) * i;
  return s % 1_000_003;
}

// The counter: one 64-bit integer at rank 0 (the other ranks expose nothing).
const win = await MPI.Win.Allocate(rank === 0 ? 8 : 0, 8, null, comm);
const one = BigInt64Array.of(1n);
const next = new BigInt64Array(1);
let done = 0;
let total = 0;
await win.Lock_all();
for (;;) {
  win.Fetch_and_op(one, next, 0, 0, MPI.SUM);
  await win.Flush(0);
  const task = Number(next[0]);
  if (task >= tasks) break;
  total += work(task);
  done++;
}
await win.Unlock_all();
await win.Free();

const counts = await comm.gather(done, 0);
const sum = await comm.reduce<number>(total, MPI.SUM, 0);
if (counts !== undefined) {
  let expected = 0;
  for (let i = 0; i < tasks; i++) expected += work(i);
  console.log(`${tasks} tasks on ${size} ranks: ${counts.map((c, r) => `rank ${r} ran ${c}`).join(', ')}`);
  console.log(`every task ran once: ${counts.reduce((a, b) => a + b, 0) === tasks && sum === expected}`);
}
