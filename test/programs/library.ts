// Prints which MPI library runs this rank.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
console.log(`library ${comm.rank} of ${comm.size}: ${MPI.Get_library_version().split('\n')[0]}`);
