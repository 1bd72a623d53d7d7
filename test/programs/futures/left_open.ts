// A pool the script never shuts down: when the script is over, the pool stops
// its workers, and the job ends cleanly.
import { MPIPoolExecutor } from 'mpi4ts/futures';

const pool = new MPIPoolExecutor<typeof import('./tasks.ts')>({ module: new URL('./tasks.ts', import.meta.url), maxWorkers: 2 });
console.log(`left open: ${await pool.submit('square', 5)}`);
