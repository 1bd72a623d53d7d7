/**
 * What the launcher says when a job cannot start or a rank fails, on the
 * mpi transport: a missing native addon is reported once, before any rank
 * runs the script (by the launcher for `--transport mpi`, by world rank 0
 * alone for a job that mpiexec started: the other ranks exit non-zero
 * without a word), with the command, the file that is missing and how to
 * build it; and a rank's uncaught error (a throw, an unhandled rejection)
 * is printed as on the shm transport: `mpi4ts: rank N failed:`, the
 * message, the user's frames first (`observe/frames.ts`), and no internal
 * frames.
 *
 * Where the "code frame" of a missing addon is: the line of the script that
 * first needed MPI is not known before the script runs, so the report names
 * the command that needs the addon and the file it looked for.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: an addon that is present but does not load (built against
 * another MPI) is found only as the ranks start MPI; that failure of
 * `MPI.Init` is printed once too (by world rank 0), with the loader's reason.
 *
 * @module
 */

import { existsSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userFramesFirst } from '../observe/frames.js';
import { DEADLOCK_EXIT_CODE } from '../transport/transport.js';
import { rankHere } from './debug.js';

/**
 * Where the mpi transport loads its addon from: `MPI4TS_NATIVE`, else
 * `native/build/Release` of this package (the same rule as the transport's
 * `nativePath`, which the launcher may not import; a test checks they agree).
 */
export function addonPath(): string {
  const fromEnv = process.env.MPI4TS_NATIVE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return fileURLToPath(new URL('../../native/build/Release/mpi4ts_native.node', import.meta.url));
}

/**
 * The report of a missing addon for `command` (the command line as typed),
 * or undefined when the addon is there. `underMpiexec`: said by rank 0 of a
 * job that mpiexec started (whose ranks then exit before running the script).
 */
export function missingAddonReport(command: string, underMpiexec = false): string | undefined {
  const file = addonPath();
  if (existsSync(file)) return undefined;
  return [
    `mpi4ts: the mpi transport needs its native addon, which is not built; ${underMpiexec ? 'no rank ran the script' : 'no rank started'}`,
    `  command: ${command}`,
    `  missing: ${file}${process.env.MPI4TS_NATIVE ? ' (MPI4TS_NATIVE)' : ''}`,
    '  to build it: an MPI library with its compiler wrapper mpicc, a C compiler and Python 3 (for node-gyp), e.g.',
    '    Debian/Ubuntu: sudo apt-get install libopenmpi-dev openmpi-bin build-essential python3',
    '    Fedora/RHEL:   sudo dnf install openmpi-devel gcc make python3, then: module load mpi/openmpi-x86_64',
    '    macOS:         brew install open-mpi',
    '  then, in the project: npx mpi4ts build-mpi',
    '  (on one machine the shm transport needs no addon: leave out --transport mpi, or run without mpiexec)',
    '',
  ].join('\n');
}

/** Whether a job that mpiexec started runs on the mpi transport (`MPI4TS_TRANSPORT=shm` keeps it off, as in environment.ts). */
export function rankUsesMpi(): boolean {
  return process.env.MPI4TS_TRANSPORT !== 'shm';
}

/**
 * A rank's uncaught error as the report shows it: its message and the user's
 * frames first (`observe/frames.ts`). An MPIError that mpi4ts raised while
 * the rank waited (a collective's mismatch, found once the call had returned
 * its Promise) has no frame of the script, and its frames of mpi4ts say
 * nothing its message does not: its message alone, unless it is an internal
 * error, whose frames a bug report needs. (On shm the error comes from the
 * rank's worker as a copy, an `Error` named 'MPIError' with its `code`.)
 */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.stack === undefined) return `${error.name}: ${error.message}`;
  const shown = userFramesFirst(error.stack);
  if (shown === error.stack && error.name === 'MPIError' && (error as { code?: unknown }).code !== 'MPI_ERR_INTERN') {
    return `${error.name}: ${error.message}\n    (raised by mpi4ts while the rank waited: no frame of the script is on its stack)`;
  }
  return shown;
}

/** Set once {@link reportRankFailures} has reported this rank's failure: its exit then says nothing more. */
let failing = false;

/**
 * What Node means by a rank's exit code, where the code alone does not say:
 * 13 is a script whose top-level `await` never settled (a Promise that
 * nothing will resolve, such as a receive whose message never comes when
 * nothing else keeps the rank alive).
 */
export function exitCodeMeaning(code: number): string {
  return code === 13 ? ': its top-level await never settled (it awaited a Promise that nothing resolves)' : '';
}

/**
 * In a rank that mpiexec started, once its script runs: a non-zero exit that
 * no report has explained (`process.exit(7)`, a top-level await that never
 * settled) prints `mpi4ts: rank N exited with code 7`, as the shm launcher
 * says it of its ranks (Open MPI's own text names the process, not the rank
 * as the script knows it). A deadlock's exit has its report already.
 */
export function reportRankExits(): void {
  process.on('exit', (code) => {
    if (code === 0 || failing || code === DEADLOCK_EXIT_CODE) return;
    writeSync(2, `mpi4ts: rank ${rankHere() ?? '?'} exited with code ${code}${exitCodeMeaning(code)}\n`);
  });
}

/**
 * In a rank that mpiexec started: prints an uncaught error (or unhandled
 * rejection, with its own reason) as `mpi4ts: rank N failed: ...` with the user's frames first,
 * and exits 1 (the transport then ends the job with MPI_Abort). A failure to
 * start MPI (`MPI.Init`: the addon) is the same on every rank: world rank 0
 * alone prints it.
 */
export function reportRankFailures(): void {
  const report = (error: unknown): void => {
    failing = true;
    const rank = rankHere();
    const everywhere = (error as { call?: unknown } | null)?.call === 'MPI.Init';
    if (!everywhere || rank === 0 || rank === undefined) {
      writeSync(2, `mpi4ts: rank ${rank ?? '?'} failed: ${describeFailure(error)}\n`);
    }
    process.exit(1);
  };
  process.on('uncaughtException', (error: unknown) => {
    // Code that handles its own failures (a worker of an mpi4ts/futures pool tells its manager) goes first.
    if (!failing && process.listenerCount('uncaughtException') === 1) report(error);
  });
  // The rejection's own reason: Node would turn one that is not an Error (a thrown string) into its generic
  // "UnhandledPromiseRejection: This error originated either by ..." before the handler above saw it.
  process.on('unhandledRejection', (reason: unknown) => {
    if (!failing && process.listenerCount('unhandledRejection') === 1) report(reason);
  });
}
