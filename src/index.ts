/**
 * mpi4ts: MPI for TypeScript.
 *
 * @example
 * ```ts
 * import { MPI } from 'mpi4ts';
 * const comm = MPI.COMM_WORLD;
 * console.log(`${comm.rank} of ${comm.size}`);
 * ```
 *
 * @packageDocumentation
 */

export { MPI, type AllocatableArray } from './mpi.js';
export { Comm } from './api/comm.js';
export { Intracomm } from './api/intracomm.js';
export { Intercomm } from './api/intercomm.js';
export { Cartcomm } from './api/topology.js';
export { Group } from './api/group.js';
export { Request } from './api/request.js';
export { Status } from './api/status.js';
export { Datatype, type TypedArray } from './datatype/index.js';
export { Op, type UserFunction } from './op/op.js';
export { MPIError, ErrorClass, type ErrorClassCode } from './errors.js';
export type { BufferSpec, VectorBufferSpec } from './buffer.js';
export type { InPlace } from './constants.js';
