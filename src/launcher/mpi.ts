/**
 * Running on the native MPI transport: `mpi4ts --transport mpi -n 4 script.ts`
 * hands the job to the system's `mpiexec`, whose processes each run
 * `mpi4ts script.ts`, which (seeing the launcher's environment) runs the
 * script in-process as one rank.
 *
 * @module
 */

import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from './cli.js';

const launcher = fileURLToPath(new URL('../../bin/mpi4ts.js', import.meta.url));
const buildScript = fileURLToPath(new URL('../../scripts/build-mpi.mjs', import.meta.url));

/** Runs the job through `$MPIEXEC` (default `mpiexec`); resolves with its exit status. */
export function runUnderMpiexec(options: LaunchOptions): Promise<number> {
  const mpiexec = process.env.MPIEXEC ?? 'mpiexec';
  const version = spawnSync(mpiexec, ['--version'], { encoding: 'utf8' });
  if (version.error !== undefined) {
    process.stderr.write(`mpi4ts: --transport mpi needs ${mpiexec} (Open MPI or MPICH) on the PATH: ${version.error.message}\n`);
    return Promise.resolve(127);
  }
  const openMpi = /Open MPI|OpenRTE/i.test(version.stdout + version.stderr);
  const extra = openMpi && options.ranks > availableParallelism() ? ['--oversubscribe'] : [];
  const args = [...extra, '-n', String(options.ranks), process.execPath, launcher, options.script, ...options.args];
  return new Promise((resolve) => {
    const child = spawn(mpiexec, args, { stdio: 'inherit' });
    child.on('error', (error) => {
      process.stderr.write(`mpi4ts: could not start ${mpiexec}: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

/** `mpi4ts build-mpi`: builds the native addon against the system's MPI. */
export function buildMpi(args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [buildScript, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
