// Started with plain `node`, no launcher: a job of one rank.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
assert.equal(comm.size, 1);
assert.equal(comm.rank, 0);
const request = comm.irecv(0, 3);
await comm.send({ to: 'myself' }, 0, 3);
assert.deepEqual(await request.wait(), { to: 'myself' });
const big = new Float64Array(1 << 18).fill(2.5);
const into = new Float64Array(1 << 18);
const receive = comm.Irecv(into, 0, 4);
await comm.Send(big, 0, 4);
await receive.Wait();
assert.equal(into[12345], 2.5);
await comm.Barrier();
console.log('singleton ok');
