/**
 * The first code a rank runs in its worker thread: it runs the user's
 * script, whose `import { MPI } from 'mpi4ts'` finds this rank's part of the
 * job in `workerData`. Where Node has `module.enableCompileCache` (22.1 and
 * later), it turns V8's on-disk code cache on first (Node's default
 * directory), so that a rank compiles the library (and the user's
 * JavaScript) from the cache instead of from source; hence the library is
 * imported dynamically, after that call. Rank 0's `process.stdin` reads the
 * launcher's (`stdin.ts`). No MPI-4.1 section: launcher support.
 *
 * Unfinished: nothing.
 *
 * @module
 */

import * as nodeModule from 'node:module';
import { workerData } from 'node:worker_threads';
import type { ScriptBoot } from './script.js';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { installRankStdin } = await import('./stdin.js');
installRankStdin();
const { runScript } = await import('./script.js');
await runScript((workerData as { script: ScriptBoot }).script);
