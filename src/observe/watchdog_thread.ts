/**
 * The watchdog thread of a rank under mpiexec (`--watchdog` with
 * `--transport mpi`): it reads the rank's current call from shared memory
 * every 100 ms, so it reports even while the rank's own thread computes,
 * and writes straight to the process's stderr (a busy rank could not forward
 * a worker thread's output). With `--watchdog-abort` it ends the rank's
 * process, and mpiexec the job.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: the JS stack of a rank that is computing (only the frames of
 * its last MPI call are shown; Node's in-process inspector cannot pause a
 * busy main thread from a worker).
 *
 * @module
 */

import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { StateSlot, type WatchdogOptions, rollCallEntry, watchdogFires } from './state.js';

const { buffer, label, options } = workerData as { buffer: SharedArrayBuffer; label: string; options: WatchdogOptions };
const slot = new StateSlot(buffer, 0);
let fired = false;

setInterval(() => {
  const now = Date.now();
  const state = slot.read();
  if (!watchdogFires([state], now, options)) {
    fired = false;
    return;
  }
  if (fired) return;
  fired = true;
  const why = options.any ? `${label} has been in one MPI call for ${options.seconds} s` : `${label} has ended no MPI call for ${options.seconds} s`;
  writeSync(2, `mpi4ts: watchdog: ${why}\n${rollCallEntry(label, state, now)}\n` +
    (options.abort ? `mpi4ts: watchdog: ending ${label} (--watchdog-abort)\n` : ''));
  if (options.abort) process.kill(process.pid, 'SIGTERM');
}, 100);
