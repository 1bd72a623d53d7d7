#!/usr/bin/env node
// The mpi4ts launcher: `mpi4ts -n 4 script.ts [args...]`. See `mpi4ts --help`.
import('../dist/launcher/main.js').then((launcher) => launcher.main(process.argv.slice(2)));
