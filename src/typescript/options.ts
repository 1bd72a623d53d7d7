/**
 * What decides how a TypeScript file is compiled and loaded, read the way
 * tsx reads it: the nearest `package.json` (its `"type"` makes `.ts` an ES
 * module or CommonJS) and the nearest `tsconfig.json` (its
 * `compilerOptions`, with `extends` followed, go to esbuild as
 * `tsconfigRaw`, so that `experimentalDecorators`, `useDefineForClassFields`,
 * `jsx*`, `verbatimModuleSyntax`, ... change the emitted code as they do under
 * tsc; the emitted code targets the running Node). Both are read once per
 * directory and thread. No MPI-4.1 section: this is the launcher's support
 * for TypeScript scripts.
 *
 * Unfinished: `tsconfig.json` `references` and `files`/`include` are not
 * read (the nearest tsconfig applies to every file below it); an `extends`
 * array takes its entries in order.
 *
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';

/** The file extensions the loader compiles. */
export const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts', '.tsx', '.jsx']);

/**
 * Whether `file` (a path or a file URL's path) is one the loader compiles.
 *
 * @example
 * isTypeScript('/home/me/job.ts'); // true
 */
export function isTypeScript(file: string): boolean {
  return TYPESCRIPT_EXTENSIONS.has(extname(file));
}

/** The package.json that decides the type of the files below a directory, and that type. */
interface PackageScope {
  /** Undefined when no package.json above the directory parses. */
  readonly manifest: string | undefined;
  readonly type: 'module' | 'commonjs';
}

const packageScopes = new Map<string, PackageScope>();

/** The nearest package.json above `dir` and its `"type"` (`commonjs` when it says nothing else, or when there is none). */
function packageScope(dir: string): PackageScope {
  const known = packageScopes.get(dir);
  if (known !== undefined) return known;
  let scope: PackageScope | undefined;
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest)) {
    try {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown };
      scope = { manifest, type: parsed.type === 'module' ? 'module' : 'commonjs' };
    } catch {
      // Node ignores a package.json it cannot parse when it looks for the type; so do we.
    }
  }
  if (scope === undefined) {
    const parent = dirname(dir);
    scope = parent !== dir ? packageScope(parent) : { manifest: undefined, type: 'commonjs' };
  }
  packageScopes.set(dir, scope);
  return scope;
}

/**
 * How `file` loads: `.mts` (and `.mjs`) as an ES module, `.cts` (and
 * `.cjs`) as CommonJS, `.ts`, `.tsx`, `.jsx` and `.js` by the `"type"` of
 * the nearest package.json, as tsx and Node do.
 *
 * @example
 * moduleFormat('/home/me/job.mts'); // 'module'
 */
export function moduleFormat(file: string): 'module' | 'commonjs' {
  const ext = extname(file);
  if (ext === '.mts' || ext === '.mjs') return 'module';
  if (ext === '.cts' || ext === '.cjs') return 'commonjs';
  return packageScope(dirname(resolve(file))).type;
}

/**
 * Why `file` loads as CommonJS, and how to make it an ES module, for an
 * error that only ES modules avoid (a top-level `await`); undefined when it
 * is one.
 *
 * @example
 * commonJsAdvice('/home/me/job.ts');
 * // 'it loads as CommonJS: /home/me/package.json does not say "type": "module" (npm init writes "commonjs");
 * //  set "type": "module" there, or name it job.mts'
 */
export function commonJsAdvice(file: string): string | undefined {
  if (moduleFormat(file) === 'module') return undefined;
  const ext = extname(file);
  const esm = `${basename(file, ext)}${ext === '.cjs' || ext === '.js' ? '.mjs' : '.mts'}`;
  if (ext === '.cts' || ext === '.cjs') return `it loads as CommonJS (a ${ext} file); name it ${esm} to make it an ES module`;
  const { manifest } = packageScope(dirname(resolve(file)));
  const why = manifest === undefined ? 'no package.json above it says "type": "module"'
    : `${manifest} does not say "type": "module" (npm init writes "commonjs")`;
  return `it loads as CommonJS: ${why}; set "type": "module" ${manifest === undefined ? 'in a package.json' : 'there'}, or name it ${esm}`;
}

/** Text of a tsconfig.json without its comments and trailing commas (it is JSONC). */
export function stripJsonc(text: string): string {
  // Strings stay as they are; comments go; then commas before a closing bracket go.
  const tokens = text.match(/"(?:[^"\\]|\\.)*"?|\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|[^"/]+|\//g) ?? [];
  const code = tokens.filter((t) => !t.startsWith('//') && !t.startsWith('/*')).join('');
  return code.replace(/"(?:[^"\\]|\\.)*"|,(\s*[}\]])/g, (match, closing: string | undefined) => closing ?? match);
}

/** A tsconfig.json's compilerOptions, and the directory `paths`/`baseUrl` are relative to. */
export interface CompilerSettings {
  readonly compilerOptions: Readonly<Record<string, unknown>>;
  /** The directory of the tsconfig.json that set `baseUrl` or `paths` (or of the nearest one). */
  readonly pathsBase: string;
}

const NO_SETTINGS: CompilerSettings = { compilerOptions: {}, pathsBase: '/' };

/** Reads one tsconfig.json with its `extends` chain (a relative path or a package's file). */
function readTsconfig(file: string, seen: Set<string> = new Set()): CompilerSettings {
  if (seen.has(file)) return NO_SETTINGS;
  seen.add(file);
  const config = JSON.parse(stripJsonc(readFileSync(file, 'utf8'))) as { extends?: unknown; compilerOptions?: Record<string, unknown> };
  const dir = dirname(file);
  let base: CompilerSettings = { compilerOptions: {}, pathsBase: dir };
  const parents = config.extends === undefined ? [] : Array.isArray(config.extends) ? config.extends : [config.extends];
  for (const parent of parents) {
    if (typeof parent !== 'string') continue;
    let parentFile: string;
    if (parent.startsWith('.') || parent.startsWith('/')) {
      parentFile = resolve(dir, parent);
      if (!existsSync(parentFile) && existsSync(`${parentFile}.json`)) parentFile = `${parentFile}.json`;
    } else {
      const require = createRequire(join(dir, 'tsconfig.json'));
      try {
        parentFile = require.resolve(parent);
      } catch {
        parentFile = require.resolve(`${parent}/tsconfig.json`);
      }
    }
    const inherited = readTsconfig(parentFile, seen);
    base = { compilerOptions: { ...base.compilerOptions, ...inherited.compilerOptions }, pathsBase: inherited.pathsBase };
  }
  const own = config.compilerOptions ?? {};
  const setsPaths = 'baseUrl' in own || 'paths' in own;
  return { compilerOptions: { ...base.compilerOptions, ...own }, pathsBase: setsPaths ? dir : base.pathsBase };
}

const settingsByDir = new Map<string, CompilerSettings>();

/**
 * The compiler settings that apply to `file`: those of the nearest
 * tsconfig.json above it, or none.
 *
 * @example
 * compilerSettings('/home/me/job.ts').compilerOptions.experimentalDecorators;
 */
export function compilerSettings(file: string): CompilerSettings {
  return settingsIn(dirname(resolve(file)));
}

function settingsIn(dir: string): CompilerSettings {
  const known = settingsByDir.get(dir);
  if (known !== undefined) return known;
  let settings: CompilerSettings;
  const config = join(dir, 'tsconfig.json');
  if (existsSync(config)) {
    try {
      settings = readTsconfig(config);
    } catch (error) {
      throw new Error(`mpi4ts: cannot read ${config}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    const parent = dirname(dir);
    settings = parent === dir ? NO_SETTINGS : settingsIn(parent);
  }
  settingsByDir.set(dir, settings);
  return settings;
}
