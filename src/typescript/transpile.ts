/**
 * Compiling one TypeScript file to JavaScript with esbuild's `transform`
 * (loaded lazily, once per thread, only when a file is not in the cache),
 * with an inline source map so that stacks name `.ts` lines, and a disk
 * cache shared by every process of the user: `os.tmpdir()/mpi4ts-ts-<uid>/`,
 * one file per (path, content, options, esbuild version), written
 * atomically. N processes that miss the same file at once (the ranks of an
 * mpiexec job) compile it once: the first takes a lock file, the others wait
 * for its result. No MPI-4.1 section: launcher support.
 *
 * Unfinished: the cache is never pruned (entries are small; delete the
 * directory at will); a cache directory not owned by this user, or open to
 * others, is not used (every file is then compiled in memory).
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { compilerSettings, moduleFormat } from './options.js';

/** How long a process waits for another one's compilation of a file before compiling it itself. */
const LOCK_WAIT_MS = 10_000;
const POLL_MS = 15;

type Esbuild = typeof import('esbuild');
let esbuild: Promise<Esbuild> | undefined;
let esbuildVersion: string | undefined;

function version(): string {
  esbuildVersion ??= (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8')) as { version: string }).version;
  return esbuildVersion;
}

let cacheDir: string | null | undefined;

/**
 * The cache directory, made if need be; null when it cannot be used safely.
 *
 * @example
 * if (cacheDirectory() === null) console.log('every file is compiled in memory');
 */
export function cacheDirectory(): string | null {
  if (cacheDir !== undefined) return cacheDir;
  if (process.env.MPI4TS_TS_CACHE === '0') return (cacheDir = null);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = join(tmpdir(), `mpi4ts-ts-${uid ?? 'user'}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = lstatSync(dir);
    const safe = info.isDirectory() && (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0;
    cacheDir = safe ? dir : null;
  } catch {
    cacheDir = null;
  }
  return cacheDir;
}

/** The esbuild options for `file` (the part of the cache key besides the source). */
function transformOptions(file: string): import('esbuild').TransformOptions {
  const ext = extname(file);
  return {
    loader: ext === '.tsx' ? 'tsx' : ext === '.jsx' ? 'jsx' : ext === '.js' || ext === '.mjs' || ext === '.cjs' ? 'js' : 'ts',
    format: moduleFormat(file) === 'module' ? 'esm' : 'cjs',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: compilerSettings(file).compilerOptions } as import('esbuild').TransformOptions['tsconfigRaw'],
  };
}

async function compile(source: string, options: import('esbuild').TransformOptions): Promise<string> {
  esbuild ??= import('esbuild');
  const { transform } = await esbuild;
  return (await transform(source, options)).code;
}

/** The cache file of `file` (its path, its source, the options and esbuild's version make the key). */
function cacheEntry(dir: string, file: string, source: string, options: import('esbuild').TransformOptions): string {
  const key = createHash('sha256').update(`${version()}\0${file}\0${JSON.stringify(options)}\0`).update(source).digest('hex');
  return join(dir, `${key}.js`);
}

/** What compiling `file`, whose text is `source`, takes: esbuild's options, and its cache file (none without a cache directory). */
function compilation(file: string, source: string): { options: import('esbuild').TransformOptions; entry: string | undefined } {
  const options = transformOptions(file);
  const dir = cacheDirectory();
  return { options, entry: dir === null ? undefined : cacheEntry(dir, file, source, options) };
}

async function exists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The JavaScript for TypeScript file `file` (an absolute path), as an ES
 * module or (`.cts`, `.ts` outside a `"type": "module"` package) as
 * CommonJS, with an inline source map. A JavaScript file (`.js`, `.mjs`,
 * `.cjs`) passes through esbuild too: the launcher's syntax check
 * (`launcher/syntax.ts`) reads its imports from the result, which the cache keeps.
 *
 * @throws Error esbuild's message, naming the file, line and column, for a syntax error
 * @example
 * const code = await transpile('/home/me/job.ts');
 */
export async function transpile(file: string): Promise<string> {
  const source = await readFile(file, 'utf8');
  const { options, entry } = compilation(file, source);
  if (entry === undefined) return compile(source, options);
  const cached = await exists(entry);
  if (cached !== undefined) return cached;
  const lock = `${entry}.lock`;
  let locked = false;
  try {
    await (await open(lock, 'wx', 0o600)).close();
    locked = true;
  } catch {
    // Another process is compiling it (or died doing so: the wait ends, and a lock older than the wait is ignored).
    const since = await stat(lock).then((s) => s.mtimeMs, () => 0);
    if (Date.now() - since < LOCK_WAIT_MS) {
      for (const until = Date.now() + LOCK_WAIT_MS; Date.now() < until;) {
        await new Promise((done) => setTimeout(done, POLL_MS));
        const ready = await exists(entry);
        if (ready !== undefined) return ready;
        if (!(await stat(lock).then(() => true, () => false))) break;
      }
    }
  }
  try {
    const code = await compile(source, options);
    const temporary = `${entry}.${process.pid}.${threadId}.tmp`;
    try {
      await writeFile(temporary, code, { mode: 0o600 });
      await rename(temporary, entry);
    } catch {
      await unlink(temporary).catch(() => undefined);
    }
    return code;
  } finally {
    if (locked) await unlink(lock).catch(() => undefined);
  }
}

/**
 * {@link transpile}, synchronously, for module hooks that run in the
 * importing thread (`module.registerHooks`, `inline.ts`): the cache entry
 * when there is one (the launcher's syntax check has compiled the script
 * and the files it imports statically), else esbuild's `transformSync`
 * (loaded in this thread), whose result goes to the cache.
 *
 * @throws Error esbuild's message, naming the file, line and column, for a syntax error
 * @example
 * const code = transpileSync('/home/me/job.ts');
 */
export function transpileSync(file: string): string {
  const source = readFileSync(file, 'utf8');
  const { options, entry } = compilation(file, source);
  if (entry !== undefined) {
    try {
      return readFileSync(entry, 'utf8');
    } catch {
      // Not compiled yet.
    }
  }
  const { transformSync } = createRequire(import.meta.url)('esbuild') as Esbuild;
  const { code } = transformSync(source, options);
  if (entry !== undefined) {
    const temporary = `${entry}.${process.pid}.${threadId}.tmp`;
    try {
      writeFileSync(temporary, code, { mode: 0o600 });
      renameSync(temporary, entry);
    } catch {
      try { unlinkSync(temporary); } catch { /* never written */ }
    }
  }
  return code;
}
