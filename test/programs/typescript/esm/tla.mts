// An .mts with top-level await, loaded as an ES module wherever it is.
import { MPI } from 'mpi4ts';

const value: number = await new Promise<number>((resolve) => setTimeout(() => resolve(42), 10));
const sum = await MPI.COMM_WORLD.allreduce(value);
console.log(`tla rank ${MPI.COMM_WORLD.rank}: ${sum}`);
