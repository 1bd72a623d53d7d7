/**
 * Loading the native binding of the `mpi` transport (native/mpi4ts_native.c)
 * and turning its error codes into {@link MPIError}s.
 *
 * MPI-4.1 §9.4 (error classes: the library's class of each code, by name,
 * since Open MPI and MPICH number them differently), §11.2.1 (MPI_Init_thread
 * happens when the addon loads: `MPI4TS_THREAD_LEVEL` picks the level,
 * FUNNELED by default).
 *
 * Unfinished: nothing known; the binding's own gaps are listed in its source.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from '../../datatype/index.js';
import { ErrorClass, type ErrorClassCode, errors, MPIError } from '../../errors.js';

/** Returned by the starting functions: the operation completed; its status is in `statusBuffer`. */
export const RC_DONE = -1;
/** Returned by the starting functions: the operation failed; the MPI error code is in `statusBuffer[ST_ERROR]`. */
export const RC_ERROR = -2;
/** Index of the source rank in `statusBuffer`. */
export const ST_SOURCE = 0;
/** Index of the tag in `statusBuffer`. */
export const ST_TAG = 1;
/** Index of the byte count in `statusBuffer` (its part below 2^31; see {@link statusBytes}). */
export const ST_COUNT = 2;
/** Index of the byte count's multiple of 2^31 in `statusBuffer`, for messages over 2^31-1 bytes. */
export const ST_COUNT_HIGH = 5;
/** Index of the MPI error code (0: none) in `statusBuffer`. */
export const ST_ERROR = 3;
/** Index of the request id (or RC_DONE / RC_ERROR) after `imrecv`. */
export const ST_ID = 4;

/** The byte count of the last completed operation in `status` (the binding's `statusBuffer`). */
export function statusBytes(status: Int32Array): number {
  return status[ST_COUNT]! + status[ST_COUNT_HIGH]! * 2 ** 31;
}

/**
 * A user reduction as the binding calls it: `inout[i] = in[i] op inout[i]`
 * over `len` elements of the datatype at `datatypeIndex`. The ArrayBuffers
 * are lent for the duration of the call only.
 */
export type NativeUserOp = (invec: ArrayBuffer, inoutvec: ArrayBuffer, len: number, datatypeIndex: number) => void;

/**
 * What native/mpi4ts_native.c exports. Communicators are integer handles (0
 * WORLD, 1 SELF); requests are integer ids; a starting function returns an id
 * (pending), {@link RC_DONE} or {@link RC_ERROR}. Ranks and tags use the JS
 * constants (ANY_SOURCE -1, ANY_TAG -1, PROC_NULL -2); the binding maps them.
 */
export interface NativeMPI {
  /**
   * `[source, tag, byteCount, errorCode, requestId, byteCountHigh, ...]` of the
   * last completed operation (bytes: {@link statusBytes}).
   */
  readonly statusBuffer: Int32Array;
  readonly threadRequested: number;
  readonly threadProvided: number;
  /** True when the addon called MPI_Init_thread (false when MPI was already initialised). */
  readonly ownsInit: boolean;
  /** Datatype names as in `src/datatype.ts` (`'MPI_DOUBLE'`); a datatype's index is its position. */
  readonly datatypeNames: readonly string[];
  /** `MPI_Type_get_extent` of each datatype, in bytes. */
  readonly datatypeExtents: readonly number[];
  /** Predefined op names (`'MPI_SUM'`); an op's index is its position. User ops follow. */
  readonly opNames: readonly string[];
  /** The library's number of each error class, by mpi4ts name (`ERR_TRUNCATE`). */
  readonly errorClasses: Readonly<Record<string, number>>;
  /** `MPI_TAG_UB` of the library. */
  readonly tagUB: number;
  /** `MPI_Get_version`: `[version, subversion]`. */
  readonly version: readonly [number, number];

  /** Sends `data`, or its first `bytes` bytes (a body past the longest Uint8Array, as a wider view). */
  isend(comm: number, data: Uint8Array | TypedArray, dest: number, tag: number, sync: number, bytes?: number): number;
  /** Receives into `into`, or its first `bytes` bytes (as for `isend`). */
  irecv(comm: number, into: Uint8Array | TypedArray, source: number, tag: number, bytes?: number): number;
  /**
   * Matches (MPI_Improbe, repeated for up to `microseconds`) and receives a
   * message of unknown size; undefined if none matches. A message of 2^32
   * bytes or more comes as a Float64Array rounded up to whole elements: its
   * length is the status's count.
   */
  imrecv(comm: number, source: number, tag: number, microseconds?: number): Uint8Array | Float64Array | undefined;
  test(id: number): boolean;
  testSpin(id: number, microseconds: number): boolean;
  /**
   * Tests `ids[0..n)` at once, repeatedly for up to `microseconds` until one
   * completes; the completed ones are moved to the front; returns how many.
   */
  testsome(ids: Int32Array, n: number, microseconds: number, yieldWhenIdle: number): number;
  /** MPI_Iprobe, repeated for up to `microseconds`; status written when true. */
  iprobe(comm: number, source: number, tag: number, microseconds?: number): boolean;

  commRankSize(comm: number): [number, number];
  /** A new handle, or -1 when `color` was UNDEFINED. */
  commSplit(comm: number, color: number, key: number): number;
  /** MPI_Comm_split_type with MPI_COMM_TYPE_SHARED (blocking): a new handle. */
  commSplitShared(comm: number, key: number): number;
  /** MPI_Comm_dup (blocking): a new handle. */
  commDup(comm: number): number;
  /** MPI_Cart_create without reordering (blocking); -1 on ranks outside the grid (native/topo.c). */
  topoCart(comm: number, dims: Int32Array, periods: Int32Array): number;
  /** MPI_Dist_graph_create_adjacent, unweighted, without reordering (blocking). */
  topoDistGraph(comm: number, sources: Int32Array, destinations: Int32Array): number;
  /** MPI_Ineighbor_alltoallv in bytes on a topology communicator: a request id, RC_DONE or RC_ERROR. */
  ineighborAlltoallv(comm: number, send: Uint8Array, recv: Uint8Array, sendCounts: Int32Array, sendDispls: Int32Array,
    recvCounts: Int32Array, recvDispls: Int32Array): number;
  commFree(comm: number): void;
  /** MPI_Comm_disconnect (blocking, collective): waits for pending communication, then frees. */
  commDisconnect(comm: number): void;
  /** COMM_WORLD rank of each rank of the (local) group. */
  commWorldRanks(comm: number): Int32Array;
  /** MPI_Comm_create_group over the ranks `members` of `comm`; only they call it. */
  commCreateGroup(comm: number, members: Int32Array, tag: number): number;
  /** MPI_Intercomm_create; `peer` matters at the local leader only (null elsewhere). */
  intercommCreate(local: number, localLeader: number, peer: number | null, remoteLeader: number, tag: number): number;
  /** MPI_Intercomm_merge: the handle of the merged intracommunicator. */
  intercommMerge(inter: number, high: number): number;
  /** MPI_Comm_remote_size. */
  commRemoteSize(inter: number): number;
  /** COMM_WORLD rank of each remote rank; -1 for processes outside this COMM_WORLD. */
  commRemoteWorldRanks(inter: number): Int32Array;
  /** MPI_Comm_spawn (blocking, collective): the intercommunicator to the children. */
  commSpawn(comm: number, command: string, args: readonly string[], maxprocs: number, root: number, wdir: string): number;
  /** MPI_Comm_get_parent: a handle, or -1 when this job was not spawned. */
  commGetParent(): number;
  /** MPI_Comm_spawn_multiple (blocking, collective): each program runs `command` with its argv (native/ports.c). */
  commSpawnMultiple(comm: number, command: string, argvs: readonly (readonly string[])[], maxprocs: readonly number[], root: number,
    wdir: string): number;
  /** MPI_Open_port: a port name. */
  openPort(): string;
  /** MPI_Close_port. */
  closePort(port: string): void;
  /** MPI_Publish_name, or MPI_Unpublish_name when `publish` is false. */
  publishName(service: string, port: string, publish: boolean): void;
  /** MPI_Lookup_name: the port name. */
  lookupName(service: string): string;
  /** MPI_Comm_accept (`accept` true) or MPI_Comm_connect (blocking, collective): the intercommunicator's handle. */
  commAcceptConnect(comm: number, port: string, root: number, accept: boolean): number;
  /** MPI_Comm_join over the connected socket `fd` (blocking): the intercommunicator's handle. */
  commJoin(fd: number): number;

  // Collectives. The I-forms start MPI's nonblocking collective and return an
  // id, RC_DONE or RC_ERROR; the others make MPI's blocking call and return
  // RC_DONE or RC_ERROR (the error code in statusBuffer[ST_ERROR]). Data
  // movement counts bytes; `send` null means in place (or not significant on
  // this rank).
  ibarrier(comm: number): number;
  ibcast(comm: number, buf: Uint8Array, root: number): number;
  /** `counts` and `displs` (bytes) place the blocks of `recv`, at the root. */
  igatherv(comm: number, send: Uint8Array | null, recv: Uint8Array | null, counts: Int32Array | null,
    displs: Int32Array | null, root: number): number;
  /** `counts` and `displs` (bytes) place the blocks of `send`, at the root. */
  iscatterv(comm: number, send: Uint8Array | null, recv: Uint8Array | null, counts: Int32Array | null,
    displs: Int32Array | null, root: number): number;
  iallgatherv(comm: number, send: Uint8Array | null, recv: Uint8Array, counts: Int32Array, displs: Int32Array): number;
  allgatherv(comm: number, send: Uint8Array | null, recv: Uint8Array, counts: Int32Array, displs: Int32Array): number;
  ialltoallv(comm: number, send: Uint8Array | null, recv: Uint8Array, sendCounts: Int32Array, sendDispls: Int32Array,
    recvCounts: Int32Array, recvDispls: Int32Array): number;
  /** Blocks of `block` bytes end to end in `recv`, at the root. */
  igather(comm: number, send: Uint8Array | null, recv: Uint8Array | null, block: number, root: number): number;
  /** Blocks of `block` bytes end to end in `send`, at the root. */
  iscatter(comm: number, send: Uint8Array | null, recv: Uint8Array | null, block: number, root: number): number;
  iallgather(comm: number, send: Uint8Array | null, recv: Uint8Array, block: number): number;
  allgather(comm: number, send: Uint8Array | null, recv: Uint8Array, block: number): number;
  ialltoall(comm: number, send: Uint8Array | null, recv: Uint8Array, block: number): number;
  ireduce(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView | null, count: number, datatype: number,
    op: number, root: number): number;
  reduce(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView | null, count: number, datatype: number,
    op: number, root: number): number;
  iallreduce(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView, count: number, datatype: number,
    op: number): number;
  allreduce(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView, count: number, datatype: number,
    op: number): number;
  /** `counts` in elements. */
  ireduceScatter(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView, counts: Int32Array,
    datatype: number, op: number): number;
  reduceScatter(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView, counts: Int32Array,
    datatype: number, op: number): number;
  iscan(comm: number, send: ArrayBufferView | null, recv: ArrayBufferView, count: number, datatype: number, op: number,
    exclusive: number): number;

  opCreate(fn: NativeUserOp, commute: boolean): number;
  opFree(op: number): void;
  opTakeError(op: number): unknown;

  /** `[errorClass, errorString]` of an MPI error code (library numbering). */
  errorInfo(code: number): [number, string];
  processorName(): string;
  libraryVersion(): string;
  wtime(): number;
  wtick(): number;
  abort(code: number): never;
  /** Arranges MPI_Abort(code) when the process exits (after Node has printed a fatal error). */
  abortAtExit(code: number): void;
  /** MPI_Finalize, once; true if this call did it. */
  finalize(): boolean;
  /**
   * MPI_Cancel of a pending request, then MPI_Wait: true when it was
   * cancelled (the id is gone); false when it completed instead (`test(id)`
   * then reports it as usual). native/surface.c.
   */
  cancel(id: number): boolean;
  /** A predefined attribute of MPI_COMM_WORLD by name (`'UNIVERSE_SIZE'`), undefined when unset. */
  worldAttribute(name: string): number | undefined;
  /** MPI_Is_thread_main. */
  isThreadMain(): boolean;

  // One-sided communication (native/win.c): windows are integer handles, displacements are bytes.
  /** `MPI_Win_create` over `memory` (null: no memory) with displacement unit 1. */
  winCreate(comm: number, memory: Uint8Array | null): number;
  /** `MPI_Win_allocate` (`shared` 0) or `MPI_Win_allocate_shared` (1): the handle and the zeroed memory, lent by MPI. */
  winAllocate(comm: number, bytes: number, shared: number): [number, ArrayBuffer];
  /** `MPI_Win_shared_query`: `rank`'s segment, lent by MPI until the window is freed. */
  winSharedQuery(win: number, rank: number): ArrayBuffer;
  /** `MPI_Win_free`; detaches the memory lent for the window. */
  winFree(win: number): void;
  winPut(win: number, data: Uint8Array, target: number, disp: number): void;
  winGet(win: number, into: Uint8Array, target: number, disp: number): void;
  /** `MPI_Accumulate` (result null), `MPI_Fetch_and_op` (count 1) or `MPI_Get_accumulate`. */
  winAccumulate(win: number, origin: TypedArray | null, result: TypedArray | null, count: number, datatype: number,
    target: number, disp: number, op: number): void;
  winCompareAndSwap(win: number, origin: TypedArray, compare: TypedArray, result: TypedArray, datatype: number,
    target: number, disp: number): void;
  /**
   * The synchronization calls by `kind` (0 fence(a = assert), 1 lock(a = 1 exclusive / 2 shared, b = rank),
   * 2 unlock(a = rank), 3 lock_all(a = assert), 4 unlock_all, 5 flush(a), 6 flush_all, 7 flush_local(a),
   * 8 flush_local_all, 9 sync, 10 complete, 11 wait, 12 test): true when `MPI_Win_test` says done.
   */
  winSync(win: number, kind: number, a: number | null, b: number | null): boolean;
  /** `MPI_Win_start` (`start` 1) or `MPI_Win_post` (0) over the window ranks `ranks`. */
  winPostStart(win: number, start: number, ranks: Int32Array, assertion: number): void;
  /** `MPI_Win_create_dynamic` (MPI-4.1 §12.2.4): a window with no memory until `winAttach`. */
  winCreateDynamic(comm: number): number;
  /** `MPI_Win_attach` (`attach` 1) or `MPI_Win_detach` (0) of the bytes of `memory`. */
  winAttach(win: number, memory: ArrayBufferView, attach: number): void;
  /**
   * The request-based calls (MPI-4.1 §12.3.7) by `kind`: 0 `MPI_Rput` of `origin`'s bytes, 1 `MPI_Rget` into
   * `result`'s bytes, 2 `MPI_Raccumulate`, 3 `MPI_Rget_accumulate` of `count` elements of `datatype` with `op`:
   * a request id, or RC_DONE / RC_ERROR as `isend` returns.
   */
  winRequest(win: number, kind: number, origin: TypedArray | null, result: TypedArray | null, count: number,
    datatype: number, target: number, disp: number, op: number): number;
  /** `MPI_Get_address` of the first byte of `view` (0 for an empty view). */
  address(view: ArrayBufferView): number;

  /**
   * Builds and commits an MPI datatype of blocks of `counts[k]` basic
   * elements (datatype index `basics[k]`) at byte `disps[k]`, with lower
   * bound `lb` and extent `extent` (native/datatype.c); returns its handle.
   */
  typeCreate(disps: readonly number[], counts: readonly number[], basics: readonly number[], lb: number, extent: number): number;
  /**
   * {@link typeCreate}'s datatype built as compact as MPI takes it, for file
   * views (native/file.c): one basic type at a constant stride is an hvector,
   * one basic type an hindexed, else the struct; one basic element is the
   * predefined type itself. Freed by {@link fileTypeFree}.
   */
  fileTypeCreate(disps: readonly number[], counts: readonly number[], basics: readonly number[], lb: number,
    extent: number): number;
  /** Frees a datatype of {@link fileTypeCreate} (a predefined one only leaves the binding's table). */
  fileTypeFree(handle: number): void;
  /** Frees a datatype of {@link typeCreate}. */
  typeFree(handle: number): void;
  /** How many datatypes of {@link typeCreate} are not freed yet (native/file.c; for tests of leaks). */
  typesLive(): number;
  /** The library's `[size, lb, extent, trueLb, trueExtent]` of a datatype of {@link typeCreate}. */
  typeInfo(handle: number): [number, number, number, number, number];
  /** `MPI_Pack` (or `MPI_Pack_external("external32")`) of `count` elements from `inbuf` into `outbuf`; returns the bytes written. */
  typePack(handle: number, count: number, inbuf: TypedArray, outbuf: Uint8Array, external: boolean): number;
  /** `MPI_Unpack` of `count` elements from `inbuf` into `outbuf`; returns the bytes read. */
  typeUnpack(handle: number, count: number, inbuf: Uint8Array, outbuf: TypedArray): number;

  /** `MPI_File_open` on `comm` (amode in `MPI.MODE_*` bits; hints as parallel arrays): a file handle (native/file.c). */
  fileOpen(comm: number, path: string, amode: number, hintKeys: readonly string[], hintValues: readonly string[]): number;
  /** `MPI_File_close`. */
  fileClose(file: number): void;
  /** `MPI_File_delete`. */
  fileDelete(path: string): void;
  /** `MPI_File_set_view(disp, etype, filetype, "native")`, the types as {@link typeCreate} handles. */
  fileSetView(file: number, disp: number, etype: number, filetype: number): void;
  /** The small file calls by kind (native/file.c `FC_*`): returns the size, flag, position or offset asked for. */
  fileCtl(file: number, kind: number, value: number | null): number;
  /**
   * The blocking data-access call `kind` (native/file.c `g_file_access`) over
   * `bytes`: returns the bytes moved. `etype`: the view's etype handle
   * ({@link fileTypeCreate}); when predefined, the bytes go to MPI as whole
   * elements of it (else, or null, as bytes).
   */
  fileAccess(file: number, kind: number, offset: number, bytes: Uint8Array, etype: number | null): number;
  /** Starts the nonblocking data-access call `kind` (native/file.c `g_file_start`): request id, RC_DONE or RC_ERROR. */
  fileStart(file: number, kind: number, offset: number, bytes: Uint8Array): number;
  /** `MPI_File_*_begin` of split collective `kind` (native/file.c `g_file_split`); `bytes` must stay alive until {@link fileEnd}. */
  fileBegin(file: number, kind: number, offset: number, bytes: Uint8Array): void;
  /** `MPI_File_*_end` of split collective `kind`, with the `bytes` of {@link fileBegin}: returns the bytes moved. */
  fileEnd(file: number, kind: number, bytes: Uint8Array): number;
}

/** Where the addon is looked for: `MPI4TS_NATIVE`, else native/build/Release of this package. */
export function nativePath(): string {
  const fromEnv = process.env.MPI4TS_NATIVE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  // src/transport/mpi/native.ts and dist/transport/mpi/native.js sit at the same depth.
  return fileURLToPath(new URL('../../../native/build/Release/mpi4ts_native.node', import.meta.url));
}

let loaded: NativeMPI | undefined;

/**
 * Loads the binding (once), which initialises MPI.
 *
 * The library is loaded with RTLD_GLOBAL so that MPI's own plugins (Open MPI's
 * MCA components) can resolve the library's symbols.
 *
 * @throws MPIError (`ERR_OTHER`) when the addon is not built or cannot load,
 *   saying how to build it.
 */
export function loadNative(): NativeMPI {
  if (loaded !== undefined) return loaded;
  const file = nativePath();
  if (!existsSync(file)) {
    throw errors.nativeNotBuilt('MPI.Init', file);
  }
  const module = { exports: {} as NativeMPI };
  try {
    process.dlopen(module, file, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
  } catch (cause) {
    throw errors.nativeNotLoaded('MPI.Init', file, cause);
  }
  loaded = module.exports;
  return loaded;
}

const classByLibraryNumber = new Map<number, ErrorClassCode>();

/** The mpi4ts error class of a library error class number (mapped by name). */
export function errorClassOf(native: NativeMPI, libraryClass: number): ErrorClassCode {
  if (classByLibraryNumber.size === 0) {
    for (const [name, value] of Object.entries(native.errorClasses)) {
      const mine = (ErrorClass as Record<string, ErrorClassCode>)[name];
      if (mine !== undefined) classByLibraryNumber.set(value, mine);
    }
  }
  return classByLibraryNumber.get(libraryClass) ?? ErrorClass.ERR_OTHER;
}

/**
 * An {@link MPIError} for an MPI error code, named after the API call `call`:
 * its class from `MPI_Error_class`, and after `detail` the C function that
 * failed with `MPI_Error_string`, in parentheses.
 */
export function mpiError(native: NativeMPI, code: number, call: string, cFunction: string,
  detail = 'the MPI library failed'): MPIError {
  const [libraryClass, text] = native.errorInfo(code);
  return errors.library(errorClassOf(native, libraryClass), call, `${detail} (${cFunction}: ${text})`);
}

/**
 * Turns what a binding call (the C function `cFunction`, serving the API call
 * `call`) threw into an {@link MPIError}: MPI failures carry `mpiErrorCode`;
 * the binding's own checks carry a `code` like `'MPI_ERR_COMM'`.
 */
export function asMPIError(native: NativeMPI, thrown: unknown, call: string, cFunction: string): MPIError {
  if (thrown instanceof MPIError) return thrown;
  const e = thrown as { mpiErrorCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.mpiErrorCode === 'number') return mpiError(native, e.mpiErrorCode, call, cFunction);
  const message = typeof e?.message === 'string' ? e.message.replace(/^mpi4ts_native: /, '') : String(thrown);
  const name = typeof e?.code === 'string' ? e.code.replace(/^MPI_/, '') : '';
  const cls = (ErrorClass as Record<string, ErrorClassCode>)[name] ?? ErrorClass.ERR_INTERN;
  return errors.library(cls, call, `${message} (${cFunction})`, thrown);
}
