// For the V8 flags of the ranks (src/launcher/v8flags.ts): prints whether V8 compiles optimized
// code on a background thread in this rank. Needs --node-options --allow-natives-syntax.
import { MPI } from 'mpi4ts';

const concurrent = new Function('return %IsConcurrentRecompilationSupported()') as () => boolean;
console.log(`rank ${MPI.COMM_WORLD.rank}: concurrent recompilation ${concurrent()}`);
