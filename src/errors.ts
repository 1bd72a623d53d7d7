/**
 * Error handling: MPI error classes and the one error type of mpi4ts.
 *
 * MPI-4.1 §9.4 (error codes and classes) and §9.3 (error handlers). Every
 * misuse of the API rejects or throws an {@link MPIError} carrying one of the
 * classes below and a message that names the rank and the call, so that a
 * report from a 64-rank job points at the line that went wrong.
 *
 * User-defined error classes, codes and strings (§9.6: `MPI_Add_error_class`,
 * `_code`, `_string`, MPI-4.1's `MPI_Remove_error_*`) are kept here; error
 * handlers are `api/errhandler.ts`'s.
 *
 * Unfinished: an `MPIError` carries a predefined class only (user classes
 * reach programs through `Comm.Call_errhandler`).
 *
 * @module
 */

/**
 * The MPI error classes (MPI-4.1 §9.4, table 9.1), numbered as in Open MPI.
 * MPICH numbers some differently; the native transport maps classes by name.
 */
export const ErrorClass = {
  SUCCESS: 0,
  ERR_BUFFER: 1,
  ERR_COUNT: 2,
  ERR_TYPE: 3,
  ERR_TAG: 4,
  ERR_COMM: 5,
  ERR_RANK: 6,
  ERR_REQUEST: 7,
  ERR_ROOT: 8,
  ERR_GROUP: 9,
  ERR_OP: 10,
  ERR_TOPOLOGY: 11,
  ERR_DIMS: 12,
  ERR_ARG: 13,
  ERR_UNKNOWN: 14,
  ERR_TRUNCATE: 15,
  ERR_OTHER: 16,
  ERR_INTERN: 17,
  ERR_IN_STATUS: 18,
  ERR_PENDING: 19,
  ERR_INFO_KEY: 31,
  ERR_INFO_NOKEY: 32,
  ERR_INFO_VALUE: 33,
  ERR_INFO: 34,
  ERR_KEYVAL: 36,
  ERR_ASSERT: 22,
  ERR_BASE: 24,
  ERR_DISP: 26,
  ERR_LOCKTYPE: 37,
  ERR_NO_MEM: 39,
  ERR_RMA_CONFLICT: 46,
  ERR_RMA_SYNC: 47,
  ERR_SIZE: 49,
  ERR_WIN: 53,
  ERR_RMA_RANGE: 68,
  ERR_RMA_ATTACH: 69,
  ERR_RMA_FLAVOR: 70,
  ERR_RMA_SHARED: 71,
  ERR_SPAWN: 50,
  ERR_NAME: 38,
  ERR_NOT_SAME: 40,
  ERR_PORT: 43,
  ERR_SERVICE: 48,
  ERR_UNSUPPORTED_OPERATION: 52,
  ERR_ACCESS: 20,
  ERR_AMODE: 21,
  ERR_BAD_FILE: 23,
  ERR_CONVERSION: 25,
  ERR_DUP_DATAREP: 27,
  ERR_FILE_EXISTS: 28,
  ERR_FILE_IN_USE: 29,
  ERR_FILE: 30,
  ERR_IO: 35,
  ERR_NO_SPACE: 41,
  ERR_NO_SUCH_FILE: 42,
  ERR_QUOTA: 44,
  ERR_READ_ONLY: 45,
  ERR_UNSUPPORTED_DATAREP: 51,
  ERR_LASTCODE: 92,
} as const;

/** One of the values of {@link ErrorClass}. */
export type ErrorClassCode = (typeof ErrorClass)[keyof typeof ErrorClass];

const classNames = new Map<number, string>(
  Object.entries(ErrorClass).map(([name, code]) => [code, `MPI_${name}`]),
);

/** What each error class means, as `MPI_Error_string` would say it. */
const classDescriptions: Record<number, string> = {
  [ErrorClass.SUCCESS]: 'no error',
  [ErrorClass.ERR_BUFFER]: 'invalid buffer',
  [ErrorClass.ERR_COUNT]: 'invalid count',
  [ErrorClass.ERR_TYPE]: 'invalid datatype',
  [ErrorClass.ERR_TAG]: 'invalid tag',
  [ErrorClass.ERR_COMM]: 'invalid communicator',
  [ErrorClass.ERR_RANK]: 'invalid rank',
  [ErrorClass.ERR_REQUEST]: 'invalid request',
  [ErrorClass.ERR_ROOT]: 'invalid root',
  [ErrorClass.ERR_GROUP]: 'invalid group',
  [ErrorClass.ERR_OP]: 'invalid reduce operation',
  [ErrorClass.ERR_TOPOLOGY]: 'invalid topology',
  [ErrorClass.ERR_DIMS]: 'invalid dimension argument',
  [ErrorClass.ERR_ARG]: 'invalid argument',
  [ErrorClass.ERR_UNKNOWN]: 'unknown error',
  [ErrorClass.ERR_TRUNCATE]: 'message truncated',
  [ErrorClass.ERR_OTHER]: 'other error',
  [ErrorClass.ERR_INTERN]: 'internal error',
  [ErrorClass.ERR_IN_STATUS]: 'error code is in status',
  [ErrorClass.ERR_PENDING]: 'pending request',
  [ErrorClass.ERR_INFO_KEY]: 'invalid info key',
  [ErrorClass.ERR_INFO_NOKEY]: 'info key not set',
  [ErrorClass.ERR_INFO_VALUE]: 'invalid info value',
  [ErrorClass.ERR_INFO]: 'invalid info object',
  [ErrorClass.ERR_KEYVAL]: 'invalid key value',
  [ErrorClass.ERR_NO_MEM]: 'out of memory',
  [ErrorClass.ERR_ASSERT]: 'invalid assertion',
  [ErrorClass.ERR_BASE]: 'invalid base',
  [ErrorClass.ERR_DISP]: 'invalid displacement',
  [ErrorClass.ERR_LOCKTYPE]: 'invalid lock type',
  [ErrorClass.ERR_RMA_CONFLICT]: 'conflicting accesses to a window',
  [ErrorClass.ERR_RMA_SYNC]: 'wrong synchronization of RMA calls',
  [ErrorClass.ERR_SIZE]: 'invalid size',
  [ErrorClass.ERR_WIN]: 'invalid window',
  [ErrorClass.ERR_RMA_RANGE]: 'target memory is not part of the window',
  [ErrorClass.ERR_RMA_ATTACH]: 'memory cannot be attached',
  [ErrorClass.ERR_RMA_FLAVOR]: 'passed window has the wrong flavor for the called function',
  [ErrorClass.ERR_RMA_SHARED]: 'memory cannot be shared',
  [ErrorClass.ERR_SPAWN]: 'could not spawn processes',
  [ErrorClass.ERR_NAME]: 'service name not published',
  [ErrorClass.ERR_NOT_SAME]: 'collective arguments not identical on all processes',
  [ErrorClass.ERR_PORT]: 'invalid port name',
  [ErrorClass.ERR_SERVICE]: 'invalid service name',
  [ErrorClass.ERR_UNSUPPORTED_OPERATION]: 'operation not supported',
  [ErrorClass.ERR_ACCESS]: 'permission denied',
  [ErrorClass.ERR_AMODE]: 'invalid amode argument',
  [ErrorClass.ERR_BAD_FILE]: 'invalid file name',
  [ErrorClass.ERR_CONVERSION]: 'error in a data conversion function',
  [ErrorClass.ERR_DUP_DATAREP]: 'data representation identifier already registered',
  [ErrorClass.ERR_FILE_EXISTS]: 'file exists already',
  [ErrorClass.ERR_FILE_IN_USE]: 'file operation could not be completed: the file is in use',
  [ErrorClass.ERR_FILE]: 'invalid file handle',
  [ErrorClass.ERR_IO]: 'other I/O error',
  [ErrorClass.ERR_NO_SPACE]: 'not enough space',
  [ErrorClass.ERR_NO_SUCH_FILE]: 'no such file or directory',
  [ErrorClass.ERR_QUOTA]: 'quota exceeded',
  [ErrorClass.ERR_READ_ONLY]: 'read-only file or file system',
  [ErrorClass.ERR_UNSUPPORTED_DATAREP]: 'unsupported data representation',
};

let reportingRank: number | undefined;

/** Set once by the environment so that every error names the rank it happened on. */
export function setErrorRank(rank: number): void {
  reportingRank = rank;
}

/**
 * The exception of mpi4ts, like mpi4py's `MPI.Exception` (MPI-4.1 §9.4).
 *
 * @example
 * ```ts
 * try { await comm.Recv(small, 0); }
 * catch (e) { if (e instanceof MPI.MPIError && e.error_class === MPI.ERR_TRUNCATE) ... }
 * ```
 */
export class MPIError extends Error {
  /** The MPI error class, one of `MPI.ERR_*`. */
  readonly error_class: ErrorClassCode;
  /** Node-style code: `'MPI_ERR_TRUNCATE'` and so on. */
  readonly code: string;
  /** The rank that raised it, when known. */
  readonly rank: number | undefined;
  /** The call that raised it, such as `'Comm.Send'`. */
  readonly call: string;
  /** What went wrong: the message without the rank and the call. */
  readonly detail: string;

  /** mpi4ts builds every one through the table {@link errors}, which holds the wording of each. */
  constructor(errorClass: ErrorClassCode, call: string, detail: string, options?: { cause?: unknown }) {
    const where = reportingRank === undefined ? call : `rank ${reportingRank}: ${call}`;
    super(`${where}: ${detail}`, options);
    this.name = 'MPIError';
    this.error_class = errorClass;
    this.code = classNames.get(errorClass) ?? 'MPI_ERR_UNKNOWN';
    this.rank = reportingRank;
    this.call = call;
    this.detail = detail;
  }

  /** mpi4py spelling of {@link error_class}. */
  Get_error_class(): ErrorClassCode {
    return this.error_class;
  }

  /** The error code; mpi4ts has no codes beyond the classes. */
  Get_error_code(): ErrorClassCode {
    return this.error_class;
  }

  /** The standard description of the error class. */
  Get_error_string(): string {
    return errorString(this.error_class);
  }

  /** mpi4py's `error_code` property: the same as {@link Get_error_code}. */
  get error_code(): ErrorClassCode {
    return this.error_class;
  }

  /** mpi4py's `error_string` property: the same as {@link Get_error_string}. */
  get error_string(): string {
    return this.Get_error_string();
  }
}

/** `MPI_Error_string`: the description of an error class or code (MPI-4.1 §9.4), user-defined ones included. */
export function errorString(errorClass: number): string {
  return userStrings.get(errorClass) ?? classDescriptions[errorClass] ?? `unknown error class ${errorClass}`;
}

/** User error classes (MPI-4.1 §9.6): each code of one, by its class (a class is a code of itself). */
const userClassOf = new Map<number, number>();
const userStrings = new Map<number, string>();
let lastUsedCode: number = ErrorClass.ERR_LASTCODE;

/** `MPI_LASTUSEDCODE` (MPI-4.1 §9.6): the largest error code or class in use. */
export function lastUsedErrorCode(): number {
  return lastUsedCode;
}

/** `MPI_Get_error_class` (MPI-4.1 §9.4): the class of an error code (a predefined code is its own class). */
export function errorClassOf(code: number): number {
  if (!Number.isInteger(code) || code < 0) throw errors.arg('MPI.Get_error_class', `invalid error code ${String(code)}`);
  const user = userClassOf.get(code);
  if (user !== undefined) return user;
  if (code > ErrorClass.ERR_LASTCODE) throw errors.arg('MPI.Get_error_class', `invalid error code ${code}`);
  return code;
}

/** `MPI_Add_error_class` (MPI-4.1 §9.6): a new error class above `MPI.ERR_LASTCODE`. */
export function addErrorClass(): number {
  const code = ++lastUsedCode;
  userClassOf.set(code, code);
  return code;
}

/** `MPI_Add_error_code` (MPI-4.1 §9.6): a new error code in `errorClass`. */
export function addErrorCode(errorClass: number): number {
  const isClass = (Number.isInteger(errorClass) && errorClass >= 0 && errorClass <= ErrorClass.ERR_LASTCODE) ||
    userClassOf.get(errorClass) === errorClass;
  if (!isClass) throw errors.arg('MPI.Add_error_code', `invalid error class ${String(errorClass)}`);
  const code = ++lastUsedCode;
  userClassOf.set(code, errorClass);
  return code;
}

/** `MPI_Add_error_string` (MPI-4.1 §9.6): the string of a user error class or code. */
export function addErrorString(code: number, text: string): void {
  if (!userClassOf.has(code)) {
    throw errors.arg('MPI.Add_error_string', `invalid error code ${String(code)}: only user classes and codes take strings`);
  }
  userStrings.set(code, String(text));
}

/** `MPI_Remove_error_class` (MPI-4.1 §9.6): `ERR_ARG` while codes of it remain. */
export function removeErrorClass(errorClass: number): void {
  if (userClassOf.get(errorClass) !== errorClass) {
    throw errors.arg('MPI.Remove_error_class', `invalid user error class ${String(errorClass)}`);
  }
  for (const [code, cls] of userClassOf) {
    if (cls === errorClass && code !== errorClass) {
      throw errors.arg('MPI.Remove_error_class', `error class ${errorClass} still has code ${code}: remove it first`);
    }
  }
  userClassOf.delete(errorClass);
  userStrings.delete(errorClass);
}

/** `MPI_Remove_error_code` (MPI-4.1 §9.6). */
export function removeErrorCode(code: number): void {
  const cls = userClassOf.get(code);
  if (cls === undefined || cls === code) throw errors.arg('MPI.Remove_error_code', `invalid user error code ${String(code)}`);
  userClassOf.delete(code);
  userStrings.delete(code);
}

/** `MPI_Remove_error_string` (MPI-4.1 §9.6). */
export function removeErrorString(code: number): void {
  if (!userStrings.delete(code)) throw errors.arg('MPI.Remove_error_string', `no string was added for error code ${String(code)}`);
}

/**
 * The one table of mpi4ts errors: each entry builds an {@link MPIError} with
 * its class and a message a person can act on. Call sites say
 * `throw errors.rank('Comm.Send', dest, size)`. `call` is always the API call
 * the user made (`Comm.Send`, not `MPI_Isend`): both transports word the same
 * misuse the same way, and where an MPI library adds its own error string the
 * C function that returned it goes in parentheses in the detail.
 */
export const errors = {
  /** `what`: 'dest' and 'source' also take `MPI.PROC_NULL` (and a source `MPI.ANY_SOURCE`), other ranks do not. */
  rank: (call: string, rank: unknown, size: number, what = 'rank') =>
    new MPIError(ErrorClass.ERR_RANK, call, `invalid ${what} ${String(rank)}: must be an integer in [0, ${size})` +
      ({ source: ', MPI.ANY_SOURCE or MPI.PROC_NULL', dest: ' or MPI.PROC_NULL' }[what] ?? '')),
  repeatedRank: (call: string, rank: number) =>
    new MPIError(ErrorClass.ERR_RANK, call, `rank ${rank} appears twice: each rank may be named once`),
  /** A `[first, last, stride]` triplet whose stride walks away from `last` (Open MPI's class; MPICH says `ERR_ARG`). */
  emptyRange: (call: string, first: number, last: number, stride: number) =>
    new MPIError(ErrorClass.ERR_RANK, call, `range [${first}, ${last}, ${stride}] never reaches its last rank: ` +
      `a ${stride > 0 ? 'positive' : 'negative'} stride needs first ${stride > 0 ? '<=' : '>='} last`),
  root: (call: string, root: unknown, size: number) =>
    new MPIError(ErrorClass.ERR_ROOT, call, `invalid root ${String(root)}: must be an integer in [0, ${size})`),
  tag: (call: string, tag: unknown, allowAny: boolean) =>
    new MPIError(ErrorClass.ERR_TAG, call, `invalid tag ${String(tag)}: must be an integer in [0, ${TAG_UB}]` +
      (allowAny ? ' or MPI.ANY_TAG' : '')),
  /**
   * A message longer than the receive buffer, received as MPI receives it
   * (MPI-4.1 §3.2.4): consumed, its first bytes stored. `length` when the
   * transport knows it (an MPI library does not say); `library`: the MPI
   * library's own words.
   */
  truncate: (call: string, source: number | string, tag: number | string, capacity: number, length: number | undefined,
    library?: string) =>
    new MPIError(ErrorClass.ERR_TRUNCATE, call, `message${length === undefined ? '' : ` of ${length} bytes`} from ` +
      `rank ${source} (tag ${tag}) does not fit the ${capacity}-byte receive buffer; it was received, and only its ` +
      `first ${capacity} bytes were stored${library === undefined ? '' : ` (${library})`}`),
  count: (call: string, detail: string) => new MPIError(ErrorClass.ERR_COUNT, call, detail),
  buffer: (call: string, detail: string) => new MPIError(ErrorClass.ERR_BUFFER, call, detail),
  type: (call: string, detail: string) => new MPIError(ErrorClass.ERR_TYPE, call, detail),
  arg: (call: string, detail: string) => new MPIError(ErrorClass.ERR_ARG, call, detail),
  op: (call: string, detail: string) => new MPIError(ErrorClass.ERR_OP, call, detail),
  request: (call: string, detail: string) => new MPIError(ErrorClass.ERR_REQUEST, call, detail),
  group: (call: string, detail: string) => new MPIError(ErrorClass.ERR_GROUP, call, detail),
  topology: (call: string, detail: string) => new MPIError(ErrorClass.ERR_TOPOLOGY, call, detail),
  dims: (call: string, detail: string) => new MPIError(ErrorClass.ERR_DIMS, call, detail),
  other: (call: string, detail: string) => new MPIError(ErrorClass.ERR_OTHER, call, detail),
  intern: (call: string, detail: string) => new MPIError(ErrorClass.ERR_INTERN, call, detail),
  noMem: (call: string, detail: string) => new MPIError(ErrorClass.ERR_NO_MEM, call, detail),
  spawn: (call: string, detail: string) => new MPIError(ErrorClass.ERR_SPAWN, call, detail),
  /** Client/server (MPI-4.1 §11.9): a port name that cannot be used. */
  port: (call: string, detail: string) => new MPIError(ErrorClass.ERR_PORT, call, detail),
  /** `Lookup_name` of a service that is not published (MPI-4.1 §11.9.4). */
  name: (call: string, detail: string) => new MPIError(ErrorClass.ERR_NAME, call, detail),
  /** `Publish_name`/`Unpublish_name` of a service that cannot be (un)published (MPI-4.1 §11.9.4). */
  service: (call: string, detail: string) => new MPIError(ErrorClass.ERR_SERVICE, call, detail),
  unsupported: (call: string, detail: string) => new MPIError(ErrorClass.ERR_UNSUPPORTED_OPERATION, call, detail),
  comm: (call: string, detail: string) => new MPIError(ErrorClass.ERR_COMM, call, detail),
  info: (call: string, detail: string) => new MPIError(ErrorClass.ERR_INFO, call, detail),
  infoKey: (call: string, detail: string) => new MPIError(ErrorClass.ERR_INFO_KEY, call, detail),
  infoValue: (call: string, detail: string) => new MPIError(ErrorClass.ERR_INFO_VALUE, call, detail),
  infoNoKey: (call: string, key: string) => new MPIError(ErrorClass.ERR_INFO_NOKEY, call, `info key ${key} is not set`),
  keyval: (call: string, detail: string) => new MPIError(ErrorClass.ERR_KEYVAL, call, detail),
  /** An error that `Comm.Call_errhandler` raises for the program (MPI-4.1 §9.3). */
  called: (call: string, code: number, text: string) =>
    new MPIError(ErrorClass.ERR_OTHER, call, `error code ${code} raised by the program: ${text}`),
  /** One-sided communication (MPI-4.1 §12): a freed or unusable window. */
  win: (call: string, detail: string) => new MPIError(ErrorClass.ERR_WIN, call, detail),
  /** An RMA call outside the epoch it needs, or a synchronization call out of order (MPI-4.1 §12.5). */
  rmaSync: (call: string, detail: string) => new MPIError(ErrorClass.ERR_RMA_SYNC, call, detail),
  /** Target memory past the end of the target's window (MPI-4.1 §12.3). */
  rmaRange: (call: string, target: number, offset: number, bytes: number, size: number) =>
    new MPIError(ErrorClass.ERR_RMA_RANGE, call, `${bytes} bytes at byte ${offset} of rank ${target}'s window ` +
      `do not fit its ${size} bytes`),
  /** Target memory of a dynamic window that is not in a region the target attached (MPI-4.1 §12.2.4). */
  rmaRangeDynamic: (call: string, target: number, address: number, bytes: number) =>
    new MPIError(ErrorClass.ERR_RMA_RANGE, call, `${bytes} bytes at address ${address} are not in memory rank ${target} ` +
      'attached to its dynamic window'),
  /** Memory that cannot be attached to (or detached from) a dynamic window (MPI-4.1 §12.2.4). */
  rmaAttach: (call: string, detail: string) => new MPIError(ErrorClass.ERR_RMA_ATTACH, call, detail),
  rmaFlavor: (call: string, detail: string) => new MPIError(ErrorClass.ERR_RMA_FLAVOR, call, detail),
  lockType: (call: string, type: unknown) =>
    new MPIError(ErrorClass.ERR_LOCKTYPE, call, `invalid lock type ${String(type)}: use MPI.LOCK_EXCLUSIVE or MPI.LOCK_SHARED`),
  size: (call: string, detail: string) => new MPIError(ErrorClass.ERR_SIZE, call, detail),
  /** Parallel I/O (MPI-4.1 §14.7): a closed or unusable file handle. */
  file: (call: string, detail: string) => new MPIError(ErrorClass.ERR_FILE, call, detail),
  /** An invalid access mode of `File.Open` (MPI-4.1 §14.2.1). */
  amode: (call: string, amode: unknown, why: string) =>
    new MPIError(ErrorClass.ERR_AMODE, call, `invalid amode ${String(amode)}: ${why}`),
  /**
   * A split collective begun while another is active on the file, or ended
   * without its begin (MPI-4.1 §14.4.5 calls both erroneous; ROMIO's class).
   */
  splitCollective: (call: string, detail: string) => new MPIError(ErrorClass.ERR_IO, call, detail),
  /** A read on a file opened `MODE_WRONLY` (`ERR_ACCESS`), a write on one opened `MODE_RDONLY` (`ERR_READ_ONLY`). */
  fileAccess: (call: string, path: string, access: 'read' | 'write') =>
    access === 'read'
      ? new MPIError(ErrorClass.ERR_ACCESS, call, `cannot read ${path}: it was opened with MPI.MODE_WRONLY`)
      : new MPIError(ErrorClass.ERR_READ_ONLY, call, `cannot write ${path}: it was opened with MPI.MODE_RDONLY`),
  /** A data representation other than `'native'` (MPI-4.1 §14.5). */
  datarep: (call: string, datarep: unknown, detail = "mpi4ts supports 'native' and those of MPI.Register_datarep") =>
    new MPIError(ErrorClass.ERR_UNSUPPORTED_DATAREP, call, `unsupported data representation ${String(datarep)}: ${detail}`),
  /** `MPI.Register_datarep` of a name already known (MPI-4.1 §14.5.3). */
  dupDatarep: (call: string, datarep: string) =>
    new MPIError(ErrorClass.ERR_DUP_DATAREP, call, `the data representation ${datarep} is already registered`),
  /** A user conversion function of a data representation failed (MPI-4.1 §14.5.3). */
  conversion: (call: string, datarep: string, cause: unknown) =>
    new MPIError(ErrorClass.ERR_CONVERSION, call, `the ${datarep} conversion function failed: ` +
      `${cause instanceof Error ? cause.message : String(cause)}`, { cause }),
  /**
   * A failed system call on a file (MPI-4.1 §14.7), by the class MPI gives
   * its cause: `ERR_NO_SUCH_FILE`, `ERR_FILE_EXISTS`, `ERR_ACCESS`,
   * `ERR_READ_ONLY`, `ERR_NO_SPACE`, `ERR_QUOTA`, `ERR_BAD_FILE`, else `ERR_IO`.
   */
  io: (call: string, path: string, cause: unknown) => {
    const code = (cause as { code?: unknown } | null)?.code;
    const errorClass = ({
      ENOENT: ErrorClass.ERR_NO_SUCH_FILE, ENOTDIR: ErrorClass.ERR_NO_SUCH_FILE, EEXIST: ErrorClass.ERR_FILE_EXISTS,
      EACCES: ErrorClass.ERR_ACCESS, EPERM: ErrorClass.ERR_ACCESS, EROFS: ErrorClass.ERR_READ_ONLY,
      ENOSPC: ErrorClass.ERR_NO_SPACE, EDQUOT: ErrorClass.ERR_QUOTA, EISDIR: ErrorClass.ERR_BAD_FILE,
      ENAMETOOLONG: ErrorClass.ERR_BAD_FILE, EBUSY: ErrorClass.ERR_FILE_IN_USE,
    } as Record<string, ErrorClassCode>)[typeof code === 'string' ? code : ''] ?? ErrorClass.ERR_IO;
    return new MPIError(errorClass, call, `${path}: ${errorString(errorClass)}` +
      (typeof code === 'string' ? ` (${code})` : cause instanceof Error ? ` (${cause.message})` : ''),
    cause === undefined ? undefined : { cause });
  },
  disp: (call: string, detail: string) => new MPIError(ErrorClass.ERR_DISP, call, detail),
  freedComm: (call: string, name: string) =>
    new MPIError(ErrorClass.ERR_COMM, call, `communicator ${name} has been freed`),
  /** `MPI_COMM_WORLD` and `MPI_COMM_SELF` cannot be freed: `ERR_COMM`, as MPI libraries and mpi4py say. */
  predefinedComm: (call: string, name: string) =>
    new MPIError(ErrorClass.ERR_COMM, call, `${name} is predefined and cannot be freed`),
  /** An error an MPI library returned, with the class it gave (`detail` holds its error string). */
  library: (errorClass: ErrorClassCode, call: string, detail: string, cause?: unknown) =>
    new MPIError(errorClass, call, detail, cause === undefined ? undefined : { cause }),
  nativeNotBuilt: (call: string, file: string) =>
    new MPIError(ErrorClass.ERR_OTHER, call, `the native mpi transport is not built (${file} is missing): ` +
      'install Open MPI or MPICH (mpicc on PATH), then run `npx mpi4ts build-mpi`'),
  nativeNotLoaded: (call: string, file: string, cause: unknown) =>
    new MPIError(ErrorClass.ERR_OTHER, call, `cannot load the native mpi transport ${file}: ` +
      `${cause instanceof Error ? cause.message : String(cause)}. ` +
      'If the MPI library changed since it was built, rebuild it with `npx mpi4ts build-mpi`', { cause }),
  /**
   * A transport operation's failure under the API call that waited for it
   * (`Comm.Irecv` rather than the transport's `Comm.Recv`); anything that is
   * not an {@link MPIError}, such as a user op's own exception, stays as it is.
   */
  inCall: (call: string, error: Error): Error =>
    error instanceof MPIError && error.call !== call
      ? new MPIError(error.error_class, call, error.detail, { cause: error })
      : error,
  /**
   * A call completing several requests in which some failed (MPI-4.1
   * §3.7.5): each failure by its index in the list, class and words; the
   * statuses hold the classes. The first failure is the cause.
   */
  inStatus: (call: string, failures: readonly { index: number; errorClass: number; error: Error }[]) =>
    new MPIError(ErrorClass.ERR_IN_STATUS, call, `${failures.map(({ index, errorClass, error }) =>
      `requests[${index}] failed with ${classNames.get(errorClass) ?? `error class ${errorClass}`} ` +
      `(${error instanceof MPIError ? `${error.call}: ${error.detail}` : error.message})`).join('; ')}; ` +
      'each status holds its request\'s error class', { cause: failures[0]?.error }),
  unserializable: (call: string, path: string, why: string) =>
    new MPIError(ErrorClass.ERR_ARG, call, `cannot send ${path}: ${why}`),
  /**
   * An intercommunicator collective whose group leader failed in its exchange
   * with the other group (MPI-4.1 §6.2.2), on the rest of its group: the
   * leader's class and words.
   */
  leaderFailed: (call: string, errorClass: ErrorClassCode, detail: string) =>
    new MPIError(errorClass, call, `the leader of this rank's group (local rank 0) failed: ${detail}`),
  collectiveMismatch: (call: string, mine: string, theirs: string, peer: number) =>
    new MPIError(ErrorClass.ERR_OTHER, call,
      `collective mismatch: this rank called ${mine} but rank ${peer} called ${theirs} on the same communicator`),
};

/**
 * Runs `start`, whose synchronous throw (a misuse found before anything
 * started) becomes a rejection: an API call that returns a Promise never
 * throws. The calls that programs make in loops (the collectives, sends and
 * receives) catch in their own body instead: the closure is about 100
 * bytes of the rank's young generation a call.
 */
export function rejecting<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Largest tag value, `MPI.TAG_UB` (MPI-4.1 §3.2.3 guarantees at least 32767). */
export const TAG_UB = 0x3fffffff;
