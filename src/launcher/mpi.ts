/**
 * Running on the native MPI transport: `mpi4ts --transport mpi -n 4 script.ts`
 * hands the job to the system's `mpiexec`, whose processes each run
 * `mpi4ts script.ts`, which (seeing the launcher's environment) runs the
 * script in-process as one rank.
 *
 * What the launcher's options become there: `--tag-output` is mpiexec's own
 * (Open MPI `--tag-output`, MPICH/Hydra `-prepend-rank`), `--deadlock-timeout`
 * and `--verbose` reach every rank as `MPI4TS_DEADLOCK_TIMEOUT` and
 * `MPI4TS_VERBOSE` (exported to remote nodes too: Open MPI `-x`, Hydra
 * `-genv`), and `--mpiexec-arg` words go to mpiexec before its `-n`. Unless
 * `MPI4TS_V8_DEFAULTS=0`, each rank's `node` gets mpi4ts's V8 flags
 * (v8flags.ts) before the user's `--node-options`, `MPI4TS_SETTLE_HEAP=1`
 * ({@link SETTLE_HEAP_ENV}): it settles its young generation before the
 * script runs (young_generation.ts), and `MPI4TS_LOAD_V8_FLAGS`
 * ({@link LOAD_V8_FLAGS_ENV}): it loads without V8's compilers.
 *
 * On one machine (no host list among the `--mpiexec-arg` words, no batch
 * system's job), Open MPI runs more processes than cores when asked
 * (`--oversubscribe` for the job's ranks, and `OMPI_MCA_rmaps_base_oversubscribe=1`
 * for the ones `MPI.COMM_SELF.Spawn` starts later, which `--oversubscribe`
 * does not cover), as the shm transport does; on a cluster, the slots
 * mpiexec was given decide.
 *
 * Unfinished: launchers other than Open MPI's and Hydra's get no
 * `--tag-output` (refused), and the environment only reaches their local ranks.
 *
 * @module
 */

import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism, constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from './cli.js';
import { nodeMajor, nodeOptionsWords, rankDefaultsApply, rankLoadFlags, rankV8Flags } from './v8flags.js';

const launcher = fileURLToPath(new URL('../../bin/mpi4ts.js', import.meta.url));
const buildScript = fileURLToPath(new URL('../../scripts/build-mpi.mjs', import.meta.url));

/** Which mpiexec: the two families whose options differ, or another one. */
export type MpiexecFlavour = 'openmpi' | 'hydra' | 'other';

/** Tells Open MPI's and MPICH's (Hydra's) mpiexec apart by what `--version` printed. */
export function mpiexecFlavour(versionText: string): MpiexecFlavour {
  if (/Open MPI|OpenRTE|PRRTE/i.test(versionText)) return 'openmpi';
  if (/HYDRA|MPICH|Intel\(R\) MPI/i.test(versionText)) return 'hydra';
  return 'other';
}

/** Set (`1`) for the ranks mpiexec starts when the V8 defaults apply: the rank settles its young generation (young_generation.ts). */
export const SETTLE_HEAP_ENV = 'MPI4TS_SETTLE_HEAP';

/**
 * The V8 flags a rank that mpiexec starts loads with (`rankLoadFlags`,
 * v8flags.ts), separated by spaces: `bin/mpi4ts.js` sets them first thing,
 * and the rank turns each back before its script. Not on `node`'s command
 * line, where a spawned rank would inherit them in `process.execArgv`.
 */
export const LOAD_V8_FLAGS_ENV = 'MPI4TS_LOAD_V8_FLAGS';

/** Open MPI's setting that lets processes started by `MPI_Comm_spawn` outnumber the cores, as `--oversubscribe` does the job's. */
const SPAWN_OVERSUBSCRIBE_ENV = 'OMPI_MCA_rmaps_base_oversubscribe';

/** mpiexec words that give it hosts to run on. */
const HOST_ARGS = new Set(['--host', '-host', '-H', '--hostfile', '-hostfile', '--machinefile', '-machinefile', '--default-hostfile']);

/** True when the job runs on this machine alone: no hosts among mpiexec's words, and no batch system's allocation. */
function oneMachine(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const batchJob = ['SLURM_JOB_ID', 'PBS_JOBID', 'LSB_JOBID', 'PE_HOSTFILE', 'FLUX_JOB_ID'].some((name) => env[name] !== undefined);
  return !batchJob && !args.some((word) => HOST_ARGS.has(word.split('=')[0]!));
}

/**
 * The mpiexec arguments for a job (without the mpiexec command itself):
 * the user's `--mpiexec-arg` words, the options mpi4ts's own options become,
 * then `-n N node mpi4ts.js script args...`; or a message saying why it
 * cannot be done with this mpiexec.
 */
export function mpiexecCommand(options: LaunchOptions, flavour: MpiexecFlavour, cores: number,
  nodePath: string = process.execPath, extraEnv: Readonly<Record<string, string>> = {}):
  { args: string[]; env: Record<string, string> } | { error: string } {
  const env: Record<string, string> = { MPI4TS_DEADLOCK_TIMEOUT: String(options.deadlockTimeout), ...extraEnv };
  if (options.verbose) env.MPI4TS_VERBOSE = '1';
  if (rankDefaultsApply(process.env)) env[SETTLE_HEAP_ENV] = '1';
  // Every flag the user gave: each replaces mpi4ts's choice for that flag (v8flags.ts).
  const userFlags = [...(options.nodeOptions ?? []), ...nodeOptionsWords(process.env)];
  const loadFlags = rankLoadFlags(userFlags, process.env);
  if (loadFlags.length > 0) env[LOAD_V8_FLAGS_ENV] = loadFlags.join(' ');
  const args: string[] = [...options.mpiexecArgs];
  // Open MPI refuses more ranks than cores unless told; Hydra does not.
  if (flavour === 'openmpi' && options.ranks > cores && !args.includes('--oversubscribe')) args.push('--oversubscribe');
  if (flavour === 'openmpi' && oneMachine(args, process.env) && process.env[SPAWN_OVERSUBSCRIBE_ENV] === undefined) {
    env[SPAWN_OVERSUBSCRIBE_ENV] = '1';
  }
  if (options.tagOutput) {
    if (flavour === 'other') return { error: '--tag-output: this mpiexec is neither Open MPI nor MPICH; pass its own option with --mpiexec-arg' };
    args.push(flavour === 'openmpi' ? '--tag-output' : '-prepend-rank');
  }
  // Local ranks inherit mpiexec's environment; ranks on other nodes only get what is exported.
  for (const [name, value] of Object.entries(env)) {
    if (flavour === 'openmpi') args.push('-x', `${name}=${value}`);
    else if (flavour === 'hydra') args.push('-genv', name, value);
  }
  // mpi4ts's V8 flags (v8flags.ts), before the user's, which win.
  const v8Flags = rankV8Flags(userFlags, process.env, nodeMajor());
  args.push('-n', String(options.ranks), nodePath, ...v8Flags, ...(options.nodeOptions ?? []), launcher, ...(options.module === undefined ? [] : ['-m', options.module]),
    options.script, ...options.args);
  return { args, env };
}

/** The signals the launcher passes on to mpiexec. */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs the job through `$MPIEXEC` (default `mpiexec`); resolves with its exit
 * status (128 + the signal's number if a signal ended it). SIGINT, SIGTERM
 * and SIGHUP sent to the launcher go on to mpiexec, which ends the ranks.
 */
export function runUnderMpiexec(options: LaunchOptions, extraEnv: Readonly<Record<string, string>> = {}): Promise<number> {
  const mpiexec = process.env.MPIEXEC ?? 'mpiexec';
  const version = spawnSync(mpiexec, ['--version'], { encoding: 'utf8' });
  if (version.error !== undefined) {
    process.stderr.write(`mpi4ts: --transport mpi needs ${mpiexec} (Open MPI or MPICH) on the PATH: ${version.error.message}\n`);
    return Promise.resolve(127);
  }
  // Open MPI gives each rank a pty: without this, output going to a file or a pipe would carry colour codes.
  const env = process.env;
  const plain: Record<string, string> = process.stdout.isTTY || env.FORCE_COLOR !== undefined ||
    env.NODE_DISABLE_COLORS !== undefined ? {} : { NODE_DISABLE_COLORS: '1' };
  const command = mpiexecCommand(options, mpiexecFlavour(version.stdout + version.stderr), availableParallelism(), process.execPath,
    { ...plain, ...extraEnv });
  if ('error' in command) {
    process.stderr.write(`mpi4ts: ${command.error}\n`);
    return Promise.resolve(2);
  }
  if (options.verbose) {
    process.stderr.write(`mpi4ts: ${options.ranks} ranks on the mpi transport: ${[mpiexec, ...command.args].join(' ')}\n`);
  }
  return new Promise((resolve) => {
    const child = spawn(mpiexec, command.args, { stdio: 'inherit', env: { ...process.env, ...command.env } });
    // A signal for the launcher alone (a supervisor's kill of its pid) ends the job too: mpiexec takes its ranks down.
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const settle = (status: number): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      resolve(status);
    };
    child.on('error', (error) => {
      process.stderr.write(`mpi4ts: could not start ${mpiexec}: ${error.message}\n`);
      settle(127);
    });
    child.on('exit', (code, signal) => settle(code ?? (signal === null ? 1 : 128 + (osConstants.signals[signal] ?? 0))));
  });
}

/** `mpi4ts build-mpi`: builds the native addon against the system's MPI. */
export function buildMpi(args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [buildScript, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
