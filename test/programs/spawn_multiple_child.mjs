// Started by test/conformance/ports.ts through Spawn_multiple: tells its parents which program it runs
// (MPI.APPNUM), its rank among all the children, and its arguments, then disconnects.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const parent = MPI.Comm.Get_parent();
assert.ok(parent !== null, 'a spawned rank has a parent');
const comm = MPI.COMM_WORLD;
await parent.gather({ appnum: comm.Get_attr(MPI.APPNUM), rank: comm.rank, size: comm.size, args: process.argv.slice(2) }, 0);
await parent.Disconnect();
