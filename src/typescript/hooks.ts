/**
 * The module hooks that load TypeScript (`module.register`ed by
 * `register.ts`; they run in Node's hooks thread). `load` compiles `.ts`,
 * `.mts`, `.tsx` and `.jsx` files that are ES modules (and hands CommonJS
 * ones, `.cts` or `.ts` outside a `"type": "module"` package, to Node as
 * compiled CommonJS): it asks the job's transpile service when `data.port`
 * is given (shm: one compiler per job), else compiles in this thread with
 * the disk cache (a process of an mpiexec job). `resolve` does what tsx does
 * for TypeScript users: `./x.js` finds `./x.ts` (or `.tsx`) when there is
 * no `./x.js`, `.mjs` finds `.mts`, `.cjs` finds `.cts`, `.jsx` finds
 * `.tsx`; an extensionless relative import finds `x.ts`, `x.tsx`, `x.js`,
 * or a directory's `index.ts`/`index.tsx`/`index.js`; a bare specifier that
 * matches the nearest tsconfig's `paths` maps to its targets. No MPI-4.1
 * section: launcher support.
 *
 * Unfinished: a CommonJS TypeScript file imported from an ES module runs,
 * but `require()` inside it of another TypeScript file fails (the launcher
 * loads a CommonJS entry script through tsx instead, where it works).
 *
 * @module
 */

import { isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { compilerSettings, isTypeScript, moduleFormat } from './options.js';
import type { HooksData, TranspileReply, TranspileRequest } from './protocol.js';

export interface ResolveContext { readonly parentURL?: string | undefined; readonly conditions?: readonly string[]; readonly importAttributes?: Record<string, string> }
export interface ResolveResult { readonly url: string; readonly format?: string | null | undefined; readonly shortCircuit?: boolean }
type NextResolve = (specifier: string, context?: ResolveContext) => ResolveResult | Promise<ResolveResult>;
export interface LoadContext { readonly format?: string | null | undefined; readonly conditions?: readonly string[] }
export interface LoadResult { readonly format: string; readonly source?: string | ArrayBuffer | Uint8Array | null | undefined; readonly shortCircuit?: boolean }
type NextLoad = (url: string, context?: LoadContext) => LoadResult | Promise<LoadResult>;

let service: MessagePort | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (code: string) => void; reject: (error: Error) => void }>();

/** Called by Node with `module.register`'s `data`. */
export function initialize(data: HooksData | undefined): void {
  service = data?.port;
  if (service === undefined) return;
  service.on('message', (reply: TranspileReply) => {
    const entry = waiting.get(reply.id);
    if (entry === undefined) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) service!.unref();
    if ('code' in reply) entry.resolve(reply.code);
    else entry.reject(new Error(reply.error));
  });
  service.unref();
}

async function compiled(file: string): Promise<string> {
  if (service === undefined) {
    const { transpile } = await import('./transpile.js');
    return transpile(file);
  }
  const port = service;
  return new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    port.ref();
    const request: TranspileRequest = { id, file };
    port.postMessage(request);
  });
}

/** The other names a relative or absolute specifier that Node could not find may stand for. */
export function alternatives(specifier: string): string[] {
  const ext = /\.[^./\\]*$/.exec(specifier)?.[0] ?? '';
  const stem = specifier.slice(0, specifier.length - ext.length);
  switch (ext) {
    case '.js': return [`${stem}.ts`, `${stem}.tsx`];
    case '.jsx': return [`${stem}.tsx`];
    case '.mjs': return [`${stem}.mts`];
    case '.cjs': return [`${stem}.cts`];
    case '': case '.': {
      const base = specifier.replace(/[\\/]$/, '');
      return ['.ts', '.tsx', '.js', '/index.ts', '/index.tsx', '/index.js'].map((tail) => `${base}${tail}`);
    }
    default:
      // `./x.service`: an extension Node does not know is part of the name.
      return [`${specifier}.ts`, `${specifier}.tsx`, `${specifier}.js`];
  }
}

export function isPathLike(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..' ||
    specifier.startsWith('/') || specifier.startsWith('file:');
}

/** The tsconfig `paths` targets of a bare specifier imported from `parentURL`, as file URLs. */
export function mappedPaths(specifier: string, parentURL: string | undefined): string[] {
  if (parentURL === undefined || !parentURL.startsWith('file:')) return [];
  const { compilerOptions, pathsBase } = compilerSettings(fileURLToPath(parentURL));
  const paths = compilerOptions.paths as Record<string, unknown> | undefined;
  if (paths === undefined || paths === null || typeof paths !== 'object') return [];
  const baseUrl = typeof compilerOptions.baseUrl === 'string' ? resolvePath(pathsBase, compilerOptions.baseUrl) : pathsBase;
  const found: string[] = [];
  let best = -1;
  for (const [pattern, targets] of Object.entries(paths)) {
    if (!Array.isArray(targets)) continue;
    const star = pattern.indexOf('*');
    let matched: string | undefined;
    if (star < 0) {
      if (pattern === specifier) matched = '';
    } else {
      const prefix = pattern.slice(0, star);
      const suffix = pattern.slice(star + 1);
      if (specifier.startsWith(prefix) && specifier.endsWith(suffix) && specifier.length >= prefix.length + suffix.length) {
        matched = specifier.slice(prefix.length, specifier.length - suffix.length);
      }
    }
    // The longest prefix wins, as in TypeScript.
    if (matched === undefined || (star < 0 ? Infinity : star) <= best) continue;
    best = star < 0 ? Infinity : star;
    found.length = 0;
    for (const target of targets) {
      if (typeof target !== 'string') continue;
      const path = target.replace('*', matched);
      found.push(pathToFileURL(isAbsolute(path) ? path : resolvePath(baseUrl, path)).href);
    }
  }
  return found;
}

/** Gives TypeScript files the format they load with (Node alone does not know it, or would strip types only). */
export function withFormat(result: ResolveResult): ResolveResult {
  if (!result.url.startsWith('file:')) return result;
  const path = fileURLToPath(result.url);
  if (!isTypeScript(path)) return result;
  return { ...result, format: moduleFormat(path) };
}

/** What else to try for `specifier`, which Node's resolution failed to find with `failure`. */
function candidates(specifier: string, failure: unknown, context: ResolveContext): string[] {
  const code = (failure as { code?: unknown }).code;
  if (isPathLike(specifier) && (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT')) {
    return alternatives(specifier);
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    return mappedPaths(specifier, context.parentURL).flatMap((url) => [url, ...alternatives(url)]);
  }
  return [];
}

/**
 * The specifiers `resolve` (and `inline.ts`'s synchronous twin) hands to Node's resolution in turn:
 * `specifier`, then, once that has failed with `failures[0]` (the caller pushes each failure), its
 * `candidates`. When none resolves, `failures[0]` is the error to throw.
 */
export function* attempts(specifier: string, context: ResolveContext, failures: readonly unknown[]): Generator<string, void, undefined> {
  yield specifier;
  yield* candidates(specifier, failures[0], context);
}

/** Node's resolution, then tsx's extra rules for what Node does not find. */
export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  const failures: unknown[] = [];
  for (const attempt of attempts(specifier, context, failures)) {
    try {
      return withFormat(await next(attempt, context));
    } catch (error) {
      failures.push(error);
    }
  }
  throw failures[0];
}

/** Compiles TypeScript files; leaves every other module to Node. */
export async function load(url: string, context: LoadContext, next: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:')) return next(url, context);
  const path = fileURLToPath(url);
  if (!isTypeScript(path)) return next(url, context);
  const code = await compiled(path);
  return { format: moduleFormat(path), source: code, shortCircuit: true };
}
