// Collectives: every rank of the communicator makes the same call.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

const config = await comm.bcast(rank === 0 ? { steps: 10 } : null, 0);    // the root's value, everywhere
const squares = Array.from({ length: size }, (_, i) => i * i);
const mine = await comm.scatter(rank === 0 ? squares : null, 0);         // element `rank` of the root's list
const gathered = await comm.gather(mine, 0);                             // a list on the root, undefined elsewhere
const total = await comm.allreduce(mine, MPI.SUM);                       // the sum, everywhere

// The same reduction on buffers: element-wise, no serialization.
const sums = new Float64Array(2);
await comm.Allreduce(Float64Array.of(rank, 1), sums, MPI.SUM);

if (rank === 0) console.log(JSON.stringify({ config, gathered, total, sums: Array.from(sums) }));
