/**
 * The `mpi4ts` command: parses the command line and runs the job.
 *
 * @module
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { launchedByMpi } from '../transport/mpi/detect.js';
import { type LaunchOptions, USAGE, UsageError, checkForMpiTransport, parseCommandLine } from './cli.js';
import { runJob } from './job.js';
import { buildMpi, LOAD_V8_FLAGS_ENV, runUnderMpiexec, SETTLE_HEAP_ENV } from './mpi.js';
import { runScript } from './script.js';
import { finishObserving, observeUnderMpiexec, startObserving } from './observe.js';
import { syntaxReport } from './syntax.js';
import { missingAddonReport, rankUsesMpi, reportRankExits, reportRankFailures } from './failure.js';
import { rankHere } from './debug.js';
import { typecheck } from './typecheck.js';
import { loadedFlag } from './v8flags.js';

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Ends this process on a report that every rank of the job finds alike (no
 * script, the script does not compile, the addon is missing). Under mpiexec rank 0 says it
 * and fails; the other ranks end quietly with 0, because mpiexec kills the job
 * at the first non-zero exit, which could be before rank 0's report is out.
 */
function endWithReport(report: string, code: number): void {
  const reporter = !launchedByMpi() || (rankHere() ?? 0) === 0;
  if (reporter) process.stderr.write(report);
  process.exitCode = reporter ? code : 0;
}

/** A closed pipe downstream (`mpi4ts ... | head`) is no reason to crash the job. */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/**
 * Checks the options of one rank that mpiexec or srun started, where the
 * launcher's job-wide options are mpiexec's business.
 *
 * @throws UsageError for an option that has no effect here
 */
function checkUnderMpiexec(options: LaunchOptions): void {
  checkForMpiTransport(options, 'under mpiexec');
  if (options.tagOutput) {
    throw new UsageError('--tag-output: under mpiexec, ask mpiexec for it (Open MPI: mpiexec --tag-output, MPICH: mpiexec -prepend-rank)');
  }
}

/** The one line `--verbose` (or MPI4TS_VERBOSE=1) prints for a job on the shm transport. */
export function shmBanner(options: LaunchOptions): string {
  return `mpi4ts: ${options.ranks} rank${options.ranks === 1 ? '' : 's'} on the shm transport (worker threads of process ${process.pid})\n`;
}

/**
 * The warning for far more ranks than cores: each rank then gets a small
 * share of a core, and timings mean little. Ranks beyond the cores work (and
 * are what tests do: 4 ranks on 2 cores is normal), so it is printed only
 * past 4 ranks per core and 16 ranks.
 */
export function oversubscriptionWarning(ranks: number, cores: number): string | undefined {
  if (ranks <= 4 * cores || ranks <= 16) return undefined;
  return `mpi4ts: warning: ${ranks} ranks on ${cores} core${cores === 1 ? '' : 's'}: the ranks take turns, so the job runs ` +
    'correctly but slowly, and its timings say little\n';
}

/**
 * The V8 flags that `bin/mpi4ts.js` set from {@link LOAD_V8_FLAGS_ENV},
 * turned back (v8flags.ts): a rank that mpiexec started sets these before
 * its script, any other run of the launcher at once. The variable goes, so
 * that the processes this one starts load as usual.
 */
function loadedFlagsFromEnv(): string[] {
  const flags = (process.env[LOAD_V8_FLAGS_ENV] ?? '').split(' ').filter((flag) => flag !== '').map(loadedFlag);
  delete process.env[LOAD_V8_FLAGS_ENV];
  return flags;
}

/** Runs the launcher with `argv` (the arguments after the command's name). */
export async function main(argv: readonly string[]): Promise<void> {
  ignoreClosedPipes();
  const loadedFlags = loadedFlagsFromEnv();
  if (!launchedByMpi()) for (const flag of loadedFlags) setFlagsFromString(flag);
  let command;
  try {
    command = parseCommandLine(argv);
    if (command.kind === 'run' && launchedByMpi()) checkUnderMpiexec(command.options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`mpi4ts: ${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'build-mpi':
      process.exitCode = await buildMpi(command.args);
      return;
    case 'run': {
      const { options } = command;
      // Once, by the launcher, before any rank starts (each rank would otherwise fail to import it).
      if (!existsSync(options.script)) {
        endWithReport(`mpi4ts: cannot find the script ${options.script} (looked for ${resolve(options.script)})\n`, 2);
        return;
      }
      if (statSync(options.script).isDirectory()) {
        endWithReport(`mpi4ts: ${options.script} is a directory, not a script (${resolve(options.script)})\n`, 2);
        return;
      }
      const report = await syntaxReport(options.script, launchedByMpi());
      if (report !== undefined) {
        endWithReport(report, 2);
        return;
      }
      if (options.typecheck === true && !launchedByMpi()) {
        const checked = typecheck(options.script);
        if (!checked.ok) {
          process.stderr.write(checked.report);
          process.exitCode = checked.status;
          return;
        }
      }
      const warning = oversubscriptionWarning(options.ranks, availableParallelism());
      if (warning !== undefined && !launchedByMpi()) process.stderr.write(warning);
      if (launchedByMpi()) {
        reportRankFailures();
        const missing = rankUsesMpi() ? missingAddonReport(`mpi4ts ${argv.join(' ')} (a rank of a job that mpiexec started)`, true) : undefined;
        if (missing !== undefined) {
          endWithReport(missing, 1);
          return;
        }
        // One rank of a job that mpiexec or srun started: run the script right here. The
        // transport reads these two when MPI starts (the banner comes from rank 0).
        if (options.verbose) process.env.MPI4TS_VERBOSE = '1';
        process.env.MPI4TS_DEADLOCK_TIMEOUT ??= String(options.deadlockTimeout);
        // --watchdog: each rank's own watchdog thread (observe/watchdog_thread.ts); --trace, --profile: rank 0 merges the parts.
        Object.assign(process.env, observeUnderMpiexec(options, rankHere()));
        reportRankExits();
        await runScript({ ...options, settleHeap: process.env[SETTLE_HEAP_ENV] === '1', loadedFlags });
      } else {
        const missing = options.transport === 'mpi' ? missingAddonReport(`mpi4ts ${argv.join(' ')}`) : undefined;
        if (missing !== undefined) {
          process.stderr.write(missing);
          process.exitCode = 2;
          return;
        }
        const observation = startObserving(options);
        if (options.transport === 'mpi') {
          process.exitCode = await runUnderMpiexec(options, observation?.env);
        } else {
          if (options.verbose || process.env.MPI4TS_VERBOSE === '1') process.stderr.write(shmBanner(options));
          process.exitCode = await runJob(options, observation);
        }
        if (observation !== undefined) finishObserving(options, observation);
      }
    }
  }
}
