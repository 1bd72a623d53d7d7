// The two groups of an intercommunicator call mismatched collectives: the job
// must fail with an MPIError naming both calls, as on an intracommunicator.
// Run with 2 or more ranks: `intercomm_mismatch.ts <mode>`.
import { MPI } from 'mpi4ts';

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const mode = process.argv[2] ?? 'kind';
const color = rank < size / 2 ? 0 : 1;
const half = (await world.Split(color, rank))!;
const inter = await half.Create_intercomm(0, world, color === 0 ? Math.ceil(size / 2) : 0, 5);

switch (mode) {
  case 'kind': // another collective
    if (color === 0) await inter.Allgather(Int32Array.of(rank), new Int32Array(inter.remote_size));
    else await inter.Barrier();
    break;
  case 'op': // another op
    await inter.Allreduce(Float64Array.of(rank), new Float64Array(1), color === 0 ? MPI.SUM : MPI.MAX);
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}
console.log(`mismatch ${mode} not detected on rank ${rank}`);
