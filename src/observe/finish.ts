/**
 * The end of an observed job: the parts its ranks wrote are read back and
 * made into the trace file (`.json`, or `.html`) and the profile table.
 * Done by the launcher once the ranks have exited (shm, `--transport mpi`),
 * or by world rank 0 as it exits in a job that mpiexec started directly
 * (`observe/instrument.ts`).
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: nothing.
 *
 * @module
 */

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RankPart } from './events.js';
import { traceHtml } from './html.js';
import { formatProfile, profileOf } from './profile.js';
import { buildTrace } from './trace.js';

/** Whether a file of the observe directory is a finished part (a part is written under another name, then renamed). */
export function isPartFile(name: string): boolean {
  return name.startsWith('part-') && name.endsWith('.json');
}

/** Reads the parts the ranks wrote. */
export function readParts(dir: string): RankPart[] {
  return readdirSync(dir).filter(isPartFile).map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as RankPart);
}

/**
 * Writes the trace (when `trace` names a file) and returns what to print on
 * stderr: the line saying where the trace went, and the profile table.
 */
export function finishObservation(parts: readonly RankPart[], trace: string | undefined, profile: boolean): string {
  if (parts.length === 0) return 'mpi4ts: no rank recorded its calls (did the ranks exit normally?)\n';
  let text = '';
  if (trace !== undefined) {
    const events = buildTrace(parts);
    writeFileSync(trace, /\.html$/i.test(trace) ? traceHtml(events) : JSON.stringify(events));
    text += `mpi4ts: trace of ${parts.length} rank${parts.length === 1 ? '' : 's'} written to ${trace}\n`;
  }
  if (profile) text += formatProfile(profileOf(parts));
  return text;
}
