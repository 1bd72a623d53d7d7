/**
 * The script that `MPIPoolExecutor` spawns: serves the parent's tasks until
 * the pool shuts down, then disconnects.
 *
 * On the mpi transport (no shm launcher to report it) a worker that dies
 * tells its manager first: at a non-zero exit (`process.exit(3)` in a
 * task) and at an uncaught error, it sends a `DEATH` notice and waits up to
 * {@link ACK_WAIT_MS} for the manager's answer, synchronously (Isend, Test
 * and Iprobe), since an exit handler cannot wait for Promises. A worker
 * killed by a signal cannot: Open MPI's mpiexec then reports the rank and
 * PID and ends the job.
 *
 * @module
 */

import { parentPort } from 'node:worker_threads';
import { MPI } from '../mpi.js';
import { type DeathNotice, Tag } from './protocol.js';
import { serve } from './server.js';

/** How long a dying worker waits for its manager to take its notice. */
const ACK_WAIT_MS = 3000;

const parent = MPI.Comm.Get_parent();
if (parent === null) throw new Error('mpi4ts/futures: this worker is started by MPIPoolExecutor, not by hand');

/** Sends the notice and waits for the answer, without the event loop. */
function tellManager(reason: string): void {
  const notice: DeathNotice = { reason };
  try {
    const sent = parent!.isend(notice, 0, Tag.DEATH);
    const deadline = performance.now() + ACK_WAIT_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!sent.Test() && performance.now() < deadline) Atomics.wait(pause, 0, 0, 1);
    while (!parent!.Iprobe(0, Tag.DEATH_ACK) && performance.now() < deadline) Atomics.wait(pause, 0, 0, 1);
  } catch {
    // The manager may be gone already: nothing more to do.
  }
}

let dying = false;
if (parentPort === null) {
  process.on('exit', (code) => {
    if (code !== 0 && !dying) {
      dying = true;
      tellManager(`exited with code ${code}`);
    }
  });
  const fatal = (error: unknown): void => {
    if (dying) return;
    dying = true;
    const text = error instanceof Error ? error.stack ?? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`${text}\n`);
    tellManager(`failed: ${text.split('\n')[0]}`);
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

await serve(parent, 0);
await parent.Disconnect();
