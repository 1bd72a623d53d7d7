/**
 * The user's frames of a JS stack: what the profile's call sites, the
 * watchdog's roll-call and the deadlock report show.
 *
 * Not an MPI-4.1 interface.
 *
 * @module
 */

import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own code (its src/ and dist/), whose frames are left out. */
const LIBRARY = [fileURLToPath(new URL('../../src/', import.meta.url)), fileURLToPath(new URL('../../dist/', import.meta.url))];

/**
 * The frames of `stack` (an `Error.stack`) in the user's code: not mpi4ts's,
 * not Node's internals, not a package's (`node_modules`); `file:line` or
 * `name (file:line)` with `file` relative to the working directory,
 * innermost first, `max` at most.
 */
export function userFrames(stack: string, max: number): string[] {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const match = /^\s*at (?:(.*?) \()?((?:file:\/\/)?\/[^()]*?):(\d+):\d+\)?\s*$/.exec(line);
    if (match === null) continue;
    const file = match[2]!.startsWith('file://') ? fileURLToPath(match[2]!) : match[2]!;
    if (LIBRARY.some((dir) => file.startsWith(dir)) || file.includes('/node_modules/')) continue;
    const where = `${relative(process.cwd(), file)}:${match[3]}`;
    const name = match[1]?.replace(/^async /, '');
    frames.push(name === undefined || name === '' || name === '<anonymous>' || name === 'async' ? where : `${name} (${where})`);
    if (frames.length >= max) break;
  }
  return frames;
}

/** Whether a stack line `at ...` is a frame of mpi4ts itself or of Node's internals. */
function isInternalFrame(line: string): boolean {
  if (/\((?:node:|internal\/)|^\s*at (?:node:|internal\/)|\(native\)$|^\s*at new Promise \(<anonymous>\)$/.test(line)) return true;
  const match = /((?:file:\/\/)?\/[^()]*?):\d+(?::\d+)?\)?\s*$/.exec(line);
  if (match === null) return false;
  const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
  return LIBRARY.some((dir) => file.startsWith(dir));
}

/**
 * A rank's failure as the launcher shows it: the error's message, then the
 * frames of the user's code (a package's frames count as the user's), then
 * one line counting the frames of mpi4ts and of Node's internals that
 * were left out. A stack with no frame of the user's code is shown whole
 * (the error is then mpi4ts's own, and its frames are what a bug report needs).
 *
 * @example
 * userFramesFirst('Error: x\n    at main (/home/me/job.ts:3:9)\n    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)');
 * // "Error: x\n    at main (/home/me/job.ts:3:9)\n    (1 frame of Node's internals left out)"
 */
export function userFramesFirst(stack: string): string {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  if (firstFrame < 0) return stack;
  const head = lines.slice(0, firstFrame);
  const frames = lines.slice(firstFrame).filter((line) => line.trim() !== '');
  const user = frames.filter((line) => !isInternalFrame(line));
  if (user.length === 0) return stack;
  const library = frames.filter((line) => isInternalFrame(line) && !/node:|internal\/|\(native\)|<anonymous>\)$/.test(line)).length;
  const node = frames.length - user.length - library;
  const left = [library > 0 ? `${library} frame${library === 1 ? '' : 's'} of mpi4ts` : undefined,
    node > 0 ? `${node} frame${node === 1 ? '' : 's'} of Node's internals` : undefined].filter((part) => part !== undefined);
  return [...head, ...user, ...(left.length === 0 ? [] : [`    (${left.join(' and ')} left out)`])].join('\n');
}
