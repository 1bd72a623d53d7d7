// MPICommExecutor inside an SPMD program: the root gets the pool, the other
// ranks serve it and get null; afterwards the program goes on as SPMD.
// Run: npx mpi4ts -n 3 test/programs/futures/comm_executor.ts
import { MPI } from 'mpi4ts';
import { MPICommExecutor } from 'mpi4ts/futures';

const comm = MPI.COMM_WORLD;
const module = new URL('./tasks.ts', import.meta.url);
const pool = await MPICommExecutor<typeof import('./tasks.ts')>(comm, 0, { module });
if (pool !== null) {
  console.log(`root workers: ${pool.numWorkers}`);
  const squares: number[] = [];
  for await (const y of pool.map('square', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { chunksize: 3 })) squares.push(y);
  console.log(`root map: ${JSON.stringify(squares)}`);
  console.log(`root submit: ${await pool.submit('add', 40, 2)}`);
  try {
    await pool.submit('failOdd', 1);
  } catch (error) {
    console.log(`root error: ${(error as Error).name}: ${(error as Error).message}`);
  }
  await pool.shutdown();
} else {
  console.log(`rank ${comm.rank} served`);
}
// The same ranks carry on with ordinary collectives.
const total = await comm.allreduce(comm.rank + 1);
console.log(`rank ${comm.rank} total ${total}`);
