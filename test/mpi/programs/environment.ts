// Prints what the launcher passed to this rank through mpiexec.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
console.log(`env ${comm.rank} of ${comm.size}: timeout=${process.env.MPI4TS_DEADLOCK_TIMEOUT} extra=${process.env.MPI4TS_TEST_EXTRA}`);
