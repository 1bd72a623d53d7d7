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
try {
  await import(pathToFileURL(script).href);
} catch (error) {
  // tsx compiles a .ts file outside an ES-module package to CommonJS, where top-level await cannot run.
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_REQUIRE_CYCLE_MODULE' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
    throw new Error(`${script} uses top-level await, so it must load as an ES module: name it .mts, ` +
      'or add "type": "module" to the package.json next to it', { cause: error });
  }
  throw error;
}
