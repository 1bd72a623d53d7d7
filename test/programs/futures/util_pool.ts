// mpi4ts/util/pool: multiprocessing.Pool's methods on the futures executor.
// Run: npx mpi4ts -n 1 test/programs/futures/util_pool.ts
import { Pool } from 'mpi4ts/util/pool';

type Tasks = typeof import('./tasks.ts');
const module = new URL('./tasks.ts', import.meta.url);

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

const pool = new Pool<Tasks>({ module, processes: 2, initializer: 'init', initargs: ['pool '] });
console.log(`apply: ${await pool.apply('add', [2, 3])}`);
console.log(`initializer: ${await pool.apply('greet', ['ranks'])}`);
let called: number | undefined;
const asyncResult = pool.apply_async('square', [9], (value) => { called = value; });
console.log(`apply_async: ${await asyncResult.get(10)} ready ${asyncResult.ready()} successful ${asyncResult.successful()} callback ${called}`);
let reported = '';
const failing = pool.apply_async('failOdd', [3], undefined, (error) => { reported = (error as Error).message; });
await failing.wait();
console.log(`apply_async error: successful ${failing.successful()} error_callback "${reported}"`);
console.log(`map: ${JSON.stringify(await pool.map('square', [1, 2, 3, 4, 5], 2))}`);
console.log(`starmap: ${JSON.stringify(await pool.starmap('add', [[1, 1], [2, 2], [3, 3]]))}`);
console.log(`imap: ${JSON.stringify(await collect(pool.imap('square', [6, 7, 8])))}`);
console.log(`imap_unordered: ${JSON.stringify((await collect(pool.imap_unordered('square', [6, 7, 8]))).sort((a, b) => a - b))}`);
pool.close();
try {
  pool.apply_async('square', [1]);
} catch (error) {
  console.log(`after close: ${(error as Error).message}`);
}
await pool.join();
console.log('joined');
