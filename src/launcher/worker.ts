/**
 * The first code a rank runs in its worker thread: make TypeScript loadable,
 * make `process.argv` look as if the script had been started directly, then
 * import the user's script. The script's `import { MPI } from 'mpi4ts'` finds
 * this rank's part of the job in `workerData`.
 *
 * @module
 */

import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';

/** What the launcher passes a rank besides its shared memory. */
export interface ScriptBoot {
  readonly script: string;
  readonly args: readonly string[];
}

const { script, args } = (workerData as { script: ScriptBoot }).script;
process.argv.splice(1, process.argv.length - 1, script, ...args);
if (/\.[cm]?tsx?$/.test(script)) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(pathToFileURL(script).href);
