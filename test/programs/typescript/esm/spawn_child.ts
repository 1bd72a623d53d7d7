// Started by spawn_parent.ts: answers with its rank and an enum value from a .ts import.
import { MPI } from 'mpi4ts';
import { Colour } from './lib/y.js';

const parent = MPI.Comm.Get_parent();
if (parent === null) throw new Error('spawn_child.ts is started by Spawn');
await parent.gather(`child ${MPI.COMM_WORLD.rank} ${Colour.Blue} ${process.argv[2]}`, 0);
await parent.Disconnect();
