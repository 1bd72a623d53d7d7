/**
 * Where a pool's workers come from: the shape every source (spawned ranks,
 * the world under `-m futures`, a communicator of `MPICommExecutor`) hands
 * the executor. A module of its own so that the sources and the executor do
 * not import each other.
 *
 * @module
 */
import type { Comm } from '../api/comm.js';

/** Where a pool's workers are, once it has started. */
export interface Workers {
  readonly comm: Comm;
  /** Where the workers answer (READY, RESULTS), if not on `comm`. */
  readonly replies?: Comm;
  /** The workers' ranks on `comm`. */
  readonly ranks: readonly number[];
  readonly labels: readonly string[];
  readonly slots: readonly number[];
  /** Whether the shm launcher reports the death of these workers to this thread. */
  readonly deathNotices: boolean;
  /** Ends the pool's hold on the communicator once the workers have stopped. */
  readonly release: () => Promise<void>;
}

/** How a pool finds its workers. */
export type WorkerSource = (options: { maxWorkers: number }) => Promise<Workers>;
