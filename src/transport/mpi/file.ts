/**
 * Parallel I/O on the mpi transport: the MPI library's own `MPI_File_*`
 * through the addon's `file*` calls (native/file.c), behind the transport's
 * {@link FileHandle}.
 *
 * MPI-4.1 §14.2 (`MPI_File_open`, `close`, `delete`, `set_size`,
 * `get_size`; `preallocate` by `set_size`, see `setSize`), §14.3
 * (`MPI_File_set_view`, with the etype and filetype built in the library
 * from mpi4ts's typemaps, datatypes.ts, as a vector or hindexed type where
 * the typemap is one (`fileTypeCreate`): the file owns them and frees them
 * once a new view replaces them, and at close), §14.4 (data access: every
 * blocking call and every I-form; the I-forms are real MPI requests in the
 * binding's request slots, completed by the progress engine as point-to-point
 * requests are; split collectives), §14.6 (`set_atomicity`, `sync`).
 *
 * Memory is bytes: the API layer packs and unpacks derived memory types
 * (the blocking calls hand them to MPI as elements of the view's etype when
 * that is a predefined type, as mpi4py does).
 * Collective calls that block in MPI (open, close, set_view, set_size,
 * `_all`, `_ordered`, ...) first pass a nonblocking barrier, so the event loop
 * runs while other ranks are late and the MPI call waits only briefly
 * (`BlockingCalls.construct`, context.ts). Independent blocking calls are
 * MPI's blocking calls, made at once.
 *
 * Errors carry the class MPI gives and read `<path>: <class text>
 * (<C function>: <library text>)`; the API layer checks arguments before
 * they reach here, with the same wording as on shm.
 *
 * Split collectives are the library's `MPI_File_*_begin` and `_end`, each
 * after a nonblocking barrier as the other collective calls.
 *
 * Unfinished: info hints are passed at open only (`MPI_File_set_info`,
 * `MPI_File_get_info` are not called); `'native'` data representation only.
 *
 * @module
 */

import { type Datatype, datatypes } from '../../datatype/index.js';
import { ErrorClass, type ErrorClassCode, errors, errorString, type MPIError } from '../../errors.js';
import { ops } from '../../op/op.js';
import type { Collectives, FileAccessKind, FileHandle, FileOpenRequest, Operation, SplitAccessKind } from '../transport.js';
import type { MpiCommunicator, MpiContext } from './context.js';
import { nativeDatatypes } from './datatypes.js';
import { asMPIError, type NativeMPI } from './native.js';

/** Kinds of `fileCtl` (native/file.c `FC_*`). */
const SET_SIZE = 0;
const GET_SIZE = 1;
const SYNC = 2;
const SET_ATOMICITY = 3;
const GET_ATOMICITY = 4;
const SEEK = 5;
const SEEK_SHARED = 6;
const GET_POSITION = 7;
const GET_POSITION_SHARED = 8;
const GET_BYTE_OFFSET = 9;
const ctlFunctions = ['MPI_File_set_size', 'MPI_File_get_size', 'MPI_File_sync',
  'MPI_File_set_atomicity', 'MPI_File_get_atomicity', 'MPI_File_seek', 'MPI_File_seek_shared', 'MPI_File_get_position',
  'MPI_File_get_position_shared', 'MPI_File_get_byte_offset'];

/** Row of each access kind in native/file.c's tables (read; write is the next row). */
const accessRow: Readonly<Record<FileAccessKind, number>> = { at: 0, at_all: 2, individual: 4, all: 6, shared: 8, ordered: 10 };
const accessFunction: Readonly<Record<FileAccessKind, string>> = { at: 'at', at_all: 'at_all', individual: '', all: 'all',
  shared: 'shared', ordered: 'ordered' };

/** Row of each split collective kind in native/file.c's `g_file_split` (read; write is the next row). */
const splitRow: Readonly<Record<SplitAccessKind, number>> = { at_all: 0, all: 2, ordered: 4 };

/** The C function of a split collective's begin or end, for messages: `MPI_File_read_all_begin`. */
function splitFunctionOf(kind: SplitAccessKind, write: boolean, end: boolean): string {
  return `${cFunctionOf(kind, write, false)}_${end ? 'end' : 'begin'}`;
}

/** The C function of an access, for messages: `MPI_File_write_at_all`, `MPI_File_iread`. */
function cFunctionOf(kind: FileAccessKind, write: boolean, nonblocking: boolean): string {
  const suffix = accessFunction[kind];
  return `MPI_File_${nonblocking ? 'i' : ''}${write ? 'write' : 'read'}${suffix === '' ? '' : `_${suffix}`}`;
}

/** What a file needs of its communicator: the endpoint's handle, context and collectives. */
export interface FileCommunicator extends MpiCommunicator {
  readonly ctx: MpiContext;
  readonly collectives: Pick<Collectives, 'barrier' | 'allreduce'>;
  /** A nonblocking access's operation over the binding's request id (or RC_DONE / RC_ERROR) `rc`. */
  fileRequest(rc: number, call: string, cFunction: string, bytes: number): Operation;
}

/** The errno the `fs` engine reports for each I/O error class that has one: the same wording on both transports. */
const errnoOf: Readonly<Partial<Record<ErrorClassCode, string>>> = {
  [ErrorClass.ERR_NO_SUCH_FILE]: 'ENOENT', [ErrorClass.ERR_FILE_EXISTS]: 'EEXIST', [ErrorClass.ERR_ACCESS]: 'EACCES',
  [ErrorClass.ERR_READ_ONLY]: 'EROFS', [ErrorClass.ERR_NO_SPACE]: 'ENOSPC', [ErrorClass.ERR_QUOTA]: 'EDQUOT',
  [ErrorClass.ERR_FILE_IN_USE]: 'EBUSY',
};

/**
 * An MPI error of a file call, worded as the `fs` engine words it on shm
 * (`<path>: <class text> (<errno>)`, `errors.io`); the library's own text is
 * the error's cause.
 */
function fileError(native: NativeMPI, thrown: unknown, call: string, cFunction: string, path: string): MPIError {
  const error = asMPIError(native, thrown, call, cFunction);
  const cls = error.error_class as ErrorClassCode;
  const errno = errnoOf[cls];
  if (errno === undefined) return errors.library(cls, call, `${path}: ${errorString(cls)} (${cFunction})`, error);
  return errors.io(call, path, Object.assign(new Error(error.detail, { cause: error }), { code: errno }));
}

/** `MPI_File_open` on the ranks of `comm` (collective). */
export async function openMpiFile(comm: FileCommunicator, request: FileOpenRequest, call: string): Promise<FileHandle> {
  const native = comm.ctx.native;
  const handle = await comm.ctx.blocking.construct(() => comm.collectives.barrier(), () => {
    try {
      return native.fileOpen(comm.handle, request.path, request.amode, request.hints.map(([k]) => k),
        request.hints.map(([, v]) => v));
    } catch (e) {
      throw fileError(native, e, call, 'MPI_File_open', request.path);
    }
  });
  return new MpiFile(comm, handle, request.path);
}

/** `MPI_File_delete`. */
export function deleteMpiFile(native: NativeMPI, path: string, call: string): void {
  try {
    native.fileDelete(path);
  } catch (e) {
    throw fileError(native, e, call, 'MPI_File_delete', path);
  }
}

/** The MPI datatypes of a file's view, owned by the file: the mpi4ts datatype and its handle. */
interface ViewTypes {
  readonly etype: Datatype;
  readonly e: number;
  readonly filetype: Datatype;
  readonly f: number;
}

/** An open MPI file. */
class MpiFile implements FileHandle {
  private readonly native: NativeMPI;
  /**
   * The MPI datatypes of the current view (none before the first
   * `setView`), built for it and freed once a new view replaces it (the file
   * uses them until then) and at close.
   */
  private viewTypes: ViewTypes | undefined;

  constructor(private readonly comm: FileCommunicator, private readonly handle: number, private readonly path: string) {
    this.native = comm.ctx.native;
  }

  /** Runs a binding call, turning what it throws into the file's MPIError. */
  private run<T>(call: string, cFunction: string, body: () => T): T {
    try {
      return body();
    } catch (e) {
      throw fileError(this.native, e, call, cFunction, this.path);
    }
  }

  /** A collective call that blocks in MPI, after a nonblocking barrier. */
  private collective<T>(call: string, cFunction: string, body: () => T): Promise<T> {
    return this.comm.ctx.blocking.construct(() => this.comm.collectives.barrier(), () => this.run(call, cFunction, body));
  }

  private ctl(kind: number, value: number | null, call: string): number {
    return this.run(call, ctlFunctions[kind]!, () => this.native.fileCtl(this.handle, kind, value));
  }

  private collectiveCtl(kind: number, value: number | null, call: string): Promise<number> {
    return this.collective(call, ctlFunctions[kind]!, () => this.native.fileCtl(this.handle, kind, value));
  }

  async close(call: string): Promise<void> {
    await this.collective(call, 'MPI_File_close', () => this.native.fileClose(this.handle));
    const old = this.viewTypes;
    this.viewTypes = undefined;
    if (old !== undefined) this.freeTypes(old, undefined);
  }

  /** Frees the handles of `types` that `kept` does not use. */
  private freeTypes(types: ViewTypes, kept: ViewTypes | undefined): void {
    const keep = kept === undefined ? [] : [kept.e, kept.f];
    for (const handle of new Set([types.e, types.f])) if (!keep.includes(handle)) this.native.fileTypeFree(handle);
  }

  /**
   * `Preallocate` is not MPI_File_preallocate: Open MPI 4.1's (ompio) has
   * each rank read the file's size while rank 0 writes the new bytes, and a
   * rank that reads it after those writes skips the broadcast that ends the
   * call, so the file's next collective call fails on it (`MPI_ERR_OTHER`)
   * and hangs on the others (seen with 4 ranks on a loaded machine). As on
   * the shm transport, the file grows to `size` if it is shorter (MPI-4.1
   * §14.2.5: the new bytes as if written with undefined data; they read as
   * zeros), by MPI_File_set_size once the ranks agree on the largest size
   * any of them sees.
   */
  async setSize(size: number, preallocate: boolean, call: string): Promise<void> {
    if (preallocate) {
      const largest = Float64Array.of(this.getSize(call));
      await this.comm.collectives.allreduce(undefined, largest, 1, datatypes.DOUBLE, ops.MAX);
      if (largest[0]! >= size) return;
    }
    await this.collectiveCtl(SET_SIZE, size, call);
  }

  getSize(call: string): number {
    return this.ctl(GET_SIZE, null, call);
  }

  async sync(call: string): Promise<void> {
    await this.collectiveCtl(SYNC, null, call);
  }

  async setAtomicity(flag: boolean, call: string): Promise<void> {
    await this.collectiveCtl(SET_ATOMICITY, flag ? 1 : 0, call);
  }

  getAtomicity(call: string): boolean {
    return this.ctl(GET_ATOMICITY, null, call) !== 0;
  }

  async setView(disp: number, etype: Datatype, filetype: Datatype, call: string): Promise<void> {
    // The types of the current view are reused for the same datatypes; new ones are built for the new view.
    const old = this.viewTypes;
    const known = (datatype: Datatype): number | undefined =>
      old === undefined ? undefined : datatype === old.etype ? old.e : datatype === old.filetype ? old.f : undefined;
    const types = nativeDatatypes(this.native);
    const e = known(etype) ?? types.build(etype, call, true);
    let f: number;
    try {
      f = filetype === etype ? e : known(filetype) ?? types.build(filetype, call, true);
    } catch (error) {
      if (e !== known(etype)) this.native.fileTypeFree(e);
      throw error;
    }
    const next: ViewTypes = { etype, e, filetype, f };
    try {
      await this.collective(call, 'MPI_File_set_view', () => this.native.fileSetView(this.handle, disp, e, f));
    } catch (error) {
      this.freeTypes(next, old);
      throw error;
    }
    this.viewTypes = next;
    if (old !== undefined) this.freeTypes(old, next);
  }

  access(kind: FileAccessKind, write: boolean, offset: number, bytes: Uint8Array, call: string): Promise<number> {
    const row = accessRow[kind] + (write ? 1 : 0);
    const cFunction = cFunctionOf(kind, write, false);
    const body = (): number => this.native.fileAccess(this.handle, row, offset, bytes, this.viewTypes?.e ?? null);
    if (kind === 'at_all' || kind === 'all' || kind === 'ordered') return this.collective(call, cFunction, body);
    try {
      return Promise.resolve(this.run(call, cFunction, body));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  start(kind: Exclude<FileAccessKind, 'ordered'>, write: boolean, offset: number, bytes: Uint8Array,
    call: string): Operation {
    const row = accessRow[kind] + (write ? 1 : 0);
    const cFunction = cFunctionOf(kind, write, true);
    const rc = this.run(call, cFunction, () => this.native.fileStart(this.handle, row, offset, bytes));
    return this.comm.fileRequest(rc, call, cFunction, bytes.byteLength);
  }

  begin(kind: SplitAccessKind, write: boolean, offset: number, bytes: () => Uint8Array, call: string): Promise<Uint8Array> {
    const row = splitRow[kind] + (write ? 1 : 0);
    return this.collective(call, splitFunctionOf(kind, write, false), () => {
      const data = bytes();
      this.native.fileBegin(this.handle, row, offset, data);
      return data;
    });
  }

  end(kind: SplitAccessKind, write: boolean, bytes: Uint8Array, call: string): Promise<number> {
    const row = splitRow[kind] + (write ? 1 : 0);
    return this.collective(call, splitFunctionOf(kind, write, true), () => this.native.fileEnd(this.handle, row, bytes));
  }

  seek(offset: number, call: string): void {
    this.ctl(SEEK, offset, call);
  }

  async seekShared(offset: number, call: string): Promise<void> {
    await this.collectiveCtl(SEEK_SHARED, offset, call);
  }

  position(call: string): number {
    return this.ctl(GET_POSITION, null, call);
  }

  positionShared(call: string): number {
    return this.ctl(GET_POSITION_SHARED, null, call);
  }

  byteOffset(offset: number, call: string): number {
    return this.ctl(GET_BYTE_OFFSET, offset, call);
  }
}
