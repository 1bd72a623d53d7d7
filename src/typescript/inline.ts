/**
 * The TypeScript module hooks of `hooks.ts`, synchronous and in the
 * importing thread, for Node versions that have `module.registerHooks`
 * (22.15 and later): no hooks thread to start per rank (a whole Node
 * thread's bootstrap) and no round trip to it per module. They compile
 * with `transpileSync`, which finds the files of the launcher's syntax
 * check in the disk cache. `register.ts` uses them where it can. No MPI-4.1
 * section: launcher support.
 *
 * Unfinished: on Node 20 (no `registerHooks`) ranks keep the hooks thread.
 *
 * @module
 */

import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { type LoadContext, type LoadResult, type ResolveContext, type ResolveResult, attempts, withFormat } from './hooks.js';
import { isTypeScript, moduleFormat } from './options.js';
import { transpileSync } from './transpile.js';

type NextResolveSync = (specifier: string, context?: ResolveContext) => ResolveResult;
type NextLoadSync = (url: string, context?: LoadContext) => LoadResult;
interface SyncHooks {
  resolve(specifier: string, context: ResolveContext, next: NextResolveSync): ResolveResult;
  load(url: string, context: LoadContext, next: NextLoadSync): LoadResult;
}
type RegisterHooks = (hooks: SyncHooks) => unknown;

/** Node's `module.registerHooks`, where this Node has it (the types of Node 20 do not declare it). */
const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;

/** `hooks.ts`'s resolve, synchronous. */
function resolve(specifier: string, context: ResolveContext, next: NextResolveSync): ResolveResult {
  const failures: unknown[] = [];
  for (const attempt of attempts(specifier, context, failures)) {
    try {
      return withFormat(next(attempt, context));
    } catch (error) {
      failures.push(error);
    }
  }
  throw failures[0];
}

/** `hooks.ts`'s load, synchronous. */
function load(url: string, context: LoadContext, next: NextLoadSync): LoadResult {
  if (!url.startsWith('file:')) return next(url, context);
  const path = fileURLToPath(url);
  if (!isTypeScript(path)) return next(url, context);
  return { format: moduleFormat(path), source: transpileSync(path), shortCircuit: true };
}

/**
 * Registers the in-thread hooks; false (and nothing registered) on a Node
 * without `module.registerHooks`.
 *
 * @example
 * if (!registerInlineHooks()) module.register(new URL('./hooks.js', import.meta.url));
 */
export function registerInlineHooks(): boolean {
  if (registerHooks === undefined) return false;
  registerHooks({ resolve, load });
  return true;
}
