/**
 * The syntax check of a TypeScript script before any rank starts: the
 * launcher compiles the entry script once (the ranks then find it in the
 * compile cache), and a syntax error is reported once, with its place and a
 * code frame, instead of by every rank with the loader's stack.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: syntax errors in the modules the script imports are still
 * reported by the rank that loads them.
 *
 * @module
 */

import { relative, resolve } from 'node:path';
import { isTypeScript, moduleFormat } from '../typescript/options.js';
import { transpile } from '../typescript/transpile.js';

/** What esbuild says of one error (the fields used here). */
interface CompileMessage {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number; readonly lineText: string } | null;
}

/** One error as `file:line:column: syntax error: text` and the line with a caret under the column. */
function codeFrame({ text, location }: CompileMessage): string {
  if (location === undefined || location === null) return `syntax error: ${text}`;
  const shown = relative(process.cwd(), location.file);
  const where = `${shown.startsWith('..') ? location.file : shown}:${location.line}:${location.column + 1}`;
  const gutter = String(location.line);
  return [
    `${where}: syntax error: ${text}`,
    `  ${gutter} | ${location.lineText}`,
    `  ${' '.repeat(gutter.length)} | ${' '.repeat(location.column)}^`,
  ].join('\n');
}

/**
 * The report of a syntax error in TypeScript script `script` (an ES module;
 * CommonJS scripts load through tsx in the ranks), or undefined when it
 * compiles or is not TypeScript.
 */
export async function syntaxReport(script: string): Promise<string | undefined> {
  const path = resolve(script);
  if (!isTypeScript(path) || moduleFormat(path) !== 'module') return undefined;
  try {
    await transpile(path);
    return undefined;
  } catch (error) {
    const messages = (error as { errors?: readonly CompileMessage[] }).errors;
    // Not a compile error (an unreadable file, say): the ranks report it as they load the script.
    if (messages === undefined || messages.length === 0) return undefined;
    return `mpi4ts: ${script} does not compile; no rank started\n${messages.map(codeFrame).join('\n')}\n`;
  }
}
