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
