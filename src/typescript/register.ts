/**
 * Makes this thread able to import TypeScript: registers the module hooks
 * of `hooks.ts` (once per thread) and turns on source maps, so that stacks
 * and the launcher's reports name `.ts` lines. On the shm transport, the
 * launcher hands each rank's thread a MessagePort to the job's transpile
 * service in `workerData` ({@link TRANSPILER_KEY}); the hooks get it, and
 * compile nothing themselves. A process that mpiexec started has none: its
 * hooks compile with the disk cache. No MPI-4.1 section: launcher support.
 *
 * On Node 22.15 and later the hooks run in the thread itself instead
 * (`module.registerHooks`, `inline.ts`): no hooks thread starts, and the
 * files come from the disk cache, which the launcher's syntax check has
 * filled (a thread with a transpile service keeps the service when the
 * disk cache cannot be used).
 *
 * Unfinished: Node 20 keeps a hooks thread per rank.
 *
 * @module
 */

import { register } from 'node:module';
import { type MessagePort, workerData } from 'node:worker_threads';
import { isTypeScript, moduleFormat } from './options.js';
import type { HooksData } from './protocol.js';
import { registerInlineHooks } from './inline.js';
import { cacheDirectory } from './transpile.js';

/** The `workerData` field in which the launcher passes a rank's port to the transpile service. */
export const TRANSPILER_KEY = 'mpi4tsTranspiler';

let registered = false;

/**
 * Registers the TypeScript hooks in this thread (later calls do nothing).
 *
 * @example
 * registerTypeScript();
 * await import('./job.ts');
 */
export function registerTypeScript(): void {
  if (registered) return;
  registered = true;
  process.setSourceMapsEnabled(true);
  const port = (workerData as Record<string, unknown> | null | undefined)?.[TRANSPILER_KEY] as MessagePort | undefined;
  if ((port === undefined || cacheDirectory() !== null) && registerInlineHooks()) {
    port?.close();
    return;
  }
  const data: HooksData = { port };
  register<HooksData>(new URL('./hooks.js', import.meta.url), { data, transferList: port === undefined ? [] : [port] });
}

let tsxRegistered = false;

/**
 * Makes `file` importable in this thread, if it is TypeScript: an ES module
 * (`.mts`, or `.ts`/`.tsx` in a `"type": "module"` package) through
 * {@link registerTypeScript}; a CommonJS one (`.cts`, or `.ts` elsewhere)
 * through tsx, which compiles it and the files it `require`s to CommonJS.
 *
 * @example
 * await prepareImport('/home/me/job.ts');
 * await import(pathToFileURL('/home/me/job.ts').href);
 */
export async function prepareImport(file: string): Promise<void> {
  if (!isTypeScript(file)) return;
  if (moduleFormat(file) === 'module') {
    registerTypeScript();
  } else if (!tsxRegistered) {
    tsxRegistered = true;
    // tsx's ES-module hooks and its `require` hooks (the first alone leaves `require()` of TypeScript to
    // Node, which cannot on Node 20).
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
  }
}
