// The spawned side of master_spawn.ts: each worker finds its parent
// inter-communicator, receives the broadcast from the parent's rank 0, and
// disconnects. Started by master_spawn, not by hand.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const parent = MPI.Comm.Get_parent();
if (parent === null) throw new Error('worker_spawn.ts is started by master_spawn.ts: npx mpi4ts -n 1 examples/master_spawn.ts');

const test = new BigInt64Array(3);
console.log(`Bcast coming to rank ${comm.rank}`);
await parent.Bcast([test, MPI.typedict.BigInt64Array], 0);
console.log(`Received [${test.join(', ')}] on rank ${comm.rank}`);
await parent.Disconnect();
