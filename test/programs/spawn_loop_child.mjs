// Started by test/programs/spawn_loop.ts and test/conformance/spawn.ts: takes a number from its
// parents' rank 0, answers with it plus its rank, disconnects, and checks that Get_parent is null then.
// Plain JavaScript, so that a thousand of them start quickly.
import { MPI } from 'mpi4ts';

const parent = MPI.Comm.Get_parent();
if (parent === null) throw new Error('a spawned rank has a parent');
const token = new Int32Array(1);
await parent.Bcast(token, 0);
await parent.gather(token[0] + MPI.COMM_WORLD.rank, 0);
await parent.Disconnect();
if (MPI.Comm.Get_parent() !== null) {
  console.error('spawn_loop_child: Get_parent() is not null after Disconnect');
  process.exit(3);
}
if (process.argv[2] === 'verbose') console.log(`spawned ${MPI.COMM_WORLD.rank} of ${MPI.COMM_WORLD.size}: parent null after Disconnect`);
