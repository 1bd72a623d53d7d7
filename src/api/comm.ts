/**
 * Communicators and point-to-point communication.
 *
 * MPI-4.1 §3 (point-to-point: blocking §3.2-3.4, nonblocking §3.7, probe
 * §3.8, send-receive §3.10, null processes §3.11), §7.4 (communicator
 * constructors: `Dup`, `Split`; §7.4.1 `Compare`), §7.3 (`Get_group`), §7.8 (naming),
 * §9.5 (`Abort`).
 *
 * Two families, as in mpi4py: lower-case methods move any value through the
 * object codec; Capitalized methods move typed-array buffers (see
 * `buffer.ts` for the buffer specs). Every call that can wait returns a Promise.
 *
 * Also §3.4 and §3.6 (buffered mode `Bsend` over `MPI.Attach_buffer`, ready
 * mode `Rsend`: sent as a standard send, which MPI allows since a correct
 * program has the receive posted), §3.8.2-3.8.3 (matched probes `Mprobe`,
 * `Improbe` and `Message`), §3.9 (persistent requests `Send_init` and
 * friends), §3.10 (`Isendrecv`, `Isendrecv_replace`, MPI-4.0).
 *
 * And the communicator's environment: §7.4.4 (`Set_info`, `Get_info`,
 * `Dup_with_info`), §7.7 (attribute caching, `attributes.ts`), §9.3 (error
 * handlers, `errhandler.ts`).
 *
 * Partitioned communication (§4: `Psend_init`, `Precv_init`) sends the whole
 * buffer once every partition is ready (see `PartitionedRequest`).
 *
 * Every call of a live communicator that fails goes through its error
 * handler (§9.3) before it rejects or throws: here, in `Intracomm`,
 * `Intercomm`, `Topocomm` and their subclasses (the shapes of such a call
 * are above `Comm.rejecting`), and so does the completion of a request it
 * started (the request holds it as its owner; `request.ts`). A call on a
 * freed communicator has no handler (MPI would use `MPI_COMM_SELF`'s): it
 * fails as with `MPI.ERRORS_RETURN`.
 *
 * Unfinished: buffered sends of one job share one attached buffer (no
 * communicator-level buffers).
 *
 * @module
 */

import {
  type BufferSpec, type Bytes, bytesOfSpec, copyBytes, PackedReceive, parseWideBuffer, receiveOfSpec, SegmentedBytes,
} from '../buffer.js';
import { decode, encodeForSend } from '../codec/index.js';
import { ANY_SOURCE, ANY_TAG, CONGRUENT, IDENT, PROC_NULL, UNDEFINED } from '../constants.js';
import { abort, transport } from '../environment.js';
import { ErrorClass, MPIError, TAG_UB, errors, lastUsedErrorCode, rejecting } from '../errors.js';
import { APPNUM, HOST, IO, LASTUSEDCODE, UNIVERSE_SIZE, WTIME_IS_GLOBAL } from './attributes.js';
import { type AttributeCopy, AttributeCache, type AttributeDelete } from '../attributes.js';
import {
  applyErrhandler, calledErrorReport, checkErrhandler, ERRORS_RETURN, Errhandler, type ErrhandlerFunction,
  handledBy, invokeErrhandler, raisedByHandler,
} from './errhandler.js';
import { hintsFrom, Info } from './info.js';
import { bufferedSend } from './bsend.js';
import { Group } from './group.js';
import type { Intercomm } from './intercomm.js';
import { MESSAGE_NO_PROC, type Message, matchedMessage } from './message.js';
import { CollectivePrequest } from './persistent.js';
import { PartitionedRequest, Prequest, Request } from './request.js';
import type { Status } from './status.js';
import type { Envelope, Operation, PointToPoint } from '../transport/transport.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** The attributes that programs cache on communicators (MPI-4.1 §7.7.2). */
const attributes = new AttributeCache<Comm>('Comm', 'communicator');

/**
 * A buffer spec of a copy of the message `buf` holds, for the replace forms
 * of `Sendrecv`: the copy is sent while `buf` receives.
 */
function copyOfSpec(buf: BufferSpec, call: string): BufferSpec {
  const { bytes, count, datatype } = parseWideBuffer(buf, call);
  // The message's bytes as they travel (a derived datatype's packed), sent as bytes.
  if (bytes instanceof Uint8Array) return bytes.slice();
  // Past the longest byte view: a copy in memory of its own, sent through a view of wider elements.
  const copy = new SegmentedBytes(new ArrayBuffer(bytes.byteLength), 0, bytes.byteLength);
  copyBytes(copy, 0, bytes, 0, bytes.byteLength);
  return [copy.covering(), count, datatype];
}

/**
 * Waits for a transport operation of the API call `call`, with no Promise hop
 * when it completes at once.
 */
function completion(op: Operation, status: Status | undefined, call: string): Promise<void> {
  if (!op.test()) {
    const pending = op.wait();
    if (!op.test()) return settleLater(pending, op, status, call);
  }
  if (op.error !== undefined) {
    status?.assignFailure(op.envelope, op.error);
    return Promise.reject(errors.inCall(call, op.error));
  }
  settle(op, status, call);
  return RESOLVED;
}

/**
 * {@link settle} once `pending` resolves; not in {@link completion}, whose
 * every call would pay the closure's context (docs/ARCHITECTURE.md,
 * "Allocation per call").
 */
function settleLater(pending: Promise<void>, op: Operation, status: Status | undefined, call: string): Promise<void> {
  return pending.then(() => settle(op, status, call));
}

function settle(op: Operation, status: Status | undefined, call: string): void {
  if (op.error !== undefined) {
    status?.assignFailure(op.envelope, op.error);
    throw errors.inCall(call, op.error);
  }
  if (status !== undefined && op.envelope !== undefined) status.assign(op.envelope);
}

/**
 * Starts a send on `endpoint`; a transport's error at the start (a full shm
 * heap) names the API call (`Comm.Isend`), not the transport's `Comm.Send`.
 */
function sendOn(endpoint: PointToPoint, data: Bytes, dest: number, tag: number, sync: boolean, call: string): Operation {
  try {
    return endpoint.isend(data, dest, tag, sync);
  } catch (error) {
    throw error instanceof Error ? errors.inCall(call, error) : error;
  }
}

/**
 * The send half of a send-receive (MPI-4.1 §3.10), its arguments checked and
 * its data ready before the receive half is posted, so that a send that
 * cannot start leaves no receive behind to take a later message.
 */
interface SendHalf {
  readonly dest: number;
  readonly tag: number;
  /** Undefined for `MPI.PROC_NULL`. */
  readonly data: Bytes | undefined;
}

/**
 * Whether a send half is done, without error, as it starts (an eager send):
 * its send-receive then waits for the receive alone.
 */
function sentAtOnce(send: Operation): boolean {
  return send.test() && send.error === undefined;
}

/**
 * A send-receive whose send half was not done at once: `received` (its
 * receive half's completion) first, then the send half's, so that a failed
 * receive is the error reported, as before the send's.
 */
async function receiveThenSend<T>(received: Promise<T>, send: Operation, call: string): Promise<T> {
  const value = await received;
  await completion(send, undefined, call);
  return value;
}

/** Starts the send half once the receive half is posted; if it cannot start, takes the receive back. */
function startSendHalf(endpoint: PointToPoint, half: SendHalf, receive: { cancel?(): unknown } | undefined,
  call: string): Operation {
  if (half.data === undefined) return donePending;
  try {
    return sendOn(endpoint, half.data, half.dest, half.tag, false, call);
  } catch (error) {
    receive?.cancel?.();
    throw error;
  }
}

function nullStatus(status: Status | undefined): void {
  status?.assign({ source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
}

/**
 * A receive into a buffer of a non-contiguous derived datatype: the
 * transport receives into packed bytes, which are unpacked into the user's
 * buffer the first time the operation is found complete: by `test()`, or
 * before the Promise of `wait()` settles. A truncated message's first bytes
 * are unpacked too (MPI-4.1 §3.2.4), as Open MPI places them.
 */
class UnpackingOperation implements Operation {
  #unpacked = false;

  constructor(private readonly inner: Operation, private readonly target: PackedReceive) {}

  test(): boolean {
    if (!this.inner.test()) return false;
    if (!this.#unpacked) {
      this.#unpacked = true;
      const error = this.inner.error;
      if (error === undefined && this.inner.cancelled !== true) {
        this.target.unpack(this.inner.envelope?.byteLength ?? this.target.bytes.byteLength);
      } else if (error instanceof MPIError && error.error_class === ErrorClass.ERR_TRUNCATE) {
        // A truncated message's first bytes fill the packed copy: they go into the layout, as into a contiguous buffer.
        this.target.unpack(this.target.bytes.byteLength);
      }
    }
    return true;
  }

  wait(): Promise<void> {
    return this.inner.wait().then(() => {
      this.test();
    });
  }

  cancel(): boolean {
    return this.inner.cancel?.() ?? false;
  }

  get cancelled(): boolean | undefined {
    return this.inner.cancelled;
  }

  get envelope(): Operation['envelope'] {
    return this.inner.envelope;
  }

  get data(): Bytes | undefined {
    return this.inner.data;
  }

  get error(): Error | undefined {
    return this.inner.error;
  }

  get awaitedRank(): number | undefined {
    return this.inner.awaitedRank;
  }

  get within(): { readonly text: string } | undefined {
    return this.inner.within;
  }

  set within(call: { readonly text: string } | undefined) {
    this.inner.within = call;
  }

  describe(): string {
    return this.inner.describe();
  }
}

/** The value of a completed object receive; `T` is the caller's word for what was sent. */
function decodeReceived<T>(op: Operation): T {
  return decode(op.data!, 'Comm.recv') as T;
}

/**
 * A communicator (MPI-4.1 §7.1): a group of ranks and a context in which
 * they exchange messages. `MPI.COMM_WORLD` holds every rank of the job.
 *
 * @example
 * ```ts
 * const comm = MPI.COMM_WORLD;
 * if (comm.rank === 0) await comm.send({ hello: 'world' }, 1);
 * else if (comm.rank === 1) console.log(await comm.recv(0));
 * ```
 */
export class Comm<E extends PointToPoint = PointToPoint> {
  private endpointOrNull: E | null;
  private name: string;
  /** `MPI_COMM_WORLD` or `MPI_COMM_SELF`, whatever `Set_name` calls it later: never freed. */
  private readonly predefined: boolean;
  private errhandler: Errhandler = ERRORS_RETURN;
  private hints: Info = Info.Create();

  constructor(endpoint: E, name: string) {
    this.endpointOrNull = endpoint;
    this.name = name;
    this.predefined = name === 'MPI_COMM_WORLD' || name === 'MPI_COMM_SELF';
  }

  /** The live endpoint; throws `ERR_COMM` after `Free`. */
  endpoint(call: string): E {
    if (this.endpointOrNull === null) throw errors.freedComm(call, this.name);
    return this.endpointOrNull;
  }

  /** Rank of this process in the communicator (`MPI_Comm_rank`). */
  get rank(): number {
    return this.endpoint('Comm.rank').rank;
  }

  /** Number of ranks (`MPI_Comm_size`). */
  get size(): number {
    return this.endpoint('Comm.size').size;
  }

  Get_rank(): number {
    return this.rank;
  }

  Get_size(): number {
    return this.size;
  }

  /** `MPI_Comm_get_name` (MPI-4.1 §7.8). */
  Get_name(): string {
    return this.name;
  }

  /** `MPI_Comm_set_name` (MPI-4.1 §7.8). */
  Set_name(name: string): void {
    this.name = String(name);
  }

  /** `MPI_Comm_group` (MPI-4.1 §7.3.2): the group of this communicator's ranks. */
  Get_group(): Group {
    const endpoint = this.endpoint('Comm.Get_group');
    const members = Array.from({ length: endpoint.size }, (_, r) => endpoint.worldRankOf(r));
    return new Group(members, endpoint.worldRankOf(endpoint.rank));
  }

  /** mpi4py's `group` property: the same as {@link Get_group}. */
  get group(): Group {
    return this.Get_group();
  }

  /**
   * `MPI_Comm_compare` (MPI-4.1 §7.4.1): `MPI.IDENT` for the same
   * communicator, `MPI.CONGRUENT` for the same ranks in the same order,
   * `MPI.SIMILAR` for the same ranks in another order, `MPI.UNEQUAL` otherwise.
   */
  Compare(other: Comm<PointToPoint>): number {
    try {
      const mine = this.endpoint('Comm.Compare');
      if (other.endpoint('Comm.Compare') === mine) return IDENT;
      const result = this.Get_group().Compare(other.Get_group());
      return result === IDENT ? CONGRUENT : result;
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Topo_test` (MPI-4.1 §8.5.5): `MPI.CART`, `MPI.GRAPH`,
   * `MPI.DIST_GRAPH`, or `MPI.UNDEFINED` for a communicator without a topology.
   *
   * @example
   * ```ts
   * if (comm.Get_topology() === MPI.CART) console.log('a grid');
   * ```
   */
  Get_topology(): number {
    return UNDEFINED;
  }

  /** mpi4py's `topology` property: the same as {@link Get_topology}. */
  get topology(): number {
    return this.Get_topology();
  }

  /** mpi4py's `is_topo`: true for a Cartesian, graph or distributed-graph communicator. */
  get is_topo(): boolean {
    return this.Get_topology() !== UNDEFINED;
  }

  /** mpi4py's `is_inter`: true for an intercommunicator (MPI-4.1 §7.6.1 `MPI_Comm_test_inter`). */
  get is_inter(): boolean {
    return false;
  }

  /** mpi4py's `is_intra`: true for an intracommunicator. */
  get is_intra(): boolean {
    return !this.is_inter;
  }

  /**
   * `MPI_Comm_test_inter` (MPI-4.1 §7.6.1).
   *
   * @example
   * ```ts
   * MPI.COMM_WORLD.Is_inter(); // false
   * ```
   */
  Is_inter(): boolean {
    return this.is_inter;
  }

  /** The negation of {@link Is_inter}. */
  Is_intra(): boolean {
    return !this.is_inter;
  }

  // Every public call that can fail on a live communicator goes through its
  // error handler (MPI-4.1 §9.3), here and in the subclasses, written out in
  // the call itself:
  //   returning a Promise: try { return this.handled(promise) } catch (error) { return this.failed(error) },
  //     or this.handled(p) of an async p, or this.rejecting(() => p) off the benchmarked paths;
  //   returning a value:   try { return value } catch (error) { throw this.raised(error) }.
  // A call made of other public calls of the same communicator (Clone of Dup)
  // leaves the handler to them, so that it runs once per failing call.

  /**
   * `rejecting` of errors.ts, through this communicator's error handler: a
   * fatal handler ends the job, a user handler is called, then the Promise
   * rejects as usual. The calls of the benchmarked paths (`Send`, `Recv`,
   * `Isend`, the collectives and their object and I-forms) write it out as
   * try/catch around {@link handled}, without a closure per call: a new
   * closure's first call goes through V8's lazy-compile stub, and theirs
   * were too large to inline (8-byte ping-pong at 2 ranks: 0.44 -> 0.41 us
   * one-way, medians of six alternating runs).
   */
  protected rejecting<T>(start: () => Promise<T>): Promise<T> {
    return this.handled(rejecting(start));
  }

  /**
   * `promise`, through this communicator's error handler when it rejects (see
   * {@link rejecting}). With `MPI.ERRORS_RETURN` one comparison, and `promise` itself.
   */
  protected handled<T>(promise: Promise<T>): Promise<T> {
    return handledBy(this.errhandler, this, promise);
  }

  /** A call that threw `error` before it had a Promise: rejects through the error handler (see {@link rejecting}). */
  protected failed(error: unknown): Promise<never> {
    return this.handled(Promise.reject(error));
  }

  /**
   * The persistent collective `call` (MPI-4.1 §6.13) of any kind of
   * communicator: each `Start` runs `start`, one round of the call's
   * nonblocking form, which checks its arguments anew; a failed round goes
   * through this communicator's error handler at its completion. Throws
   * `ERR_COMM` on a freed communicator.
   */
  protected persistent(call: string, start: () => Promise<void>): CollectivePrequest {
    this.endpoint(call);
    return new CollectivePrequest(start, call, this);
  }

  /**
   * Applies the error handler to `error`, an exception of one of this
   * communicator's calls, and returns it to be thrown. A freed communicator
   * has no handler: its calls fail as with `MPI.ERRORS_RETURN`.
   */
  protected raised(error: unknown): unknown {
    return this.endpointOrNull === null ? error : applyErrhandler(this.errhandler, this, this.name, error);
  }

  /**
   * @internal {@link raised} for `errhandler.ts`: the errors of this
   * communicator's calls ({@link handled}) and of the requests it started,
   * at their completion (MPI-4.1 §9.3).
   */
  [raisedByHandler](error: unknown): unknown {
    return this.raised(error);
  }

  // ------------------------------------------------------ error handlers

  /**
   * `MPI_Comm_create_errhandler` (MPI-4.1 §9.3): a handler that calls `fn`
   * with the communicator and the error class.
   *
   * @example
   * ```ts
   * const handler = MPI.Comm.Create_errhandler((comm, code) => console.error(code));
   * comm.Set_errhandler(handler);
   * ```
   */
  static Create_errhandler(fn: ErrhandlerFunction<Comm>): Errhandler {
    if (typeof fn !== 'function') throw errors.arg('Comm.Create_errhandler', `expected a function, got ${typeof fn}`);
    return new Errhandler('user', 'user error handler', fn as ErrhandlerFunction<never>);
  }

  /** `MPI_Comm_set_errhandler` (MPI-4.1 §9.3). */
  Set_errhandler(errhandler: Errhandler): void {
    try {
      this.endpoint('Comm.Set_errhandler');
      this.errhandler = checkErrhandler(errhandler, 'Comm.Set_errhandler');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Comm_get_errhandler` (MPI-4.1 §9.3): `MPI.ERRORS_RETURN` unless set. */
  Get_errhandler(): Errhandler {
    this.endpoint('Comm.Get_errhandler');
    return this.errhandler;
  }

  /**
   * `MPI_Comm_call_errhandler` (MPI-4.1 §9.3): invokes the handler with
   * `errorcode` (a user handler's function, or the end of the job for
   * `ERRORS_ARE_FATAL`); nothing happens with `ERRORS_RETURN`.
   */
  Call_errhandler(errorcode: number): void {
    this.endpoint('Comm.Call_errhandler');
    invokeErrhandler(this.errhandler, this, this.name, errorcode, calledErrorReport(errorcode, 'Comm.Call_errhandler'));
  }

  // ------------------------------------------------------------ info

  /** `MPI_Comm_set_info` (MPI-4.1 §7.4.4): the communicator's hints become a copy of `info`. */
  Set_info(info: Info): void {
    try {
      this.endpoint('Comm.Set_info');
      this.hints = hintsFrom(info, 'Comm.Set_info');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Comm_get_info` (MPI-4.1 §7.4.4): a new info object with the hints in use. */
  Get_info(): Info {
    this.endpoint('Comm.Get_info');
    return this.hints.Dup();
  }

  /** mpi4py's `info` property: {@link Get_info}, and {@link Set_info} when assigned. */
  get info(): Info {
    return this.Get_info();
  }

  set info(info: Info) {
    this.Set_info(info);
  }

  /**
   * `MPI_Comm_dup_with_info` (MPI-4.1 §7.4.2): `Dup` with `info`'s hints
   * instead of this communicator's. Collective.
   */
  Dup_with_info(info: Info): Promise<this> {
    let hints: Info;
    try {
      hints = hintsFrom(info, 'Comm.Dup_with_info');
    } catch (error) {
      return this.failed(error);
    }
    // Dup's own errors go through the handler in Dup.
    return (this as unknown as { Dup(): Promise<Comm> }).Dup().then((dup) => {
      dup.hints = hints;
      return dup as this;
    });
  }

  /** What `Dup` passes on (MPI-4.1 §7.4.2): error handler, info, attributes with a copy callback. */
  protected inherit<C extends Comm<PointToPoint>>(dup: C): C {
    this.adopt(dup);
    dup.hints = this.hints.Dup();
    attributes.copyAll(this, dup);
    return dup;
  }

  /**
   * What every communicator made from this one takes from it (MPI-4.1 §9.3:
   * a new communicator inherits its parent's error handler, so that a
   * handler set on `COMM_WORLD` at the start applies to all): `child`, or
   * null for the ranks that get none.
   */
  protected adopt<C extends Comm<PointToPoint> | null>(child: C): C {
    if (child !== null) child.errhandler = this.errhandler;
    return child;
  }

  /**
   * The ranks of `group`'s members in this communicator's (local) group, in
   * group order; `ERR_GROUP` for a member outside it (`MPI_Comm_create`, §7.4.2).
   */
  protected checkSubgroup(group: Group, call: string): number[] {
    if (!(group instanceof Group)) throw errors.group(call, 'expected an MPI.Group');
    const endpoint = this.endpoint(call);
    const rankOf = new Map<number, number>();
    for (let r = 0; r < endpoint.size; r++) rankOf.set(endpoint.worldRankOf(r), r);
    return group.members.map((world) => {
      const rank = rankOf.get(world);
      if (rank === undefined) throw errors.group(call, 'the group holds processes outside this communicator');
      return rank;
    });
  }

  // ------------------------------------------------------------ attributes

  /**
   * `MPI_Comm_create_keyval` (MPI-4.1 §7.7.2): a key for `Set_attr`.
   * `copy_fn` gives the value for a `Dup` (undefined: not copied; `true`:
   * the same value), `delete_fn` runs when the value goes.
   *
   * @example
   * ```ts
   * const key = MPI.Comm.Create_keyval(true);
   * comm.Set_attr(key, { created: Date.now() });
   * comm.Get_attr(key); // { created: ... }
   * ```
   */
  static Create_keyval(copy_fn?: AttributeCopy<Comm> | true | null, delete_fn?: AttributeDelete<Comm> | null): number {
    return attributes.createKeyval(copy_fn, delete_fn);
  }

  /** `MPI_Comm_free_keyval` (MPI-4.1 §7.7.2): returns `MPI.KEYVAL_INVALID`. */
  static Free_keyval(keyval: number): number {
    return attributes.freeKeyval(keyval);
  }

  /** `MPI_Comm_set_attr` (MPI-4.1 §7.7.2). Predefined keys cannot be set (`ERR_KEYVAL`). */
  Set_attr(keyval: number, attrval: unknown): void {
    try {
      this.endpoint('Comm.Set_attr');
      attributes.set(this, keyval, attrval);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Comm_get_attr` (MPI-4.1 §7.7.2): the value, or undefined when it is
   * not set (mpi4py's None). Predefined keys: `MPI.TAG_UB`, `MPI.HOST`,
   * `MPI.IO`, `MPI.WTIME_IS_GLOBAL`, `MPI.UNIVERSE_SIZE`, `MPI.APPNUM`,
   * `MPI.LASTUSEDCODE`.
   */
  Get_attr(keyval: number): unknown {
    try {
      this.endpoint('Comm.Get_attr');
      if (attributes.has(keyval)) return attributes.get(this, keyval);
      const library = (name: string): number | undefined => transport().worldAttribute?.(name);
      switch (keyval) {
        case TAG_UB: return TAG_UB;
        case HOST: return library('HOST') ?? PROC_NULL;
        case IO: return library('IO') ?? ANY_SOURCE;
        case WTIME_IS_GLOBAL: return Boolean(library('WTIME_IS_GLOBAL') ?? (transport().name === 'shm' ? 1 : 0));
        case UNIVERSE_SIZE: return library('UNIVERSE_SIZE') ?? (transport().name === 'shm' ? transport().worldSize : undefined);
        case APPNUM: return library('APPNUM') ?? (transport().name === 'shm' ? 0 : undefined);
        case LASTUSEDCODE: return lastUsedErrorCode();
        default: throw errors.keyval('Comm.Get_attr', `invalid keyval ${String(keyval)}`);
      }
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Comm_delete_attr` (MPI-4.1 §7.7.2): runs the delete callback. */
  Delete_attr(keyval: number): void {
    try {
      this.endpoint('Comm.Delete_attr');
      attributes.delete(this, keyval);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** True until `Free` is called. */
  get isLive(): boolean {
    return this.endpointOrNull !== null;
  }

  /**
   * `MPI_Comm_free` (MPI-4.1 §7.4.3): any later use throws `ERR_COMM`.
   * `COMM_WORLD` and `COMM_SELF` cannot be freed (`ERR_COMM` too).
   */
  Free(): void {
    try {
      const endpoint = this.endpoint('Comm.Free');
      if (this.predefined) throw errors.predefinedComm('Comm.Free', this.name);
      attributes.deleteAll(this);
      endpoint.free();
      this.endpointOrNull = null;
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** Forgets the endpoint that the transport has just freed (`Intercomm.Disconnect`): like {@link Free}. */
  protected released(): void {
    this.endpointOrNull = null;
  }

  // ------------------------------------------------------------ checks

  private checkDest(dest: unknown, call: string): number {
    const size = this.endpoint(call).remoteSize;
    if (dest === PROC_NULL) return PROC_NULL;
    if (!Number.isInteger(dest) || (dest as number) < 0 || (dest as number) >= size) throw errors.rank(call, dest, size, 'dest');
    return dest as number;
  }

  private checkSource(source: unknown, call: string): number {
    const size = this.endpoint(call).remoteSize;
    if (source === ANY_SOURCE || source === PROC_NULL) return source;
    if (!Number.isInteger(source) || (source as number) < 0 || (source as number) >= size) {
      throw errors.rank(call, source, size, 'source');
    }
    return source as number;
  }

  private static checkTag(tag: unknown, call: string, allowAny: boolean): number {
    if (allowAny && tag === ANY_TAG) return ANY_TAG;
    if (!Number.isInteger(tag) || (tag as number) < 0 || (tag as number) > TAG_UB) throw errors.tag(call, tag, allowAny);
    return tag as number;
  }

  // -------------------------------------------------- objects, blocking

  /**
   * `MPI_Send` of any value (MPI-4.1 §3.2.1): structured-cloneable values,
   * instances of registered classes. Resolves once the value may be reused.
   *
   * @example
   * ```ts
   * await comm.send({ step: 1, data: [1, 2, 3] }, 1, 7);
   * ```
   */
  send(obj: unknown, dest: number, tag = 0): Promise<void> {
    try {
      return this.handled(completion(this.startSend(obj, dest, tag, false, 'Comm.send'), undefined, 'Comm.send'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Ssend` of a value (MPI-4.1 §3.4): resolves only once a receive has matched it. */
  ssend(obj: unknown, dest: number, tag = 0): Promise<void> {
    return this.rejecting(() => completion(this.startSend(obj, dest, tag, true, 'Comm.ssend'), undefined, 'Comm.ssend'));
  }

  /**
   * `MPI_Recv` of a value (MPI-4.1 §3.2.4): resolves with the value. `T`
   * says what the sender sends (`unknown` unless given); it is not checked.
   *
   * @example
   * ```ts
   * const status = new MPI.Status();
   * const value = await comm.recv(MPI.ANY_SOURCE, MPI.ANY_TAG, status);
   * const [id, result] = await comm.recv<[number, number]>(0, RESULT);
   * ```
   */
  recv<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<T> {
    try {
      return this.handled(this.irecvWith<T>(source, tag, 'Comm.recv').wait(status));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Sendrecv` of values (MPI-4.1 §3.10): sends and receives at once,
   * resolving with the received value, of type `T` (`unknown` unless given; not checked).
   */
  sendrecv<T = unknown>(sendobj: unknown, dest: number, sendtag = 0, source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG, status?: Status): Promise<T> {
    try {
      return this.handled(this.sendrecvValue<T>(sendobj, dest, sendtag, source, recvtag, status));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** {@link sendrecv} once its arguments are checked: the receive's Promise alone when the send is done at once. */
  private sendrecvValue<T>(sendobj: unknown, dest: number, sendtag: number, source: number, recvtag: number,
    status: Status | undefined): Promise<T> {
    const call = 'Comm.sendrecv';
    const endpoint = this.endpoint(call);
    const half = this.sendHalf(dest, sendtag, call, () => encodeForSend(sendobj, call, endpoint.sendCopyLimit));
    const receive = this.irecvWith<T>(source, recvtag, call);
    const send = startSendHalf(endpoint, half, receive, call);
    return sentAtOnce(send) ? receive.wait(status) : receiveThenSend(receive.wait(status), send, call);
  }

  /** Checks the send half of a send-receive and makes its data (`data()`, not called for `MPI.PROC_NULL`). */
  private sendHalf(dest: number, tag: number, call: string, data: () => Bytes): SendHalf {
    const checkedDest = this.checkDest(dest, call);
    const checkedTag = Comm.checkTag(tag, call, false);
    return { dest: checkedDest, tag: checkedTag, data: checkedDest === PROC_NULL ? undefined : data() };
  }

  // ----------------------------------------------- objects, nonblocking

  /** `MPI_Isend` of a value (MPI-4.1 §3.7.2). */
  isend(obj: unknown, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startSend(obj, dest, tag, false, 'Comm.isend'), 'Comm.isend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Issend` of a value (MPI-4.1 §3.7.2). */
  issend(obj: unknown, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startSend(obj, dest, tag, true, 'Comm.issend'), 'Comm.issend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Irecv` of a value (MPI-4.1 §3.7.2): `await req.wait()` gives the
   * value, of type `T` (`unknown` unless given; not checked).
   *
   * @example
   * ```ts
   * const req = comm.irecv<{ step: number }>(0);
   * const { step } = await req.wait();
   * ```
   */
  irecv<T = unknown>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<T> {
    try {
      return this.irecvWith<T>(source, tag, 'Comm.irecv', this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private startSend(obj: unknown, dest: number, tag: number, sync: boolean, call: string): Operation {
    const endpoint = this.endpoint(call);
    dest = this.checkDest(dest, call);
    tag = Comm.checkTag(tag, call, false);
    const bytes = encodeForSend(obj, call, endpoint.sendCopyLimit);
    return dest === PROC_NULL ? donePending : sendOn(endpoint, bytes, dest, tag, sync, call);
  }

  /**
   * The receive of a value; `owner` for `irecv`'s request, none inside `recv`
   * and `sendrecv`, which apply the handler themselves (once per call).
   */
  private irecvWith<T>(source: number, tag: number, call: string, owner?: this): Request<T> {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) return new Request<T>(undefined, call);
    return new Request(endpoint.irecv(undefined, source, tag), call, decodeReceived<T>, owner);
  }

  // ----------------------------------------------------------- probing

  /**
   * `MPI_Probe` (MPI-4.1 §3.8.1): waits until a message that a receive would
   * match has arrived, fills `status` with its envelope; resolves true.
   */
  probe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<true> {
    return this.handled(this.probeAs(source, tag, status, 'Comm.probe'));
  }

  private async probeAs(source: number, tag: number, status: Status | undefined, call: string): Promise<true> {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) nullStatus(status);
    else status?.assign(await endpoint.probe(source, tag));
    return true;
  }

  /** `MPI_Iprobe` (MPI-4.1 §3.8.1): true, filling `status`, when a matching message is there. Never waits. */
  iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): boolean {
    try {
      return this.iprobeAs(source, tag, status, 'Comm.iprobe');
    } catch (error) {
      throw this.raised(error);
    }
  }

  private iprobeAs(source: number, tag: number, status: Status | undefined, call: string): boolean {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) {
      nullStatus(status);
      return true;
    }
    const found = endpoint.iprobe(source, tag);
    if (found !== undefined) status?.assign(found);
    return found !== undefined;
  }

  /** `MPI_Probe` under its buffer-family name. */
  Probe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<true> {
    return this.handled(this.probeAs(source, tag, status, 'Comm.Probe'));
  }

  /** `MPI_Iprobe` under its buffer-family name. */
  Iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): boolean {
    try {
      return this.iprobeAs(source, tag, status, 'Comm.Iprobe');
    } catch (error) {
      throw this.raised(error);
    }
  }

  // -------------------------------------------------- buffers, blocking

  /**
   * `MPI_Send` of a buffer (MPI-4.1 §3.2.1). Above the eager limit it waits
   * until the receiver has posted a matching receive, as a real MPI does.
   *
   * @example
   * ```ts
   * await comm.Send(new Float64Array(50), 1, 100);
   * await comm.Send([data, 30, MPI.DOUBLE], 1, 100); // first 30 elements
   * ```
   */
  Send(buf: BufferSpec | null, dest: number, tag = 0): Promise<void> {
    try {
      return this.handled(completion(this.startBufferSend(buf, dest, tag, false, 'Comm.Send'), undefined, 'Comm.Send'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Ssend` of a buffer (MPI-4.1 §3.4): completes only once matched. */
  Ssend(buf: BufferSpec | null, dest: number, tag = 0): Promise<void> {
    return this.rejecting(() => completion(this.startBufferSend(buf, dest, tag, true, 'Comm.Ssend'), undefined, 'Comm.Ssend'));
  }

  /**
   * `MPI_Recv` into a buffer (MPI-4.1 §3.2.4). A message longer than the
   * buffer is consumed, its first bytes stored, and the call rejects with
   * `ERR_TRUNCATE` once it has filled `status` (source, tag, the message's
   * length and `ERR_TRUNCATE`).
   *
   * @example
   * ```ts
   * const buf = new Float64Array(100); const status = new MPI.Status();
   * await comm.Recv(buf, MPI.ANY_SOURCE, MPI.ANY_TAG, status);
   * status.Get_count(MPI.DOUBLE);
   * ```
   */
  Recv(buf: BufferSpec | null, source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<void> {
    try {
      const op = this.startBufferRecv(buf, source, tag, 'Comm.Recv');
      if (op === donePending) {
        nullStatus(status);
        return RESOLVED;
      }
      return this.handled(completion(op, status, 'Comm.Recv'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * `MPI_Sendrecv` of buffers (MPI-4.1 §3.10).
   *
   * @example
   * ```ts
   * await comm.Sendrecv(mine, right, 0, theirs, left, 0);
   * ```
   */
  Sendrecv(sendbuf: BufferSpec | null, dest: number, sendtag = 0, recvbuf?: BufferSpec | null,
    source: number = ANY_SOURCE, recvtag: number = ANY_TAG, status?: Status): Promise<void> {
    try {
      return this.handled(this.sendrecvAs(sendbuf, dest, sendtag, recvbuf, source, recvtag, status, 'Comm.Sendrecv'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Sendrecv_replace` (MPI-4.1 §3.10): sends `buf` and receives into it. */
  Sendrecv_replace(buf: BufferSpec, dest: number, sendtag = 0, source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG, status?: Status): Promise<void> {
    const call = 'Comm.Sendrecv_replace';
    try {
      return this.handled(this.sendrecvAs(copyOfSpec(buf, call), dest, sendtag, buf, source, recvtag, status, call));
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * Starts both halves of a buffer send-receive (throws on bad arguments):
   * the receive's completion alone when the send is done at once, as an
   * eager one is, else the receive's then the send's.
   */
  private sendrecvAs(sendbuf: BufferSpec | null, dest: number, sendtag: number, recvbuf: BufferSpec | null | undefined,
    source: number, recvtag: number, status: Status | undefined, call: string): Promise<void> {
    const endpoint = this.endpoint(call);
    const half = this.sendHalf(dest, sendtag, call, () => bytesOfSpec(sendbuf, call));
    const receive = this.startBufferRecv(recvbuf, source, recvtag, call);
    const send = startSendHalf(endpoint, half, receive, call);
    let received: Promise<void> = RESOLVED;
    if (receive === donePending) nullStatus(status);
    else received = completion(receive, status, call);
    return sentAtOnce(send) ? received : receiveThenSend(received, send, call);
  }

  // ----------------------------------------------- buffers, nonblocking

  /** `MPI_Isend` of a buffer (MPI-4.1 §3.7.2): do not touch `buf` before the request completes. */
  Isend(buf: BufferSpec | null, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startBufferSend(buf, dest, tag, false, 'Comm.Isend'), 'Comm.Isend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Issend` of a buffer (MPI-4.1 §3.7.2). */
  Issend(buf: BufferSpec | null, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startBufferSend(buf, dest, tag, true, 'Comm.Issend'), 'Comm.Issend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Irecv` into a buffer (MPI-4.1 §3.7.2). */
  Irecv(buf: BufferSpec | null, source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<void> {
    try {
      const op = this.startBufferRecv(buf, source, tag, 'Comm.Irecv');
      return new Request(op === donePending ? undefined : op, 'Comm.Irecv', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  // ------------------------------------------------ buffered and ready modes

  /**
   * `MPI_Bsend` (MPI-4.1 §3.4): copies the message into the attached buffer's
   * budget (`MPI.Attach_buffer`) and resolves at once; the copy is delivered
   * in the background. `ERR_BUFFER` when no buffer is attached or it is full.
   *
   * @example
   * ```ts
   * MPI.Attach_buffer(new Uint8Array(1 << 20));
   * await comm.Bsend(new Float64Array(100), 1);
   * await MPI.Detach_buffer();
   * ```
   */
  Bsend(buf: BufferSpec | null, dest: number, tag = 0): Promise<void> {
    return this.rejecting(() => completion(this.startBuffered(buf, dest, tag, 'Comm.Bsend'), undefined, 'Comm.Bsend'));
  }

  /** `MPI_Ibsend` (MPI-4.1 §3.7.2): a buffered send as a request, complete once copied. */
  Ibsend(buf: BufferSpec | null, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startBuffered(buf, dest, tag, 'Comm.Ibsend'), 'Comm.Ibsend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Bsend` of a value (MPI-4.1 §3.4): its encoding goes through the attached buffer. */
  bsend(obj: unknown, dest: number, tag = 0): Promise<void> {
    return this.rejecting(() => completion(this.startBufferedObject(obj, dest, tag, 'Comm.bsend'), undefined, 'Comm.bsend'));
  }

  /** `MPI_Ibsend` of a value (MPI-4.1 §3.7.2). */
  ibsend(obj: unknown, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startBufferedObject(obj, dest, tag, 'Comm.ibsend'), 'Comm.ibsend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Rsend` (MPI-4.1 §3.4): ready mode, for a receive already posted; sent
   * as a standard send (which a correct ready-mode program cannot tell apart).
   */
  Rsend(buf: BufferSpec | null, dest: number, tag = 0): Promise<void> {
    return this.rejecting(() => completion(this.startBufferSend(buf, dest, tag, false, 'Comm.Rsend'), undefined, 'Comm.Rsend'));
  }

  /** `MPI_Irsend` (MPI-4.1 §3.7.2): ready mode as a request. */
  Irsend(buf: BufferSpec | null, dest: number, tag = 0): Request<void> {
    try {
      return new Request(this.startBufferSend(buf, dest, tag, false, 'Comm.Irsend'), 'Comm.Irsend', undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private startBuffered(buf: BufferSpec | null, dest: number, tag: number, call: string): Operation {
    const endpoint = this.endpoint(call);
    dest = this.checkDest(dest, call);
    tag = Comm.checkTag(tag, call, false);
    if (dest === PROC_NULL) return donePending;
    return bufferedSend(bytesOfSpec(buf, call), call, (copy) => endpoint.isend(copy, dest, tag, false));
  }

  private startBufferedObject(obj: unknown, dest: number, tag: number, call: string): Operation {
    const endpoint = this.endpoint(call);
    dest = this.checkDest(dest, call);
    tag = Comm.checkTag(tag, call, false);
    const bytes = encodeForSend(obj, call, Infinity);
    if (dest === PROC_NULL) return donePending;
    return bufferedSend(bytes, call, (copy) => endpoint.isend(copy, dest, tag, false));
  }

  // ------------------------------------------------------ matched probes

  /**
   * `MPI_Mprobe` (MPI-4.1 §3.8.2): waits for a matching message and takes it
   * out of matching: only the returned {@link Message} can receive it.
   * `MPI.MESSAGE_NO_PROC` for `MPI.PROC_NULL`.
   *
   * @example
   * ```ts
   * const status = new MPI.Status();
   * const message = await comm.Mprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status);
   * const buf = new Int32Array(status.Get_count(MPI.INT));
   * await message.Recv(buf);
   * ```
   */
  Mprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<Message> {
    return this.handled(this.matchedProbe(source, tag, status, 'Comm.Mprobe'));
  }

  /** `MPI_Improbe` (MPI-4.1 §3.8.2): the matched message, or null when none is there. Never waits. */
  Improbe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Message | null {
    try {
      return this.immediateProbe(source, tag, status, 'Comm.Improbe');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Mprobe` for a value: receive it with `message.recv()`. */
  mprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<Message> {
    return this.handled(this.matchedProbe(source, tag, status, 'Comm.mprobe'));
  }

  /** `MPI_Improbe` for a value: the message or null. Never waits. */
  improbe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Message | null {
    try {
      return this.immediateProbe(source, tag, status, 'Comm.improbe');
    } catch (error) {
      throw this.raised(error);
    }
  }

  private immediateProbe(source: number, tag: number, status: Status | undefined, call: string): Message | null {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) {
      nullStatus(status);
      return MESSAGE_NO_PROC;
    }
    const found = endpoint.iprobe(source, tag);
    if (found === undefined) return null;
    // In the same turn: the first message from found.source with found.tag is the probed one.
    const op = endpoint.irecv(undefined, found.source, found.tag);
    status?.assign(found);
    return matchedMessage(op, found, this);
  }

  private async matchedProbe(source: number, tag: number, status: Status | undefined, call: string): Promise<Message> {
    const endpoint = this.endpoint(call);
    for (;;) {
      const message = this.immediateProbe(source, tag, status, call);
      if (message !== null) return message;
      await endpoint.probe(source, tag);
    }
  }

  // ---------------------------------------------------- send-receive, nonblocking

  /**
   * `MPI_Isendrecv` (MPI-4.1 §3.10, MPI-4.0): `Sendrecv` as a request.
   *
   * @example
   * ```ts
   * const req = comm.Isendrecv(mine, right, 0, theirs, left, 0);
   * await req.Wait();
   * ```
   */
  Isendrecv(sendbuf: BufferSpec | null, dest: number, sendtag = 0, recvbuf?: BufferSpec | null,
    source: number = ANY_SOURCE, recvtag: number = ANY_TAG): Request<void> {
    const call = 'Comm.Isendrecv';
    try {
      const half = this.sendHalf(dest, sendtag, call, () => bytesOfSpec(sendbuf, call));
      const receive = this.startBufferRecv(recvbuf, source, recvtag, call);
      return new Request(new BothOperation(startSendHalf(this.endpoint(call), half, receive, call), receive), call, undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Isendrecv_replace` (MPI-4.1 §3.10, MPI-4.0): sends `buf` and receives into it, as a request. */
  Isendrecv_replace(buf: BufferSpec, dest: number, sendtag = 0, source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG): Request<void> {
    const call = 'Comm.Isendrecv_replace';
    try {
      const outgoing = copyOfSpec(buf, call);
      const half = this.sendHalf(dest, sendtag, call, () => bytesOfSpec(outgoing, call));
      const receive = this.startBufferRecv(buf, source, recvtag, call);
      return new Request(new BothOperation(startSendHalf(this.endpoint(call), half, receive, call), receive), call, undefined, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  // ------------------------------------------------------------ persistent

  /**
   * `MPI_Send_init` (MPI-4.1 §3.9): a persistent request for this send;
   * each `Start` sends the buffer's contents at that time.
   *
   * @example
   * ```ts
   * const req = comm.Send_init(buf, 1, 0);
   * req.Start(); await req.Wait();
   * ```
   */
  Send_init(buf: BufferSpec | null, dest: number, tag = 0): Prequest {
    return this.persistentSend(buf, dest, tag, 'Comm.Send_init', (b, d, t, c) => this.startBufferSend(b, d, t, false, c));
  }

  /** `MPI_Ssend_init` (MPI-4.1 §3.9): persistent synchronous send. */
  Ssend_init(buf: BufferSpec | null, dest: number, tag = 0): Prequest {
    return this.persistentSend(buf, dest, tag, 'Comm.Ssend_init', (b, d, t, c) => this.startBufferSend(b, d, t, true, c));
  }

  /** `MPI_Bsend_init` (MPI-4.1 §3.9): persistent buffered send (uses the attached buffer at each `Start`). */
  Bsend_init(buf: BufferSpec | null, dest: number, tag = 0): Prequest {
    return this.persistentSend(buf, dest, tag, 'Comm.Bsend_init', (b, d, t, c) => this.startBuffered(b, d, t, c));
  }

  /** `MPI_Rsend_init` (MPI-4.1 §3.9): persistent ready-mode send (a standard send). */
  Rsend_init(buf: BufferSpec | null, dest: number, tag = 0): Prequest {
    return this.persistentSend(buf, dest, tag, 'Comm.Rsend_init', (b, d, t, c) => this.startBufferSend(b, d, t, false, c));
  }

  /** `MPI_Recv_init` (MPI-4.1 §3.9): a persistent receive into `buf`. */
  Recv_init(buf: BufferSpec | null, source: number = ANY_SOURCE, tag: number = ANY_TAG): Prequest {
    const call = 'Comm.Recv_init';
    try {
      this.endpoint(call);
      this.checkSource(source, call);
      Comm.checkTag(tag, call, true);
      if (source !== PROC_NULL && (buf === undefined || buf === null)) throw errors.buffer(call, 'a receive buffer is required');
      return new Prequest<void>(() => {
        const op = this.startBufferRecv(buf, source, tag, call);
        return op === donePending ? undefined : op;
      }, call, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  // ------------------------------------------------------------ partitioned

  /**
   * `MPI_Psend_init` (MPI-4.1 §4.2): a partitioned send of `buf` in
   * `partitions` equal parts; after `Start`, `Pready` each part; the message
   * goes once all are ready.
   *
   * @example
   * ```ts
   * const send = comm.Psend_init(buf, 2, 1, 0);
   * send.Start(); send.Pready(0); send.Pready(1);
   * await send.Wait();
   * ```
   */
  Psend_init(buf: BufferSpec | null, partitions: number, dest: number, tag = 0): PartitionedRequest {
    const call = 'Comm.Psend_init';
    try {
      this.endpoint(call);
      this.checkDest(dest, call);
      Comm.checkTag(tag, call, false);
      Comm.checkPartitions(partitions, call);
      return new PartitionedRequest(partitions, 'send', () => {
        const op = this.startBufferSend(buf, dest, tag, false, call);
        return op === donePending ? undefined : op;
      }, call, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Precv_init` (MPI-4.1 §4.2): a partitioned receive into `buf` in
   * `partitions` parts; `Parrived(p)` says whether part `p` is there.
   * `source` and `tag` are not wildcards (MPI-4.1 §4.2).
   */
  Precv_init(buf: BufferSpec | null, partitions: number, source: number, tag = 0): PartitionedRequest {
    const call = 'Comm.Precv_init';
    try {
      this.endpoint(call);
      if (source === ANY_SOURCE) throw errors.rank(call, source, this.endpoint(call).remoteSize, 'rank');
      this.checkSource(source, call);
      Comm.checkTag(tag, call, false);
      Comm.checkPartitions(partitions, call);
      if (source !== PROC_NULL && (buf === undefined || buf === null)) throw errors.buffer(call, 'a receive buffer is required');
      return new PartitionedRequest(partitions, 'recv', () => {
        const op = this.startBufferRecv(buf, source, tag, call);
        return op === donePending ? undefined : op;
      }, call, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private static checkPartitions(partitions: unknown, call: string): void {
    if (!Number.isInteger(partitions) || (partitions as number) < 1) {
      throw errors.count(call, `invalid partitions ${String(partitions)}: must be an integer of at least 1`);
    }
  }

  /** `Send_init` and its modes: their checks, through the error handler. */
  private persistentSend(buf: BufferSpec | null, dest: number, tag: number, call: string,
    start: (buf: BufferSpec | null, dest: number, tag: number, call: string) => Operation): Prequest {
    try {
      this.endpoint(call);
      this.checkDest(dest, call);
      Comm.checkTag(tag, call, false);
      return new Prequest<void>(() => start(buf, dest, tag, call), call, this);
    } catch (error) {
      throw this.raised(error);
    }
  }

  // The buffer of a message to or from MPI.PROC_NULL is never read: it may be null, as in mpi4py.

  private startBufferSend(buf: BufferSpec | null, dest: number, tag: number, sync: boolean, call: string): Operation {
    const endpoint = this.endpoint(call);
    dest = this.checkDest(dest, call);
    tag = Comm.checkTag(tag, call, false);
    return dest === PROC_NULL ? donePending : sendOn(endpoint, bytesOfSpec(buf, call), dest, tag, sync, call);
  }

  private startBufferRecv(buf: BufferSpec | null | undefined, source: number, tag: number, call: string): Operation {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) return donePending;
    if (buf === undefined || buf === null) throw errors.buffer(call, 'a receive buffer is required');
    const into = receiveOfSpec(buf, call);
    // A view first: the common case, and a check that optimized code makes inline (see isSegmented).
    if (ArrayBuffer.isView(into) || !(into instanceof PackedReceive)) return endpoint.irecv(into, source, tag);
    return new UnpackingOperation(endpoint.irecv(into.bytes, source, tag), into);
  }

  // ------------------------------------------------------------ ending

  /**
   * `MPI_Abort` (MPI-4.1 §9.5): ends every rank of the job with `errorcode`.
   * Never returns.
   */
  Abort(errorcode = 1): never {
    abort(errorcode, `Abort(${errorcode}) called on ${this.name}`);
  }

  /**
   * `MPI_Comm_get_parent` (MPI-4.1 §11.8.2): in ranks started by `Spawn`, the
   * intercommunicator to the ranks that spawned them; null (`MPI.COMM_NULL`)
   * elsewhere, and once that intercommunicator is disconnected or freed.
   *
   * @example
   * ```ts
   * const parent = MPI.Comm.Get_parent();
   * if (parent !== null) await parent.Bcast(data, 0);
   * ```
   */
  static Get_parent(): Intercomm | null {
    return parentOf();
  }

  /**
   * `MPI_Comm_disconnect` (MPI-4.1 §11.10.4): waits for the communication
   * pending on the communicator, then frees it. Collective. On an
   * intracommunicator: a barrier, then {@link Free}; `Intercomm.Disconnect`
   * waits for both groups (and calls MPI's on the mpi transport).
   *
   * @example
   * ```ts
   * const mine = await comm.Dup();
   * await mine.Disconnect();
   * ```
   */
  Disconnect(): Promise<void> {
    return this.rejecting(async () => {
      this.endpoint('Comm.Disconnect');
      if (this.predefined) throw errors.predefinedComm('Comm.Disconnect', this.name);
      await this.quiesce();
      this.Free();
    });
  }

  /**
   * What {@link Disconnect} waits for before it frees: an intracommunicator's
   * barrier (not its public `Barrier`, whose handler would run a second time).
   */
  protected quiesce(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * `MPI_Comm_join` (MPI-4.1 §11.10.5): the intercommunicator to the process
   * at the other end of `fd`, a connected socket (both processes call it).
   * On the mpi transport only; on shm it is `ERR_UNSUPPORTED_OPERATION`
   * (ranks of one job meet with `Accept` and `Connect`, and two shm jobs
   * share no memory).
   *
   * @example
   * ```ts
   * // socket: a connected net.Socket, paused; its descriptor is the handle's fd
   * const other = await MPI.Comm.Join(fd);
   * ```
   */
  static async Join(fd: number): Promise<Intercomm> {
    const call = 'Comm.Join';
    if (!Number.isInteger(fd) || fd < 0) throw errors.arg(call, `invalid file descriptor ${String(fd)}`);
    const inter = await transport().ports.join(fd, call);
    const { Intercomm } = await import('./intercomm.js');
    return new Intercomm(inter, 'joined intercomm');
  }

  toString(): string {
    return `<${this.constructor.name} ${this.name}>`;
  }
}

let parentOf: () => Intercomm | null = () => null;

/** Lets `MPI` answer `Comm.Get_parent` from the transport. */
/**
 * Runs the delete callbacks of every attribute of `comm`, last set first, as
 * `Free` does: `MPI.Finalize` does it for `COMM_SELF` (MPI-4.1 §11.2.4).
 */
export function deleteAttributes(comm: Comm): void {
  attributes.deleteAll(comm);
}

export function setParentProvider(provider: () => Intercomm | null): void {
  parentOf = provider;
}

/** A send and a receive as one operation (`Isendrecv`): complete when both are; the receive's envelope. */
class BothOperation implements Operation {
  constructor(private readonly send: Operation, private readonly receive: Operation) {}

  get envelope(): Envelope | undefined {
    return this.receive.envelope;
  }

  readonly data: undefined = undefined;

  get error(): Error | undefined {
    return this.receive.error ?? this.send.error;
  }

  test(): boolean {
    const received = this.receive.test();
    return this.send.test() && received;
  }

  async wait(): Promise<void> {
    await this.receive.wait();
    await this.send.wait();
  }

  describe(): string {
    return `Sendrecv: ${this.send.describe()}; ${this.receive.describe()}`;
  }
}

/** An operation on `MPI.PROC_NULL`: complete from the start. */
const donePending: Operation = {
  test: () => true,
  wait: () => RESOLVED,
  envelope: { source: PROC_NULL, tag: ANY_TAG, byteLength: 0 },
  data: undefined,
  error: undefined,
  describe: () => 'operation on MPI.PROC_NULL',
};
