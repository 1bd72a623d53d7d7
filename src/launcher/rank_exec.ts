/**
 * A rank that an MPI launcher started with a plain `node` (`mpiexec -n 64
 * node_modules/.bin/mpi4ts x.ts`, `srun node_modules/.bin/mpi4ts x.ts`)
 * runs again in the same process, with mpi4ts's V8 flags (`v8flags.ts`) on
 * node's command line. V8 takes most of them when it makes the process's
 * isolate, which exists before mpi4ts runs: only a new program gets them.
 * `process.execve` replaces the program and keeps the process id, the
 * environment and the standard streams, so the launcher still sees the
 * process it started. What `mpi4ts --transport mpi` gives its ranks, these
 * get too: the flags, a young generation settled at start-up
 * (`young_generation.ts`) and a load without V8's compilers.
 *
 * At 2 ranks under Open MPI's mpiexec (Node 24, two runs each, first loops of
 * 2,000 calls), without the flags -> with them: Barrier 4.9-5.6 -> 2.3-2.4
 * us, 8-byte Allreduce 10.8-16.0 -> 4.2-4.5, the object gather 25.0-25.5 ->
 * 12.9-15.2.
 *
 * Not where `PMI_FD` is set (MPICH's Hydra, Slurm's PMI-2): the launcher
 * talks to the rank over that inherited descriptor, which `process.execve`
 * closes, as it closes every descriptor but the standard streams. Not on
 * Node 20, which has no `process.execve` (Node 22.15 and later have it):
 * there the rank runs on with V8's own configuration; `node` takes the flags
 * on mpiexec's command line (`mpi4ts --transport mpi` puts them there).
 *
 * No MPI-4.1 section: launcher support.
 *
 * @module
 */

import { launchedByMpi } from '../transport/mpi/detect.js';
import { LOAD_V8_FLAGS_ENV, SETTLE_HEAP_ENV } from './mpi.js';
import { nodeMajor, nodeOptionsWords, rankLoadFlags, rankV8Flags } from './v8flags.js';

/** Set (`1`) in the environment of a rank that has run again with the flags: it does not do so twice. */
export const RANK_EXEC_ENV = 'MPI4TS_RANK_EXEC';

/** The command line (after `node` itself) and the environment a rank runs again with. */
export interface RankExec {
  readonly args: string[];
  readonly env: Record<string, string>;
}

/**
 * How a process runs again as a rank with mpi4ts's V8 flags, or undefined
 * when it runs on as it is: no MPI launcher started it, the launcher needs
 * `PMI_FD`, it has run again already, or no flag is left to add (the user
 * gave them all, or `MPI4TS_V8_DEFAULTS=0`).
 *
 * @param argv the process's `process.argv` (`node`, the launcher's path, its arguments)
 * @param execArgv the process's `process.execArgv`: the user's flags, kept, and each replaces mpi4ts's own
 * @param env the process's environment
 * @param major the Node major version
 * @example
 * rankExec(['/bin/node', '/app/bin/mpi4ts.js', 'x.ts'], [], { OMPI_COMM_WORLD_SIZE: '4' }, 24)?.args;
 * // ['--no-concurrent-recompilation', ..., '/app/bin/mpi4ts.js', 'x.ts']
 */
export function rankExec(argv: readonly string[], execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>, major: number): RankExec | undefined {
  if (!launchedByMpi(env) || env['PMI_FD'] !== undefined || env[RANK_EXEC_ENV] !== undefined) return undefined;
  const userFlags = [...execArgv, ...nodeOptionsWords(env)];
  const flags = rankV8Flags(userFlags, env, major);
  if (flags.length === 0) return undefined;
  const next: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) next[name] = value;
  next[RANK_EXEC_ENV] = '1';
  next[SETTLE_HEAP_ENV] = '1';
  const load = rankLoadFlags(userFlags, env);
  if (load.length > 0) next[LOAD_V8_FLAGS_ENV] ??= load.join(' ');
  return { args: [...flags, ...execArgv, ...argv.slice(1)], env: next };
}

type Execve = (file: string, args: readonly string[], env: Record<string, string>) => never;

/**
 * Runs this process again with mpi4ts's V8 flags where {@link rankExec}
 * says so and Node has `process.execve`; returns otherwise (or when the
 * exec fails: the rank then runs on without them).
 */
export function runAgainWithRankFlags(): void {
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return;
  const exec = rankExec(process.argv, process.execArgv, process.env, nodeMajor());
  if (exec === undefined) return;
  try {
    execve.call(process, process.execPath, [process.execPath, ...exec.args], exec.env);
  } catch {
    // Not replaced (the error leaves this process as it was): it runs on with V8's own configuration.
  }
}
