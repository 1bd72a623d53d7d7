// A worker whose initializer ends its process (mpi transport): the pool cannot start, and says which
// worker died and why before Open MPI ends the job.
// Run: mpiexec -n 1 node bin/mpi4ts.js test/programs/futures/dead_at_boot.ts
import { MPIPoolExecutor } from 'mpi4ts/futures';

const pool = new MPIPoolExecutor<typeof import('./tasks.ts')>({ module: new URL('./tasks.ts', import.meta.url), maxWorkers: 1,
  initializer: 'exitAtBoot', initargs: [5] });
try {
  await pool.bootup();
  console.log('bootup: no error');
} catch (error) {
  console.log(`bootup: ${(error as Error).name}: ${(error as Error).message}`);
}
