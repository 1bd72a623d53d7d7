/**
 * Debugging and profiling one rank, in the rank itself before its script
 * runs: `--inspect-rank N` / `--inspect-brk-rank N` open the inspector on
 * rank N alone (a worker thread on shm, a process under mpiexec) and print
 * its URL (`--inspect-brk-rank` then waits for a debugger to attach), and
 * `--cpu-prof` records a CPU profile of every rank, written at its end to
 * `rank-N.cpuprofile` in the working directory (open it in Chrome DevTools'
 * Performance panel or speedscope). The launcher passes them in
 * `MPI4TS_INSPECT_RANK`, `MPI4TS_INSPECT_BRK` and `MPI4TS_CPU_PROF`.
 *
 * Unfinished: a port of the user's choice (the inspector takes a free one).
 *
 * @module
 */

import { Session, open, url, waitForDebugger } from 'node:inspector';
import { writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { workerData } from 'node:worker_threads';

export const INSPECT_RANK_ENV = 'MPI4TS_INSPECT_RANK';
export const INSPECT_BRK_ENV = 'MPI4TS_INSPECT_BRK';
export const CPU_PROF_ENV = 'MPI4TS_CPU_PROF';

/** This rank's number: its slot on shm, its rank in the world under mpiexec, if known. */
export function rankHere(): number | undefined {
  const slot = (workerData as { mpi4ts?: { rank?: number } } | null)?.mpi4ts?.rank;
  if (slot !== undefined) return slot;
  const env = process.env;
  const text = env.OMPI_COMM_WORLD_RANK ?? env.PMIX_RANK ?? env.PMI_RANK ?? env.SLURM_PROCID;
  return text === undefined ? undefined : Number(text);
}

/**
 * With `--inspect-brk-rank` on this rank, waits for a debugger to attach;
 * call just before the script runs, once the rank has loaded (on shm the
 * other ranks wait for it to load, see `script.ts`).
 */
export function holdForDebugger(): void {
  const env = process.env;
  const rank = rankHere();
  if (env[INSPECT_RANK_ENV] === undefined || Number(env[INSPECT_RANK_ENV]) !== rank || env[INSPECT_BRK_ENV] !== '1') return;
  writeSync(2, `mpi4ts: rank ${rank}: waiting for a debugger to attach (--inspect-brk-rank)\n`);
  waitForDebugger();
}

/** Opens the inspector and starts the profiler as the environment asks; call before the rank loads. */
export function prepareRank(): void {
  const env = process.env;
  const rank = rankHere();
  if (env[INSPECT_RANK_ENV] !== undefined && Number(env[INSPECT_RANK_ENV]) === rank) {
    open(0, '127.0.0.1', false);
    // Written straight to the file: a worker's process.stderr goes through its parent later, and
    // holdForDebugger may block this thread before that.
    writeSync(2, `mpi4ts: rank ${rank}: inspector listening on ${url() ?? '?'}\n` +
      '        open chrome://inspect (Configure: the host and port above) or paste the URL into a DevTools frontend\n');
    // Node holds a worker whose debugger is still attached at its end, and says nothing.
    process.on('exit', () => {
      writeSync(2, `mpi4ts: rank ${rank}: its script has ended; a debugger still attached holds the rank (and the job) until it detaches\n`);
    });
  }
  if (env[CPU_PROF_ENV] === '1' && rank !== undefined) {
    const session = new Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.start');
    process.on('exit', () => {
      // A session of this thread answers at once, inside post.
      session.post('Profiler.stop', (error, result) => {
        if (error !== null) return;
        const file = resolve(`rank-${rank}.cpuprofile`);
        writeFileSync(file, JSON.stringify(result.profile));
        process.stderr.write(`mpi4ts: CPU profile of rank ${rank} written to ${file}\n`);
      });
    });
  }
}
