/**
 * Error handlers of communicators, windows and files.
 *
 * MPI-4.1 §9.3 (error handlers: `MPI_ERRORS_ARE_FATAL`, `MPI_ERRORS_ABORT`,
 * `MPI_ERRORS_RETURN`, `MPI_Comm_create_errhandler`,
 * `MPI_Comm_set_errhandler`, `MPI_Comm_get_errhandler`,
 * `MPI_Comm_call_errhandler`, `MPI_Errhandler_free`).
 *
 * Every communicator starts with `MPI.ERRORS_RETURN`, mpi4py's default: a
 * failing call rejects (or throws) an `MPIError`. With `MPI.ERRORS_ARE_FATAL`
 * or `MPI.ERRORS_ABORT`, an error of any call of that communicator
 * (point-to-point, probes, collectives, constructors, topology and
 * intercommunicator calls, and the checks of the I-forms, which throw) ends
 * the job with a report naming the rank, the call and the error; a user
 * handler is called with the communicator and the error class, and the call
 * then rejects or throws as usual. A communicator made from another (`Dup`,
 * `Split`, `Create`, `Create_cart`, `Sub`, `Create_intercomm`, `Merge`,
 * `Spawn`, `Accept`, ...) takes its handler (MPI-4.1 §9.3: `Comm.adopt`), so
 * a handler set on `COMM_WORLD` at the start applies to every communicator;
 * those made from groups alone take the `errhandler` argument of
 * `Create_from_group(s)` (`ERRORS_RETURN` when none is given, mpi4py's
 * default), and `Join`'s start with `ERRORS_RETURN`. `Comm.handled` and its
 * kin (comm.ts) apply it, through {@link applyErrhandler}.
 *
 * The completion of a request (`Request.Wait`, `Test`, `Waitall` and the
 * others) applies the handler of the communicator, window or file that
 * started it (its {@link ErrhandlerOwner}), as its calls do: once per
 * failing call, with `ERR_IN_STATUS` for the calls that complete several
 * (the handler of the first failed request's owner). That covers the I-forms
 * that report a bad argument through their request (an intercommunicator's,
 * `Ineighbor_*`, `Ialltoallw`), and the matched receives (`Message.Recv`,
 * `Irecv`, ...), which take the handler of the communicator that probed the
 * message. `Prequest.Start`'s own errors (a request still active or freed,
 * arguments checked again) go through the handler of the communicator that
 * made the persistent request. `MPI.REQUEST_NULL`, requests on
 * `MPI.PROC_NULL` and generalized requests never fail.
 *
 * Windows (`Win.Set_errhandler`) and files (`File.Set_errhandler`) apply
 * theirs the same way: every call that fails on a live window or an open
 * file goes through its handler once (`Win.handled`, `File.handled` and their
 * kin), and so does the completion of its requests (`Rput`, `Iread`, ...).
 *
 * The window constructors' errors go through the handler of the
 * communicator the window is made over; `File.Open`'s and `File.Delete`'s
 * through `MPI.FILE_NULL`'s, the default file handler (MPI-4.1 §14.7).
 *
 * Unfinished: a call on a freed communicator, window or closed file has no
 * handler (MPI would use `MPI_COMM_SELF`'s).
 *
 * @module
 */

import { abort } from '../environment.js';
import { ErrorClass, errorString, errors, MPIError } from '../errors.js';

/** A user error handler: gets the communicator and the error class or code. */
export type ErrhandlerFunction<C> = (comm: C, errorcode: number) => void;

/**
 * An error handler (MPI-4.1 §9.3).
 *
 * @example
 * ```ts
 * const seen: number[] = [];
 * const handler = MPI.Comm.Create_errhandler((comm, code) => { seen.push(code); });
 * comm.Set_errhandler(handler);
 * comm.Set_errhandler(MPI.ERRORS_RETURN);
 * ```
 */
export class Errhandler {
  private freed = false;

  /** @internal Predefined handlers and `Comm.Create_errhandler` make them. */
  constructor(readonly kind: 'null' | 'return' | 'fatal' | 'abort' | 'user', readonly name: string,
    readonly fn?: ErrhandlerFunction<never>) {}

  /** False for `MPI.ERRHANDLER_NULL` and a freed user handler. */
  get isLive(): boolean {
    return this.kind !== 'null' && !this.freed;
  }

  /**
   * `MPI_Errhandler_free` (MPI-4.1 §9.3): a communicator that has it keeps
   * it; it can no longer be set. Predefined handlers cannot be freed.
   */
  Free(): void {
    if (this.kind !== 'user') throw errors.arg('Errhandler.Free', `${this.name} is predefined and cannot be freed`);
    if (this.freed) throw errors.arg('Errhandler.Free', 'the error handler has been freed already');
    this.freed = true;
  }

  toString(): string {
    return `<Errhandler ${this.name}>`;
  }
}

/** `MPI.ERRHANDLER_NULL`: no handler. */
export const ERRHANDLER_NULL = new Errhandler('null', 'MPI_ERRHANDLER_NULL');
/** `MPI.ERRORS_RETURN` (MPI-4.1 §9.3): calls reject with `MPIError` (the default). */
export const ERRORS_RETURN = new Errhandler('return', 'MPI_ERRORS_RETURN');
/** `MPI.ERRORS_ARE_FATAL` (MPI-4.1 §9.3): an error ends the whole job, with a report. */
export const ERRORS_ARE_FATAL = new Errhandler('fatal', 'MPI_ERRORS_ARE_FATAL');
/** `MPI.ERRORS_ABORT` (MPI-4.1 §9.3, MPI-4.0): an error aborts the processes of the communicator (here: the job). */
export const ERRORS_ABORT = new Errhandler('abort', 'MPI_ERRORS_ABORT');

/**
 * Applies `handler`, the error handler of `owner` (a communicator, window or
 * file, named `where` in a fatal report), to `error`, an exception of one of
 * its calls, and returns it to be thrown (MPI-4.1 §9.3): `ERRORS_RETURN`
 * does nothing, `ERRORS_ARE_FATAL` and `ERRORS_ABORT` end the job with a
 * report, a user handler is called with `owner` and the error class.
 */
export function applyErrhandler(handler: Errhandler, owner: object, where: string, error: unknown): unknown {
  if (handler === ERRORS_RETURN) return error;
  const code = error instanceof MPIError ? error.error_class : ErrorClass.ERR_OTHER;
  invokeErrhandler(handler, owner, where, code, error instanceof Error ? error.message : String(error));
  return error;
}

/**
 * Runs `handler`, the error handler of `owner` (named `where`), for the
 * error class or code `code`: `ERRORS_ARE_FATAL` and `ERRORS_ABORT` end the
 * job with the report `what`, a user handler is called with `owner` and
 * `code`, `ERRORS_RETURN` does nothing. Errors of calls reach it through
 * {@link applyErrhandler}; `Call_errhandler` of communicators, windows and
 * files calls it directly.
 *
 * @example
 * invokeErrhandler(comm.Get_errhandler(), comm, comm.name, MPI.ERR_OTHER, 'raised by Comm.Call_errhandler');
 */
export function invokeErrhandler(handler: Errhandler, owner: object, where: string, code: number, what: string): void {
  if (handler.kind === 'fatal' || handler.kind === 'abort') abort(code, `${handler.name} on ${where}: ${what}`);
  if (handler.kind === 'user') (handler.fn as ErrhandlerFunction<object>)(owner, code);
}

/** The report of `Call_errhandler(code)` called as `call` (`'Comm.Call_errhandler'`) when its handler is fatal. */
export function calledErrorReport(code: number, call: string): string {
  return `error code ${code} (${errorString(code)}) raised by ${call}`;
}

/** The key of {@link ErrhandlerOwner}'s method; not exported by the package, so not part of its API. */
export const raisedByHandler: unique symbol = Symbol('mpi4ts.raisedByHandler');

/**
 * A communicator, window or file as the owner of an error handler: its
 * calls' errors ({@link handledBy}) and those of the requests it started, at
 * their completion, go through its handler (MPI-4.1 §9.3).
 */
export interface ErrhandlerOwner {
  /** {@link applyErrhandler} with the owner's handler as it is now; returns `error`, to be thrown. */
  [raisedByHandler](error: unknown): unknown;
}

/**
 * `promise`, the Promise of a call of `owner`, through `handler` (`owner`'s
 * error handler) when it rejects. With `MPI.ERRORS_RETURN` one comparison
 * and `promise` itself: a call that succeeds allocates nothing for it.
 *
 * @example
 * return handledBy(this.errhandler, this, this.flushing(rank, false, 'Win.Flush'));
 */
export function handledBy<T>(handler: Errhandler, owner: ErrhandlerOwner, promise: Promise<T>): Promise<T> {
  if (handler === ERRORS_RETURN) return promise;
  return promise.catch((error: unknown) => {
    throw owner[raisedByHandler](error);
  });
}

/** `errhandler`, checked for `Set_errhandler` and the constructors that take one: `ERR_ARG` unless a live handler. */
export function checkErrhandler(errhandler: unknown, call: string): Errhandler {
  if (!(errhandler instanceof Errhandler) || !errhandler.isLive) {
    throw errors.arg(call, `invalid error handler ${String(errhandler)}`);
  }
  return errhandler;
}
