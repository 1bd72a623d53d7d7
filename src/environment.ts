/**
 * The environment: which transport this rank runs on, and the calls about
 * the job as a whole.
 *
 * MPI-4.1 §9.1 (implementation information: version, processor name), §9.5
 * (`MPI_Abort`), §9.6 (timers), §11.2 (start-up: a script with no launcher is
 * a singleton job).
 *
 * A rank started by the mpi4ts launcher finds its part of the job in
 * `workerData`; a process started by `mpiexec`, `mpirun` or `srun` uses the
 * native MPI transport (`MPI4TS_TRANSPORT=mpi|shm` overrides the guess);
 * anything else is a singleton (`COMM_WORLD` of size 1).
 *
 * The composition root: the one module that names the concrete transports and
 * wires the layers together. It hands the shm transport the collectives built
 * over point-to-point (`collective/point_to_point.ts`) and the collective layer
 * its scratch memory ({@link collectiveScratch}); the API asks it to
 * {@link abort}. It imports nothing from `src/api/`.
 *
 * @module
 */

import { workerData } from 'node:worker_threads';
import { PointToPointCollectives } from './collective/point_to_point.js';
import { SelfCollectives } from './collective/self.js';
import { ScratchPool } from './collective/scratch.js';
import { setErrorRank } from './errors.js';
import { monotonicMicros } from './observe/clock.js';
import { type CollectivesFactory, type Transport, transportStarted } from './transport/transport.js';
import { Context, DEFAULT_EAGER_LIMIT, allocateJobMemory } from './transport/shm/layout.js';
import { type RankBoot, ShmTransport } from './transport/shm/transport.js';
import { launchedByMpi } from './transport/mpi/detect.js';
import { createMpiTransport } from './transport/mpi/transport.js';

let current: Transport | undefined;

/** The transport of this rank, started on first use. */
export function transport(): Transport {
  current ??= start();
  return current;
}

/** The transport of this rank if it has started, without starting it (for work at exit). */
export function startedTransport(): Transport | undefined {
  return current;
}

/**
 * Scratch memory of the collective algorithms, from the transport's `alloc`
 * (the shared heap on shm); one pool for every communicator of this rank.
 */
export const collectiveScratch = new ScratchPool((bytes) => transport().alloc(Uint8Array, bytes));

const pointToPointCollectives: CollectivesFactory = (channel, sharedArea) => channel.size === 1
  ? new SelfCollectives(channel, collectiveScratch) : new PointToPointCollectives(channel, collectiveScratch, sharedArea);

function start(): Transport {
  const boot = bootOf(workerData);
  const started = boot !== undefined ? new ShmTransport(boot, pointToPointCollectives)
    : wantsMpi() ? createMpiTransport() : new ShmTransport(singleton(), pointToPointCollectives);
  setErrorRank(started.worldRank);
  transportStarted();
  return started;
}

/** `MPI_Abort` (MPI-4.1 §9.5): ends every rank of the job through the transport. Never returns. */
export function abort(code: number, reason: string): never {
  return transport().abort(code, reason);
}

/** Under mpiexec, mpirun or srun, or when `MPI4TS_TRANSPORT=mpi` insists. */
function wantsMpi(): boolean {
  const forced = process.env.MPI4TS_TRANSPORT;
  if (forced === 'mpi' || forced === 'shm') return forced === 'mpi';
  return launchedByMpi();
}

function bootOf(data: unknown): RankBoot | undefined {
  if (typeof data !== 'object' || data === null || !('mpi4ts' in data)) return undefined;
  return (data as { mpi4ts: RankBoot }).mpi4ts;
}

function singleton(): RankBoot {
  return {
    rank: 0,
    memory: allocateJobMemory(1, { eagerLimit: DEFAULT_EAGER_LIMIT, heapBytes: 256 * 1024 * 1024 }, 1),
    tuning: { spinMicros: 50, blockMicros: 0, oversubscribed: false },
    world: { context: Context.WORLD, group: [0] },
  };
}

/** `MPI_Wtime` (MPI-4.1 §9.6): seconds since an arbitrary time in the past. */
export function Wtime(): number {
  return monotonicMicros() / 1e6;
}

/** `MPI_Wtick` (MPI-4.1 §9.6): the resolution of {@link Wtime} in seconds. */
export function Wtick(): number {
  return transport().wtick();
}

/** `MPI_Get_processor_name` (MPI-4.1 §9.1.1). */
export function Get_processor_name(): string {
  return transport().processorName();
}

/** `MPI_Get_version` (MPI-4.1 §9.1.1): the version of the standard the API follows. */
export function Get_version(): [number, number] {
  return [4, 1];
}

/** `MPI_Get_library_version` (MPI-4.1 §9.1.1): which transport and library run this job. */
export function Get_library_version(): string {
  return transport().libraryVersion();
}
