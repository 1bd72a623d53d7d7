// Load balancing with a task farm: the master (rank 0) hands out Task
// objects, collects Result objects from whichever worker answers first
// (MPI.ANY_SOURCE, read the sender off the Status) and gives that worker the
// next task, so fast workers do more. A poison pill (null) ends each worker.
// Run twice: sqrt over 0..9, then a sum of two argument streams (0, 1, 2, ...
// and seeded random numbers) plus fixed extra arguments 30 and 70.
// Run: npx mpi4ts -n 4 examples/lb.ts [seed]
import { MPI, type Comm } from 'mpi4ts';
import { Random } from './lib/random.js';

class Task {
  static readonly tag = 100;
  constructor(readonly id: number, readonly args: number[]) {}
}

class Result {
  static readonly tag = 101;
  constructor(readonly id: number, readonly value: number) {}
}

// Registered classes arrive as instances of the class, not plain objects.
MPI.registerClass(Task);
MPI.registerClass(Result);

/** Python's zip: tuples of the i-th items, as long as the shortest stream. */
function* zip(...streams: Iterable<number>[]): Generator<number[]> {
  const iterators = streams.map((s) => s[Symbol.iterator]());
  for (;;) {
    const items = iterators.map((it) => it.next());
    if (items.some((item) => item.done === true)) return;
    yield items.map((item) => item.value as number);
  }
}

/** Hands out the tasks (one per tuple of the streams) and returns the results in task order. */
async function masterloop(comm: Comm, ...streams: Iterable<number>[]): Promise<number[]> {
  const tasks = zip(...streams); // read lazily: the number of tasks is known only at the end
  const results = new Map<number, number>();
  let nextTask = 0;
  let busy = 0;

  const sendNext = async (worker: number): Promise<void> => {
    const item = tasks.next();
    if (item.done === true) return;
    await comm.send(new Task(nextTask++, item.value), worker, Task.tag);
    busy++;
  };

  for (let worker = 0; worker < comm.size; worker++) {
    if (worker !== comm.rank) await sendNext(worker);
  }
  const status = new MPI.Status();
  while (busy > 0) {
    const result = await comm.recv<Result>(MPI.ANY_SOURCE, Result.tag, status);
    busy--;
    results.set(result.id, result.value);
    await sendNext(status.Get_source()); // the worker that just finished gets the next task
  }

  for (let worker = 0; worker < comm.size; worker++) {
    if (worker !== comm.rank) await comm.send(null, worker, Task.tag); // poison pill
  }
  return Array.from({ length: results.size }, (_, id) => results.get(id)!);
}

/** Runs tasks until the poison pill: `taskfun(...task.args, ...extra)`, answered to the master. */
async function workerloop(comm: Comm, taskfun: (...args: number[]) => number, ...extra: number[]): Promise<void> {
  const status = new MPI.Status();
  for (;;) {
    const task = await comm.recv<Task | null>(MPI.ANY_SOURCE, Task.tag, status);
    if (task === null) return;
    if (!(task instanceof Task)) throw new Error('expected a Task');
    await comm.send(new Result(task.id, taskfun(...task.args, ...extra)), status.Get_source(), Result.tag);
  }
}

function* count(): Generator<number> {
  for (let i = 0; ; i++) yield i;
}

function* rand(random: Random, n: number, lower: number, upper: number): Generator<number> {
  for (let i = 0; i < n; i++) yield random.randint(lower, upper);
}

const comm = MPI.COMM_WORLD;
if (comm.size < 2) throw new Error('lb needs at least 2 ranks: a master and a worker');
const seed = Number(process.argv[2] ?? 1);

// A simple example.
if (comm.rank === 0) {
  const results = await masterloop(comm, Array.from({ length: 10 }, (_, i) => i));
  console.log(`sqrt: ${JSON.stringify(results)}`);
} else {
  await workerloop(comm, Math.sqrt);
}

// A slightly less simple one: two streams of arguments, one of them endless.
if (comm.rank === 0) {
  const results = await masterloop(comm, count(), rand(new Random(seed), 10, 0, 9));
  console.log(`add: ${JSON.stringify(results)}`);
} else {
  const add = (...x: number[]): number => x.reduce((a, b) => a + b, 0);
  await workerloop(comm, add, 30, 70);
}
