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
 * Unfinished: buffered and ready modes (`Bsend`, `Rsend` are not provided),
 * matched probes (`Mprobe`), persistent requests, `Cancel`.
 *
 * @module
 */

import { type BufferSpec, type Bytes, bytesOfSpec, PackedReceive, parseBuffer, receiveOfSpec } from '../buffer.js';
import { decode, encodeForSend } from '../codec/index.js';
import { ANY_SOURCE, ANY_TAG, CONGRUENT, IDENT, PROC_NULL } from '../constants.js';
import { abort } from '../environment.js';
import { TAG_UB, errors, rejecting } from '../errors.js';
import { Group } from './group.js';
import type { Intercomm } from './intercomm.js';
import { Request } from './request.js';
import type { Status } from './status.js';
import type { Operation, PointToPoint } from '../transport/transport.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Waits for a transport operation of the API call `call`, with no Promise hop
 * when it completes at once.
 */
function completion(op: Operation, status: Status | undefined, call: string): Promise<void> {
  if (!op.test()) {
    const pending = op.wait();
    if (!op.test()) return pending.then(() => settle(op, status, call));
  }
  if (op.error !== undefined) return Promise.reject(errors.inCall(call, op.error));
  settle(op, status, call);
  return RESOLVED;
}

function settle(op: Operation, status: Status | undefined, call: string): void {
  if (op.error !== undefined) throw errors.inCall(call, op.error);
  if (status !== undefined && op.envelope !== undefined) status.assign(op.envelope);
}

function nullStatus(status: Status | undefined): void {
  status?.assign({ source: PROC_NULL, tag: ANY_TAG, byteLength: 0 });
}

/**
 * A receive into a buffer of a non-contiguous derived datatype: the
 * transport receives into packed bytes, which are unpacked into the user's
 * buffer the first time the operation is found complete: by `test()`, or
 * before the Promise of `wait()` settles.
 */
class UnpackingOperation implements Operation {
  #unpacked = false;

  constructor(private readonly inner: Operation, private readonly target: PackedReceive) {}

  test(): boolean {
    if (!this.inner.test()) return false;
    if (!this.#unpacked) {
      this.#unpacked = true;
      if (this.inner.error === undefined) this.target.unpack(this.inner.envelope?.byteLength ?? this.target.bytes.byteLength);
    }
    return true;
  }

  wait(): Promise<void> {
    return this.inner.wait().then(() => {
      this.test();
    });
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
    const mine = this.endpoint('Comm.Compare');
    if (other.endpoint('Comm.Compare') === mine) return IDENT;
    const result = this.Get_group().Compare(other.Get_group());
    return result === IDENT ? CONGRUENT : result;
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
    const endpoint = this.endpoint('Comm.Free');
    if (this.predefined) throw errors.predefinedComm('Comm.Free', this.name);
    endpoint.free();
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
    return rejecting(() => completion(this.startSend(obj, dest, tag, false, 'Comm.send'), undefined, 'Comm.send'));
  }

  /** `MPI_Ssend` of a value (MPI-4.1 §3.4): resolves only once a receive has matched it. */
  ssend(obj: unknown, dest: number, tag = 0): Promise<void> {
    return rejecting(() => completion(this.startSend(obj, dest, tag, true, 'Comm.ssend'), undefined, 'Comm.ssend'));
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
    return rejecting(() => this.irecvWith<T>(source, tag, 'Comm.recv').wait(status));
  }

  /**
   * `MPI_Sendrecv` of values (MPI-4.1 §3.10): sends and receives at once,
   * resolving with the received value, of type `T` (`unknown` unless given; not checked).
   */
  async sendrecv<T = unknown>(sendobj: unknown, dest: number, sendtag = 0, source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG, status?: Status): Promise<T> {
    const receive = this.irecvWith<T>(source, recvtag, 'Comm.sendrecv');
    const send = this.startSend(sendobj, dest, sendtag, false, 'Comm.sendrecv');
    const value = await receive.wait(status);
    await completion(send, undefined, 'Comm.sendrecv');
    return value;
  }

  // ----------------------------------------------- objects, nonblocking

  /** `MPI_Isend` of a value (MPI-4.1 §3.7.2). */
  isend(obj: unknown, dest: number, tag = 0): Request<void> {
    return new Request(this.startSend(obj, dest, tag, false, 'Comm.isend'), 'Comm.isend');
  }

  /** `MPI_Issend` of a value (MPI-4.1 §3.7.2). */
  issend(obj: unknown, dest: number, tag = 0): Request<void> {
    return new Request(this.startSend(obj, dest, tag, true, 'Comm.issend'), 'Comm.issend');
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
    return this.irecvWith<T>(source, tag, 'Comm.irecv');
  }

  private startSend(obj: unknown, dest: number, tag: number, sync: boolean, call: string): Operation {
    const endpoint = this.endpoint(call);
    dest = this.checkDest(dest, call);
    tag = Comm.checkTag(tag, call, false);
    const bytes = encodeForSend(obj, call, endpoint.sendCopyLimit);
    return dest === PROC_NULL ? donePending : endpoint.isend(bytes, dest, tag, sync);
  }

  private irecvWith<T>(source: number, tag: number, call: string): Request<T> {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) return new Request<T>(undefined, call);
    return new Request(endpoint.irecv(undefined, source, tag), call, decodeReceived<T>);
  }

  // ----------------------------------------------------------- probing

  /**
   * `MPI_Probe` (MPI-4.1 §3.8.1): waits until a message that a receive would
   * match has arrived, fills `status` with its envelope; resolves true.
   */
  async probe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<true> {
    const call = 'Comm.probe';
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) nullStatus(status);
    else status?.assign(await endpoint.probe(source, tag));
    return true;
  }

  /** `MPI_Iprobe` (MPI-4.1 §3.8.1): true, filling `status`, when a matching message is there. Never waits. */
  iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): boolean {
    const call = 'Comm.iprobe';
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
    return this.probe(source, tag, status);
  }

  /** `MPI_Iprobe` under its buffer-family name. */
  Iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): boolean {
    return this.iprobe(source, tag, status);
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
    return rejecting(() => completion(this.startBufferSend(buf, dest, tag, false, 'Comm.Send'), undefined, 'Comm.Send'));
  }

  /** `MPI_Ssend` of a buffer (MPI-4.1 §3.4): completes only once matched. */
  Ssend(buf: BufferSpec | null, dest: number, tag = 0): Promise<void> {
    return rejecting(() => completion(this.startBufferSend(buf, dest, tag, true, 'Comm.Ssend'), undefined, 'Comm.Ssend'));
  }

  /**
   * `MPI_Recv` into a buffer (MPI-4.1 §3.2.4). A message longer than the
   * buffer rejects with `ERR_TRUNCATE`; on shm it stays queued for a receive
   * that fits, under an MPI library it is consumed.
   *
   * @example
   * ```ts
   * const buf = new Float64Array(100); const status = new MPI.Status();
   * await comm.Recv(buf, MPI.ANY_SOURCE, MPI.ANY_TAG, status);
   * status.Get_count(MPI.DOUBLE);
   * ```
   */
  Recv(buf: BufferSpec | null, source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status): Promise<void> {
    return rejecting(() => {
      const op = this.startBufferRecv(buf, source, tag, 'Comm.Recv');
      if (op === donePending) {
        nullStatus(status);
        return RESOLVED;
      }
      return completion(op, status, 'Comm.Recv');
    });
  }

  /**
   * `MPI_Sendrecv` of buffers (MPI-4.1 §3.10).
   *
   * @example
   * ```ts
   * await comm.Sendrecv(mine, right, 0, theirs, left, 0);
   * ```
   */
  async Sendrecv(sendbuf: BufferSpec | null, dest: number, sendtag = 0, recvbuf?: BufferSpec | null,
    source: number = ANY_SOURCE, recvtag: number = ANY_TAG, status?: Status): Promise<void> {
    const receive = this.startBufferRecv(recvbuf, source, recvtag, 'Comm.Sendrecv');
    const send = this.startBufferSend(sendbuf, dest, sendtag, false, 'Comm.Sendrecv');
    if (receive === donePending) nullStatus(status);
    else await completion(receive, status, 'Comm.Sendrecv');
    await completion(send, undefined, 'Comm.Sendrecv');
  }

  /** `MPI_Sendrecv_replace` (MPI-4.1 §3.10): sends `buf` and receives into it. */
  async Sendrecv_replace(buf: BufferSpec, dest: number, sendtag = 0, source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG, status?: Status): Promise<void> {
    const message = parseBuffer(buf, 'Comm.Sendrecv_replace');
    const outgoing = message.bytes.slice();
    await this.Sendrecv(outgoing, dest, sendtag, buf, source, recvtag, status);
  }

  // ----------------------------------------------- buffers, nonblocking

  /** `MPI_Isend` of a buffer (MPI-4.1 §3.7.2): do not touch `buf` before the request completes. */
  Isend(buf: BufferSpec | null, dest: number, tag = 0): Request<void> {
    return new Request(this.startBufferSend(buf, dest, tag, false, 'Comm.Isend'), 'Comm.Isend');
  }

  /** `MPI_Issend` of a buffer (MPI-4.1 §3.7.2). */
  Issend(buf: BufferSpec | null, dest: number, tag = 0): Request<void> {
    return new Request(this.startBufferSend(buf, dest, tag, true, 'Comm.Issend'), 'Comm.Issend');
  }

  /** `MPI_Irecv` into a buffer (MPI-4.1 §3.7.2). */
  Irecv(buf: BufferSpec | null, source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<void> {
    const op = this.startBufferRecv(buf, source, tag, 'Comm.Irecv');
    return new Request(op === donePending ? undefined : op, 'Comm.Irecv');
  }

  // The buffer of a message to or from MPI.PROC_NULL is never read: it may be null, as in mpi4py.

  private startBufferSend(buf: BufferSpec | null, dest: number, tag: number, sync: boolean, call: string): Operation {
    const endpoint = this.endpoint(call);
    dest = this.checkDest(dest, call);
    tag = Comm.checkTag(tag, call, false);
    return dest === PROC_NULL ? donePending : endpoint.isend(bytesOfSpec(buf, call), dest, tag, sync);
  }

  private startBufferRecv(buf: BufferSpec | null | undefined, source: number, tag: number, call: string): Operation {
    const endpoint = this.endpoint(call);
    source = this.checkSource(source, call);
    tag = Comm.checkTag(tag, call, true);
    if (source === PROC_NULL) return donePending;
    if (buf === undefined || buf === null) throw errors.buffer(call, 'a receive buffer is required');
    const into = receiveOfSpec(buf, call);
    if (into instanceof PackedReceive) return new UnpackingOperation(endpoint.irecv(into.bytes, source, tag), into);
    return endpoint.irecv(into, source, tag);
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
   * elsewhere.
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

  toString(): string {
    return `<${this.constructor.name} ${this.name}>`;
  }
}

let parentOf: () => Intercomm | null = () => null;

/** Lets `MPI` answer `Comm.Get_parent` from the transport. */
export function setParentProvider(provider: () => Intercomm | null): void {
  parentOf = provider;
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
