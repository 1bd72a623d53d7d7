#!/usr/bin/env node
// The mpi4ts launcher: `mpi4ts -n 4 script.ts [args...]`. See `mpi4ts --help`.
// V8's on-disk code cache (Node 22.1 and later; Node's default directory) before the launcher loads.
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';
module.enableCompileCache?.();
// A rank that mpiexec starts loads without V8's compilers, and turns them back on before its script (src/launcher/v8flags.ts).
for (const flag of (process.env.MPI4TS_LOAD_V8_FLAGS ?? '').split(' ')) if (flag !== '') setFlagsFromString(flag);
// A rank that an MPI launcher started with a plain `node` runs again with mpi4ts's V8 flags (src/launcher/rank_exec.ts).
(await import('../dist/launcher/rank_exec.js')).runAgainWithRankFlags();
import('../dist/launcher/main.js').then((launcher) => launcher.main(process.argv.slice(2)));
