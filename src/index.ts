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
export { Cartcomm, Topocomm } from './api/topology.js';
export { Graphcomm, Distgraphcomm, type Weights } from './api/graph.js';
export { CollectivePrequest } from './api/persistent.js';
export type { WBufferSpec } from './api/blocks.js';
export { Group } from './api/group.js';
export { Grequest, PartitionedRequest, Prequest, Request } from './api/request.js';
export { Message } from './api/message.js';
export { Info } from './api/info.js';
export { Session } from './api/session.js';
export { Errhandler } from './api/errhandler.js';
export { Status } from './api/status.js';
export { Win, type TargetSpec } from './api/win.js';
export { type DatarepConversion, File } from './api/file.js';
export { Datatype, type TypedArray } from './datatype/index.js';
export { Op, type UserFunction, type ValueFunction } from './op/op.js';
export { MPIError, ErrorClass, type ErrorClassCode } from './errors.js';
export type { BufferSpec, VectorBufferSpec } from './buffer.js';
export type { InPlace, WeightsMarker } from './constants.js';
