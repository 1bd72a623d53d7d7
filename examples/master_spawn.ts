// Dynamic processes: a job of one rank starts 5 more ranks running
// worker_spawn.ts, and talks to them over the inter-communicator that Spawn
// returns. In a broadcast on an inter-communicator the sending side passes
// MPI.ROOT; the receiving side names the root's rank in the other group (0).
// Run: npx mpi4ts -n 1 examples/master_spawn.ts
import { fileURLToPath } from 'node:url';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const worker = fileURLToPath(new URL('./worker_spawn.ts', import.meta.url));

const intercomm = await MPI.COMM_SELF.Spawn(worker, [], 5);
const test = new BigInt64Array([1n, 2n, 3n]);
console.log(`About to broadcast [${test.join(', ')}] from rank ${comm.rank}`);
await intercomm.Bcast([test, MPI.typedict.BigInt64Array], MPI.ROOT);
await intercomm.Disconnect();
