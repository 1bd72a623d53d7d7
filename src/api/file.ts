/**
 * Parallel I/O: `MPI.File`, mpi4py's `File`.
 *
 * MPI-4.1 §14.2 (file manipulation: `File.Open`, `Close`, `File.Delete`,
 * `Set_size`, `Preallocate`, `Get_size`, `Get_group`, `Get_amode`,
 * `Set_info`, `Get_info`), §14.3 (file views: `Set_view`, `Get_view`),
 * §14.4 (data access: `Read`/`Write` at explicit offsets `_at`, with the
 * individual file pointer, with the shared file pointer `_shared` and
 * `_ordered`; their collective `_all` forms, nonblocking `I` forms and split
 * collectives `_begin`/`_end`; `Seek`, `Get_position`, `Get_byte_offset`,
 * `Seek_shared`, `Get_position_shared`), §14.5 (`Get_type_extent`; the
 * `'native'` data representation, `MPI.Register_datarep`), §14.6 (`Set_atomicity`, `Get_atomicity`,
 * `Sync`), §14.7 (I/O error classes), §9.3 (file error handlers).
 *
 * Two engines behind one class. On a transport with parallel I/O of its own
 * (`Endpoint.openFile`: the mpi transport, whose files are the MPI library's
 * `MPI_File_*`, `transport/mpi/file.ts`), the file is opened on a duplicate of
 * the communicator and every call goes to the library: views with the etype
 * and filetype built as MPI datatypes, every read and write (I-forms are real
 * MPI requests), file pointers, sizes, atomicity, sync, delete. Arguments are
 * checked here first, so errors read the same on both transports. Otherwise
 * (shm) each rank opens the file itself (Node's `fs`, one descriptor per rank)
 * and moves its data with positional reads and writes of the file ranges its
 * view covers (`api/file_view.ts`). A file has a communicator of its own (a
 * duplicate of the one it was opened on) for its collectives, and a window
 * (`MPI.Win`, 8 bytes on rank 0) for the shared file pointer, moved by atomic
 * `Fetch_and_op`. The `_all` calls whose file ranges are small move the data
 * in two phases (`api/file_two_phase.ts`): between the ranks, then one large
 * run of the file per aggregator rank; large ranges each rank reads or writes
 * itself; a file's collective accesses run one after the other. Split
 * collectives (`_begin`/`_end`, one at a time per file, `ERR_IO` otherwise)
 * are the library's own on mpi; on shm the begin starts the collective
 * access and the end waits for it. On both,
 * collective writes synchronize the group after writing, so that data written
 * by a `Write_all` is visible to every rank once it returns, and a collective
 * read stops at the end of the file. Buffers are the usual buffer specs,
 * derived datatypes included (packed here, so the library sees bytes); a
 * `Status` gets the bytes moved.
 *
 * Unfinished: on shm, `_ordered` calls do not aggregate, `MODE_UNIQUE_OPEN`
 * and info hints other than `romio_cb_write` / `romio_cb_read` (`'enable'`,
 * `'disable'`, `'automatic'`: whether `_all` calls aggregate) are accepted and
 * ignored, and atomic mode is kept as a flag (positional writes of one node
 * are visible at once); on mpi, hints reach the library at `File.Open` only
 * (`Set_info` keeps them here), and the individual file pointer moves when a
 * split collective's begin reaches the library (after a barrier), not at the
 * call; user data representations (`MPI.Register_datarep`, converted here,
 * so on both transports) must keep native extents, and their conversion
 * functions see whole etypes of packed bytes; `py2f`/`f2py`.
 *
 * Every call that fails on an open file goes through the file's error
 * handler (MPI-4.1 §9.3; the default file handler, `MPI.FILE_NULL`'s, as the
 * file was opened: `MPI.ERRORS_RETURN` unless set), once, then rejects or
 * throws as usual; `File.Open` and `File.Delete` go through `MPI.FILE_NULL`'s
 * (MPI-4.1 §14.7); a
 * nonblocking access's failure goes through it at the request's completion.
 * The file's own communicator has `ERRORS_RETURN`, so that the collectives
 * inside a call leave the handling to the file's. A closed file has none.
 *
 * @module
 */

import * as fs from 'node:fs';
import { type BufferSpec, type Message, parseBuffer } from '../buffer.js';
import { ANY_SOURCE, ANY_TAG, DISPLACEMENT_CURRENT, MODE_APPEND, MODE_CREATE, MODE_DELETE_ON_CLOSE, MODE_EXCL,
  MODE_RDONLY, MODE_RDWR, MODE_SEQUENTIAL, MODE_UNIQUE_OPEN, MODE_WRONLY, SEEK_CUR, SEEK_END,
  SEEK_SET } from '../constants.js';
import { Datatype, datatypes } from '../datatype/index.js';
import { transport } from '../environment.js';
import { errors, type MPIError, rejecting } from '../errors.js';
import { ops } from '../op/op.js';
import type { Envelope, FileAccessKind, FileHandle, Operation, SplitAccessKind } from '../transport/transport.js';
import {
  applyErrhandler, calledErrorReport, checkErrhandler, ERRORS_RETURN, Errhandler, type ErrhandlerFunction,
  handledBy, invokeErrhandler, raisedByHandler,
} from './errhandler.js';
import { type Aggregation, readAll, writeAll } from './file_two_phase.js';
import { backwardsDisplacement, FileView, type Segments } from './file_view.js';
import type { Group } from './group.js';
import { hintsFrom, Info } from './info.js';
import { Intracomm } from './intracomm.js';
import { PromiseOperation } from './promise_operation.js';
import { Request } from './request.js';
import type { Status } from './status.js';
import { NO_OP, REPLACE, Win } from './win.js';

const ALL_MODES = MODE_CREATE | MODE_RDONLY | MODE_WRONLY | MODE_RDWR | MODE_DELETE_ON_CLOSE | MODE_UNIQUE_OPEN |
  MODE_EXCL | MODE_APPEND | MODE_SEQUENTIAL;

/**
 * A conversion function of a user data representation (MPI-4.1 §14.5.3,
 * mpi4py's `read_fn` / `write_fn`): converts `count` elements of `datatype`
 * from `from` into `to`, starting at element `position` of the user's side.
 * mpi4ts passes the data as whole etypes of the view: `datatype` is the
 * view's etype and both buffers are bytes (`position` is 0).
 */
export type DatarepConversion = (from: Uint8Array, datatype: Datatype, count: number, to: Uint8Array, position: number) => void;

/** A user data representation's functions. */
interface Datarep {
  readonly read: DatarepConversion;
  readonly write: DatarepConversion;
  readonly extent: (datatype: Datatype) => number;
}

/** The data representations of `MPI.Register_datarep`, by name. */
const datareps = new Map<string, Datarep>();

/**
 * `MPI_Register_datarep` (MPI-4.1 §14.5.3, mpi4py's `MPI.Register_datarep`):
 * a data representation `datarep` for `File.Set_view`, whose `write_fn`
 * converts the data of every write into the file's representation and whose
 * `read_fn` converts what every read reads back. `extent_fn` gives a
 * datatype's extent in the file; mpi4ts supports representations that keep
 * the native extents of the view's etype and filetype (a byte order, say):
 * `Set_view` rejects others with `ERR_UNSUPPORTED_DATAREP`. A name already
 * known (`'native'`, `'internal'`, `'external32'` or registered) is
 * `ERR_DUP_DATAREP`; a conversion function that throws, `ERR_CONVERSION`.
 * The conversion runs in the API layer, so it works the same on both
 * transports.
 *
 * @example
 * ```ts
 * const swap: DatarepConversion = (from, datatype, count, to) => {
 *   for (let i = 0; i < count * datatype.size; i += datatype.size) {
 *     for (let b = 0; b < datatype.size; b++) to[i + b] = from[i + datatype.size - 1 - b]!;
 *   }
 * };
 * MPI.Register_datarep('big-endian', swap, swap, (datatype) => datatype.extent);
 * ```
 */
export function Register_datarep(datarep: string, read_fn: DatarepConversion, write_fn: DatarepConversion,
  extent_fn: (datatype: Datatype) => number): void {
  const call = 'MPI.Register_datarep';
  if (typeof datarep !== 'string' || datarep === '') throw errors.arg(call, `invalid data representation ${String(datarep)}`);
  for (const fn of [read_fn, write_fn, extent_fn]) {
    if (typeof fn !== 'function') throw errors.arg(call, `expected a function, got ${typeof fn}`);
  }
  if (['native', 'internal', 'external32'].includes(datarep) || datareps.has(datarep)) throw errors.dupDatarep(call, datarep);
  datareps.set(datarep, { read: read_fn, write: write_fn, extent: extent_fn });
}

/** Which file pointer a data access uses (MPI-4.1 §14.4.1). */
type Positioning = { readonly at: number } | 'individual' | 'shared';

/**
 * An open file (MPI-4.1 §14.2): every rank of a communicator reads and writes
 * it through its own view.
 *
 * @example
 * ```ts
 * const file = await MPI.File.Open(comm, '/tmp/data.bin', MPI.MODE_CREATE | MPI.MODE_WRONLY);
 * await file.Write_at_all(comm.rank * 8, new Float64Array([comm.rank]));
 * await file.Close();
 * ```
 */
export class File {
  private fd: number | undefined;
  private view: FileView;
  private datarep = 'native';
  private position = 0;
  private atomic = false;
  private hints: Info;
  private errhandler: Errhandler = ERRORS_RETURN;
  /** The split collective begun and not yet ended (MPI-4.1 §14.4.5). */
  private split: { readonly name: string; readonly end: (call: string) => Promise<number> } | undefined;
  /** The collective accesses of the `fs` engine, one after the other. */
  private serial: Promise<unknown> = Promise.resolve();
  /** The transport's file (mpi: the MPI library's), when it has parallel I/O of its own; else `fd` is used. */
  private handle: FileHandle | undefined;

  private constructor(private readonly comm: Intracomm | undefined, fd: number | undefined, private readonly path: string,
    private readonly accessMode: number, private readonly pointer: Win | undefined, info: Info | undefined,
    handle?: FileHandle) {
    this.fd = fd;
    this.handle = handle;
    // A new file starts with the default file handler, MPI.FILE_NULL's (MPI-4.1 §14.7); FILE_NULL itself has no comm.
    if (comm !== undefined) this.errhandler = FILE_NULL.errhandler;
    this.view = new FileView(0, datatypes.BYTE, datatypes.BYTE);
    this.hints = info instanceof Info && info.isLive ? info.Dup() : Info.Create();
  }

  /** @internal `MPI.FILE_NULL`. */
  static null(): File {
    return new File(undefined, undefined, '', 0, undefined, undefined);
  }

  /** False for `MPI.FILE_NULL` and a closed file (mpi4py's `bool(file)`). */
  get isOpen(): boolean {
    return this.fd !== undefined || this.handle !== undefined;
  }

  /**
   * `MPI_File_open` (MPI-4.1 §14.2.1): opens `filename` on every rank of
   * `comm`, with the access mode `amode` (`MPI.MODE_*` or-ed together;
   * exactly one of `MODE_RDONLY`, `MODE_WRONLY`, `MODE_RDWR`). Collective.
   * A missing file is `ERR_NO_SUCH_FILE`, `MODE_EXCL` on an existing one
   * `ERR_FILE_EXISTS`, a bad `amode` `ERR_AMODE`.
   *
   * @example
   * ```ts
   * const file = await MPI.File.Open(MPI.COMM_WORLD, '/tmp/out.bin', MPI.MODE_CREATE | MPI.MODE_RDWR);
   * ```
   */
  static Open(comm: Intracomm, filename: string, amode: number = MODE_RDONLY, info?: Info | null): Promise<File> {
    return File.throughDefaultHandler(rejecting(() => File.open(comm, filename, amode, info)));
  }

  /**
   * `promise`, through the default file error handler (`MPI.FILE_NULL`'s)
   * when it rejects: the errors of `Open` and `Delete`, which have no file
   * (MPI-4.1 §14.7). With `MPI.ERRORS_RETURN`, files' default, `promise` itself.
   */
  private static throughDefaultHandler<T>(promise: Promise<T>): Promise<T> {
    const handler = FILE_NULL.errhandler;
    if (handler === ERRORS_RETURN) return promise;
    return promise.catch((error: unknown) => {
      throw applyErrhandler(handler, FILE_NULL, 'MPI.FILE_NULL', error);
    });
  }

  private static async open(comm: Intracomm, filename: string, amode: number, info: Info | null | undefined): Promise<File> {
    const call = 'File.Open';
    if (!(comm instanceof Intracomm)) throw errors.comm(call, `expected an intracommunicator, got ${String(comm)}`);
    if (typeof filename !== 'string' || filename === '') throw errors.arg(call, `invalid file name ${String(filename)}`);
    File.checkAmode(amode, call);
    const own = await comm.Dup();
    own.Set_name(`file ${filename}`);
    // Dup gave it comm's handler: a failure inside a file's call goes through the file's alone.
    own.Set_errhandler(ERRORS_RETURN);
    const endpoint = own.endpoint(call);
    if (endpoint.openFile !== undefined) {
      const hints = info instanceof Info && info.isLive
        ? Array.from({ length: info.Get_nkeys() }, (_, i): [string, string] => {
          const key = info.Get_nthkey(i);
          return [key, info.Get(key) ?? ''];
        })
        : [];
      let handle: FileHandle;
      try {
        handle = await endpoint.openFile({ path: filename, amode, hints });
      } catch (error) {
        own.Free();
        throw error;
      }
      return new File(own, undefined, filename, amode, undefined, info ?? undefined, handle);
    }
    const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL } = fs.constants;
    const access = (amode & MODE_RDONLY) !== 0 ? O_RDONLY : (amode & MODE_WRONLY) !== 0 ? O_WRONLY : O_RDWR;
    let fd: number | undefined;
    let failure: [number, string] | undefined;
    const tryOpen = (flags: number): void => {
      try {
        fd = fs.openSync(filename, flags, 0o644);
      } catch (error) {
        const built = errors.io(call, filename, error);
        failure = [built.error_class, built.detail];
      }
    };
    // Rank 0 creates the file; the others open what it made.
    if (own.rank === 0) tryOpen(access | ((amode & MODE_CREATE) !== 0 ? O_CREAT : 0) | ((amode & MODE_EXCL) !== 0 ? O_EXCL : 0));
    const first = await own.bcast(failure ?? null, 0);
    if (first === null && own.rank !== 0) tryOpen(access);
    const all = first === null ? await own.allgather(failure ?? null) : [first];
    const failed = all.find((entry) => entry !== null);
    if (failed !== undefined && failed !== null) {
      if (fd !== undefined) fs.closeSync(fd);
      own.Free();
      throw errors.library(failed[0] as MPIError['error_class'], call, failed[1]);
    }
    const pointer = await Win.Allocate(own.rank === 0 ? 8 : 0, 8, null, own);
    const file = new File(own, fd, filename, amode, pointer, info ?? undefined);
    if ((amode & MODE_APPEND) !== 0) {
      const size = fs.fstatSync(fd!).size;
      file.position = size;
      if (own.rank === 0) await file.swapShared(size);
      await own.Barrier();
    }
    return file;
  }

  private static checkAmode(amode: unknown, call: string): void {
    if (!Number.isInteger(amode) || (amode as number) < 0 || ((amode as number) & ~ALL_MODES) !== 0) {
      throw errors.amode(call, amode, 'not a combination of the MPI.MODE_* constants');
    }
    const mode = amode as number;
    const accesses = [MODE_RDONLY, MODE_WRONLY, MODE_RDWR].filter((bit) => (mode & bit) !== 0).length;
    if (accesses !== 1) throw errors.amode(call, amode, 'give exactly one of MPI.MODE_RDONLY, MPI.MODE_WRONLY, MPI.MODE_RDWR');
    if ((mode & MODE_RDONLY) !== 0 && (mode & (MODE_CREATE | MODE_EXCL)) !== 0) {
      throw errors.amode(call, amode, 'MPI.MODE_RDONLY cannot go with MPI.MODE_CREATE or MPI.MODE_EXCL');
    }
    if ((mode & MODE_RDWR) !== 0 && (mode & MODE_SEQUENTIAL) !== 0) {
      throw errors.amode(call, amode, 'MPI.MODE_RDWR cannot go with MPI.MODE_SEQUENTIAL');
    }
  }

  /**
   * `MPI_File_delete` (MPI-4.1 §14.2.3): removes `filename`;
   * `ERR_NO_SUCH_FILE` when there is none.
   *
   * @example
   * ```ts
   * await MPI.File.Delete('/tmp/out.bin');
   * ```
   */
  static Delete(filename: string, info?: Info | null): Promise<void> {
    void info;
    return File.throughDefaultHandler(rejecting(async () => {
      const remove = transport().deleteFile;
      if (remove !== undefined) {
        remove.call(transport(), filename, 'File.Delete');
        return;
      }
      try {
        fs.unlinkSync(filename);
      } catch (error) {
        throw errors.io('File.Delete', filename, error);
      }
    }));
  }

  /** The communicator, or `ERR_FILE` once closed. */
  private own(call: string): Intracomm {
    if (this.comm === undefined || !this.isOpen) throw errors.file(call, 'the file is closed or MPI.FILE_NULL');
    return this.comm;
  }

  private descriptor(call: string): number {
    this.own(call);
    return this.fd!;
  }

  /**
   * `MPI_File_close` (MPI-4.1 §14.2.2): closes the file on every rank, and
   * deletes it when it was opened with `MODE_DELETE_ON_CLOSE`. Collective.
   *
   * @example
   * ```ts
   * await file.Close();
   * ```
   */
  Close(): Promise<void> {
    // The handler of the file as the call starts: the file is closed before the call's collectives end.
    const handler = this.isOpen ? this.errhandler : ERRORS_RETURN;
    const closing = rejecting(async () => {
      const call = 'File.Close';
      const comm = this.own(call);
      const split = this.split;
      this.split = undefined;
      // A split collective not ended yet ends here (every rank has one: it is collective).
      if (split !== undefined) await split.end(call).catch(() => 0);
      if (this.handle !== undefined) {
        const handle = this.handle;
        this.handle = undefined;
        try {
          await handle.close(call);
        } finally {
          comm.Free();
        }
        return;
      }
      fs.closeSync(this.fd!);
      this.fd = undefined;
      await comm.Barrier();
      // Every rank returns once the file is deleted.
      const deleted = this.onRankZero(comm, call, () => {
        if ((this.accessMode & MODE_DELETE_ON_CLOSE) !== 0) fs.unlinkSync(this.path);
      });
      await deleted.catch(() => undefined);
      await this.pointer!.Free();
      comm.Free();
      await deleted;
    });
    if (handler === ERRORS_RETURN) return closing;
    return closing.catch((error: unknown) => {
      throw applyErrhandler(handler, this, `file ${this.path}`, error);
    });
  }

  /**
   * Runs a system call on the file at rank 0 alone, then gives every rank its
   * outcome: its MPIError (of the class of the system's error) on every rank
   * when it failed, so that a collective call fails everywhere or nowhere.
   */
  private async onRankZero(comm: Intracomm, call: string, run: () => void): Promise<void> {
    let failure: [number, string] | null = null;
    if (comm.rank === 0) {
      try {
        run();
      } catch (error) {
        const built = errors.io(call, this.path, error);
        failure = [built.error_class, built.detail];
      }
    }
    failure = await comm.bcast(failure, 0);
    if (failure !== null) throw errors.library(failure[0] as MPIError['error_class'], call, failure[1]);
  }

  /** `MPI_File_set_size` (MPI-4.1 §14.2.4): truncates or extends the file to `size` bytes. Collective. */
  Set_size(size: number): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'File.Set_size';
      const comm = this.own(call);
      File.checkSize(size, call);
      this.checkAccess('write', call);
      if (this.handle !== undefined) return this.handle.setSize(size, false, call);
      await comm.Barrier();
      await this.onRankZero(comm, call, () => fs.ftruncateSync(this.fd!, size));
    }));
  }

  /** `MPI_File_preallocate` (MPI-4.1 §14.2.5): makes the file at least `size` bytes. Collective. */
  Preallocate(size: number): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'File.Preallocate';
      const comm = this.own(call);
      File.checkSize(size, call);
      this.checkAccess('write', call);
      if (this.handle !== undefined) return this.handle.setSize(size, true, call);
      await comm.Barrier();
      await this.onRankZero(comm, call, () => {
        if (fs.fstatSync(this.fd!).size < size) fs.ftruncateSync(this.fd!, size);
      });
    }));
  }

  private static checkSize(size: unknown, call: string): void {
    if (!Number.isSafeInteger(size) || (size as number) < 0) {
      throw errors.arg(call, `invalid size ${String(size)}: must be an integer >= 0`);
    }
  }

  /** Runs a system call on the file, turning its failure into the MPIError of its class. */
  private io<T>(call: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw errors.io(call, this.path, error);
    }
  }

  /** `MPI_File_get_size` (MPI-4.1 §14.2.6): the file's size in bytes. */
  Get_size(): number {
    try {
      if (this.handle !== undefined) return this.handle.getSize('File.Get_size');
      const fd = this.descriptor('File.Get_size');
      return this.io('File.Get_size', () => fs.fstatSync(fd).size);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_File_get_amode` (MPI-4.1 §14.2.7). */
  Get_amode(): number {
    this.own('File.Get_amode');
    return this.accessMode;
  }

  /** `MPI_File_get_group` (MPI-4.1 §14.2.7): the group of the communicator the file was opened on. */
  Get_group(): Group {
    return this.own('File.Get_group').Get_group();
  }

  /** `MPI_File_set_info` (MPI-4.1 §14.2.8): the file's hints (kept, not acted on). */
  Set_info(info: Info): void {
    try {
      this.own('File.Set_info');
      this.hints = hintsFrom(info, 'File.Set_info');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_File_get_info` (MPI-4.1 §14.2.8): a new info object with the hints in use. */
  Get_info(): Info {
    this.own('File.Get_info');
    return this.hints.Dup();
  }

  /** mpi4py's `size` property: {@link Get_size}. */
  get size(): number {
    return this.Get_size();
  }

  /** mpi4py's `amode` property: {@link Get_amode}. */
  get amode(): number {
    return this.Get_amode();
  }

  /** mpi4py's `group` property: {@link Get_group}. */
  get group(): Group {
    return this.Get_group();
  }

  /** mpi4py's `info` property: {@link Get_info}, and {@link Set_info} when assigned. */
  get info(): Info {
    return this.Get_info();
  }

  set info(info: Info) {
    this.Set_info(info);
  }

  /** mpi4py's `atomicity` property: {@link Get_atomicity}. */
  get atomicity(): boolean {
    return this.Get_atomicity();
  }

  // ------------------------------------------------------------ views

  /**
   * `MPI_File_set_view` (MPI-4.1 §14.3): from now on this rank sees the file
   * as `filetype` tiled from byte `disp` on, in units of `etype` (the
   * filetype defaults to the etype). Resets both file pointers to 0.
   * Collective (each rank may have its own view). Only `'native'` data.
   *
   * @example
   * ```ts
   * const block = MPI.DOUBLE.Create_subarray([8, 8], [4, 4], [0, 4]).Commit();
   * await file.Set_view(0, MPI.DOUBLE, block);
   * ```
   */
  Set_view(disp = 0, etype: Datatype = datatypes.BYTE, filetype?: Datatype | null, datarep = 'native',
    info?: Info | null): Promise<void> {
    void info;
    return this.handled(rejecting(async () => {
      const call = 'File.Set_view';
      const comm = this.own(call);
      const ftype = filetype ?? etype;
      for (const type of [etype, ftype]) {
        if (!(type instanceof Datatype)) throw errors.type(call, `${String(type)} is not a datatype`);
        type.checkUsable(call);
      }
      if (datarep !== 'native') {
        const user = datareps.get(datarep);
        if (user === undefined) throw errors.datarep(call, datarep);
        for (const type of new Set([etype, ftype])) {
          let extent: number;
          try {
            extent = user.extent(type);
          } catch (error) {
            throw errors.conversion(call, datarep, error);
          }
          if (extent !== type.extent) {
            throw errors.datarep(call, datarep, `its extent of ${type.name} (${String(extent)}) differs from the native ` +
              `one (${type.extent}); mpi4ts supports user representations that keep native extents`);
          }
        }
      }
      if (disp === DISPLACEMENT_CURRENT) {
        if ((this.accessMode & MODE_SEQUENTIAL) === 0) {
          throw errors.arg(call, 'MPI.DISPLACEMENT_CURRENT is only for files opened with MPI.MODE_SEQUENTIAL');
        }
        disp = this.handle !== undefined
          ? this.view.byteOffset(this.handle.positionShared(call) * this.view.etype.size) : await this.sharedBytes();
      }
      if (!Number.isSafeInteger(disp) || disp < 0) throw errors.arg(call, `invalid displacement ${String(disp)}`);
      if (etype.size <= 0) throw errors.type(call, `the etype ${etype.name} has no data`);
      if (ftype.size % etype.size !== 0) {
        throw errors.type(call, `the filetype ${ftype.describe()} (${ftype.size} bytes) is not made of whole etypes ` +
          `${etype.describe()} (${etype.size} bytes)`);
      }
      const backwards = backwardsDisplacement(ftype);
      if (backwards !== undefined) throw errors.type(call, `the filetype ${ftype.describe()} ${backwards}`);
      if (this.handle !== undefined) {
        await this.handle.setView(disp, etype, ftype, call);
        this.view = new FileView(disp, etype, ftype);
        this.datarep = datarep;
        return;
      }
      await comm.Barrier();
      this.view = new FileView(disp, etype, ftype);
      this.datarep = datarep;
      this.position = 0;
      if (comm.rank === 0) await this.swapShared(0);
      await comm.Barrier();
    }));
  }

  /**
   * `MPI_File_get_view` (MPI-4.1 §14.3): `[disp, etype, filetype, datarep]`.
   *
   * @example
   * ```ts
   * const [disp, etype, filetype, datarep] = file.Get_view();
   * ```
   */
  Get_view(): [number, Datatype, Datatype, string] {
    this.own('File.Get_view');
    return [this.view.disp, this.view.etype, this.view.filetype, this.datarep];
  }

  /** `MPI_File_get_type_extent` (MPI-4.1 §14.5.3): the extent of `datatype` in the file (the native one). */
  Get_type_extent(datatype: Datatype): number {
    try {
      this.own('File.Get_type_extent');
      if (!(datatype instanceof Datatype)) {
        throw errors.type('File.Get_type_extent', `${String(datatype)} is not a datatype`);
      }
      return datatype.extent;
    } catch (error) {
      throw this.raised(error);
    }
  }

  // ------------------------------------------------------------ data movement

  /** Whether collective accesses aggregate: the file's `romio_cb_write` / `romio_cb_read` hint, else automatic. */
  private aggregation(access: 'read' | 'write'): Aggregation {
    const value = this.hints.Get(access === 'write' ? 'romio_cb_write' : 'romio_cb_read');
    return value === 'enable' || value === 'disable' ? value : 'automatic';
  }

  /** Throws unless the file's access mode allows `access` (`ERR_ACCESS` / `ERR_READ_ONLY`). */
  private checkAccess(access: 'read' | 'write', call: string): void {
    if (access === 'read' ? (this.accessMode & MODE_WRONLY) !== 0 : (this.accessMode & MODE_RDONLY) !== 0) {
      throw errors.fileAccess(call, this.path, access);
    }
  }

  /** Checks an access and returns the parsed buffer. */
  private prepare(buf: BufferSpec, access: 'read' | 'write', call: string): Message {
    this.own(call);
    this.checkAccess(access, call);
    const message = parseBuffer(buf, call);
    if (message.bytes.byteLength % this.view.etype.size !== 0) {
      throw errors.type(call, `${message.bytes.byteLength} bytes are not a whole number of etypes ` +
        `${this.view.etype.describe()} (${this.view.etype.size} bytes)`);
    }
    return this.datarep === 'native' ? message : this.converting(message, access, call);
  }

  /** `message` through the view's user data representation: file bytes to write, or read then converted back. */
  private converting(message: Message, access: 'read' | 'write', call: string): Message {
    const user = datareps.get(this.datarep)!;
    const etype = this.view.etype;
    const file = new Uint8Array(message.bytes.byteLength);
    const convert = (fn: DatarepConversion, from: Uint8Array, to: Uint8Array, bytes: number): void => {
      try {
        fn(from, etype, Math.floor(bytes / etype.size), to, 0);
      } catch (error) {
        throw errors.conversion(call, this.datarep, error);
      }
    };
    if (access === 'write') {
      convert(user.write, message.bytes, file, file.byteLength);
      return { ...message, bytes: file };
    }
    return {
      ...message,
      bytes: file,
      unpack: (byteLength = file.byteLength) => {
        convert(user.read, file, message.bytes, byteLength);
        message.unpack?.(byteLength);
      },
    };
  }

  private checkOffset(offset: unknown, call: string): number {
    if ((this.accessMode & MODE_SEQUENTIAL) !== 0) {
      throw errors.unsupported(call, 'explicit offsets and the individual file pointer cannot be used on a file ' +
        'opened with MPI.MODE_SEQUENTIAL');
    }
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
      throw errors.arg(call, `invalid offset ${String(offset)}: must be an integer >= 0`);
    }
    return offset as number;
  }

  /** Reads or writes `message` at the file ranges `segments` (or those of view data byte `segments` on); the bytes moved (a read stops at the end of the file). */
  private transfer(message: Message, segments: Segments | number, access: 'read' | 'write', call: string): number {
    const fd = this.fd!;
    const bytes = message.bytes;
    const { offsets, lengths } = typeof segments === 'number' ? this.view.segments(segments, bytes.byteLength) : segments;
    let done = 0;
    this.io(call, () => {
      for (let i = 0; i < offsets.length; i++) {
        let position = offsets[i]!;
        let left = lengths[i]!;
        while (left > 0) {
          const moved = access === 'write' ? fs.writeSync(fd, bytes, done, left, position)
            : fs.readSync(fd, bytes, done, left, position);
          if (moved === 0) return;
          done += moved;
          position += moved;
          left -= moved;
        }
      }
    });
    if (access === 'read') message.unpack?.(done);
    return done;
  }

  /** The transport's kind of an access (`collective`: an `_all` form). */
  private static kindOf(where: Positioning | 'ordered', collective: boolean): FileAccessKind {
    if (where === 'ordered') return 'ordered';
    if (where === 'shared') return 'shared';
    if (where === 'individual') return collective ? 'all' : 'individual';
    return collective ? 'at_all' : 'at';
  }

  /** An access through the transport's file: checked as on shm, then moved by the library. */
  private async viaHandle(handle: FileHandle, buf: BufferSpec, where: Positioning | 'ordered', collective: boolean,
    access: 'read' | 'write', call: string): Promise<number> {
    const message = this.prepare(buf, access, call);
    if (where === 'individual' && (this.accessMode & MODE_SEQUENTIAL) !== 0) this.checkOffset(0, call);
    const offset = typeof where === 'object' ? this.checkOffset(where.at, call) : 0;
    const asked = access === 'read' && collective && where !== 'ordered'
      ? this.readWindow(handle, message.bytes, where, offset, call) : undefined;
    let moved = await handle.access(File.kindOf(where, collective), access === 'write', offset, asked ?? message.bytes, call);
    if (asked !== undefined) moved = Math.min(moved, asked.byteLength);
    if (access === 'read') message.unpack?.(moved);
    // As on shm: what a collective write wrote is visible to every rank once it returns.
    else if (collective || where === 'ordered') await this.own(call).Barrier();
    return moved;
  }

  /**
   * The part of `bytes` a read through the transport's file asks for, when
   * the read would reach past the end of the file (else undefined): the bytes
   * of the view that lie before the end. A read stops at the end of the
   * file, but Open MPI's ompio does not stop there on its own: its collective
   * reads count the bytes asked for, and its nonblocking reads never complete
   * when they reach past the end. So only what lies before the end is asked
   * for, to the byte (the last etype may be partly there, as shm reads it;
   * the individual file pointer then moves past the whole etypes read).
   * Not for reads at the shared file pointer, whose place is known only in
   * the call.
   */
  private readWindow(handle: FileHandle, bytes: Uint8Array, where: Positioning, offset: number,
    call: string): Uint8Array | undefined {
    if (where === 'shared') return undefined;
    const first = (where === 'individual' ? handle.position(call) : offset) * this.view.etype.size;
    const available = Math.max(0, this.view.dataBefore(handle.getSize(call)) - first);
    return available < bytes.byteLength ? bytes.subarray(0, available) : undefined;
  }

  /** A nonblocking access: a real request of the transport's file, or the `fs` engine's Promise as a request. */
  private start(buf: BufferSpec, where: Positioning, collective: boolean, access: 'read' | 'write',
    call: string): Request<void> {
    const handle = this.handle;
    if (handle === undefined) {
      return this.request(() => collective ? this.collective(buf, where, access, call) : this.access(buf, where, access, call),
        call);
    }
    let operation: Operation;
    let unpack: ((bytes: number) => void) | undefined;
    let asked: Uint8Array | undefined;
    try {
      const message = this.prepare(buf, access, call);
      if (where === 'individual' && (this.accessMode & MODE_SEQUENTIAL) !== 0) this.checkOffset(0, call);
      const offset = typeof where === 'object' ? this.checkOffset(where.at, call) : 0;
      const kind = File.kindOf(where, collective) as Exclude<FileAccessKind, 'ordered'>;
      asked = access === 'read' ? this.readWindow(handle, message.bytes, where, offset, call) : undefined;
      operation = handle.start(kind, access === 'write', offset, asked ?? message.bytes, call);
      unpack = access === 'read' ? message.unpack : undefined;
    } catch (error) {
      return this.request(() => Promise.reject(error), call);
    }
    const visible = access === 'write' && collective;
    if (unpack === undefined && !visible && asked === undefined) return new Request<void>(operation, call, undefined, this);
    const comm = this.own(call);
    const done = operation.wait().then(async () => {
      if (operation.error !== undefined) throw operation.error;
      const reported = operation.envelope?.byteLength ?? 0;
      const moved = asked !== undefined ? Math.min(reported, asked.byteLength) : reported;
      unpack?.(moved);
      // As the blocking form: a collective write is visible to every rank once it completes.
      if (visible) await comm.Barrier();
      return moved;
    });
    const bytesMoved = (bytes: number): Envelope => ({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: bytes });
    return new Request<void>(new PromiseOperation(done, call, bytesMoved), call, undefined, this);
  }

  private access(buf: BufferSpec, where: Positioning, access: 'read' | 'write', call: string): Promise<number> {
    if (this.handle !== undefined) return this.viaHandle(this.handle, buf, where, false, access, call);
    const message = this.prepare(buf, access, call);
    const etype = this.view.etype.size;
    if (where === 'shared') {
      return this.fetchShared(message.bytes.byteLength / etype).then((at) => this.transfer(message, at * etype, access, call));
    }
    let at: number;
    if (where === 'individual') {
      if ((this.accessMode & MODE_SEQUENTIAL) !== 0) this.checkOffset(0, call);
      at = this.position;
      this.position += message.bytes.byteLength / etype;
    } else at = this.checkOffset(where.at, call);
    const moved = this.transfer(message, at * etype, access, call);
    if (where === 'individual' && moved < message.bytes.byteLength) this.position = at + Math.floor(moved / etype);
    return Promise.resolve(moved);
  }

  /**
   * A collective access: in two phases through aggregator ranks (`api/file_two_phase.ts`), or for
   * `_ordered` every rank's own at its place after the ranks before it; then (for writes) a
   * barrier, so the data is in place on return.
   */
  private collective(buf: BufferSpec, where: Positioning | 'ordered', access: 'read' | 'write',
    call: string, prepared?: Message): Promise<number> {
    this.own(call);
    if (this.handle !== undefined) return this.viaHandle(this.handle, buf, where, true, access, call);
    // One collective access at a time: two nonblocking ones in flight would interleave their exchanges (and share
    // the two-phase scratch buffers); every rank starts them in the same order.
    const run = this.serial.then(() => this.collectiveNow(buf, where, access, call, prepared));
    this.serial = run.catch(() => 0);
    return run;
  }

  private async collectiveNow(buf: BufferSpec, where: Positioning | 'ordered', access: 'read' | 'write',
    call: string, prepared: Message | undefined): Promise<number> {
    const comm = this.own(call);
    let moved: number;
    if (where === 'ordered') {
      const message = prepared ?? this.prepare(buf, access, call);
      const etypes = message.bytes.byteLength / this.view.etype.size;
      const sizes = await comm.allgather(etypes);
      const before = sizes.slice(0, comm.rank).reduce((a, b) => a + b, 0);
      const total = sizes.reduce((a, b) => a + b, 0);
      const base = await comm.bcast(comm.rank === 0 ? await this.addShared(total) : 0, 0);
      moved = this.transfer(message, (base + before) * this.view.etype.size, access, call);
    } else {
      if (where === 'shared') throw errors.intern(call, 'a collective access at the shared file pointer is ordered');
      const message = prepared ?? this.prepare(buf, access, call);
      const etype = this.view.etype.size;
      const length = message.bytes.byteLength;
      let at: number;
      if (where === 'individual') {
        if ((this.accessMode & MODE_SEQUENTIAL) !== 0) this.checkOffset(0, call);
        at = this.position;
        this.position += length / etype;
      } else at = this.checkOffset(where.at, call);
      const segments = this.view.segments(at * etype, length);
      const io = <T>(run: () => T): T => this.io(call, run);
      const hint = this.aggregation(access);
      if (access === 'write') {
        if (!await writeAll(comm, this.fd!, segments, message.bytes, io, hint)) this.transfer(message, segments, access, call);
        moved = length;
      } else {
        const read = await readAll(comm, this.fd!, segments, message.bytes, io, hint);
        if (read === undefined) moved = this.transfer(message, segments, access, call);
        else {
          moved = read;
          message.unpack?.(moved);
        }
        if (where === 'individual' && moved < length) this.position = at + Math.floor(moved / etype);
      }
    }
    if (access === 'write') await comm.Barrier();
    return moved;
  }

  private static fill(status: Status | null | undefined, bytes: number): void {
    status?.assign({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: bytes });
  }

  private blocking(run: () => Promise<number>, status: Status | null | undefined): Promise<void> {
    return this.handled(rejecting(async () => {
      File.fill(status, await run());
    }));
  }

  private request(run: () => Promise<number>, call: string): Request<void> {
    const bytesMoved = (bytes: number): Envelope => ({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: bytes });
    return new Request<void>(new PromiseOperation(rejecting(run), call, bytesMoved), call, undefined, this);
  }

  /**
   * `MPI_File_read_at` (MPI-4.1 §14.4.2): reads into `buf` at `offset` etypes
   * of the view; `status` gets the bytes read (fewer at the end of the file).
   *
   * @example
   * ```ts
   * const data = new Float64Array(4);
   * const status = new MPI.Status();
   * await file.Read_at(0, data, status);
   * status.Get_count(MPI.DOUBLE); // 4
   * ```
   */
  Read_at(offset: number, buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.access(buf, { at: offset }, 'read', 'File.Read_at'), status);
  }

  /** `MPI_File_read_at_all` (MPI-4.1 §14.4.2): {@link Read_at}, collective. */
  Read_at_all(offset: number, buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.collective(buf, { at: offset }, 'read', 'File.Read_at_all'), status);
  }

  /**
   * `MPI_File_write_at` (MPI-4.1 §14.4.2): writes `buf` at `offset` etypes of the view.
   *
   * @example
   * ```ts
   * await file.Write_at(comm.rank * 4, new Int32Array([1, 2, 3, 4]));
   * ```
   */
  Write_at(offset: number, buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.access(buf, { at: offset }, 'write', 'File.Write_at'), status);
  }

  /** `MPI_File_write_at_all` (MPI-4.1 §14.4.2): {@link Write_at}, collective. */
  Write_at_all(offset: number, buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.collective(buf, { at: offset }, 'write', 'File.Write_at_all'), status);
  }

  /** `MPI_File_iread_at` (MPI-4.1 §14.4.2): {@link Read_at} as a request. */
  Iread_at(offset: number, buf: BufferSpec): Request<void> {
    return this.start(buf, { at: offset }, false, 'read', 'File.Iread_at');
  }

  /** `MPI_File_iread_at_all` (MPI-4.1 §14.4.2, MPI-3.1): {@link Read_at_all} as a request. */
  Iread_at_all(offset: number, buf: BufferSpec): Request<void> {
    return this.start(buf, { at: offset }, true, 'read', 'File.Iread_at_all');
  }

  /** `MPI_File_iwrite_at` (MPI-4.1 §14.4.2): {@link Write_at} as a request. */
  Iwrite_at(offset: number, buf: BufferSpec): Request<void> {
    return this.start(buf, { at: offset }, false, 'write', 'File.Iwrite_at');
  }

  /** `MPI_File_iwrite_at_all` (MPI-4.1 §14.4.2): {@link Write_at_all} as a request. */
  Iwrite_at_all(offset: number, buf: BufferSpec): Request<void> {
    return this.start(buf, { at: offset }, true, 'write', 'File.Iwrite_at_all');
  }

  /**
   * `MPI_File_read` (MPI-4.1 §14.4.3): reads at the individual file pointer,
   * which moves past the data read.
   *
   * @example
   * ```ts
   * const data = new Int32Array(4);
   * await file.Read(data);
   * ```
   */
  Read(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.access(buf, 'individual', 'read', 'File.Read'), status);
  }

  /** `MPI_File_read_all` (MPI-4.1 §14.4.3): {@link Read}, collective. */
  Read_all(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.collective(buf, 'individual', 'read', 'File.Read_all'), status);
  }

  /**
   * `MPI_File_write` (MPI-4.1 §14.4.3): writes at the individual file pointer.
   *
   * @example
   * ```ts
   * await file.Write(new Int32Array([1, 2, 3, 4]));
   * ```
   */
  Write(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.access(buf, 'individual', 'write', 'File.Write'), status);
  }

  /**
   * `MPI_File_write_all` (MPI-4.1 §14.4.3): {@link Write}, collective: with a
   * subarray view, every rank writes its block of a global array.
   *
   * @example
   * ```ts
   * await file.Set_view(0, MPI.DOUBLE, block);
   * await file.Write_all(local);
   * ```
   */
  Write_all(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.collective(buf, 'individual', 'write', 'File.Write_all'), status);
  }

  /** `MPI_File_iread` (MPI-4.1 §14.4.3): {@link Read} as a request. */
  Iread(buf: BufferSpec): Request<void> {
    return this.start(buf, 'individual', false, 'read', 'File.Iread');
  }

  /** `MPI_File_iread_all` (MPI-4.1 §14.4.3, MPI-3.1): {@link Read_all} as a request. */
  Iread_all(buf: BufferSpec): Request<void> {
    return this.start(buf, 'individual', true, 'read', 'File.Iread_all');
  }

  /** `MPI_File_iwrite` (MPI-4.1 §14.4.3): {@link Write} as a request. */
  Iwrite(buf: BufferSpec): Request<void> {
    return this.start(buf, 'individual', false, 'write', 'File.Iwrite');
  }

  /** `MPI_File_iwrite_all` (MPI-4.1 §14.4.3, MPI-3.1): {@link Write_all} as a request. */
  Iwrite_all(buf: BufferSpec): Request<void> {
    return this.start(buf, 'individual', true, 'write', 'File.Iwrite_all');
  }

  /**
   * `MPI_File_seek` (MPI-4.1 §14.4.3): moves the individual file pointer to
   * `offset` etypes from the start (`SEEK_SET`), the current position
   * (`SEEK_CUR`) or the end of the file in the view (`SEEK_END`).
   *
   * @example
   * ```ts
   * file.Seek(-1, MPI.SEEK_END); // before the last etype
   * ```
   */
  Seek(offset: number, whence: number = SEEK_SET): void {
    try {
      const call = 'File.Seek';
      this.own(call);
      if ((this.accessMode & MODE_SEQUENTIAL) !== 0) this.checkOffset(0, call);
      if (this.handle !== undefined) {
        this.handle.seek(this.seekTarget(offset, whence, this.handle.position(call), call), call);
        return;
      }
      this.position = this.seekTarget(offset, whence, this.position, call);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private seekTarget(offset: unknown, whence: unknown, current: number, call: string): number {
    if (!Number.isSafeInteger(offset)) throw errors.arg(call, `invalid offset ${String(offset)}: must be an integer`);
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = current;
    else if (whence === SEEK_END) base = this.endPosition(call);
    else throw errors.arg(call, `invalid whence ${String(whence)}: use MPI.SEEK_SET, MPI.SEEK_CUR or MPI.SEEK_END`);
    const target = base + (offset as number);
    if (target < 0) throw errors.arg(call, `cannot seek to ${target}: before the start of the view`);
    return target;
  }

  /** The end of the file in etypes of the view. */
  private endPosition(call: string): number {
    const size = this.handle !== undefined ? this.handle.getSize(call) : this.io(call, () => fs.fstatSync(this.fd!).size);
    return Math.ceil(this.view.dataBefore(size) / this.view.etype.size);
  }

  /** `MPI_File_get_position` (MPI-4.1 §14.4.3): the individual file pointer, in etypes of the view. */
  Get_position(): number {
    try {
      this.own('File.Get_position');
      if (this.handle !== undefined) return this.handle.position('File.Get_position');
      return this.position;
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_File_get_byte_offset` (MPI-4.1 §14.4.3): the file byte of view
   * position `offset` (in etypes).
   *
   * @example
   * ```ts
   * file.Get_byte_offset(file.Get_position());
   * ```
   */
  Get_byte_offset(offset: number): number {
    try {
      const call = 'File.Get_byte_offset';
      this.own(call);
      if (!Number.isSafeInteger(offset) || offset < 0) throw errors.arg(call, `invalid offset ${String(offset)}`);
      if (this.handle !== undefined) return this.handle.byteOffset(offset, call);
      return this.view.byteOffset(offset * this.view.etype.size);
    } catch (error) {
      throw this.raised(error);
    }
  }

  // ------------------------------------------------------------ shared file pointer

  /** Adds `etypes` to the shared file pointer atomically; its value before. */
  private async fetchShared(etypes: number): Promise<number> {
    return this.addShared(etypes);
  }

  private async sharedOp(value: number, op: typeof ops.SUM): Promise<number> {
    const win = this.pointer!;
    const result = new Float64Array(1);
    await win.Lock(0);
    win.Fetch_and_op(op === NO_OP ? null : new Float64Array([value]), result, 0, 0, op);
    await win.Unlock(0);
    return result[0]!;
  }

  private addShared(etypes: number): Promise<number> {
    return this.sharedOp(etypes, ops.SUM);
  }

  private swapShared(value: number): Promise<number> {
    return this.sharedOp(value, REPLACE);
  }

  /** The shared file pointer as a byte of the file (for `DISPLACEMENT_CURRENT`). */
  private async sharedBytes(): Promise<number> {
    const comm = this.comm!;
    const position = await comm.bcast(comm.rank === 0 ? await this.sharedOp(0, NO_OP) : 0, 0);
    return this.view.byteOffset(position * this.view.etype.size);
  }

  /**
   * `MPI_File_read_shared` (MPI-4.1 §14.4.4): reads at the shared file
   * pointer, which every rank of the file moves; ranks that call it at once
   * get their data in some order.
   *
   * @example
   * ```ts
   * const line = new Uint8Array(16);
   * await file.Read_shared(line);
   * ```
   */
  Read_shared(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.access(buf, 'shared', 'read', 'File.Read_shared'), status);
  }

  /**
   * `MPI_File_write_shared` (MPI-4.1 §14.4.4): writes at the shared file pointer.
   *
   * @example
   * ```ts
   * await file.Write_shared(new TextEncoder().encode(`rank ${comm.rank}\n`));
   * ```
   */
  Write_shared(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.access(buf, 'shared', 'write', 'File.Write_shared'), status);
  }

  /** `MPI_File_iread_shared` (MPI-4.1 §14.4.4): {@link Read_shared} as a request. */
  Iread_shared(buf: BufferSpec): Request<void> {
    return this.start(buf, 'shared', false, 'read', 'File.Iread_shared');
  }

  /** `MPI_File_iwrite_shared` (MPI-4.1 §14.4.4): {@link Write_shared} as a request. */
  Iwrite_shared(buf: BufferSpec): Request<void> {
    return this.start(buf, 'shared', false, 'write', 'File.Iwrite_shared');
  }

  /**
   * `MPI_File_read_ordered` (MPI-4.1 §14.4.4): collective read at the shared
   * file pointer, the ranks' data in rank order.
   *
   * @example
   * ```ts
   * await file.Read_ordered(mine);
   * ```
   */
  Read_ordered(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.collective(buf, 'ordered', 'read', 'File.Read_ordered'), status);
  }

  /**
   * `MPI_File_write_ordered` (MPI-4.1 §14.4.4): collective write at the
   * shared file pointer, rank 0's data first.
   *
   * @example
   * ```ts
   * await file.Write_ordered(new Int32Array([comm.rank]));
   * ```
   */
  Write_ordered(buf: BufferSpec, status?: Status | null): Promise<void> {
    return this.blocking(() => this.collective(buf, 'ordered', 'write', 'File.Write_ordered'), status);
  }

  /**
   * `MPI_File_seek_shared` (MPI-4.1 §14.4.4): moves the shared file pointer;
   * every rank passes the same arguments. Collective.
   *
   * @example
   * ```ts
   * await file.Seek_shared(0);
   * ```
   */
  Seek_shared(offset: number, whence: number = SEEK_SET): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'File.Seek_shared';
      const comm = this.own(call);
      if (this.handle !== undefined) {
        const handle = this.handle;
        return handle.seekShared(this.seekTarget(offset, whence, handle.positionShared(call), call), call);
      }
      const current = whence === SEEK_CUR ? await comm.bcast(comm.rank === 0 ? await this.sharedOp(0, NO_OP) : 0, 0) : 0;
      const target = this.seekTarget(offset, whence, current, call);
      await comm.Barrier();
      if (comm.rank === 0) await this.swapShared(target);
      await comm.Barrier();
    }));
  }

  /**
   * `MPI_File_get_position_shared` (MPI-4.1 §14.4.4): the shared file
   * pointer, in etypes of the view.
   *
   * @example
   * ```ts
   * const where = await file.Get_position_shared();
   * ```
   */
  Get_position_shared(): Promise<number> {
    return this.handled(rejecting(() => {
      this.own('File.Get_position_shared');
      if (this.handle !== undefined) return Promise.resolve(this.handle.positionShared('File.Get_position_shared'));
      return this.sharedOp(0, NO_OP);
    }));
  }

  // ------------------------------------------------------------ split collectives

  /**
   * Begins split collective `name` (`Read_all`, ...): checks the arguments at
   * once, then starts the access; `_end` finishes it. On the transport's
   * file the library's `MPI_File_*_begin` runs (after a barrier), and the
   * `_end` its `MPI_File_*_end`; on shm the collective access starts at once
   * and the `_end` waits for it. Called by the public `_begin` calls alone, so
   * it applies the error handler for them.
   */
  private begin(name: string, buf: BufferSpec, where: Positioning | 'ordered', access: 'read' | 'write'): void {
    try {
      const call = `File.${name}_begin`;
      this.own(call);
      if (this.split !== undefined) {
        throw errors.splitCollective(call, `File.${this.split.name}_begin is still active on this file: ` +
          `call File.${this.split.name}_end first (one split collective per file at a time)`);
      }
      const message = this.prepare(buf, access, call);
      if (where === 'individual' && (this.accessMode & MODE_SEQUENTIAL) !== 0) this.checkOffset(0, call);
      const offset = typeof where === 'object' ? this.checkOffset(where.at, call) : 0;
      const handle = this.handle;
      let end: (call: string) => Promise<number>;
      if (handle === undefined) {
        const done = this.collective(buf, where, access, call, message);
        done.catch(() => undefined);
        end = () => done;
      } else {
        const kind: SplitAccessKind = where === 'ordered' ? 'ordered' : where === 'individual' ? 'all' : 'at_all';
        const write = access === 'write';
        let asked: Uint8Array | undefined;
        const begun = handle.begin(kind, write, offset, () => {
          asked = access === 'read' && where !== 'ordered' ? this.readWindow(handle, message.bytes, where, offset, call)
            : undefined;
          return asked ?? message.bytes;
        }, call);
        begun.catch(() => undefined);
        end = async (endCall) => {
          const bytes = await begun;
          let moved = await handle.end(kind, write, bytes, endCall);
          if (asked !== undefined) moved = Math.min(moved, asked.byteLength);
          if (access === 'read') message.unpack?.(moved);
          // As the blocking form: what a collective write wrote is visible to every rank once it ends.
          else await this.own(endCall).Barrier();
          return moved;
        };
      }
      this.split = { name, end };
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * Ends split collective `name`: `status` gets the bytes moved, as the
   * blocking form's. For the public `_end` calls alone, through the error handler.
   */
  private end(name: string, status: Status | null | undefined): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = `File.${name}_end`;
      this.own(call);
      const split = this.split;
      if (split === undefined || split.name !== name) {
        throw errors.splitCollective(call, split === undefined ? `no File.${name}_begin is active on this file`
          : `the active split collective is File.${split.name}_begin: end it with File.${split.name}_end`);
      }
      this.split = undefined;
      File.fill(status, await split.end(call));
    }));
  }

  /**
   * `MPI_File_read_at_all_begin` (MPI-4.1 §14.4.5): starts {@link Read_at_all};
   * {@link Read_at_all_end} completes it.
   *
   * @example
   * ```ts
   * file.Read_at_all_begin(0, data);
   * await file.Read_at_all_end(data);
   * ```
   */
  Read_at_all_begin(offset: number, buf: BufferSpec): void {
    this.begin('Read_at_all', buf, { at: offset }, 'read');
  }

  /** `MPI_File_read_at_all_end` (MPI-4.1 §14.4.5). */
  Read_at_all_end(buf: BufferSpec, status?: Status | null): Promise<void> {
    void buf;
    return this.end('Read_at_all', status);
  }

  /** `MPI_File_write_at_all_begin` (MPI-4.1 §14.4.5): starts {@link Write_at_all}. */
  Write_at_all_begin(offset: number, buf: BufferSpec): void {
    this.begin('Write_at_all', buf, { at: offset }, 'write');
  }

  /** `MPI_File_write_at_all_end` (MPI-4.1 §14.4.5). */
  Write_at_all_end(buf: BufferSpec, status?: Status | null): Promise<void> {
    void buf;
    return this.end('Write_at_all', status);
  }

  /** `MPI_File_read_all_begin` (MPI-4.1 §14.4.5): starts {@link Read_all}. */
  Read_all_begin(buf: BufferSpec): void {
    this.begin('Read_all', buf, 'individual', 'read');
  }

  /** `MPI_File_read_all_end` (MPI-4.1 §14.4.5). */
  Read_all_end(buf: BufferSpec, status?: Status | null): Promise<void> {
    void buf;
    return this.end('Read_all', status);
  }

  /** `MPI_File_write_all_begin` (MPI-4.1 §14.4.5): starts {@link Write_all}. */
  Write_all_begin(buf: BufferSpec): void {
    this.begin('Write_all', buf, 'individual', 'write');
  }

  /** `MPI_File_write_all_end` (MPI-4.1 §14.4.5). */
  Write_all_end(buf: BufferSpec, status?: Status | null): Promise<void> {
    void buf;
    return this.end('Write_all', status);
  }

  /** `MPI_File_read_ordered_begin` (MPI-4.1 §14.4.5): starts {@link Read_ordered}. */
  Read_ordered_begin(buf: BufferSpec): void {
    this.begin('Read_ordered', buf, 'ordered', 'read');
  }

  /** `MPI_File_read_ordered_end` (MPI-4.1 §14.4.5). */
  Read_ordered_end(buf: BufferSpec, status?: Status | null): Promise<void> {
    void buf;
    return this.end('Read_ordered', status);
  }

  /** `MPI_File_write_ordered_begin` (MPI-4.1 §14.4.5): starts {@link Write_ordered}. */
  Write_ordered_begin(buf: BufferSpec): void {
    this.begin('Write_ordered', buf, 'ordered', 'write');
  }

  /** `MPI_File_write_ordered_end` (MPI-4.1 §14.4.5). */
  Write_ordered_end(buf: BufferSpec, status?: Status | null): Promise<void> {
    void buf;
    return this.end('Write_ordered', status);
  }

  // ------------------------------------------------------------ consistency

  /**
   * `MPI_File_set_atomicity` (MPI-4.1 §14.6.1): atomic mode on or off. Collective.
   *
   * @example
   * ```ts
   * await file.Set_atomicity(true);
   * ```
   */
  Set_atomicity(flag: boolean): Promise<void> {
    return this.handled(rejecting(async () => {
      const comm = this.own('File.Set_atomicity');
      if (this.handle !== undefined) await this.handle.setAtomicity(Boolean(flag), 'File.Set_atomicity');
      else await comm.Barrier();
      this.atomic = Boolean(flag);
    }));
  }

  /** `MPI_File_get_atomicity` (MPI-4.1 §14.6.1). */
  Get_atomicity(): boolean {
    this.own('File.Get_atomicity');
    return this.atomic;
  }

  /**
   * `MPI_File_sync` (MPI-4.1 §14.6.1): writes this rank's data to the
   * storage device. Collective.
   *
   * @example
   * ```ts
   * await file.Sync();
   * ```
   */
  Sync(): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'File.Sync';
      const comm = this.own(call);
      if (this.handle !== undefined) return this.handle.sync(call);
      if ((this.accessMode & MODE_RDONLY) === 0) this.io(call, () => fs.fsyncSync(this.fd!));
      await comm.Barrier();
    }));
  }

  // ------------------------------------------------------------ errors

  /**
   * `MPI_File_create_errhandler` (MPI-4.1 §9.3.4).
   *
   * @example
   * ```ts
   * file.Set_errhandler(MPI.File.Create_errhandler((f, code) => console.error(code)));
   * ```
   */
  static Create_errhandler(fn: ErrhandlerFunction<File>): Errhandler {
    if (typeof fn !== 'function') throw errors.arg('File.Create_errhandler', `expected a function, got ${typeof fn}`);
    return new Errhandler('user', 'user error handler', fn as ErrhandlerFunction<never>);
  }

  /**
   * `MPI_File_set_errhandler` (MPI-4.1 §9.3.4). On `MPI.FILE_NULL` it sets the
   * default file handler: `File.Open` and `File.Delete` go through it, and a
   * file opened after starts with it (MPI-4.1 §14.7).
   */
  Set_errhandler(errhandler: Errhandler): void {
    try {
      this.errhandler = checkErrhandler(errhandler, 'File.Set_errhandler');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_File_get_errhandler` (MPI-4.1 §9.3.4): on `MPI.FILE_NULL` the default file handler, `MPI.ERRORS_RETURN` unless set. */
  Get_errhandler(): Errhandler {
    return this.errhandler;
  }

  /**
   * `MPI_File_call_errhandler` (MPI-4.1 §9.3.4): invokes the handler with
   * `errorcode`; nothing happens with `ERRORS_RETURN`.
   */
  Call_errhandler(errorcode: number): void {
    invokeErrhandler(this.errhandler, this, `file ${this.path}`, errorcode,
      calledErrorReport(errorcode, 'File.Call_errhandler'));
  }

  // Every public call that can fail on an open file goes through its error handler (MPI-4.1 §9.3), as in
  // comm.ts: a Promise through handled (the data accesses in blocking, the split collectives in begin and end),
  // a value in try { ... } catch (error) { throw this.raised(error) }. The I-forms report every failure through
  // their request, whose completion applies it; the getters that only read a field fail only on a closed file,
  // which has no handler; a call made of another public call (the size property) leaves it to that one.

  /** `promise`, through the file's error handler when it rejects: with `MPI.ERRORS_RETURN` one comparison. */
  private handled<T>(promise: Promise<T>): Promise<T> {
    return handledBy(this.errhandler, this, promise);
  }

  /**
   * Applies the error handler to `error`, an exception of one of this file's
   * calls, and returns it to be thrown. A closed file (and `MPI.FILE_NULL`)
   * has no handler: its calls fail as with `MPI.ERRORS_RETURN`.
   */
  private raised(error: unknown): unknown {
    return this.isOpen ? applyErrhandler(this.errhandler, this, `file ${this.path}`, error) : error;
  }

  /**
   * @internal {@link raised} for `errhandler.ts`: the errors of this file's
   * calls ({@link handled}) and of its nonblocking accesses (`Iread`, ...)
   * at their completion (MPI-4.1 §9.3).
   */
  [raisedByHandler](error: unknown): unknown {
    return this.raised(error);
  }

  toString(): string {
    return !this.isOpen ? '<File MPI_FILE_NULL>' : `<File ${this.path}>`;
  }
}

/** `MPI.FILE_NULL` (MPI-4.1 §14.2.2): the null file handle. */
export const FILE_NULL: File = File.null();
