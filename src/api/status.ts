/**
 * Status: what a completed receive or a probe tells about its message.
 *
 * MPI-4.1 §3.2.5 (return status), §3.8.1 (probe), §3.8.4 (`MPI_Test_cancelled`),
 * §5.1.11 (`MPI_Get_elements`), §13.3 (`MPI_Status_set_elements`,
 * `MPI_Status_set_cancelled`, and MPI-4.1's `MPI_Status_set_source`,
 * `_set_tag`, `_set_error`).
 *
 * Unfinished: nothing known.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, UNDEFINED } from '../constants.js';
import { Datatype, datatypes } from '../datatype/index.js';
import { ErrorClass, errors, MPIError } from '../errors.js';
import type { Envelope } from '../transport/transport.js';

/**
 * The status of a receive (MPI-4.1 §3.2.5). Pass one to `recv`, `Recv`,
 * `probe`, `wait` and friends to learn who sent the message, with which tag,
 * and how long it was.
 *
 * @example
 * ```ts
 * const status = new MPI.Status();
 * await comm.Recv(buf, MPI.ANY_SOURCE, MPI.ANY_TAG, status);
 * status.Get_source(); status.Get_tag(); status.Get_count(MPI.DOUBLE);
 * ```
 */
export class Status {
  /** Rank of the sender, `MPI.ANY_SOURCE` before any receive. */
  source: number = ANY_SOURCE;
  /** Tag of the message, `MPI.ANY_TAG` before any receive. */
  tag: number = ANY_TAG;
  /** Error class of the operation, `MPI.SUCCESS` when it worked. */
  error: number = ErrorClass.SUCCESS;
  /** Length of the message in bytes. */
  byteCount = 0;
  /** True when the operation was cancelled (`Request.Cancel`). */
  cancelled = false;

  /** A new status, or a copy of `status` (mpi4py's `Status(status)`). */
  constructor(status?: Status) {
    if (status !== undefined) {
      if (!(status instanceof Status)) throw errors.arg('Status', `expected a Status to copy, got ${String(status)}`);
      this.source = status.source;
      this.tag = status.tag;
      this.error = status.error;
      this.byteCount = status.byteCount;
      this.cancelled = status.cancelled;
    }
  }

  /** The sender's rank. */
  Get_source(): number {
    return this.source;
  }

  Get_tag(): number {
    return this.tag;
  }

  Get_error(): number {
    return this.error;
  }

  /**
   * `MPI_Get_count` (MPI-4.1 §3.2.5): whole elements of `datatype` in the
   * message (bytes for the default `MPI.BYTE`), or `MPI.UNDEFINED` when it is
   * not a whole number. Anything but a datatype throws `ERR_TYPE`.
   *
   * @example
   * ```ts
   * status.Get_count(MPI.DOUBLE.Create_vector(4, 1, 4).Commit()); // 1 after receiving 4 doubles
   * ```
   */
  Get_count(datatype: Datatype = datatypes.BYTE): number {
    const checked = Status.checkType(datatype, 'Status.Get_count');
    if (checked.size === 0) return this.byteCount === 0 ? 0 : UNDEFINED;
    return this.byteCount % checked.size === 0 ? this.byteCount / checked.size : UNDEFINED;
  }

  /**
   * `MPI_Get_elements` (MPI-4.1 §5.1.11): basic elements of `datatype` in the
   * message, counting those of a partly received element of a derived type;
   * `MPI.UNDEFINED` when the bytes end inside a basic element.
   *
   * @example
   * ```ts
   * status.Get_elements(MPI.DOUBLE.Create_vector(4, 1, 4).Commit()); // 4 after receiving 4 doubles
   * ```
   */
  Get_elements(datatype: Datatype): number {
    const checked = Status.checkType(datatype, 'Status.Get_elements');
    const elements = checked.typemap.elementsIn(this.byteCount);
    return elements < 0 ? UNDEFINED : elements;
  }

  private static checkType(datatype: unknown, call: string): Datatype {
    // A predefined datatype of no bytes is not one MPI has; a derived one may be empty.
    if (!(datatype instanceof Datatype) || (datatype.is_predefined && datatype.size <= 0)) {
      throw errors.type(call, `invalid datatype ${String(datatype)}: pass one such as MPI.DOUBLE`);
    }
    datatype.checkLive(call);
    return datatype;
  }

  /** mpi4py's `count` property: the byte count (settable, as `Set_elements(MPI.BYTE, n)`). */
  get count(): number {
    return this.byteCount;
  }

  set count(bytes: number) {
    this.Set_elements(datatypes.BYTE, bytes);
  }

  /** `MPI_Test_cancelled` (MPI-4.1 §3.8.4): whether the operation was cancelled. */
  Is_cancelled(): boolean {
    return this.cancelled;
  }

  /** `MPI_Status_set_source` (MPI-4.1 §13.3), for generalized requests. */
  Set_source(source: number): void {
    this.source = Status.integer(source, 'Status.Set_source', 'source');
  }

  /** `MPI_Status_set_tag` (MPI-4.1 §13.3). */
  Set_tag(tag: number): void {
    this.tag = Status.integer(tag, 'Status.Set_tag', 'tag');
  }

  /** `MPI_Status_set_error` (MPI-4.1 §13.3). */
  Set_error(error: number): void {
    this.error = Status.integer(error, 'Status.Set_error', 'error');
  }

  /**
   * `MPI_Status_set_elements` (MPI-4.1 §13.3): the status now says `count`
   * elements of `datatype` were received.
   *
   * @example
   * ```ts
   * status.Set_elements(MPI.DOUBLE, 4);
   * status.Get_count(MPI.DOUBLE); // 4
   * ```
   */
  Set_elements(datatype: Datatype, count: number): void {
    if (!(datatype instanceof Datatype) || datatype.size <= 0) {
      throw errors.type('Status.Set_elements', `invalid datatype ${String(datatype)}: pass one such as MPI.DOUBLE`);
    }
    if (!Number.isInteger(count) || count < 0) throw errors.count('Status.Set_elements', `invalid count ${String(count)}`);
    this.byteCount = count * datatype.size;
  }

  /** `MPI_Status_set_cancelled` (MPI-4.1 §13.3). */
  Set_cancelled(flag: boolean): void {
    this.cancelled = Boolean(flag);
  }

  private static integer(value: unknown, call: string, what: string): number {
    if (!Number.isInteger(value)) throw errors.arg(call, `invalid ${what} ${String(value)}: must be an integer`);
    return value as number;
  }

  /** Fills this status from a transport envelope. */
  assign(envelope: Envelope): void {
    this.source = envelope.source;
    this.tag = envelope.tag;
    this.byteCount = envelope.byteLength;
    this.error = ErrorClass.SUCCESS;
    this.cancelled = false;
  }

  /**
   * Before a failed receive throws `error`: a truncated one has matched a
   * message, and MPI fills its status all the same (MPI-4.1 §3.2.4): source,
   * tag, and the message's whole length, as Open MPI 4.1 reports it; and
   * `ERR_TRUNCATE` in the error field (Open MPI sets that field only in the
   * calls that complete several requests). Other errors leave it untouched.
   */
  assignFailure(envelope: Envelope | undefined, error: Error): void {
    if (envelope === undefined || !(error instanceof MPIError) || error.error_class !== ErrorClass.ERR_TRUNCATE) return;
    this.assign(envelope);
    this.error = ErrorClass.ERR_TRUNCATE;
  }
}
