// `mpi4ts -n 3 -m futures world.ts`: rank 0 runs this script; ranks 1 and 2
// serve its pools, one after the other.
import { MPI } from 'mpi4ts';
import { MPIPoolExecutor } from 'mpi4ts/futures';

const module = new URL('./tasks.ts', import.meta.url);
type Tasks = typeof import('./tasks.ts');
console.log(`script on rank ${MPI.COMM_WORLD.rank} of ${MPI.COMM_WORLD.size}`);
{
  await using pool = new MPIPoolExecutor<Tasks>({ module });
  const results: number[] = [];
  for await (const y of pool.map('fib', [10, 11, 12, 13])) results.push(y);
  console.log(`first pool: ${pool.numWorkers} workers, ${JSON.stringify(results)}`);
}
const second = new MPIPoolExecutor<Tasks>({ module, initializer: 'init', initargs: ['again, '] });
console.log(`second pool: ${await second.submit('greet', 'world')}`);
// Left open on purpose: the end of the script shuts it down.
