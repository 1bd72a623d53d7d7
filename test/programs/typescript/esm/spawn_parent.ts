// Spawns two ranks of a TypeScript child on shm and hears from them.
import { MPI } from 'mpi4ts';

const inter = await MPI.COMM_SELF.Spawn('test/programs/typescript/esm/spawn_child.ts', ['from parent'], 2);
const answers = await inter.gather(null, MPI.ROOT);
console.log(`parent got ${JSON.stringify(answers)}`);
await inter.Disconnect();
