// Prints what a rank sees of its command line and environment.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
console.log(JSON.stringify({ rank: comm.rank, size: comm.size, argv: process.argv.slice(2), script: process.argv[1] }));
process.stdout.write(`partial line from ${comm.rank}`);
process.stdout.write(' completed\n');
