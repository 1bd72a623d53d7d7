/**
 * `--trace` and `--profile` on the launcher's side: a directory into which
 * every rank writes its part of the record when it exits (the ranks record
 * their calls themselves, `src/observe/instrument.ts`), and, once the job is
 * over, the trace file and the profile table made of those parts.
 *
 * On the shm transport the ranks share the launcher's clock; under
 * `--transport mpi` the ranks are processes of this host (or of hosts whose
 * clocks agree), whose parts the launcher merges once mpiexec returns.
 *
 * Under `--transport mpi` the ranks estimate their clocks' offsets to rank
 * 0's as MPI starts (`CLOCK_SYNC_ENV`) and write their parts on rank 0's
 * clock. The parts go to a directory under the launcher's `os.tmpdir()`:
 * ranks on other hosts need it on a shared file system (`TMPDIR`).
 *
 * Unfinished: `--trace` for a job that mpiexec started directly
 * (`mpiexec -n 4 mpi4ts x.ts`), where no launcher outlives the ranks.
 *
 * @module
 */

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OBSERVE_DIR_ENV, OBSERVE_SITES_ENV, type RankPart } from '../observe/events.js';
import { CLOCK_SYNC_ENV } from '../transport/transport.js';
import { formatProfile, profileOf } from '../observe/profile.js';
import { buildTrace } from '../observe/trace.js';
import { traceHtml } from '../observe/html.js';
import { WATCHDOG_ABORT_ENV, WATCHDOG_ANY_ENV, WATCHDOG_ENV } from '../observe/state.js';
import type { LaunchOptions } from './cli.js';
import { CPU_PROF_ENV, INSPECT_BRK_ENV, INSPECT_RANK_ENV } from './debug.js';

/** The directory the parts go to, and the environment that tells the ranks (the debugging options' too, `debug.ts`). */
export interface Observation {
  /** Undefined when only the watchdog is on. */
  readonly dir: string | undefined;
  readonly env: Record<string, string>;
}

/** Starts observing a job, when its options ask for it. */
export function startObserving(options: LaunchOptions): Observation | undefined {
  const recording = options.trace !== undefined || options.profile === true;
  if (!recording && options.watchdog === undefined && options.inspect === undefined && options.cpuProf !== true) return undefined;
  const env: Record<string, string> = {};
  if (options.inspect !== undefined) {
    env[INSPECT_RANK_ENV] = String(options.inspect.rank);
    if (options.inspect.brk) env[INSPECT_BRK_ENV] = '1';
  }
  if (options.cpuProf === true) env[CPU_PROF_ENV] = '1';
  const dir = recording ? mkdtempSync(join(tmpdir(), 'mpi4ts-observe-')) : undefined;
  if (dir !== undefined) {
    env[OBSERVE_DIR_ENV] = dir;
    // Under mpiexec, ranks on other hosts read other clocks: they estimate their offset to rank 0's as MPI starts.
    env[CLOCK_SYNC_ENV] = '1';
  }
  if (options.profile === true) env[OBSERVE_SITES_ENV] = '1';
  if (options.watchdog !== undefined) {
    env[WATCHDOG_ENV] = String(options.watchdog.seconds);
    if (options.watchdog.any) env[WATCHDOG_ANY_ENV] = '1';
    if (options.watchdog.abort) env[WATCHDOG_ABORT_ENV] = '1';
  }
  return { dir, env };
}

/** Reads the parts the ranks wrote. */
export function readParts(dir: string): RankPart[] {
  return readdirSync(dir).filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as RankPart);
}

/** Writes the trace and prints the profile of the finished job, then removes the parts. */
export function finishObserving(options: LaunchOptions, observation: Observation): void {
  if (observation.dir === undefined) return;
  try {
    const parts = readParts(observation.dir);
    if (parts.length === 0) {
      process.stderr.write('mpi4ts: no rank recorded its calls (did the ranks exit normally?)\n');
      return;
    }
    if (options.trace !== undefined) {
      const trace = buildTrace(parts);
      writeFileSync(options.trace, /\.html$/i.test(options.trace) ? traceHtml(trace) : JSON.stringify(trace));
      process.stderr.write(`mpi4ts: trace of ${parts.length} rank${parts.length === 1 ? '' : 's'} written to ${options.trace}\n`);
    }
    if (options.profile === true) process.stderr.write(formatProfile(profileOf(parts)));
  } finally {
    rmSync(observation.dir, { recursive: true, force: true });
  }
}
