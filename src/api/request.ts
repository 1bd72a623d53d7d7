/**
 * Requests: handles of nonblocking operations, completed with Promises.
 *
 * MPI-4.1 §3.7.3 (wait and test), §3.7.5 (multiple completions: `Waitall`,
 * `Waitany`, `Waitsome`, `Testall`, `Testany`, `Testsome`), §3.7.3 (null and
 * inactive requests: `MPI_REQUEST_NULL`).
 *
 * mpi4py's pairs carry over: the lower-case `wait`/`test` return the received
 * object of an `irecv`; the Capitalized `Wait`/`Test` only complete. Every call
 * that can wait returns a Promise; `test` never waits.
 *
 * A request that a wait or test completed is inactive, as in MPI: waiting for
 * it again returns at once with an empty status and no value, and the
 * multiple-completion calls skip it. Where MPI sets the caller's handle to
 * `MPI_REQUEST_NULL`, the calls here (like mpi4py, which mutates the list)
 * replace the completed entries of the array they were given by
 * `MPI.REQUEST_NULL`; a request held elsewhere stays the same object, inactive.
 *
 * `Cancel` (§3.8.4) withdraws a receive that has not matched a message yet;
 * the wait then completes with `Status.Is_cancelled()` true. A send, or a
 * receive that has matched, completes as usual (MPI lets an implementation
 * refuse to cancel a send). Persistent requests (§3.9: `Prequest`, made by
 * `Comm.Send_init` and friends) stay active-able: `Start` begins the next
 * operation, a completed one becomes inactive, not `MPI.REQUEST_NULL`.
 * Generalized requests (§13.2: `Grequest`) complete when the program calls
 * `Complete`.
 *
 * The calls that complete several requests (§3.7.5) do not stop at a failed
 * one: they complete the others as they would, set the error field of every
 * status they fill (`MPI.SUCCESS`, or the failure's class) and then throw
 * `ERR_IN_STATUS` naming each failed request, as MPI and mpi4py do; a failed
 * request is left in the list, inactive (Open MPI leaves its handle too).
 * `Waitall` waits for every request, failed or not, before it finishes any,
 * so no status says `MPI.ERR_PENDING`. `Waitany` and `Testany` complete one
 * request and throw its own error.
 *
 * A failure at completion goes through the error handler of the
 * communicator, window or file that started the request (MPI-4.1 §9.3, see
 * errhandler.ts), once per call: the calls that complete several apply the
 * handler of the first failed request's owner to their `ERR_IN_STATUS`.
 *
 * Partitioned requests (§4: `PartitionedRequest`, made by `Comm.Psend_init`
 * and `Comm.Precv_init`) send the whole buffer once every partition is ready.
 *
 * Unfinished: `Startall` starts the requests one after another (no batching);
 * partitions travel together, not one by one.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, PROC_NULL, UNDEFINED } from '../constants.js';
import { ErrorClass, errors, MPIError } from '../errors.js';
import { type ErrhandlerOwner, raisedByHandler } from './errhandler.js';
import { Status } from './status.js';
import type { Envelope, Operation } from '../transport/transport.js';

/** Turns the completed transport operation into the request's value. */
export type Finisher<T> = (op: Operation) => T;

/** The status of an inactive request (MPI-4.1 §3.7.3): any source, any tag, nothing received. */
function emptyStatus(status: Status | undefined): void {
  status?.assign({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: 0 });
}

/**
 * Throws `ERR_REQUEST` unless `requests` is an array of requests: a hole or a
 * stray value would otherwise fail later as a `TypeError` naming no call.
 */
function checkRequests(requests: unknown, call: string): void {
  if (!Array.isArray(requests)) throw errors.request(call, `expected an array of requests, got ${typeof requests}`);
  for (let i = 0; i < requests.length; i++) {
    if (!(requests[i] instanceof Request)) {
      throw errors.request(call, `requests[${i}] is ${String(requests[i])}, not a Request (MPI.REQUEST_NULL stands for none)`);
    }
  }
}

/** `statuses[i]`, made when the caller passed an array without it (mpi4py fills the list). */
function statusAt(statuses: Status[] | undefined, i: number): Status | undefined {
  if (statuses === undefined) return undefined;
  return statuses[i] ??= new Status();
}

/** A request that failed in a call completing several: its index in the list, its error, and its owner. */
interface Failure {
  readonly index: number;
  readonly error: Error;
  readonly owner: ErrhandlerOwner | undefined;
}

function failure(index: number, error: unknown, owner: ErrhandlerOwner | undefined): Failure {
  return { index, error: error instanceof Error ? error : new Error(String(error)), owner };
}

/**
 * The end of a call that completed the requests at `indices` (`statuses[k]`
 * the status of request `indices[k]`), some of which failed: sets each
 * status's error field, the failure's class or `MPI.SUCCESS`, and throws
 * `ERR_IN_STATUS` (MPI-4.1 §3.7.5) through the handler of the first failed
 * request's owner (§9.3), once for the call.
 */
function throwInStatus(call: string, failures: readonly Failure[], indices: readonly number[],
  statuses: Status[] | undefined): never {
  if (statuses !== undefined) {
    indices.forEach((index, k) => {
      const failure = failures.find((f) => f.index === index);
      statusAt(statuses, k)!.error = failure === undefined ? ErrorClass.SUCCESS : classOf(failure.error);
    });
  }
  const error = errors.inStatus(call, failures.map(({ index, error }) => ({ index, errorClass: classOf(error), error })));
  const owner = failures[0]!.owner;
  throw owner === undefined ? error : owner[raisedByHandler](error);
}

/** The error class of a failure; `ERR_OTHER` for an exception that is not an `MPIError` (a user op's own). */
function classOf(error: Error): number {
  return error instanceof MPIError ? error.error_class : ErrorClass.ERR_OTHER;
}

/**
 * A pending nonblocking operation (MPI-4.1 §3.7.1).
 *
 * @example
 * ```ts
 * const r = comm.isend({ a: 1 }, 1);
 * const q = comm.irecv(1);
 * const [, got] = await MPI.Request.waitall([r, q]);
 * ```
 */
export class Request<T = unknown> {
  /** False once a wait or test has completed it (or for `MPI.REQUEST_NULL`). */
  protected active = true;

  /**
   * @param op - the transport operation; undefined for an operation on `MPI.PROC_NULL`, complete at once
   * @param call - the API call that started it (`'Comm.Irecv'`), which its error names
   * @param finisher - makes the value once the operation is complete (decodes an object, for instance)
   * @param owner - the communicator, window or file whose error handler its failure goes through (MPI-4.1 §9.3);
   *   none for a request that cannot fail, or one inside a call that applies the handler itself (`Comm.recv`)
   */
  constructor(protected op: Operation | undefined, protected readonly call: string,
    protected readonly finisher?: Finisher<T>, protected readonly owner?: ErrhandlerOwner) {}

  /** A request that is inactive from the start: `MPI.REQUEST_NULL`. */
  static inactive(): Request<void> {
    const request = new Request<void>(undefined, 'MPI.REQUEST_NULL');
    request.active = false;
    return request;
  }

  /**
   * False for `MPI.REQUEST_NULL` and for a request that a wait or test
   * completed (mpi4py's `bool(request)`, `request != MPI.REQUEST_NULL`).
   */
  get isActive(): boolean {
    return this.active;
  }

  /**
   * Completes the request: fills `status`, returns the value or throws the
   * operation's error, and leaves the request inactive.
   */
  protected finish(status: Status | undefined): T {
    if (!this.active) {
      emptyStatus(status);
      return undefined as T;
    }
    this.active = false;
    const op = this.op;
    if (op === undefined) {
      status?.assign({ source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
      return undefined as T;
    }
    if (op.cancelled === true) {
      if (status !== undefined) cancelledStatus(status);
      return undefined as T;
    }
    if (op.error !== undefined) {
      status?.assignFailure(op.envelope, op.error);
      throw errors.inCall(this.call, op.error);
    }
    if (status !== undefined) this.fill(status, op);
    return this.finisher === undefined ? (undefined as T) : this.finisher(op);
  }

  /** Fills `status` from the completed operation `op` (a generalized request asks its query function). */
  protected fill(status: Status, op: Operation): void {
    if (op.envelope !== undefined) status.assign(op.envelope);
  }

  /** Complete, or inactive: a wait would return at once. */
  protected isComplete(): boolean {
    return !this.active || this.op === undefined || this.op.test();
  }

  /**
   * `MPI_Wait` (MPI-4.1 §3.7.3): resolves with the received object for
   * `irecv`, undefined otherwise; at once, with an empty status, for an
   * inactive request. `R` names the value's type where the request's own
   * does not (a request from an array of several kinds); it is not checked.
   *
   * @example
   * ```ts
   * const [first] = await requests[0]!.wait<number[]>();
   * ```
   */
  wait<R = T>(status?: Status): Promise<R> {
    if (this.active && this.op !== undefined && !this.op.test()) {
      const pending = this.op.wait();
      if (!this.op.test()) return this.finishLater<R>(pending, status);
    }
    // `rejecting` written out: a closure per call costs a trip through V8's lazy-compile stub (see Comm's `rejecting`).
    try {
      return Promise.resolve(this.finish(status) as unknown as R);
    } catch (error) {
      return Promise.reject(this.raised(error));
    }
  }

  /**
   * {@link finishRaising} once `pending` resolves; not in {@link wait}, whose
   * every call would pay the closure's context (docs/ARCHITECTURE.md,
   * "Allocation per call").
   */
  private finishLater<R>(pending: Promise<void>, status: Status | undefined): Promise<R> {
    return pending.then(() => this.finishRaising(status) as unknown as R);
  }

  /** {@link finish}, its error through the owner's handler: the end of `wait` and `test`. */
  private finishRaising(status: Status | undefined): T {
    try {
      return this.finish(status);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `error`, a failure at completion, through the owner's error handler (MPI-4.1 §9.3); returns it to be thrown. */
  protected raised(error: unknown): unknown {
    return this.owner === undefined ? error : this.owner[raisedByHandler](error);
  }

  /** `MPI_Test`: `[true, value]` once complete, `[false, undefined]` before. Never waits. */
  test(status?: Status): [boolean, T | undefined] {
    return this.isComplete() ? [true, this.finishRaising(status)] : [false, undefined];
  }

  /** `MPI_Wait` for buffer operations: resolves once complete. */
  async Wait(status?: Status): Promise<void> {
    await this.wait(status);
  }

  /** `MPI_Test` for buffer operations. Never waits. */
  Test(status?: Status): boolean {
    return this.test(status)[0];
  }

  /** `MPI_Request_get_status`: like `Test`, but leaves the request active. */
  Get_status(status?: Status): boolean {
    if (!this.active) {
      emptyStatus(status);
      return true;
    }
    if (!this.isComplete()) return false;
    const op = this.op;
    if (op === undefined) status?.assign({ source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
    else if (status !== undefined && op.cancelled === true) cancelledStatus(status);
    else if (status !== undefined && op.error === undefined) this.fill(status, op);
    return true;
  }

  /** mpi4py's lower-case `get_status`: the same as {@link Get_status}. */
  get_status(status?: Status): boolean {
    return this.Get_status(status);
  }

  /**
   * `MPI_Cancel` (MPI-4.1 §3.8.4): marks the operation for cancellation; it
   * must still be completed with a wait or test. A receive that no message has
   * matched yet is cancelled (`Status.Is_cancelled()` is then true and no
   * value arrives); a send or a matched receive completes normally.
   *
   * @example
   * ```ts
   * const req = comm.Irecv(buf, 0, 99);
   * req.Cancel();
   * const status = new MPI.Status();
   * await req.Wait(status);
   * status.Is_cancelled(); // true unless a message had already matched
   * ```
   */
  Cancel(): void {
    if (this.active && this.op !== undefined && !this.op.test()) this.op.cancel?.();
  }

  /** mpi4py's lower-case `cancel`: the same as {@link Cancel}. */
  cancel(): void {
    this.Cancel();
  }

  /**
   * `MPI_Request_free` (MPI-4.1 §3.7.3): lets go of the request; the
   * operation goes on, and nothing reports its completion.
   */
  Free(): void {
    if (this.active && this.op !== undefined && !this.op.test()) void this.op.wait();
    this.active = false;
    this.op = undefined;
  }

  /**
   * `MPI_Waitall`: resolves with every request's value, in order (undefined
   * for inactive ones), and replaces every entry by `MPI.REQUEST_NULL`.
   */
  static waitall<T>(requests: Request<T>[], statuses?: Status[]): Promise<T[]> {
    return Request.waitallAs(requests, statuses, 'Request.waitall');
  }

  /** `MPI_Waitall` for buffer operations. */
  static async Waitall(requests: Request[], statuses?: Status[]): Promise<void> {
    await Request.waitallAs(requests, statuses, 'Request.Waitall');
  }

  /** {@link waitall} under the name `call`: every operation complete, failed or not, then all finished at once. */
  private static async waitallAs<T>(requests: Request<T>[], statuses: Status[] | undefined, call: string): Promise<T[]> {
    checkRequests(requests, call);
    for (const request of requests) {
      const op = request.active ? request.op : undefined;
      if (op === undefined || op.test()) continue;
      const pending = op.wait();
      if (!op.test()) await pending;
    }
    return Request.finishAll(requests, statuses, call);
  }

  /** Finishes every request of `requests`, all complete or inactive, for `Waitall` and `Testall`. */
  private static finishAll<T>(requests: Request<T>[], statuses: Status[] | undefined, call: string): T[] {
    const values = new Array<T>(requests.length);
    let failures: Failure[] | undefined;
    for (let i = 0; i < requests.length; i++) {
      try {
        values[i] = requests[i]!.finish(statusAt(statuses, i));
        retire(requests, i);
      } catch (error) {
        (failures ??= []).push(failure(i, error, requests[i]!.owner));
      }
    }
    if (failures !== undefined) throwInStatus(call, failures, requests.map((_, i) => i), statuses);
    return values;
  }

  /**
   * `MPI_Waitany`: resolves with `[index, value]` of the first active
   * request to complete, which becomes `MPI.REQUEST_NULL` in `requests`;
   * `[MPI.UNDEFINED, undefined]` (empty status) when none is active.
   */
  static async waitany<T>(requests: Request<T>[], status?: Status): Promise<[number, T | undefined]> {
    checkRequests(requests, 'Request.waitany');
    for (;;) {
      const [index, flag, value] = Request.testany(requests, status);
      if (flag) return [index, value];
      await Request.anyDone(requests);
    }
  }

  /**
   * Resolves once one of the pending operations of `requests` is done. Only
   * those: an inactive request in the race (`undefined`) ended it at once,
   * and `waitany`'s loop then ran in microtasks alone, never letting the
   * event loop move a nonblocking collective on (it hung).
   */
  private static anyDone(requests: readonly Request<unknown>[]): Promise<unknown> {
    const pending: Promise<void>[] = [];
    for (const r of requests) if (r.active && r.op !== undefined) pending.push(r.op.wait());
    // None pending (not one of the waits' cases, whose tests then complete): a turn of the event loop, not a hang.
    return pending.length > 0 ? Promise.race(pending) : new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** `MPI_Waitany` for buffer operations: resolves with the index. */
  static async Waitany(requests: Request[], status?: Status): Promise<number> {
    checkRequests(requests, 'Request.Waitany');
    return (await Request.waitany(requests, status))[0];
  }

  /**
   * `MPI_Waitsome`: once an active request has completed, `[indices, values]`
   * of all those complete then (each becomes `MPI.REQUEST_NULL`);
   * `[undefined, undefined]` when none is active, as in mpi4py.
   */
  static waitsome<T>(requests: Request<T>[], statuses?: Status[]): Promise<[number[] | undefined, T[] | undefined]> {
    return Request.waitsomeAs(requests, statuses, 'Request.waitsome');
  }

  /** `MPI_Waitsome` for buffer operations: the indices, or undefined when no request is active. */
  static async Waitsome(requests: Request[], statuses?: Status[]): Promise<number[] | undefined> {
    return (await Request.waitsomeAs(requests, statuses, 'Request.Waitsome'))[0];
  }

  private static async waitsomeAs<T>(requests: Request<T>[], statuses: Status[] | undefined,
    call: string): Promise<[number[] | undefined, T[] | undefined]> {
    checkRequests(requests, call);
    for (;;) {
      const [indices, values] = Request.testsomeAs(requests, statuses, call);
      if (indices === undefined || indices.length > 0) return [indices, values];
      await Request.anyDone(requests);
    }
  }

  /**
   * `MPI_Testall`: `[true, values]` when every request is complete (each
   * then becomes `MPI.REQUEST_NULL`), `[false, undefined]` otherwise.
   */
  static testall<T>(requests: Request<T>[], statuses?: Status[]): [boolean, T[] | undefined] {
    return Request.testallAs(requests, statuses, 'Request.testall');
  }

  static Testall(requests: Request[], statuses?: Status[]): boolean {
    return Request.testallAs(requests, statuses, 'Request.Testall')[0];
  }

  private static testallAs<T>(requests: Request<T>[], statuses: Status[] | undefined, call: string): [boolean, T[] | undefined] {
    checkRequests(requests, call);
    if (!requests.every((r) => r.isComplete())) return [false, undefined];
    return [true, Request.finishAll(requests, statuses, call)];
  }

  /**
   * `MPI_Testany`: `[index, true, value]` for a complete active request
   * (which becomes `MPI.REQUEST_NULL`), `[MPI.UNDEFINED, false, undefined]`
   * when none is complete yet, `[MPI.UNDEFINED, true, undefined]` (empty
   * status) when none is active.
   */
  static testany<T>(requests: Request<T>[], status?: Status): [number, boolean, T | undefined] {
    checkRequests(requests, 'Request.testany');
    let anyActive = false;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      if (!request.active) continue;
      anyActive = true;
      if (request.isComplete()) {
        const value = request.finishRaising(status);
        retire(requests, i);
        return [i, true, value];
      }
    }
    if (!anyActive) emptyStatus(status);
    return [UNDEFINED, !anyActive, undefined];
  }

  static Testany(requests: Request[], status?: Status): [number, boolean] {
    checkRequests(requests, 'Request.Testany');
    const [index, flag] = Request.testany(requests, status);
    return [index, flag];
  }

  /**
   * `MPI_Testsome`: `[indices, values]` of the active requests complete now
   * (possibly none; each becomes `MPI.REQUEST_NULL`, and `statuses[k]` is the
   * status of the `k`-th); `[undefined, undefined]` when none is active.
   */
  static testsome<T>(requests: Request<T>[], statuses?: Status[]): [number[] | undefined, T[] | undefined] {
    return Request.testsomeAs(requests, statuses, 'Request.testsome');
  }

  /** `MPI_Testsome` for buffer operations: the indices, or undefined when no request is active. */
  static Testsome(requests: Request[], statuses?: Status[]): number[] | undefined {
    return Request.testsomeAs(requests, statuses, 'Request.Testsome')[0];
  }

  private static testsomeAs<T>(requests: Request<T>[], statuses: Status[] | undefined,
    call: string): [number[] | undefined, T[] | undefined] {
    checkRequests(requests, call);
    if (!requests.some((r) => r.active)) return [undefined, undefined];
    const indices: number[] = [];
    const values: T[] = [];
    let failures: Failure[] | undefined;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      if (!request.active || !request.isComplete()) continue;
      const status = statusAt(statuses, indices.length);
      indices.push(i);
      try {
        values.push(request.finish(status));
        retire(requests, i);
      } catch (error) {
        values.push(undefined as T);
        (failures ??= []).push(failure(i, error, request.owner));
      }
    }
    if (failures !== undefined) throwInStatus(call, failures, indices, statuses);
    return [indices, values];
  }
}

/** `MPI.REQUEST_NULL`: the inactive request; `Wait` on it returns at once with an empty status. */
export const REQUEST_NULL: Request<void> = Request.inactive();

/**
 * Sets `requests[i]` to `MPI.REQUEST_NULL`, as MPI sets a completed request's
 * handle; a persistent request stays (inactive), as in MPI.
 */
function retire<T>(requests: Request<T>[], i: number): void {
  if (requests[i] instanceof Prequest) return;
  (requests as Request<unknown>[])[i] = REQUEST_NULL;
}

/** The status of a cancelled operation: cancelled, nothing received. */
function cancelledStatus(status: Status): void {
  status.assign({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: 0 });
  status.cancelled = true;
}

/**
 * A persistent request (MPI-4.1 §3.9), made by `Comm.Send_init`,
 * `Bsend_init`, `Ssend_init`, `Rsend_init` and `Recv_init`: inactive until
 * `Start`, inactive again once a wait or test completes it, and startable
 * again until `Free`.
 *
 * @example
 * ```ts
 * const send = comm.Send_init(buf, 1, 5);
 * for (let step = 0; step < 3; step++) {
 *   send.Start();
 *   await send.Wait();
 * }
 * send.Free();
 * ```
 */
export class Prequest<T = void> extends Request<T> {
  private freed = false;

  /**
   * @param starter - starts one operation (it checks its arguments again, so a freed communicator shows)
   * @param call - the call that made the request (`'Comm.Send_init'`)
   * @param owner - the communicator whose error handler a failed operation goes through
   */
  constructor(private readonly starter: () => Operation | undefined, call: string, owner: ErrhandlerOwner) {
    super(undefined, call, undefined, owner);
    this.active = false;
  }

  /**
   * `MPI_Start` (MPI-4.1 §3.9): begins the operation; the request must be
   * inactive (`ERR_REQUEST` otherwise). Its errors, and those of the
   * arguments checked again, go through the error handler of the
   * communicator that made the request (§9.3).
   */
  Start(): void {
    try {
      if (this.freed) throw errors.request('Prequest.Start', `the persistent request of ${this.call} has been freed`);
      if (this.active) throw errors.request('Prequest.Start', `the persistent request of ${this.call} is still active: complete it first`);
      this.op = this.starter();
    } catch (error) {
      throw this.raised(error);
    }
    this.active = true;
  }

  /** `MPI_Startall` (MPI-4.1 §3.9): `Start` of each request, in order. */
  static Startall(requests: Prequest<unknown>[]): void {
    if (!Array.isArray(requests)) throw errors.request('Prequest.Startall', 'expected an array of persistent requests');
    requests.forEach((request, i) => {
      if (!(request instanceof Prequest)) {
        throw errors.request('Prequest.Startall', `requests[${i}] is ${String(request)}, not a persistent request`);
      }
    });
    for (const request of requests) request.Start();
  }

  /** `MPI_Request_free` of a persistent request: it cannot be started again. */
  override Free(): void {
    super.Free();
    this.freed = true;
  }
}

/**
 * A send that starts once every partition is ready (MPI-4.1 §4.2): until the
 * last `Pready`, the operation is pending and nothing has been sent.
 */
class PartitionedSend implements Operation {
  private readonly ready: boolean[];
  private remaining: number;
  private inner: Operation | undefined;
  private started: (() => void) | undefined;
  private readonly whenStarted = new Promise<void>((resolve) => {
    this.started = resolve;
  });

  constructor(partitions: number, private readonly send: () => Operation) {
    this.ready = new Array<boolean>(partitions).fill(false);
    this.remaining = partitions;
    if (partitions === 0) this.start();
  }

  /** Marks `partition` ready; false when it was already. */
  markReady(partition: number): boolean {
    if (this.ready[partition]) return false;
    this.ready[partition] = true;
    if (--this.remaining === 0) this.start();
    return true;
  }

  private start(): void {
    this.inner = this.send();
    this.started?.();
  }

  get envelope(): Envelope | undefined {
    return this.inner?.envelope;
  }

  readonly data: undefined = undefined;

  get error(): Error | undefined {
    return this.inner?.error;
  }

  test(): boolean {
    return this.inner !== undefined && this.inner.test();
  }

  async wait(): Promise<void> {
    await this.whenStarted;
    await this.inner!.wait();
  }

  describe(): string {
    return this.inner === undefined ? `partitioned send waiting for ${this.remaining} partitions to be ready (Pready)`
      : this.inner.describe();
  }
}

/**
 * A partitioned request (MPI-4.1 §4), made by `Comm.Psend_init` and
 * `Comm.Precv_init`: a persistent request whose send side the program fills
 * partition by partition (`Pready`, `Pready_range`, `Pready_list`) and whose
 * receive side tells which partitions have arrived (`Parrived`). mpi4ts
 * sends the whole buffer as one message once every partition is ready, which
 * MPI allows (§4.2: partitions may be delivered together); so `Parrived` is
 * true for all partitions at once.
 *
 * @example
 * ```ts
 * const req = comm.Psend_init(buf, 4, 1);
 * req.Start();
 * for (let p = 0; p < 4; p++) req.Pready(p);
 * await req.Wait();
 * ```
 */
export class PartitionedRequest extends Prequest<void> {
  private sending: PartitionedSend | undefined;

  /**
   * @param partitions - number of partitions
   * @param side - 'send': `start` sends the whole buffer; 'recv': `start` posts its receive
   */
  constructor(private readonly partitions: number, private readonly side: 'send' | 'recv',
    start: () => Operation | undefined, call: string, owner: ErrhandlerOwner) {
    super(() => {
      if (side === 'recv') return start();
      this.sending = new PartitionedSend(partitions, () => start() ?? completeOperation);
      return this.sending;
    }, call, owner);
  }

  private partition(partition: unknown, call: string): number {
    if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= this.partitions) {
      throw errors.arg(call, `invalid partition ${String(partition)}: must be an integer in [0, ${this.partitions})`);
    }
    return partition as number;
  }

  /** `MPI_Pready` (MPI-4.1 §4.2): `partition` of the send buffer is ready to go. */
  Pready(partition: number): void {
    const call = 'Prequest.Pready';
    if (this.side !== 'send') throw errors.request(call, 'Pready is for partitioned sends (Comm.Psend_init)');
    if (!this.active || this.sending === undefined) throw errors.request(call, 'the partitioned send is not started');
    if (!this.sending.markReady(this.partition(partition, call))) {
      throw errors.request(call, `partition ${partition} is ready already`);
    }
  }

  /** `MPI_Pready_range` (MPI-4.1 §4.2): partitions `low` to `high`, both included. */
  Pready_range(low: number, high: number): void {
    this.partition(low, 'Prequest.Pready_range');
    this.partition(high, 'Prequest.Pready_range');
    for (let p = low; p <= high; p++) this.Pready(p);
  }

  /** `MPI_Pready_list` (MPI-4.1 §4.2). */
  Pready_list(partitions: readonly number[]): void {
    if (!Array.isArray(partitions)) throw errors.arg('Prequest.Pready_list', 'expected an array of partitions');
    for (const p of partitions) this.Pready(p);
  }

  /** `MPI_Parrived` (MPI-4.1 §4.2): whether `partition` of the receive buffer has arrived. Never waits. */
  Parrived(partition: number): boolean {
    const call = 'Prequest.Parrived';
    if (this.side !== 'recv') throw errors.request(call, 'Parrived is for partitioned receives (Comm.Precv_init)');
    this.partition(partition, call);
    if (!this.active) return true;
    return this.op === undefined || this.op.test();
  }
}

/** A send that needs no message (to `MPI.PROC_NULL`): complete at once. */
const completeOperation: Operation = {
  test: () => true,
  wait: () => Promise.resolve(),
  envelope: { source: PROC_NULL, tag: ANY_TAG, byteLength: 0 },
  data: undefined,
  error: undefined,
  describe: () => 'operation on MPI.PROC_NULL',
};

/** What a generalized request's query function fills: the status the waits report (MPI-4.1 §13.2). */
export type GrequestQuery = (status: Status, ...args: unknown[]) => void;

/** The operation of a generalized request: complete once the program says so. */
class GeneralizedOperation implements Operation {
  private done = false;
  envelope: undefined = undefined;
  data: undefined = undefined;
  error: Error | undefined = undefined;
  cancelled = false;
  private resolveWait: (() => void) | undefined;
  private readonly completion = new Promise<void>((resolve) => {
    this.resolveWait = resolve;
  });

  constructor(private readonly onCancel: (completed: boolean) => void) {}

  complete(): void {
    this.done = true;
    this.resolveWait?.();
  }

  test(): boolean {
    return this.done;
  }

  wait(): Promise<void> {
    return this.done ? Promise.resolve() : this.completion;
  }

  cancel(): boolean {
    this.onCancel(this.done);
    return false;
  }

  describe(): string {
    return 'generalized request (waiting for Grequest.Complete)';
  }
}

/**
 * A generalized request (MPI-4.1 §13.2): an operation of the program's own
 * that completes through the usual waits once the program calls `Complete`.
 * The query function fills the status (source, tag, `Set_elements`,
 * `Set_cancelled`), the free function runs once the request is completed by
 * a wait or test, the cancel function on `Cancel` (with whether `Complete`
 * was called already). `args` are passed to each.
 *
 * @example
 * ```ts
 * const req = MPI.Grequest.Start((status) => status.Set_tag(7), () => {}, () => {});
 * setTimeout(() => req.Complete(), 10);
 * const status = new MPI.Status();
 * await req.Wait(status); // status.Get_tag() === 7
 * ```
 */
export class Grequest extends Request<void> {
  private readonly generalized: GeneralizedOperation;

  private constructor(private readonly query: GrequestQuery, private readonly freeFn: (...args: unknown[]) => void,
    cancelFn: (completed: boolean, ...args: unknown[]) => void, private readonly args: unknown[]) {
    const generalized = new GeneralizedOperation((completed) => cancelFn(completed, ...args));
    super(generalized, 'Grequest');
    this.generalized = generalized;
  }

  /** `MPI_Grequest_start` (MPI-4.1 §13.2): a new active request, complete once {@link Complete} is called. */
  static Start(queryFn: GrequestQuery, freeFn: (...args: unknown[]) => void,
    cancelFn: (completed: boolean, ...args: unknown[]) => void, args: unknown[] = []): Grequest {
    for (const [name, fn] of [['query_fn', queryFn], ['free_fn', freeFn], ['cancel_fn', cancelFn]] as const) {
      if (typeof fn !== 'function') throw errors.arg('Grequest.Start', `${name} must be a function, got ${typeof fn}`);
    }
    return new Grequest(queryFn, freeFn, cancelFn, Array.isArray(args) ? args : [args]);
  }

  /** `MPI_Grequest_complete` (MPI-4.1 §13.2): the operation is done; waits on the request now return. */
  Complete(): void {
    if (this.generalized.test()) throw errors.request('Grequest.Complete', 'the generalized request is already complete');
    this.generalized.complete();
  }

  protected override fill(status: Status, _op: Operation): void {
    status.assign({ source: ANY_SOURCE, tag: ANY_TAG, byteLength: 0 });
    this.query(status, ...this.args);
  }

  /** Asks the query function for the status, then runs the free function, once a wait or test completes it. */
  protected override finish(status: Status | undefined): void {
    const wasActive = this.active;
    super.finish(status ?? new Status());
    if (wasActive) this.freeFn(...this.args);
  }
}
