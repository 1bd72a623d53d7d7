/**
 * `mpi4ts -m futures script.ts`: rank 0 runs the script, the other ranks of
 * the world serve the pools it makes (as `python -m mpi4py.futures` does).
 * Pools made on rank 0 take those ranks as workers instead of spawning, one
 * pool at a time; when the script is over, the workers are told to exit.
 *
 * @module
 */

import type { Intracomm } from '../api/intracomm.js';
import { MPI } from '../mpi.js';
import type { WorkerSource, Workers } from './workers.js';
import { Tag } from './protocol.js';
import { serve } from './server.js';

/** A pool as the world sees it: something to shut down when the script ends. */
interface Shutdownable {
  shutdown(): Promise<void>;
}

interface World {
  readonly comm: Intracomm;
  /** The pool holding the workers, if any. */
  holder: Shutdownable | undefined;
  /** Resolves when the holder has let them go. */
  released: Promise<void>;
}

let world: World | undefined;

/**
 * On rank 0 of a `-m futures` job: a source of workers for `pool` (the world's
 * other ranks), else undefined (the pool spawns its own).
 */
export function claimWorld(pool: Shutdownable,
  workersOf: (comm: Intracomm, root: number, release: () => Promise<void>) => Workers): WorkerSource | undefined {
  const w = world;
  if (w === undefined) return undefined;
  return async () => {
    if (w.holder !== undefined) {
      throw new Error('in a job started with -m futures, one pool at a time has the world\'s workers: shut the other down first');
    }
    w.holder = pool;
    let release!: () => void;
    w.released = new Promise((resolve) => { release = resolve; });
    return workersOf(w.comm, 0, async () => {
      w.holder = undefined;
      release();
    });
  };
}

/**
 * Called by every rank of a `-m futures` job before the script: rank 0
 * returns false (it runs the script); the others serve until rank 0's
 * script is over, then return true.
 */
export async function serveWorld(): Promise<boolean> {
  const comm = await MPI.COMM_WORLD.Dup();
  comm.Set_name('MPI_COMM_WORLD (-m futures)');
  if (comm.rank === 0) {
    world = { comm, holder: undefined, released: Promise.resolve() };
    return false;
  }
  await serve(comm, 0, true);
  comm.Free();
  return true;
}

/** On rank 0, once the script is over: shuts down a pool left open, then lets the workers exit. */
export async function releaseWorld(): Promise<void> {
  const w = world;
  if (w === undefined) return;
  world = undefined;
  await w.holder?.shutdown();
  await w.released;
  await Promise.all(Array.from({ length: w.comm.size - 1 }, (_, i) => w.comm.send(null, i + 1, Tag.EXIT)));
  w.comm.Free();
}
