// Dynamic processes: a job spawns children running spawn_child.ts, talks to
// them across the intercommunicator, merges with them, and disconnects.
import assert from 'node:assert/strict';
import { MPI } from 'mpi4ts';

const children = Number(process.argv[2] ?? 5);
const comm = MPI.COMM_WORLD;
assert.equal(MPI.Comm.Get_parent(), null);
const inter = await comm.Spawn('test/programs/spawn_child.ts', ['hello', 'from parent'], children);
assert.equal(inter.remote_size, children);
assert.equal(inter.size, comm.size);

const values = BigInt64Array.of(10n, 20n, 30n);
await inter.Bcast(values, comm.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
await inter.bcast({ task: 'square' }, comm.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
const answers = await inter.gather(undefined, comm.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
if (comm.rank === 0) {
  assert.deepEqual(answers, Array.from({ length: children }, (_, r) => ({ rank: r, sum: 60, args: ['hello', 'from parent'] })));
}
// point-to-point across, then one intracommunicator over everybody
if (comm.rank === 0) {
  for (let child = 0; child < children; child++) await inter.send(child * child, child, 7);
}
const merged = await inter.Merge(false);
assert.equal(merged.size, comm.size + children);
assert.equal(merged.rank, comm.rank);
assert.equal(await merged.allreduce(1), comm.size + children);
await inter.Disconnect();
console.log(`parent ${comm.rank} ok with ${children} children`);
