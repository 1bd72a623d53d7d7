// par_map on a pool: the same sqrt of 0..19 as examples/par_map.ts, but the
// executor splits the work into tasks and puts the results back in order,
// instead of each rank slicing the list itself.
// Run: npx mpi4ts -n 1 examples/par_map_futures.ts
import { MPIPoolExecutor } from 'mpi4ts/futures';

const x = Array.from({ length: 20 }, (_, i) => i);
const pool = new MPIPoolExecutor<{ sqrt: typeof Math.sqrt }>({
  module: new URL('./tasks/math.ts', import.meta.url), maxWorkers: 4 });

const inOrder: number[] = [];
for await (const y of pool.map('sqrt', x, { chunksize: 5 })) inOrder.push(y);
console.log(`map: ${JSON.stringify(inOrder)}`);

const futures = x.map((xi) => pool.submit('sqrt', xi));
console.log(`submit: ${JSON.stringify(await Promise.all(futures))}`);
await pool.shutdown();
