/**
 * The first code a rank runs in its worker thread: it runs the user's
 * script, whose `import { MPI } from 'mpi4ts'` finds this rank's part of the
 * job in `workerData`.
 *
 * @module
 */

import { workerData } from 'node:worker_threads';
import { type ScriptBoot, runScript } from './script.js';

await runScript((workerData as { script: ScriptBoot }).script);
