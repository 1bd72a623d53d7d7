// A pool of worker ranks: tasks are the exported functions of a module, named
// by export, and TypeScript checks their names, arguments and results.
import { MPIPoolExecutor } from 'mpi4ts/futures';

await using pool = new MPIPoolExecutor<typeof import('../tasks/fib.ts')>({
  module: new URL('../tasks/fib.ts', import.meta.url), maxWorkers: 2 });

const future = pool.submit('fib', 25);                 // a Future<number>, and a thenable
const squares: number[] = [];
for await (const y of pool.map('square', [1, 2, 3, 4], { chunksize: 2 })) squares.push(y);
console.log(`fib(25) = ${await future}, squares ${JSON.stringify(squares)}`);
