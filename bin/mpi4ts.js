#!/usr/bin/env node
// The mpi4ts launcher: `mpi4ts -n 4 script.ts [args...]`. See `mpi4ts --help`.
// V8's on-disk code cache (Node 22.1 and later; Node's default directory) before the launcher loads.
import module from 'node:module';
module.enableCompileCache?.();
import('../dist/launcher/main.js').then((launcher) => launcher.main(process.argv.slice(2)));
