// A task farm: rank 0 hands out tasks one at a time, and whichever worker
// answers first gets the next one, so the load balances itself.
import { MPI } from 'mpi4ts';

class Task {
  constructor(readonly id: number, readonly n: number) {}
  run(): number {
    return this.n * this.n;
  }
}
MPI.registerClass(Task); // on every rank: a Task arrives as a Task, with its methods

const comm = MPI.COMM_WORLD;
const TASK = 1;
const RESULT = 2;

if (comm.rank === 0) {
  const queue = Array.from({ length: 20 }, (_, i) => new Task(i, i));
  const results: number[] = [];
  const status = new MPI.Status();
  let busy = 0;
  for (let worker = 1; worker < comm.size && queue.length > 0; worker++, busy++) {
    await comm.send(queue.shift(), worker, TASK);
  }
  while (busy > 0) {
    const [id, value] = await comm.recv<[number, number]>(MPI.ANY_SOURCE, RESULT, status);
    results[id] = value;
    const next = queue.shift();
    if (next === undefined) busy--;
    else await comm.send(next, status.Get_source(), TASK); // to whoever just finished
  }
  for (let worker = 1; worker < comm.size; worker++) await comm.send(null, worker, TASK); // no more work
  console.log(JSON.stringify(results));
} else {
  for (;;) {
    const task = await comm.recv<Task | null>(0, TASK);
    if (task === null) break;
    await comm.send([task.id, task.run()], 0, RESULT);
  }
}
