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
 * A job that mpiexec started directly (`mpiexec -n 4 mpi4ts --trace t.json
 * x.ts`) has no launcher that outlives the ranks: there world rank 0 merges
 * the parts ({@link observeUnderMpiexec}).
 *
 * Unfinished: ranks started by `Spawn` under mpiexec are not recorded apart
 * from their parents (their world ranks repeat the parents').
 *
 * @module
 */

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OBSERVE_DIR_ENV, OBSERVE_PROFILE_ENV, OBSERVE_SITES_ENV, OBSERVE_TRACE_ENV } from '../observe/events.js';
import { CLOCK_SYNC_ENV } from '../transport/transport.js';
import { finishObservation, isPartFile, readParts } from '../observe/finish.js';
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

/** Writes the trace and prints the profile of the finished job, then removes the parts. */
export function finishObserving(options: LaunchOptions, observation: Observation): void {
  if (observation.dir === undefined) return;
  try {
    process.stderr.write(finishObservation(readParts(observation.dir), options.trace, options.profile === true));
  } finally {
    rmSync(observation.dir, { recursive: true, force: true });
  }
}

/**
 * The environment of one rank of a job that mpiexec started directly
 * (`mpiexec -n 4 mpi4ts --trace t.json x.ts`), where no launcher outlives
 * the ranks: the ranks write their parts into `<trace>.parts` (shared by
 * ranks on other hosts when the trace's directory is), world rank 0 waits
 * for them as it exits and writes the trace and the profile
 * (`observe/instrument.ts`). Rank 0 first removes the parts an earlier job
 * may have left there; the other ranks write theirs only after MPI has
 * started, which waits for rank 0 (the clocks' estimate is collective).
 */
export function observeUnderMpiexec(options: LaunchOptions, rank: number | undefined): Record<string, string> | undefined {
  const env = startObserving({ ...options, trace: undefined, profile: false })?.env ?? {};
  if (options.trace === undefined && options.profile !== true) return env;
  const dir = `${resolve(options.trace ?? 'mpi4ts-profile')}.parts`;
  mkdirSync(dir, { recursive: true });
  if (rank === 0) {
    for (const name of readdirSync(dir)) if (isPartFile(name)) rmSync(join(dir, name), { force: true });
  }
  env[OBSERVE_DIR_ENV] = dir;
  env[CLOCK_SYNC_ENV] = '1';
  if (options.trace !== undefined) env[OBSERVE_TRACE_ENV] = resolve(options.trace);
  if (options.profile === true) {
    env[OBSERVE_SITES_ENV] = '1';
    env[OBSERVE_PROFILE_ENV] = '1';
  }
  return env;
}
