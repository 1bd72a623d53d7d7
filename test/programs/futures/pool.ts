// The futures executor on spawned workers: prints one `name => value` line per
// check, which test/futures.test.ts (shm) and test/mpi/futures.test.ts compare.
// Run: npx mpi4ts -n 1 test/programs/futures/pool.ts
import { ALL_COMPLETED, CancelledError, FIRST_COMPLETED, Future, MPIPoolExecutor, TimeoutError, as_completed, wait } from 'mpi4ts/futures';

const module = new URL('./tasks.ts', import.meta.url);
type Tasks = typeof import('./tasks.ts');

function show(name: string, value: unknown): void {
  console.log(`${name} => ${JSON.stringify(value)}`);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function failure(promise: PromiseLike<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    const e = error as Error;
    return `${e.name}: ${e.message}`;
  }
}

const pool = new MPIPoolExecutor<Tasks>({ module, maxWorkers: 2, initializer: 'init', initargs: ['hello '] });
show('numWorkers before bootup', pool.numWorkers);
await pool.bootup();
show('numWorkers', pool.numWorkers);

// submit: results, async tasks, the initializer's effect.
show('submit', [await pool.submit('square', 7), await pool.submit('add', 2, 3), await pool.submit('fib', 20)]);
show('async task', await pool.submit('later', 'abc', 5));
show('initializer', await pool.submit('greet', 'world'));

// map and starmap: order kept, with any chunksize; unordered gives the same set.
const inputs = Array.from({ length: 1000 }, (_, i) => i);
const squares = inputs.map((x) => x * x);
for (const chunksize of [1, 7, 100, 5000]) {
  show(`map chunksize ${chunksize} in order`, JSON.stringify(await collect(pool.map('square', inputs, { chunksize }))) === JSON.stringify(squares));
}
show('starmap', await collect(pool.starmap('add', [[1, 2], [3, 4], [5, 6]])));
show('starmap chunksize 2', await collect(pool.starmap('add', [[1, 2], [3, 4], [5, 6]], { chunksize: 2 })));
const slowFirst = await collect(pool.starmap('slow', [[0, 300], [1, 0], [2, 0], [3, 0]], { unordered: true }));
show('unordered: a fast task comes first', slowFirst[0] !== 0);
show('unordered: every result', [...slowFirst].sort());
show('map of nothing', await collect(pool.map('square', [])));

// Errors: the class name, the message and the worker's stack survive.
const odd = pool.submit('failOdd', 3);
const oddError = await odd.exception() as Error;
show('error class and message', `${oddError.name}: ${oddError.message}`);
show('error stack from the worker', /failOdd .*tasks\.ts/.test(oddError.stack ?? '') && /on worker \d \(spawned rank \d\)/.test(oddError.stack ?? ''));
show('standard error class', await failure(pool.submit('failType')));
show('TypeError instance', (await pool.submit('failType').exception()) instanceof TypeError);
const coded = await pool.submit('failCode').exception() as Error & { code?: string; errno?: number; path?: string };
show('error properties', [coded.message, coded.code, coded.errno, coded.path, coded.cause]);
const stringly = await pool.submit('failString').exception() as Error;
show('thrown non-Error', [stringly.message, stringly.cause]);
show('error in a map', await failure(collect(pool.map('failOdd', [0, 2, 4, 5, 6]))));
show('error in a chunk', await failure(collect(pool.map('failOdd', [0, 2, 4, 5, 6], { chunksize: 2 }))));
show('unsendable result', await failure(pool.submit('unsendable')));
show('unknown task', await failure(pool.submit('nope' as 'square', 1)));
show('pool still works', await pool.submit('square', 12));
// Tasks of several exports and ways of calling in one turn (one batch where they fit): failures, a result
// that cannot travel and an argument that cannot travel in among them leave the others' results in place.
const mixed = await Promise.allSettled([
  pool.submit('square', 7), pool.submit('add', 2, 3), pool.submit('failOdd', 3), pool.submit('square', 8),
  pool.submit('unsendable'), pool.submit('greet', 'x'), pool.submit('square', (() => 2) as unknown as number),
  pool.submit('failType'), pool.submit('add', 4, 5), pool.submit('square', 9),
]);
show('mixed batch', mixed.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).name)));

// Future: done, callbacks, result with a timeout, wait, as_completed.
// Where the order of completion is checked, the slow task sleeps this long: a margin that a loaded CI machine keeps.
const ORDER_MARGIN_MS = 1500;
const f = pool.submit('slow', 5, 200);
let called = 0;
f.add_done_callback(() => { called++; });
show('done while running', f.done());
show('result timeout', await failure(f.result(0.01)));
show('result after', await f.result(10));
show('done after, callback called', [f.done(), called]);
const fs = [pool.submit('slow', 1, ORDER_MARGIN_MS), pool.submit('slow', 2, 0)];
const first = await wait(fs, { returnWhen: FIRST_COMPLETED });
show('wait FIRST_COMPLETED', [first.done.size >= 1, first.done.has(fs[1]!)]);
const all = await wait(fs, { returnWhen: ALL_COMPLETED });
show('wait ALL_COMPLETED', [all.done.size, all.not_done.size]);
const order: number[] = [];
let doneFutures = true;
for await (const future of as_completed([pool.submit('slow', 1, ORDER_MARGIN_MS), pool.submit('slow', 2, 0)])) {
  doneFutures &&= future instanceof Future && future.done();
  order.push(await future.result());
}
show('as_completed', order);
show('as_completed yields done Futures', doneFutures);
// A failed task comes as a Future too: the loop goes on, and its error is the Future's.
const outcomes: string[] = [];
for await (const future of as_completed([pool.submit('failType'), pool.submit('slow', 3, ORDER_MARGIN_MS)])) {
  const error = await future.exception();
  outcomes.push(error === undefined ? String(await future.result()) : String(error));
}
show('as_completed error', outcomes);

// Throughput sanity: many small tasks through Promise.all.
const many = await Promise.all(Array.from({ length: 20000 }, (_, i) => pool.submit('square', i)));
show('20000 submits', many.every((y, i) => y === i * i));
// Tasks of an export not measured yet, after those tiny ones: two per worker in flight, not a share of the queue
// each (a map of long tasks stays balanced, and a worker left without work can take the next one); once
// measured as long, three per worker at most.
const spins = Array.from({ length: 40 }, (_, i) => pool.submit('spin', i, 20));
let mostInFlight = 0;
for (const s of spins) s.add_done_callback(() => { mostInFlight = Math.max(mostInFlight, spins.filter((t) => t.running()).length); });
await new Promise((resolve) => setImmediate(resolve));
const firstInFlight = spins.filter((t) => t.running()).length;
// On a loaded machine a spin may finish before this look: the export is then measured as long, three per worker.
const firstMeasured = spins.some((t) => t.done());
mostInFlight = Math.max(mostInFlight, firstInFlight);
show('long tasks after tiny ones', [(await Promise.all(spins)).every((y, i) => y === i), firstInFlight, firstMeasured,
  mostInFlight <= 6]);
// Timeouts leave their tasks running for 300 ms: after the look above, which needs both workers idle (a
// worker still holding two of them would take no spin task at first).
show('as_completed timeout', await failure(collect(as_completed([pool.submit('slow', 1, 300)], 0.05))));
show('map timeout', await failure(collect(pool.starmap('slow', [[1, 300], [2, 300]], { timeout: 0.05 }))));

// Shutdown with pending work: submitted tasks finish; cancelFutures cancels the queued ones.
const pending = Array.from({ length: 6 }, (_, i) => pool.submit('slow', i, 50));
await pool.shutdown();
show('shutdown waits for pending', await Promise.all(pending));
show('submit after shutdown', await failure(Promise.resolve().then(() => pool.submit('square', 1))));

const second = await new MPIPoolExecutor<Tasks>({ module, maxWorkers: 1 }).bootup();
// Cancel: a task no worker has yet can be cancelled, a running one cannot. After one slow task
// the pool knows tasks are slow and keeps only two in flight on its one worker.
await second.submit('slow', 0, 100);
const blockers = [second.submit('slow', 0, 200), second.submit('slow', 0, 200)];
const queued = second.submit('square', 3);
await new Promise((resolve) => setTimeout(resolve, 50));
show('cancel queued', [queued.cancel(), queued.cancelled(), queued.done()]);
show('cancelled result', await failure(queued));
show('cancel running', [blockers[0]!.running(), blockers[0]!.cancel()]);
show('CancelledError class', (await queued.exception().catch((e: unknown) => e)) instanceof CancelledError);
show('TimeoutError class', (await failure(second.submit('slow', 0, 100).result(0.01))).startsWith('TimeoutError') &&
  new TimeoutError('x') instanceof Error);
await Promise.all(blockers);
// Shutdown with cancelFutures: the tasks a worker has finish, the queued ones are cancelled.
const running = second.submit('slow', 1, 200);
const rest = Array.from({ length: 5 }, (_, i) => second.submit('slow', i, 200));
await new Promise((resolve) => setTimeout(resolve, 100));
await second.shutdown({ cancelFutures: true });
show('cancelFutures: running one finishes', await running);
show('cancelFutures: queued ones cancelled', rest.filter((r) => r.cancelled()).length);

{
  await using third = new MPIPoolExecutor<Tasks>({ module, maxWorkers: 1 });
  show('await using', await third.submit('square', 9));
}
show('end', 'ok');
