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

import { Comm, deleteAttributes, setParentProvider } from './api/comm.js';
import { GROUP_EMPTY, Group } from './api/group.js';
import { Distgraphcomm, Graphcomm } from './api/graph.js';
import { CollectivePrequest } from './api/persistent.js';
import { Intercomm } from './api/intercomm.js';
import { Intracomm } from './api/intracomm.js';
import { Cartcomm, Compute_dims, Topocomm } from './api/topology.js';
import { registerClass } from './codec/index.js';
import * as constants from './constants.js';
import {
  type TypedArray, arrayConstants, combiners, DATATYPE_NULL, Datatype, datatypeAliases, datatypes, typeclasses, typedict,
} from './datatype/index.js';
import * as environment from './environment.js';
import {
  ErrorClass, MPIError, TAG_UB, addErrorClass, addErrorCode, addErrorString, errorClassOf, errorString, errors,
  removeErrorClass, removeErrorCode, removeErrorString,
} from './errors.js';
import { Op, ops } from './op/op.js';
import { Grequest, Prequest, REQUEST_NULL, Request } from './api/request.js';
import { BSEND_OVERHEAD, attachBuffer, detachBuffer, flushBuffer } from './api/bsend.js';
import { MESSAGE_NO_PROC, MESSAGE_NULL, Message } from './api/message.js';
import { APPNUM, HOST, IO, LASTUSEDCODE, UNIVERSE_SIZE, WTIME_IS_GLOBAL } from './api/attributes.js';
import { KEYVAL_INVALID } from './attributes.js';
import { ERRHANDLER_NULL, ERRORS_ABORT, ERRORS_ARE_FATAL, ERRORS_RETURN, Errhandler } from './api/errhandler.js';
import { INFO_NULL, Info, MAX_INFO_KEY, MAX_INFO_VAL, environmentInfo } from './api/info.js';
import { Close_port, Lookup_name, Open_port, Publish_name, Unpublish_name } from './api/port.js';
import { Session } from './api/session.js';
import { Status } from './api/status.js';
import { NO_OP, REPLACE, Win, setSelfProvider } from './api/win.js';
import { FILE_NULL, File, Register_datarep } from './api/file.js';
import { installRecorder } from './observe/instrument.js';

let world: Intracomm | undefined;
setSelfProvider(() => MPI.COMM_SELF);
let self: Intracomm | undefined;
let parent: Intercomm | null | undefined;

setParentProvider(() => {
  if (parent === undefined) {
    const endpoint = environment.transport().parent;
    parent = endpoint === undefined ? null : new Intercomm(endpoint, 'parent');
  }
  // MPI_Comm_get_parent returns MPI_COMM_NULL once the parent intercommunicator is disconnected or freed.
  if (parent !== null && !parent.isLive) parent = null;
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

let finalized = false;

/**
 * `MPI_Init` / `MPI_Init_thread` (MPI-4.1 §11.2.1): mpi4ts initializes when
 * a program first uses `MPI`, as mpi4py does on import, so these only return
 * the thread level provided; after `Finalize` they throw `ERR_OTHER`.
 */
function initThread(required: number = constants.THREAD_MULTIPLE): number {
  if (finalized) throw errors.other('MPI.Init_thread', 'MPI has been finalized: it cannot be initialized again');
  if (!Number.isInteger(required) || required < constants.THREAD_SINGLE || required > constants.THREAD_MULTIPLE) {
    throw errors.arg('MPI.Init_thread', `invalid thread level ${String(required)}`);
  }
  environment.transport();
  return constants.THREAD_SINGLE;
}

/**
 * `MPI_Finalize` (MPI-4.1 §11.2.2): deletes the attributes of `COMM_SELF`
 * (their delete callbacks run, last set first: §11.2.4), marks this rank
 * finalized (`Is_finalized()`); resolves once buffered sends are delivered. The
 * transport itself shuts down when the rank's script ends, as it does without
 * `Finalize`.
 */
async function finalize(): Promise<void> {
  if (finalized) throw errors.other('MPI.Finalize', 'MPI has been finalized already');
  // First, COMM_SELF's attributes go as if it were freed (MPI-4.1 §11.2.4): libraries hook their clean-up there.
  if (self !== undefined) deleteAttributes(self);
  await flushBuffer();
  finalized = true;
}

/**
 * Addresses (MPI-4.1 §5.1.5): the address of a view's (or buffer's) first
 * byte, as a number: on the mpi transport the real one, on shm one of the
 * rank's own address space (a base per buffer plus the byte offset). Views of
 * one buffer differ by their byte offsets; a dynamic window (`Win.Attach`)
 * takes these addresses as target displacements.
 */
function getAddress(location: ArrayBufferView | ArrayBufferLike): number {
  if (ArrayBuffer.isView(location)) return environment.transport().address(location);
  if (location instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && location instanceof SharedArrayBuffer)) {
    return environment.transport().address(new Uint8Array(location, 0, 0));
  }
  throw errors.arg('MPI.Get_address', 'expected a typed array, DataView or ArrayBuffer');
}

function integerArgument(value: unknown, call: string, what: string): number {
  if (!Number.isSafeInteger(value)) throw errors.arg(call, `invalid ${what} ${String(value)}: must be an integer`);
  return value as number;
}

/**
 * `MPI_Alloc_mem` (MPI-4.1 §8.2): `size` bytes of memory the transport moves
 * with the fewest copies, as a `Uint8Array` (see `MPI.alloc` for other types).
 */
function allocMem(size: number, _info: Info = INFO_NULL): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw errors.arg('MPI.Alloc_mem', `invalid size ${String(size)}`);
  return environment.transport().alloc(Uint8Array, size);
}

/** `MPI_Free_mem` (MPI-4.1 §8.2): the memory returns to the transport once unreferenced (garbage collection). */
function freeMem(mem: ArrayBufferView): void {
  if (!ArrayBuffer.isView(mem)) throw errors.arg('MPI.Free_mem', 'expected memory from MPI.Alloc_mem');
}

/** mpi4py's `get_vendor()`: the MPI library under the transport and its version. */
function getVendor(): [string, [number, number, number]] {
  const version = environment.Get_library_version();
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  const numbers: [number, number, number] = match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : [0, 0, 0];
  if (/Open MPI/i.test(version)) return ['Open MPI', numbers];
  if (/MPICH/i.test(version)) return ['MPICH', numbers];
  return ['mpi4ts', numbers];
}

let infoEnv: Info | undefined;

/** The mpi4ts API, as `import { MPI } from 'mpi4ts'`. */
export const MPI = {
  ...constants,
  ...datatypes,
  ...datatypeAliases,
  ...combiners,
  ...typeclasses,
  ...arrayConstants,
  /** The null datatype (MPI-4.1 §3.2.2): `null`, as `COMM_NULL` is. */
  DATATYPE_NULL,
  /**
   * `MPI_LB` and `MPI_UB`: markers of the lower and upper bound, removed in
   * MPI-3.0 (use `Datatype.Create_resized`); mpi4py keeps the names, equal
   * to `DATATYPE_NULL` on MPI-3 libraries, and so does mpi4ts: `null`.
   */
  LB: null,
  /** `MPI_UB`: see {@link MPI.LB}; `null`. */
  UB: null,
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
  Topocomm,
  Graphcomm,
  Distgraphcomm,
  CollectivePrequest,
  Group,
  /** `MPI_GROUP_EMPTY` (MPI-4.1 §7.3): the group without members. */
  GROUP_EMPTY,
  /** `MPI_GROUP_NULL`: no group, as `MPI.COMM_NULL` is no communicator. */
  GROUP_NULL: null,
  Compute_dims,
  Datatype,
  Op,
  /** The null operation handle (MPI-4.1 §6.9.5): `null`, as `COMM_NULL` is. */
  OP_NULL: null,
  Status,
  Request,
  Prequest,
  Grequest,
  Message,
  /** No message (MPI-4.1 §3.8.2). */
  MESSAGE_NULL,
  /** The message a matched probe of `MPI.PROC_NULL` returns (MPI-4.1 §3.8.2). */
  MESSAGE_NO_PROC,
  /** Bytes each buffered message takes in the attached buffer beyond its own (MPI-4.1 §3.6). */
  BSEND_OVERHEAD,
  /** `MPI_Buffer_attach` (MPI-4.1 §3.6): the buffer for `Bsend`. */
  Attach_buffer: attachBuffer,
  /** `MPI_Buffer_detach` (MPI-4.1 §3.6): resolves with the buffer once every buffered message is delivered. */
  Detach_buffer: detachBuffer,
  /** `MPI_Buffer_flush` (mpi4py 4's `Flush_buffer`): resolves once every buffered message is delivered. */
  Flush_buffer: flushBuffer,
  Win,
  /** The null window handle (MPI-4.1 §12.2): `null`, as `COMM_NULL` is. */
  WIN_NULL: null,
  /** Accumulate that stores the origin's elements (MPI-4.1 §12.3.4). */
  REPLACE,
  /** Get_accumulate and Fetch_and_op that only read (MPI-4.1 §12.3.5). */
  NO_OP,
  /** Parallel I/O (MPI-4.1 §14). */
  File,
  /** The null file handle (MPI-4.1 §14.2.2). */
  FILE_NULL,
  /** User data representations for file views (MPI-4.1 §14.5.3). */
  Register_datarep,
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
  /** `MPI_Is_finalized` (MPI-4.1 §11.2.2): true after `MPI.Finalize()`. */
  Is_finalized: (): boolean => finalized,
  /** The thread level: one thread per rank. */
  Query_thread: (): number => constants.THREAD_SINGLE,
  /** `MPI_Init` (MPI-4.1 §11.2.1): mpi4ts initializes on first use; this does nothing more. */
  Init: (): void => {
    initThread(constants.THREAD_SINGLE);
  },
  Init_thread: initThread,
  Finalize: finalize,
  /** `MPI_Is_thread_main` (MPI-4.1 §11.2.1): true on the thread that runs the rank's script. */
  Is_thread_main: (): boolean => environment.transport().isThreadMain?.() ?? true,
  /** `MPI_Pcontrol` (MPI-4.1 §15.2.4): profiling control; mpi4ts has no profiling layer, so it checks `level` only. */
  Pcontrol: (level: number): void => {
    integerArgument(level, 'MPI.Pcontrol', 'level');
  },
  Alloc_mem: allocMem,
  Free_mem: freeMem,
  Open_port,
  Close_port,
  Publish_name,
  Unpublish_name,
  Lookup_name,
  /** `MPI_Get_address` (MPI-4.1 §5.1.5): the address of a view's first byte (see `Win.Create_dynamic`). */
  Get_address: getAddress,
  /** `MPI_Aint_add` (MPI-4.1 §5.1.5). */
  Aint_add: (base: number, disp: number): number =>
    integerArgument(base, 'MPI.Aint_add', 'base') + integerArgument(disp, 'MPI.Aint_add', 'disp'),
  /** `MPI_Aint_diff` (MPI-4.1 §5.1.5). */
  Aint_diff: (addr1: number, addr2: number): number =>
    integerArgument(addr1, 'MPI.Aint_diff', 'addr1') - integerArgument(addr2, 'MPI.Aint_diff', 'addr2'),
  get_vendor: getVendor,
  /** `MPI_Get_error_class` (MPI-4.1 §9.4). */
  Get_error_class: errorClassOf,
  /** `MPI_Add_error_class` (MPI-4.1 §9.6). */
  Add_error_class: addErrorClass,
  /** `MPI_Add_error_code` (MPI-4.1 §9.6). */
  Add_error_code: addErrorCode,
  /** `MPI_Add_error_string` (MPI-4.1 §9.6). */
  Add_error_string: addErrorString,
  /** `MPI_Remove_error_class` (MPI-4.1 §9.6). */
  Remove_error_class: removeErrorClass,
  /** `MPI_Remove_error_code` (MPI-4.1 §9.6). */
  Remove_error_code: removeErrorCode,
  /** `MPI_Remove_error_string` (MPI-4.1 §9.6). */
  Remove_error_string: removeErrorString,
  Info,
  Session,
  /** No info (MPI-4.1 §10). */
  INFO_NULL,
  /** How this process was started (MPI-4.1 §11.2.2): `command`, `argv`, `maxprocs`, `thread_level`, `host`. */
  get INFO_ENV(): Info {
    infoEnv ??= environmentInfo({
      command: process.argv[1] ?? process.argv0,
      argv: process.argv.slice(2).join(' '),
      maxprocs: String(environment.transport().worldSize),
      thread_level: 'MPI_THREAD_SINGLE',
      host: environment.Get_processor_name(),
    });
    return infoEnv;
  },
  Errhandler,
  ERRHANDLER_NULL,
  ERRORS_RETURN,
  ERRORS_ARE_FATAL,
  ERRORS_ABORT,
  KEYVAL_INVALID,
  HOST,
  IO,
  WTIME_IS_GLOBAL,
  UNIVERSE_SIZE,
  APPNUM,
  LASTUSEDCODE,
  /** The MPI standard version mpi4ts follows (`MPI_VERSION`, `MPI_SUBVERSION`). */
  VERSION: 4,
  SUBVERSION: 1,
  MAX_INFO_KEY,
  MAX_INFO_VAL,
  MAX_PROCESSOR_NAME: 256,
  MAX_ERROR_STRING: 256,
  MAX_OBJECT_NAME: 64,
  MAX_LIBRARY_VERSION_STRING: 256,
  MAX_PORT_NAME: 1024,
  MAX_DATAREP_STRING: 128,
} as const;

// `--trace`/`--profile`: the launcher sets MPI4TS_OBSERVE_DIR, and the API's calls are recorded (observe/instrument.ts).
installRecorder({
  worldRank: () => MPI.COMM_WORLD.rank, worldGroup: () => MPI.COMM_WORLD.Get_group(), worldSize: () => MPI.COMM_WORLD.size,
  clockOffset: () => environment.startedTransport()?.clockOffset ?? 0,
});
