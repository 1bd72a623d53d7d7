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
export { Comm } from './comm.js';
export { Intracomm } from './intracomm.js';
export { Intercomm } from './intercomm.js';
export { Cartcomm } from './topology.js';
export { Group } from './group.js';
export { Request } from './request.js';
export { Status } from './status.js';
export { Datatype, type TypedArray } from './datatype.js';
export { Op, type UserFunction } from './op.js';
export { MPIError, ErrorClass, type ErrorClassCode } from './errors.js';
export type { BufferSpec, VectorBufferSpec } from './buffer.js';
export type { InPlace } from './constants.js';
