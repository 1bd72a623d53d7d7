/**
 * The syntax check before any rank starts: the launcher compiles the entry
 * script and every local file it imports, statically and transitively (its
 * `import`/`export ... from` and `require("...")` of relative paths and of
 * tsconfig `paths`; packages under `node_modules` and Node's own modules are
 * left out), and reports a syntax error once, with its place and a code
 * frame and the chain of imports that reaches the file, instead of by every
 * rank with the loader's stack.
 *
 * It stays cheap: each file goes through the compile cache of
 * `typescript/transpile.ts` (TypeScript files are then found there by the
 * ranks; JavaScript files pass through esbuild once, to check them and to
 * read their imports from its output), so a job whose files have not
 * changed loads no compiler; the imports are read from esbuild's output,
 * which prints each static import on a line of its own.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: dynamic `import()` (loaded, or not, as the program runs) is
 * not followed; a specifier that the check cannot resolve is left to the
 * ranks (they report a missing module themselves).
 *
 * @module
 */

import { statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, extname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alternatives, isPathLike, mappedPaths } from '../typescript/hooks.js';
import { commonJsAdvice } from '../typescript/options.js';
import { transpile } from '../typescript/transpile.js';

/** What esbuild says of one error (the fields used here). */
interface CompileMessage {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number; readonly lineText: string } | null;
}

/** The files the check compiles: TypeScript and JavaScript. */
const CHECKED = new Set(['.ts', '.mts', '.cts', '.tsx', '.jsx', '.js', '.mjs', '.cjs']);
/** esbuild's error for a top-level `await` in a file it compiles to CommonJS: the report then says why the file is one. */
const TOP_LEVEL_AWAIT_IN_CJS = /Top-level await is currently not supported with the "cjs" output format/;
const BUILTIN = new Set(builtinModules);

/** A path as the report shows it: relative to the working directory when below it. */
function shown(file: string): string {
  const path = relative(process.cwd(), file);
  return path.startsWith('..') || path === '' ? file : path;
}

/** One error as `file:line:column: syntax error: text` and the line with a caret under the column. */
function codeFrame({ text, location }: CompileMessage): string {
  if (location === undefined || location === null) return `syntax error: ${text}`;
  const gutter = String(location.line);
  return [
    `${shown(location.file)}:${location.line}:${location.column + 1}: syntax error: ${text}`,
    `  ${gutter} | ${location.lineText}`,
    `  ${' '.repeat(gutter.length)} | ${' '.repeat(location.column)}^`,
  ].join('\n');
}

/** The specifiers of the static imports in esbuild's output (one statement a line), and of `require("...")`. */
export function staticImports(code: string): string[] {
  const found: string[] = [];
  for (const match of code.matchAll(/^(?:import\s*["']([^"'\n]+)["']|(?:import|export)\b[^"'`;\n]*?\bfrom\s*["']([^"'\n]+)["'])/gm)) {
    found.push(match[1] ?? match[2]!);
  }
  for (const match of code.matchAll(/\brequire\(\s*["']([^"'\n]+)["']\s*\)/g)) found.push(match[1]!);
  return found;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The local file `specifier` imported from `from` stands for (as the loader's hooks find it), or undefined for a package or no file. */
export function localTarget(specifier: string, from: string): string | undefined {
  if (specifier.startsWith('node:') || BUILTIN.has(specifier)) return undefined;
  let candidates: string[];
  if (isPathLike(specifier)) {
    const base = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(dirname(from), specifier);
    candidates = [base, ...alternatives(base)];
  } else {
    candidates = mappedPaths(specifier, pathToFileURL(from).href).map((url) => fileURLToPath(url)).flatMap((path) => [path, ...alternatives(path)]);
  }
  const file = candidates.find((path) => CHECKED.has(extname(path)) && isFile(path));
  return file === undefined || file.includes('/node_modules/') ? undefined : file;
}

/**
 * The report of the syntax errors in script `script` and the local files it
 * imports, or undefined when they all compile. `underMpiexec`: said by rank
 * 0 of a job that mpiexec started (whose ranks then exit before running the script).
 */
export async function syntaxReport(script: string, underMpiexec = false): Promise<string | undefined> {
  const entry = resolve(script);
  if (!CHECKED.has(extname(entry))) return undefined;
  /** How each file was reached: the file that imported it first. */
  const importer = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const reports: string[] = [];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const file = next;
    let code: string;
    try {
      code = await transpile(file);
    } catch (error) {
      const messages = (error as { errors?: readonly CompileMessage[] }).errors;
      // Not a compile error (an unreadable file, say): the ranks report it as they load the file.
      if (messages === undefined || messages.length === 0) continue;
      const chain: string[] = [];
      for (let at: string | undefined = file; at !== undefined; at = importer.get(at)) chain.unshift(shown(at));
      const advice = messages.some((m) => TOP_LEVEL_AWAIT_IN_CJS.test(m.text)) ? commonJsAdvice(file) : undefined;
      reports.push(messages.map(codeFrame).join('\n') + (chain.length > 1 ? `\n  imported by: ${chain.join(' > ')}` : '') +
        (advice === undefined ? '' : `\n  ${shown(file)}: ${advice}`));
      continue;
    }
    for (const specifier of staticImports(code)) {
      const target = localTarget(specifier, file);
      if (target === undefined || importer.has(target)) continue;
      importer.set(target, file);
      queue.push(target);
    }
  }
  if (reports.length === 0) return undefined;
  return `mpi4ts: ${script} does not compile; ${underMpiexec ? 'no rank ran it' : 'no rank started'}\n${reports.join('\n')}\n`;
}
