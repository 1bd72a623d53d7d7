/**
 * Loading the user's script as one rank: make TypeScript loadable (ES
 * modules through `src/typescript/`, CommonJS scripts through tsx), make
 * `process.argv` look as if the script had been started directly, then
 * import it. Used in worker threads (shm) and in processes started by
 * `mpiexec` (mpi). With `-m futures`, ranks other than 0 serve the pools of
 * rank 0's script instead (`src/futures/world.ts`).
 *
 * @module
 */

import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { notifyLoaded } from '../transport/shm/launcher_link.js';
import { afterTransportStart } from '../transport/transport.js';
import { prepareImport } from '../typescript/register.js';
import { holdForDebugger, prepareRank } from './debug.js';
import { settleYoungGeneration } from './young_generation.js';

/** What a rank needs to run the user's script. */
export interface ScriptBoot {
  readonly script: string;
  readonly args: readonly string[];
  /** `-m futures`: only rank 0 runs the script; the others serve its pools. */
  readonly module?: 'futures' | undefined;
  /** Empty the young generation of loading's objects when the script first touches MPI (`young_generation.ts`): the V8 defaults apply. */
  readonly settleHeap?: boolean | undefined;
  /**
   * V8 flags this rank sets once it has loaded, before the script: the
   * compilers it loaded without (v8flags.ts, `rankLoadFlags`), under
   * mpiexec. On shm the launcher sets them, once every rank has loaded.
   */
  readonly loadedFlags?: readonly string[] | undefined;
}

/** Runs `script` with `args` in this thread (with `-m futures`, serves tasks instead on ranks other than 0). */
export async function runScript({ script, args, module, settleHeap, loadedFlags = [] }: ScriptBoot): Promise<void> {
  prepareRank();
  if (module === 'futures') {
    const { releaseWorld, serveWorld } = await import('../futures/world.js');
    await loaded(loadedFlags);
    if (await serveWorld()) return;
    await importScript(script, args, settleHeap === true, loadedFlags);
    await releaseWorld();
    return;
  }
  await importScript(script, args, settleHeap === true, loadedFlags);
}

let hasLoaded = false;

/**
 * Once, when the rank has loaded and is about to run rank code: the
 * compilers it loaded without come on (v8flags.ts), by its own flags under
 * mpiexec, by the launcher's on shm (once no rank of the job loads).
 */
async function loaded(loadedFlags: readonly string[]): Promise<void> {
  if (hasLoaded) return;
  hasLoaded = true;
  for (const flag of loadedFlags) setFlagsFromString(flag);
  await notifyLoaded();
  holdForDebugger();
}

async function importScript(script: string, args: readonly string[], settleHeap: boolean, loadedFlags: readonly string[]): Promise<void> {
  process.argv.splice(1, process.argv.length - 1, script, ...args);
  // The library first, while no module hooks run (each module loaded after them costs a round trip to
  // the hooks thread) and V8's compilers are off (v8flags.ts): the script's `import ... from 'mpi4ts'`
  // then finds it loaded (importing it starts nothing: MPI starts when the script first touches it).
  await import('../index.js');
  await prepareImport(script);
  // What loading (the script's own modules included) left in the young generation is promoted when the script
  // first touches MPI, not in its first loop.
  if (settleHeap) afterTransportStart(settleYoungGeneration);
  await loaded(loadedFlags);
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
}
