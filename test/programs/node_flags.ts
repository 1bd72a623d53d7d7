// For --node-options: prints whether the flags reached this rank (gc from --expose-gc, a V8 flag;
// --no-warnings in execArgv, a Node flag).
import { MPI } from 'mpi4ts';

console.log(`rank ${MPI.COMM_WORLD.rank}: gc ${typeof (globalThis as { gc?: unknown }).gc}, no-warnings ${process.execArgv.includes('--no-warnings')}`);
