/**
 * `MPI`: the one object a program imports, named as in mpi4py.
 *
 * It gathers the constants (MPI-4.1 §3.2.3, §3.11, §6.2.2), datatypes (§3.2.2),
 * error classes (§9.4), the predefined communicators (§7.2) and the
 * environment calls (§9). Communicators are created on first use, so
 * importing mpi4ts costs nothing until a program touches `COMM_WORLD`.
 *
 * @module
 */

import { Comm, setParentProvider } from './api/comm.js';
import { Group } from './api/group.js';
import { Intercomm } from './api/intercomm.js';
import { Intracomm } from './api/intracomm.js';
import { Cartcomm, Compute_dims } from './api/topology.js';
import { registerClass } from './codec/index.js';
import * as constants from './constants.js';
import { type TypedArray, arrayConstants, combiners, DATATYPE_NULL, Datatype, datatypes, typedict } from './datatype/index.js';
import * as environment from './environment.js';
import { ErrorClass, MPIError, TAG_UB, errorString, errors } from './errors.js';
import { Op, ops } from './op/op.js';
import { REQUEST_NULL, Request } from './api/request.js';
import { Status } from './api/status.js';

let world: Intracomm | undefined;
let self: Intracomm | undefined;
let parent: Intercomm | null | undefined;

setParentProvider(() => {
  if (parent === undefined) {
    const endpoint = environment.transport().parent;
    parent = endpoint === undefined ? null : new Intercomm(endpoint, 'parent');
  }
  return parent;
});

/** A typed array class that `MPI.alloc` can fill. */
export interface AllocatableArray<T extends TypedArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * `MPI_Alloc_mem` (MPI-4.1 §8.2) in typed-array form: `length` elements in
 * memory the transport moves with the fewest copies (on shm, the shared
 * heap: a large message then takes a single copy). The memory returns to the
 * heap when the array is garbage-collected.
 *
 * @example
 * ```ts
 * const buf = MPI.alloc(Float64Array, 1 << 20);
 * await comm.Send(buf, 1);
 * ```
 */
function alloc<T extends TypedArray>(arrayType: AllocatableArray<T>, length: number): T {
  if (!Number.isInteger(length) || length < 0) {
    throw errors.arg('MPI.alloc', `invalid length ${String(length)}`);
  }
  return environment.transport().alloc(arrayType, length);
}

/** The mpi4ts API, as `import { MPI } from 'mpi4ts'`. */
export const MPI = {
  ...constants,
  ...datatypes,
  ...combiners,
  ...arrayConstants,
  /** The null datatype (MPI-4.1 §3.2.2): `null`, as `COMM_NULL` is. */
  DATATYPE_NULL,
  ...ErrorClass,
  ...ops,
  TAG_UB,
  COMM_NULL: null,
  /** The inactive request (MPI-4.1 §3.7.3): what completed requests become in the arrays of `Waitany` and friends. */
  REQUEST_NULL,
  /** Every rank of the job (MPI-4.1 §7.2). */
  get COMM_WORLD(): Intracomm {
    world ??= new Intracomm(environment.transport().world, 'MPI_COMM_WORLD');
    return world;
  },
  /** This rank alone (MPI-4.1 §7.2). */
  get COMM_SELF(): Intracomm {
    self ??= new Intracomm(environment.transport().self, 'MPI_COMM_SELF');
    return self;
  },
  typedict,
  Comm,
  Intracomm,
  Intercomm,
  Cartcomm,
  Group,
  Compute_dims,
  Datatype,
  Op,
  Status,
  Request,
  MPIError,
  /** mpi4py's name for {@link MPIError}. */
  Exception: MPIError,
  Wtime: environment.Wtime,
  Wtick: environment.Wtick,
  Get_processor_name: environment.Get_processor_name,
  Get_version: environment.Get_version,
  Get_library_version: environment.Get_library_version,
  /** `MPI_Error_string` (MPI-4.1 §9.4). */
  Get_error_string: errorString,
  alloc,
  registerClass,
  /** Always true: mpi4ts initializes on import, as mpi4py does. */
  Is_initialized: (): boolean => true,
  /** The thread level: one thread per rank. */
  Query_thread: (): number => constants.THREAD_SINGLE,
} as const;
