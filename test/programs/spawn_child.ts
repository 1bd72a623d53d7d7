// Started by test/conformance/spawn.ts through Spawn: finds its parents and answers them.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const parent = MPI.Comm.Get_parent();
assert.ok(parent !== null, 'a spawned rank has a parent');
const comm = MPI.COMM_WORLD;
assert.equal(parent.size, comm.size);
const values = new BigInt64Array(3);
await parent.Bcast(values, 0);
assert.deepEqual(Array.from(values), [10n, 20n, 30n]);
assert.deepEqual(await parent.bcast(undefined, 0), { task: 'square' });
const sum = Number(values.reduce((a, b) => a + b, 0n));
await parent.gather({ rank: comm.rank, sum, args: process.argv.slice(2) }, 0);
assert.equal(await parent.recv(0, 7), comm.rank * comm.rank);
const merged = await parent.Merge(true);
assert.equal(merged.rank, parent.remote_size + comm.rank);
assert.equal(await merged.allreduce(1), merged.size);
merged.Free();
await parent.Disconnect();
console.log(`child ${comm.rank} of ${comm.size} ok`);
