// A worker that dies fails the futures it held, naming the worker; the pool goes on with the other
// worker. How it dies: `exit` (default: its task calls process.exit(7)), `throw` (an uncaught error
// outside the task's call), `kill` (SIGKILL: mpi transport only, where each worker is a process).
// Run: npx mpi4ts -n 1 test/programs/futures/dead_worker.ts [exit|throw|kill]
import { MPIPoolExecutor } from 'mpi4ts/futures';

const pool = await new MPIPoolExecutor<typeof import('./tasks.ts')>({ module: new URL('./tasks.ts', import.meta.url), maxWorkers: 2 }).bootup();
await pool.submit('slow', 0, 50); // the pool learns that tasks are slow: three in flight per worker at most
const how = process.argv[2] ?? 'exit';
const doomed = how === 'throw' ? pool.submit('throwLater', 'boom') : how === 'kill' ? pool.submit('killSelf') : pool.submit('die', 7);
const others = Array.from({ length: 6 }, (_, i) => pool.submit('slow', i, 30));
try {
  await doomed;
  console.log('dead task: no error');
} catch (error) {
  console.log(`dead task: ${(error as Error).name}: ${(error as Error).message}`);
}
const settled = await Promise.allSettled(others);
console.log(`others: ${settled.filter((s) => s.status === 'fulfilled').length} fulfilled, ` +
  `${settled.filter((s) => s.status === 'rejected').length} rejected`);
console.log(`numWorkers after: ${pool.numWorkers}`);
console.log(`after: ${await pool.submit('square', 11)}`);
await pool.shutdown();
console.log('end');
