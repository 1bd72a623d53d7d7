/**
 * Matched probes: `Comm.Mprobe` / `Improbe` and the `Message` they return.
 *
 * MPI-4.1 §3.8.2 (matching probe: `MPI_Mprobe`, `MPI_Improbe`,
 * `MPI_MESSAGE_NULL`, `MPI_MESSAGE_NO_PROC`), §3.8.3 (matched receives:
 * `MPI_Mrecv`, `MPI_Imrecv`).
 *
 * A matched probe takes the message out of matching at once: no later
 * receive or probe sees it, only the `Message`. Both transports do that the
 * same way: the probe is followed, in the same turn of the event loop, by a
 * receive without a buffer on the probed source and tag, which is the same
 * message (MPI's non-overtaking rule: it is the first from that source that
 * matches); the `Message` then holds that receive. `Recv`/`Irecv` copy the
 * message into the caller's buffer (a buffer too small rejects with
 * `ERR_TRUNCATE`; the message is consumed, as with `MPI_Mrecv`), `recv`/`irecv`
 * decode it.
 *
 * A failed matched receive goes through the error handler of the
 * communicator that probed the message (MPI-4.1 §9.3), as that
 * communicator's own receives do; `MPI.MESSAGE_NULL` and
 * `MPI.MESSAGE_NO_PROC` have none.
 *
 * Unfinished: the message is copied once more than a plain receive's (into the
 * receive's own memory, then into the caller's buffer).
 *
 * @module
 */

import { type BufferSpec, type Bytes, copyBytes, PackedReceive, receiveOfSpec } from '../buffer.js';
import { decode } from '../codec/index.js';
import { ANY_TAG, PROC_NULL } from '../constants.js';
import { errors, rejecting } from '../errors.js';
import { type ErrhandlerOwner, raisedByHandler } from './errhandler.js';
import { Request } from './request.js';
import type { Status } from './status.js';
import type { Envelope, Operation } from '../transport/transport.js';

/**
 * What a `Message` is made of: the receive that took the message and the
 * communicator that probed it, or nothing (null or no-proc messages).
 */
type Source = { readonly op: Operation; readonly envelope: Envelope; readonly owner: ErrhandlerOwner } | 'null' | 'noproc';

const NO_PROC_ENVELOPE: Envelope = { source: PROC_NULL, tag: ANY_TAG, byteLength: 0 };

/**
 * A received message copied into a buffer (for a non-contiguous derived
 * datatype, into packed bytes then unpacked into the user's layout):
 * completes with its receive, fails when the buffer is too small.
 */
class CopyOperation implements Operation {
  private copied = false;
  error: Error | undefined = undefined;
  readonly data: undefined = undefined;
  private readonly into: Bytes;

  constructor(private readonly receive: Operation, private readonly target: Bytes | PackedReceive,
    private readonly call: string) {
    this.into = target instanceof PackedReceive ? target.bytes : target;
  }

  /** The matched message's envelope, also when it did not fit (a truncated receive's status has it). */
  get envelope(): Envelope | undefined {
    return this.receive.envelope;
  }

  private copy(): void {
    if (this.copied) return;
    this.copied = true;
    const op = this.receive;
    if (op.error !== undefined) {
      this.error = op.error;
      return;
    }
    const data = op.data!;
    const stored = Math.min(data.byteLength, this.into.byteLength);
    copyBytes(this.into, 0, data, 0, stored);
    if (this.target instanceof PackedReceive) this.target.unpack(stored);
    if (data.byteLength > stored) {
      const env = op.envelope!;
      this.error = errors.truncate(this.call, env.source, env.tag, stored, data.byteLength);
    }
  }

  test(): boolean {
    if (!this.receive.test()) return false;
    this.copy();
    return true;
  }

  wait(): Promise<void> {
    if (this.test()) return Promise.resolve();
    return this.receive.wait().then(() => this.copy());
  }

  describe(): string {
    return `matched receive: ${this.receive.describe()}`;
  }
}

/**
 * A message taken out of matching by a matched probe (MPI-4.1 §3.8.2):
 * receive it once, with `Recv`/`Irecv` into a buffer or `recv`/`irecv` as a
 * value. After that it is `MPI.MESSAGE_NULL`-like: a second receive throws
 * `ERR_REQUEST`.
 *
 * @example
 * ```ts
 * const status = new MPI.Status();
 * const message = await comm.Mprobe(MPI.ANY_SOURCE, 3, status);
 * const buf = new Float64Array(status.Get_count(MPI.DOUBLE));
 * await message.Recv(buf);
 * ```
 */
export class Message {
  private source: Source;

  /** @internal Made by `Comm.Mprobe` and friends; `MPI.MESSAGE_NULL` and `MPI.MESSAGE_NO_PROC` otherwise. */
  constructor(source: Source) {
    this.source = source;
  }

  /** False for `MPI.MESSAGE_NULL` and for a message already received (mpi4py's `bool(message)`). */
  get isLive(): boolean {
    return this.source !== 'null';
  }

  /** Takes the message for one receive; a null (or already received) message throws `ERR_REQUEST`. */
  private take(call: string): Exclude<Source, 'null'> {
    const source = this.source;
    if (source === 'null') throw errors.request(call, 'the message is MPI.MESSAGE_NULL (already received, or none)');
    if (this !== MESSAGE_NO_PROC) this.source = 'null';
    return source;
  }

  /**
   * `MPI_Mrecv` (MPI-4.1 §3.8.3) into a buffer; fills `status`.
   *
   * @example
   * ```ts
   * const message = await comm.Mprobe(0, 1);
   * await message.Recv(buf);
   * ```
   */
  Recv(buf: BufferSpec | null, status?: Status): Promise<void> {
    return rejecting(() => this.receiveInto(buf, 'Message.Recv').Wait(status));
  }

  /** `MPI_Imrecv` (MPI-4.1 §3.8.3) into a buffer: a request. */
  Irecv(buf: BufferSpec | null): Request<void> {
    return this.receiveInto(buf, 'Message.Irecv');
  }

  /** The receive of {@link Recv} and {@link Irecv} into `buf`, whose errors name `call`. */
  private receiveInto(buf: BufferSpec | null, call: string): Request<void> {
    const source = this.take(call);
    if (source === 'noproc') return new Request<void>(undefined, call);
    try {
      if (buf === null || buf === undefined) throw errors.buffer(call, 'a receive buffer is required');
      return new Request<void>(new CopyOperation(source.op, receiveOfSpec(buf, call), call), call, undefined, source.owner);
    } catch (error) {
      throw source.owner[raisedByHandler](error);
    }
  }

  /** `MPI_Mrecv` of a value (MPI-4.1 §3.8.3): resolves with it; undefined for `MPI.MESSAGE_NO_PROC`. */
  recv<T = unknown>(status?: Status): Promise<T> {
    return rejecting(() => this.receiveValue<T>('Message.recv').wait(status));
  }

  /** `MPI_Imrecv` of a value (MPI-4.1 §3.8.3): `await req.wait()` gives it. */
  irecv<T = unknown>(): Request<T> {
    return this.receiveValue<T>('Message.irecv');
  }

  /** The receive of {@link recv} and {@link irecv}, whose errors name `call`. */
  private receiveValue<T>(call: string): Request<T> {
    const source = this.take(call);
    if (source === 'noproc') return new Request<T>(undefined, call);
    return new Request<T>(source.op, call, (op) => decode(op.data!, call) as T, source.owner);
  }

  /** The envelope of the probed message (what the probe's status said). */
  get envelope(): Envelope {
    const source = this.source;
    if (source === 'null') return { source: PROC_NULL, tag: ANY_TAG, byteLength: 0 };
    return source === 'noproc' ? NO_PROC_ENVELOPE : source.envelope;
  }

  /** mpi4py's `Message.Probe(comm, ...)`: the same as `comm.Mprobe(...)`. */
  static Probe(comm: MatchedProber, source?: number, tag?: number, status?: Status): Promise<Message> {
    return comm.Mprobe(source, tag, status);
  }

  /** mpi4py's `Message.Iprobe(comm, ...)`: the same as `comm.Improbe(...)`. */
  static Iprobe(comm: MatchedProber, source?: number, tag?: number, status?: Status): Message | null {
    return comm.Improbe(source, tag, status);
  }

  /** mpi4py's `Message.probe(comm, ...)`: the same as `comm.mprobe(...)`. */
  static probe(comm: MatchedProber, source?: number, tag?: number, status?: Status): Promise<Message> {
    return comm.mprobe(source, tag, status);
  }

  /** mpi4py's `Message.iprobe(comm, ...)`: the same as `comm.improbe(...)`. */
  static iprobe(comm: MatchedProber, source?: number, tag?: number, status?: Status): Message | null {
    return comm.improbe(source, tag, status);
  }
}

/** What `Message.Probe` and friends need of a communicator. */
export interface MatchedProber {
  Mprobe(source?: number, tag?: number, status?: Status): Promise<Message>;
  Improbe(source?: number, tag?: number, status?: Status): Message | null;
  mprobe(source?: number, tag?: number, status?: Status): Promise<Message>;
  improbe(source?: number, tag?: number, status?: Status): Message | null;
}

/** `MPI.MESSAGE_NULL` (MPI-4.1 §3.8.2): no message; receiving it throws `ERR_REQUEST`. */
export const MESSAGE_NULL = new Message('null');
/** `MPI.MESSAGE_NO_PROC` (MPI-4.1 §3.8.2): what a matched probe of `MPI.PROC_NULL` returns; receiving it completes at once. */
export const MESSAGE_NO_PROC = new Message('noproc');

/** A message matched by a probe of `owner`: `op` is the receive that took it. */
export function matchedMessage(op: Operation, envelope: Envelope, owner: ErrhandlerOwner): Message {
  return new Message({ op, envelope, owner });
}
