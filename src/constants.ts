/**
 * Constants of the MPI standard that are not datatypes, ops or error classes.
 *
 * MPI-4.1 §3.2.3 (wildcards), §3.11 (null processes), §6.2.2 (`MPI_IN_PLACE`),
 * §6.2.2 / §7.4 (`MPI_ROOT`, `MPI_UNDEFINED`), §7.4.1 (comparison results), §8.5 (topology kinds, graph weights),
 * §14.2.1 and §14.4 (file access modes, seek whence, `MPI_DISPLACEMENT_CURRENT`).
 *
 * @module
 */

// Negative constants carry literal types: declaration emit of `...constants` in mpi.ts garbles them otherwise.

/** Receive from any source (MPI-4.1 §3.2.4). */
export const ANY_SOURCE: -1 = -1;
/** Receive with any tag (MPI-4.1 §3.2.4). */
export const ANY_TAG: -1 = -1;
/** The null process: a send to it or a receive from it completes at once (MPI-4.1 §3.11). */
export const PROC_NULL: -2 = -2;
/** Marks the root side of an intercommunicator collective (MPI-4.1 §6.2.2). */
export const ROOT: -3 = -3;
/** A color that leaves a rank out of `Split` (MPI-4.1 §7.4.2). */
export const UNDEFINED: -32766 = -32766;

/**
 * `MPI.IN_PLACE` (MPI-4.1 §6.2.2): pass it as the send buffer of a collective
 * to take the data from, and leave the result in, the receive buffer.
 */
export const IN_PLACE: unique symbol = Symbol.for('mpi4ts.IN_PLACE');
/** The type of {@link IN_PLACE}. */
export type InPlace = typeof IN_PLACE;

/** Results of `Comm.Compare` and `Group.Compare` (MPI-4.1 §7.3.1, §7.4.1). */
export const IDENT = 0;
export const CONGRUENT = 1;
export const SIMILAR = 2;
export const UNEQUAL = 3;

/** `Split_type` kind: ranks that can share memory (MPI-4.1 §7.4.2). */
export const COMM_TYPE_SHARED = 1;

/** Topology kinds that `Comm.Get_topology` returns (MPI-4.1 §8.5.5); `MPI.UNDEFINED` for none. */
export const GRAPH = 1;
export const CART = 2;
export const DIST_GRAPH = 3;
/** `MPI_UNWEIGHTED` (MPI-4.1 §8.5.4): a distributed graph without edge weights. */
export const UNWEIGHTED: unique symbol = Symbol.for('mpi4ts.UNWEIGHTED');
/** `MPI_WEIGHTS_EMPTY` (MPI-4.1 §8.5.4): weights of a rank without edges in a weighted graph. */
export const WEIGHTS_EMPTY: unique symbol = Symbol.for('mpi4ts.WEIGHTS_EMPTY');
/** The type of {@link UNWEIGHTED} and {@link WEIGHTS_EMPTY}. */
export type WeightsMarker = typeof UNWEIGHTED | typeof WEIGHTS_EMPTY;

/** Thread support levels (MPI-4.1 §11.2.1). */
export const THREAD_SINGLE = 0;
export const THREAD_FUNNELED = 1;
export const THREAD_SERIALIZED = 2;
export const THREAD_MULTIPLE = 3;

/** Lock types of `Win.Lock` (MPI-4.1 §12.5.3). */
export const LOCK_EXCLUSIVE = 1;
export const LOCK_SHARED = 2;

/** Assertions of the window synchronization calls (MPI-4.1 §12.5.5): hints, which mpi4ts may ignore. */
export const MODE_NOCHECK = 1;
export const MODE_NOPRECEDE = 2;
export const MODE_NOPUT = 4;
export const MODE_NOSTORE = 8;
export const MODE_NOSUCCEED = 16;

/** How a window's memory came about: `Win.flavor` (MPI-4.1 §12.2.6). */
export const WIN_FLAVOR_CREATE = 1;
export const WIN_FLAVOR_ALLOCATE = 2;
export const WIN_FLAVOR_DYNAMIC = 3;
export const WIN_FLAVOR_SHARED = 4;

/** Memory models: `Win.model` (MPI-4.1 §12.4). */
export const WIN_UNIFIED = 0;
export const WIN_SEPARATE = 1;

/** Window attribute keys of `Win.Get_attr` (MPI-4.1 §12.2.6). */
export const WIN_BASE = 1;
export const WIN_SIZE = 2;
export const WIN_DISP_UNIT = 3;
export const WIN_CREATE_FLAVOR = 4;
export const WIN_MODEL = 5;
/** mpi4py's `WIN_FLAVOR`: the key of the window's flavor, {@link WIN_CREATE_FLAVOR} under its short name. */
export const WIN_FLAVOR = WIN_CREATE_FLAVOR;

/** File access modes of `File.Open` (MPI-4.1 §14.2.1), numbered as in Open MPI; or them together. */
export const MODE_CREATE = 1;
export const MODE_RDONLY = 2;
export const MODE_WRONLY = 4;
export const MODE_RDWR = 8;
export const MODE_DELETE_ON_CLOSE = 16;
export const MODE_UNIQUE_OPEN = 32;
export const MODE_EXCL = 64;
export const MODE_APPEND = 128;
export const MODE_SEQUENTIAL = 256;

/** `whence` of `File.Seek` and `File.Seek_shared` (MPI-4.1 §14.4.3). */
export const SEEK_SET = 600;
export const SEEK_CUR = 602;
export const SEEK_END = 604;

/** `File.Set_view`'s displacement on a file opened `MODE_SEQUENTIAL`: the shared pointer's position (MPI-4.1 §14.3). */
export const DISPLACEMENT_CURRENT: -54278278 = -54278278;
/** mpi4py's short name of {@link DISPLACEMENT_CURRENT}. */
export const DISP_CUR = DISPLACEMENT_CURRENT;
