/**
 * What one rank records of its MPI calls when the job is observed
 * (`--trace`, `--profile`): the records a rank writes at its end, and the
 * environment variables through which the launcher asks for them.
 *
 * Not an MPI-4.1 interface: MPI-4.1 §15 (the tool information interface)
 * and §15.3 (the profiling interface, PMPI) describe what tools of C
 * programs use; mpi4ts records the calls of the API itself (see
 * `observe/instrument.ts`).
 *
 * Unfinished: records of one-sided calls (`Win`) and I/O; a message's id
 * carried in its envelope (messages are matched after the run instead, see
 * `observe/trace.ts`).
 *
 * @module
 */

/** The directory into which every rank writes its part (`part-<label>.json`); set by the launcher. */
export const OBSERVE_DIR_ENV = 'MPI4TS_OBSERVE_DIR';
/** How a rank's track is named (`rank 3`); the launcher sets it per worker on shm. */
export const OBSERVE_LABEL_ENV = 'MPI4TS_OBSERVE_LABEL';
/**
 * In a job that mpiexec started directly: the trace file world rank 0 writes
 * as it exits, once every rank's part is in the observe directory.
 */
export const OBSERVE_TRACE_ENV = 'MPI4TS_OBSERVE_TRACE';
/** `1`, in a job that mpiexec started directly: world rank 0 prints the profile as it exits. */
export const OBSERVE_PROFILE_ENV = 'MPI4TS_OBSERVE_PROFILE';
/** `1`: each call also records the user's call site (file:line), for `--profile`. */
export const OBSERVE_SITES_ENV = 'MPI4TS_OBSERVE_SITES';

/** Calls of a kind (per rank) whose sites are all taken before sampling starts (a stack capture costs tens of µs). */
export const EXACT_SITES = 100;
/** Past {@link EXACT_SITES}, one call of a kind in this many, drawn at random, takes its site. */
export const SITE_SAMPLING = 64;

/** One MPI call of one rank; times in microseconds since the epoch. */
export interface CallRecord {
  /** The API call: `Comm.Send`, `Request.Wait`. */
  readonly name: string;
  /** The communicator's name, when the call has one. */
  readonly comm?: string | undefined;
  readonly start: number;
  readonly end: number;
  /** Destination or source as the program gave it (rank in `comm`). */
  readonly peer?: number | undefined;
  readonly tag?: number | undefined;
  /** Bytes sent (or, for a receive, received), when known. */
  readonly bytes?: number | undefined;
  /** The first frame of the user's code that made the call, `file:line` (with sites on, when taken). */
  readonly site?: string | undefined;
  /** How many calls of its kind this call's site stands for, when sites are sampled (1 when absent). */
  readonly weight?: number | undefined;
}

/**
 * One message sent or received, for the flow arrows: `peer` and `self` are
 * ranks of the job's world, `order` counts this rank's posts (the order in
 * which MPI matches messages), `at` is when it was sent or found received.
 */
export interface MessageRecord {
  readonly comm: string;
  readonly peer: number;
  readonly tag: number;
  readonly bytes: number;
  readonly order: number;
  readonly at: number;
}

/** What a rank writes at its end. */
export interface RankPart {
  /** Rank in the job's world (-1 when it made no call). */
  readonly rank: number;
  /** The track's name: `rank 3`. */
  readonly label: string;
  /** When recording started and ended (µs since the epoch). */
  readonly start: number;
  readonly end: number;
  readonly calls: readonly CallRecord[];
  readonly sends: readonly MessageRecord[];
  readonly receives: readonly MessageRecord[];
}

/** The file name of a rank's part, from its label. */
export function partFileName(label: string): string {
  return `part-${label.replace(/[^A-Za-z0-9_.-]+/g, '_')}.json`;
}
