// Hello world: every rank says who it is.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
console.log(`Hello from rank ${comm.rank} of ${comm.size} on ${MPI.Get_processor_name()}`);
