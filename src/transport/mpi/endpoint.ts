/**
 * The point-to-point side of the `mpi` transport and its communicators: one
 * {@link MpiEndpoint} per MPI intracommunicator, one {@link MpiInterEndpoint}
 * per intercommunicator, and the {@link Operation}s they start.
 *
 * MPI-4.1 §3.4 (standard and synchronous sends), §3.7 (nonblocking
 * communication: MPI_Isend, MPI_Issend, MPI_Irecv, MPI_Test), §3.8.1
 * (MPI_Iprobe), §3.8.2 (matched receives: MPI_Improbe + MPI_Imrecv for messages
 * of unknown size), §3.11 (MPI_PROC_NULL), §7.3.2 (MPI_Group_translate_ranks),
 * §7.4.2 (MPI_Comm_dup, MPI_Comm_split, MPI_Comm_split_type with
 * MPI_COMM_TYPE_SHARED, MPI_Comm_create_group), §7.4.3
 * (MPI_Comm_free), §7.6 (intercommunicators: MPI_Intercomm_create,
 * MPI_Intercomm_merge), §11.8.2 (MPI_Comm_spawn), §11.8.3
 * (MPI_Comm_spawn_multiple), §11.9.2-3 (MPI_Comm_accept, MPI_Comm_connect).
 *
 * Matching is MPI's own, with one exception: a receive without a buffer (an
 * object message, size unknown) is not posted to MPI but probed for
 * (MPI_Improbe) until a message matches; among such receives of one
 * communicator a message goes to the earliest posted one that matches it,
 * as MPI would do. A buffer receive posted while such a receive that could
 * take the same message is still probing probes too, behind it, and copies
 * the message into its buffer: posted to MPI, it would take the message
 * first. A probe (`iprobe`, `probe`) lets the probing receives take their
 * messages before it looks, and never reports one that such a receive
 * matches: under MPI, a posted receive matches a message before any probe.
 *
 * Differences from the interface's wording: a truncated receive
 * (`ERR_TRUNCATE`) has consumed the message under MPI; it does not stay
 * unreceived. Processes outside COMM_WORLD (spawned jobs) get world-rank ids
 * from `worldSize` up, one per communicator and rank (MPI has no global
 * process name), so their groups compare equal only within one communicator.
 * Communicator creation is a blocking MPI call (split, createIntercomm and
 * spawn run a nonblocking barrier first, so that the event loop is free while
 * other ranks are late, and wait for large collectives called before them to
 * be handed to MPI: see `BlockingCalls` in context.ts).
 *
 * Messages over 2^31-1 bytes go as one MPI message (the binding uses a
 * derived datatype, or MPI-4's large-count calls where the library has them).
 *
 * Cancel (§3.8.4): a receive into a buffer is cancelled through MPI_Cancel
 * (native/surface.c); an object receive that has not matched is withdrawn
 * from the probing queue. Buffered, ready, persistent and partitioned modes
 * are built in the API layer over these sends and receives.
 *
 * Unfinished: Comm_connect / accept.
 *
 * @module
 */

import { type Bytes, bytesIn, copyBytes } from '../../buffer.js';
import { ErrorClass, errors } from '../../errors.js';
import { ANY_SOURCE, ANY_TAG, PROC_NULL, UNDEFINED } from '../../constants.js';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Endpoint, Envelope, FileHandle, FileOpenRequest, SpawnApp, InterEndpoint, Neighborhood, NeighborhoodSpec, Operation, PointToPoint, Window,
  WindowRequest,
} from '../transport.js';
import { blockingAllowed, MpiCollectives } from './collectives.js';
import { type MpiCommunicator, type MpiContext, RESOLVED, afterCaller } from './context.js';
import {
  asMPIError, mpiError, RC_DONE, RC_ERROR, ST_ERROR, ST_ID, ST_SOURCE, ST_TAG, statusBytes,
} from './native.js';
import { type PendingRequest, type Poller, spinFor, spinMicroseconds } from './progress.js';
import { openMpiFile } from './file.js';
import { createMpiWindow, type WindowRequestKind } from './window.js';

/** The API call of each window flavor, for error messages. */
const windowCall = { create: 'Win.Create', allocate: 'Win.Allocate', shared: 'Win.Allocate_shared',
  dynamic: 'Win.Create_dynamic' } as const;

function rankName(r: number): string {
  if (r === ANY_SOURCE) return 'ANY_SOURCE';
  if (r === PROC_NULL) return 'PROC_NULL';
  return String(r);
}

function tagName(t: number): string {
  return t === ANY_TAG ? 'ANY_TAG' : String(t);
}

/**
 * A send or a receive into a buffer: an MPI request. Completion reads the
 * status block; `wait()` spins briefly in C, then lets the progress engine
 * poll.
 */
class RequestOperation implements Operation, PendingRequest {
  envelope: Envelope | undefined = undefined;
  data: Uint8Array | undefined = undefined;
  error: Error | undefined = undefined;
  /** Set when {@link cancel} cancelled the receive (MPI_Cancel, MPI_Test_cancelled). */
  cancelled = false;
  /** Request id while pending, RC_DONE once complete. */
  id: number;
  /** Bytes moved, for the progress engine. */
  readonly bytes: number;
  private promise: Promise<void> | undefined = undefined;
  private resolve: (() => void) | undefined = undefined;

  constructor(
    private readonly ctx: MpiContext,
    rc: number,
    private readonly kind: 'Send' | 'Ssend' | 'Recv' | WindowRequestKind | 'File',
    private readonly peer: number,
    private readonly tag: number,
    private readonly byteLength: number,
    /** For a file access (kind 'File'): the API call and the C function. */
    private readonly file?: { readonly call: string; readonly cFunction: string },
  ) {
    this.bytes = byteLength;
    this.id = rc;
    if (rc === RC_DONE || rc === RC_ERROR) this.complete(rc === RC_ERROR);
  }

  test(): boolean {
    if (this.id < 0) return true;
    if (!this.ctx.native.test(this.id)) return false;
    this.ctx.progress.removeRequest(this.id);
    this.finish();
    return true;
  }

  wait(): Promise<void> {
    if (this.id < 0 || this.test()) return RESOLVED;
    if (this.promise !== undefined) return this.promise;
    this.promise = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    // The spin waits for the peer: it runs after the caller's synchronous code (a send after this receive, say).
    afterCaller(() => {
      if (this.id < 0) return;
      if (this.ctx.native.testSpin(this.id, spinFor(this.bytes))) this.finish();
      else this.ctx.progress.addRequest(this);
    });
    return this.promise;
  }

  /** Called once the binding has completed the request and written its status. */
  finish(): void {
    this.complete(this.ctx.status[ST_ERROR] !== 0);
    this.resolve?.();
  }

  /**
   * MPI-4.1 §3.8.4: a pending receive is cancelled through MPI (MPI_Cancel);
   * one that has matched completes as usual. Sends are not cancelled.
   */
  cancel(): boolean {
    if (this.kind !== 'Recv' || this.id < 0) return false;
    const id = this.id;
    let cancelled: boolean;
    try {
      cancelled = this.ctx.native.cancel(id);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, 'Request.Cancel', 'MPI_Cancel');
    }
    if (!cancelled) {
      this.test();
      return false;
    }
    this.ctx.progress.removeRequest(id);
    this.id = RC_DONE;
    this.cancelled = true;
    this.resolve?.();
    return true;
  }

  private complete(failed: boolean): void {
    this.id = RC_DONE;
    const st = this.ctx.status;
    if (failed) {
      const code = st[ST_ERROR]!;
      const cFunction = this.file?.cFunction ?? { Send: 'MPI_Isend', Ssend: 'MPI_Issend', Recv: 'MPI_Irecv', Rput: 'MPI_Rput',
        Rget: 'MPI_Rget', Raccumulate: 'MPI_Raccumulate', Rget_accumulate: 'MPI_Rget_accumulate', File: '' }[this.kind];
      const error = mpiError(this.ctx.native, code,
        this.file?.call ?? `${this.kind.startsWith('R') ? 'Win' : 'Comm'}.${this.kind}`, cFunction, this.describe());
      if (error.error_class === ErrorClass.ERR_TRUNCATE) {
        const [, text] = this.ctx.native.errorInfo(code);
        this.error = errors.truncate('Comm.Recv', rankName(st[ST_SOURCE]!), tagName(st[ST_TAG]!), this.byteLength,
          undefined, `${cFunction}: ${text}`);
        // Whose message it was, for a collective's check of a mismatch (collective/call.ts): MPI has consumed it.
        this.envelope = { source: st[ST_SOURCE]!, tag: st[ST_TAG]!, byteLength: statusBytes(st) };
      } else {
        this.error = error;
      }
    } else if (this.kind === 'Recv') {
      this.envelope = { source: st[ST_SOURCE]!, tag: st[ST_TAG]!, byteLength: statusBytes(st) };
    } else if (this.kind === 'File') {
      this.envelope = { source: ANY_SOURCE, tag: ANY_TAG, byteLength: statusBytes(st) };
    }
  }

  describe(): string {
    if (this.file !== undefined) return `${this.file.call}(${this.byteLength} bytes)`;
    if (this.kind === 'Recv') return `Recv(source=${rankName(this.peer)}, tag=${tagName(this.tag)}, into ${this.byteLength} bytes)`;
    if (this.kind.startsWith('R')) return `Win.${this.kind}(target=${this.peer}, ${this.byteLength} bytes)`;
    return `${this.kind}(dest=${rankName(this.peer)}, tag=${this.tag}, ${this.byteLength} bytes)`;
  }
}

/**
 * A receive without a buffer: probes (MPI_Improbe) until a message matches,
 * then receives it (MPI_Imrecv) into a fresh buffer of its size. With a
 * buffer (`into`), a receive that waits its turn behind probing ones (see
 * the module's note): the message is then copied into it.
 */
class ObjectReceive implements Operation, PendingRequest, Poller {
  envelope: Envelope | undefined = undefined;
  data: Bytes | undefined = undefined;
  error: Error | undefined = undefined;
  /** Set when {@link cancel} withdrew it before any message matched. */
  cancelled = false;
  /** 'probing': not matched yet; 'receiving': matched, request `id` pending; 'done'. */
  state: 'probing' | 'receiving' | 'done' = 'probing';
  id = RC_DONE;
  /** Bytes being received, once matched (for the progress engine). */
  get bytes(): number {
    return this.data?.byteLength ?? 0;
  }
  private promise: Promise<void> | undefined = undefined;
  private resolve: (() => void) | undefined = undefined;

  constructor(private readonly endpoint: MpiPointToPoint, readonly source: number, readonly tag: number,
    private readonly into?: Bytes) {}

  private get ctx(): MpiContext {
    return this.endpoint.ctx;
  }

  /** Matched, and the receive is pending. (A getter, so that narrowing does not stick across calls.) */
  get receiving(): boolean {
    return this.state === 'receiving';
  }

  /** Complete. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** The API call it serves, which its errors name: a value receive, or a buffer receive behind probing ones. */
  get call(): string {
    return this.into === undefined ? 'Comm.recv' : 'Comm.Recv';
  }

  /** Whether a message with this envelope matches this receive. */
  matches(source: number, tag: number): boolean {
    return (this.source === ANY_SOURCE || this.source === source) && (this.tag === ANY_TAG || this.tag === tag);
  }

  /** Whether some message could match both this receive and one of `source` and `tag` (wildcards allowed). */
  overlaps(source: number, tag: number): boolean {
    return (this.source === ANY_SOURCE || source === ANY_SOURCE || this.source === source)
      && (this.tag === ANY_TAG || tag === ANY_TAG || this.tag === tag);
  }

  /** Takes a message matched by MPI_Improbe (status block filled, receive started). */
  accept(data: Bytes): void {
    // Matched: no longer a candidate for other messages, although its receive may still be under way.
    this.endpoint.dequeue(this);
    const st = this.ctx.status;
    this.data = data;
    this.envelope = { source: st[ST_SOURCE]!, tag: st[ST_TAG]!, byteLength: data.byteLength };
    const rc = st[ST_ID]!;
    if (rc === RC_DONE) {
      this.settle();
    } else if (rc === RC_ERROR) {
      this.error = mpiError(this.ctx.native, st[ST_ERROR]!, this.call, 'MPI_Imrecv', this.describe());
      this.settle();
    } else {
      this.state = 'receiving';
      this.id = rc;
      if (this.promise !== undefined) this.ctx.progress.addRequest(this);
    }
  }

  /** MPI-4.1 §3.8.4: still probing (nothing matched), it is withdrawn and completes as cancelled. */
  cancel(): boolean {
    if (this.state !== 'probing') return false;
    this.cancelled = true;
    this.settle();
    return true;
  }

  /** Completes with an error. */
  fail(error: Error): void {
    this.error = error;
    this.settle();
  }

  private settle(): void {
    if (this.into !== undefined && this.data !== undefined) this.deliver(this.into, this.data);
    this.state = 'done';
    this.id = RC_DONE;
    this.endpoint.dequeue(this);
    this.ctx.progress.removePoller(this);
    this.resolve?.();
  }

  /**
   * A buffer receive's message, into its buffer: as much as fits, and
   * `ERR_TRUNCATE` if it did not all fit (MPI too consumes the message and
   * keeps what fits).
   */
  private deliver(into: Bytes, data: Bytes): void {
    this.data = undefined;
    if (this.error !== undefined) return;
    const stored = Math.min(into.byteLength, data.byteLength);
    copyBytes(into, 0, data, 0, stored);
    if (data.byteLength > into.byteLength) {
      this.error = errors.truncate(this.call, rankName(this.envelope!.source), tagName(this.envelope!.tag), into.byteLength,
        data.byteLength);
    }
  }

  /** One probing attempt for the receives of this endpoint, in posting order; true when this one is done. */
  poll(): boolean {
    if (this.state === 'probing') this.endpoint.probeFor(this);
    return this.state !== 'probing'; // matched: done, or now a pending request of the engine
  }

  test(): boolean {
    if (this.state === 'probing') this.endpoint.probeFor(this);
    if (this.receiving) {
      if (!this.ctx.native.test(this.id)) return false;
      this.ctx.progress.removeRequest(this.id);
      this.finish();
    }
    return this.done;
  }

  wait(): Promise<void> {
    if (this.state === 'done' || this.test()) return RESOLVED;
    if (this.promise !== undefined) return this.promise;
    this.promise = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    // The spins wait for the peer: they run after the caller's synchronous code (a send after this receive, say).
    afterCaller(() => {
      if (this.state === 'probing') {
        // Spins on MPI_Improbe in C; a match hands the receive to the engine (accept).
        this.endpoint.probeFor(this, spinMicroseconds);
        if (this.state === 'probing') this.ctx.progress.addPoller(this);
      } else if (this.receiving) {
        // Matched meanwhile by another receive's probe, accept() has handed the receive to the engine: take it back.
        this.ctx.progress.removeRequest(this.id);
        if (this.ctx.native.testSpin(this.id, spinFor(this.bytes))) this.finish();
        else this.ctx.progress.addRequest(this);
      }
    });
    return this.promise;
  }

  finish(): void {
    const st = this.ctx.status;
    if (st[ST_ERROR] !== 0) this.error = mpiError(this.ctx.native, st[ST_ERROR]!, this.call, 'MPI_Imrecv', this.describe());
    this.settle();
  }

  describe(): string {
    const what = this.into === undefined ? 'object of unknown size' : `into ${this.into.byteLength} bytes`;
    return `Recv(source=${rankName(this.source)}, tag=${tagName(this.tag)}, ${what})`;
  }
}

/**
 * Ids for processes outside this COMM_WORLD (spawned children, or the parent
 * job), which MPI names only relative to a communicator: `worldSize + n`,
 * one per (communicator, rank). The same process reached through two
 * communicators gets two ids, so groups of such processes compare equal only
 * through the same communicator.
 */
const foreignIds = new Map<string, number>();

function foreignId(ctx: MpiContext, handle: number, rank: number): number {
  const key = `${handle}:${rank}`;
  let id = foreignIds.get(key);
  if (id === undefined) {
    id = ctx.worldSize + foreignIds.size;
    foreignIds.set(key, id);
  }
  return id;
}

/**
 * Point-to-point over one MPI communicator, intra or inter: MPI matches, on
 * the communicator's own context.
 */
export class MpiPointToPoint implements MpiCommunicator {
  readonly rank: number;
  readonly size: number;
  readonly remoteSize: number;
  /** MPI reads the caller's buffer until the send completes: nothing is copied. */
  readonly sendCopyLimit = 0;
  protected freed = false;
  /** Further communicators that go when this one is freed (duplicates for channels): see {@link retire}. */
  protected readonly owned: MpiPointToPoint[] = [];
  private worldRanks: Int32Array | undefined = undefined;
  private remoteRanks: Int32Array | undefined = undefined;
  /** Receives probing for a message (object receives, and buffer receives behind them), in posting order. */
  private readonly probing: ObjectReceive[] = [];
  /** Collectives called and not settled yet ({@link keepFor}): MPI_Comm_free waits for them. */
  private kept = 0;
  /** Owned, its owner freed while collectives were kept on it: it is freed itself once they are over ({@link retire}). */
  private retiring = false;

  /**
   * @param ctx - the transport's binding, progress engine and status block
   * @param handle - the binding's communicator handle (0 WORLD, 1 SELF)
   * @param name - for messages: `'COMM_WORLD'`, `'split of COMM_WORLD'`, ...
   * @param inter - an intercommunicator: `dest` and `source` are remote ranks
   */
  constructor(readonly ctx: MpiContext, readonly handle: number, readonly name: string, readonly inter: boolean) {
    [this.rank, this.size] = ctx.native.commRankSize(handle);
    this.remoteSize = inter ? ctx.native.commRemoteSize(handle) : this.size;
  }

  /** Throws if the communicator has been freed; `call` is the API call. */
  check(call: string): void {
    if (this.freed) throw errors.freedComm(call, this.name);
  }
  isend(data: Bytes, dest: number, tag: number, sync: boolean): Operation {
    const call = sync ? 'Comm.Ssend' : 'Comm.Send';
    this.check(call);
    let rc: number;
    try {
      rc = data instanceof Uint8Array ? this.ctx.native.isend(this.handle, data, dest, tag, sync ? 1 : 0)
        : this.ctx.native.isend(this.handle, data.covering(), dest, tag, sync ? 1 : 0, data.byteLength);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, call, sync ? 'MPI_Issend' : 'MPI_Isend');
    }
    return new RequestOperation(this.ctx, rc, sync ? 'Ssend' : 'Send', dest, tag, data.byteLength);
  }

  irecv(into: Bytes | undefined, source: number, tag: number): Operation {
    this.check(into === undefined ? 'Comm.recv' : 'Comm.Recv');
    // Posted to MPI, a buffer receive would match a message before a probing receive posted earlier could.
    if (into === undefined || this.probing.some((r) => r.overlaps(source, tag))) {
      const op = new ObjectReceive(this, source, tag, into);
      this.probing.push(op);
      this.probeFor(op);
      // Keep probing while this rank waits on anything else: a large send to
      // a peer that is itself sending to us completes only once we match it.
      // Not waited for, the receive does not keep the process alive (wait() makes it).
      if (op.state === 'probing') this.ctx.progress.addPoller(op, true);
      return op;
    }
    let rc: number;
    try {
      rc = into instanceof Uint8Array ? this.ctx.native.irecv(this.handle, into, source, tag)
        : this.ctx.native.irecv(this.handle, into.covering(), source, tag, into.byteLength);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, 'Comm.Recv', 'MPI_Irecv');
    }
    return new RequestOperation(this.ctx, rc, 'Recv', source, tag, into.byteLength);
  }

  /**
   * Tries to match a message for `op` (MPI_Improbe with its source and tag,
   * repeated in C for up to `microseconds`).
   * A message matched this way goes to the earliest still-probing receive it
   * matches, which is `op` unless an earlier one also matches it; in that case
   * `op` tries again.
   */
  probeFor(op: ObjectReceive, microseconds = 0): void {
    const native = this.ctx.native;
    const st = this.ctx.status;
    for (let guard = 0; op.state === 'probing' && guard < 1000; guard++) {
      let received: Uint8Array | Float64Array | undefined;
      try {
        received = native.imrecv(this.handle, op.source, op.tag, microseconds);
      } catch (e) {
        op.fail(asMPIError(native, e, op.call, 'MPI_Improbe'));
        return;
      }
      if (received === undefined) return;
      // Past 2^32 bytes the message comes in whole float64 words; the status has its length.
      const data = received instanceof Uint8Array ? received : bytesIn(received.buffer, 0, statusBytes(st));
      if (st[ST_ID] === RC_ERROR) {
        // MPI_Improbe or MPI_Imrecv failed: the envelope is not trustworthy, so the error is op's.
        op.accept(data);
        return;
      }
      const source = st[ST_SOURCE]!;
      const tag = st[ST_TAG]!;
      const owner = this.probing.find((r) => r.matches(source, tag)) ?? op;
      owner.accept(data);
    }
  }

  /** Removes a receive from the probing queue once it has matched (or is cancelled or failed). */
  dequeue(op: ObjectReceive): void {
    const i = this.probing.indexOf(op);
    if (i < 0) return;
    this.probing.splice(i, 1);
    this.freeHandleIfIdle();
  }

  keepFor(work: Promise<unknown>): void {
    this.kept++;
    work.then(this.release, this.release);
  }

  /** The end of one {@link keepFor} (a field, so that each call does not make a closure). */
  private readonly release = (): void => {
    this.kept--;
    this.freeHandleIfIdle();
  };

  /** After Free (or {@link retire}): frees the MPI handle once the last operation that still uses it has settled. */
  private freeHandleIfIdle(): void {
    if (this.probing.length > 0 || this.kept > 0) return;
    try {
      if (this.retiring) this.free();
      else if (this.freed) this.freeHandle();
    } catch {
      // Comm.Free has returned long ago: a failure to free the handle now has no caller to tell.
    }
  }

  iprobe(source: number, tag: number): Envelope | undefined {
    this.check('Comm.iprobe');
    let found: boolean;
    do {
      try {
        found = this.ctx.native.iprobe(this.handle, source, tag);
      } catch (e) {
        throw asMPIError(this.ctx.native, e, 'Comm.iprobe', 'MPI_Iprobe');
      }
    } while (found && this.takenByProbing());
    if (!found) return undefined;
    const st = this.ctx.status;
    return { source: st[ST_SOURCE]!, tag: st[ST_TAG]!, byteLength: statusBytes(st) };
  }

  /**
   * After a probe found a message (its envelope in the status block): true
   * when a probing receive matches it, which then had its turn to take
   * messages (the caller probes again); false when none does, the status
   * block untouched. Under MPI that receive, posted earlier, would have taken
   * the message before any probe saw it.
   */
  private takenByProbing(): boolean {
    if (this.probing.length === 0) return false;
    const st = this.ctx.status;
    const source = st[ST_SOURCE]!;
    const tag = st[ST_TAG]!;
    if (!this.probing.some((r) => r.matches(source, tag))) return false;
    for (const op of [...this.probing]) this.probeFor(op);
    return true;
  }

  probe(source: number, tag: number): Promise<Envelope> {
    this.check('Comm.probe');
    const native = this.ctx.native;
    const st = this.ctx.status;
    const envelope = (): Envelope => ({ source: st[ST_SOURCE]!, tag: st[ST_TAG]!, byteLength: statusBytes(st) });
    try {
      if (native.iprobe(this.handle, source, tag) && !this.takenByProbing()) return Promise.resolve(envelope());
    } catch (e) {
      return Promise.reject(asMPIError(native, e, 'Comm.probe', 'MPI_Iprobe'));
    }
    return new Promise<Envelope>((resolve, reject) => {
      /** One MPI_Iprobe (spinning in C for `micros`); true once the probe has settled. */
      const attempt = (micros: number): boolean => {
        try {
          if (!native.iprobe(this.handle, source, tag, micros) || this.takenByProbing()) return false;
          resolve(envelope());
        } catch (e) {
          reject(asMPIError(native, e, 'Comm.probe', 'MPI_Iprobe'));
        }
        return true;
      };
      // The spin waits for the sender: it runs after the caller's synchronous code.
      afterCaller(() => {
        if (attempt(spinMicroseconds)) return;
        this.ctx.progress.addPoller({
          poll: () => attempt(0),
          describe: () => `Probe(source=${rankName(source)}, tag=${tagName(tag)}) on ${this.name}`,
        });
      });
    });
  }

  worldRankOf(rank: number): number {
    this.worldRanks ??= this.ctx.native.commWorldRanks(this.handle);
    const r = this.worldRanks[rank];
    if (r === undefined) {
      throw errors.rank('Comm.Get_group', rank, this.size);
    }
    return r >= 0 ? r : foreignId(this.ctx, this.handle, rank);
  }

  remoteWorldRankOf(rank: number): number {
    if (!this.inter) return this.worldRankOf(rank);
    this.remoteRanks ??= this.ctx.native.commRemoteWorldRanks(this.handle);
    const r = this.remoteRanks[rank];
    if (r === undefined) {
      throw errors.rank('Intercomm.Get_remote_group', rank, this.remoteSize, 'remote rank');
    }
    return r >= 0 ? r : foreignId(this.ctx, this.handle, -1 - rank);
  }

  free(): void {
    if (this.freed) return;
    if (this.handle <= 1) throw errors.predefinedComm('Comm.Free', this.name);
    this.freed = true;
    // What is pending on a freed communicator completes normally (MPI-4.1 §7.4.3). MPI sees to its own
    // point-to-point requests, but a value receive still probing does its part with MPI_Improbe on this handle, a
    // collective may not be handed to MPI yet (a vote, or the ones before it), and Open MPI's libnbc crashes in a
    // pending nonblocking collective whose communicator was freed: the handle goes with the last of them
    // (dequeue, keepFor).
    if (this.probing.length === 0 && this.kept === 0) this.freeHandle();
    for (const other of this.owned) other.retire();
  }

  /**
   * Frees a communicator of the library's own (a channel) with the one that
   * owns it. The collectives called before that Free still send and receive
   * on it ({@link keepFor}): it stays open for them until they are over.
   */
  private retire(): void {
    if (this.kept === 0) this.free();
    else this.retiring = true;
  }

  private freeHandle(): void {
    try {
      this.ctx.native.commFree(this.handle);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, 'Comm.Free', 'MPI_Comm_free');
    }
  }

  /** MPI_Comm_dup of this communicator (blocking; collective over it). */
  duplicateHandle(): number {
    try {
      return this.ctx.native.commDup(this.handle);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, 'Comm.Dup', 'MPI_Comm_dup');
    }
  }
}

/**
 * The transport side of one MPI intracommunicator. Each one owns two more MPI
 * communicators, duplicates: its collectives' {@link Collectives.channel} (the
 * context the object collectives use) and {@link auxiliary} (the library's
 * own protocols), so that neither ever matches the user's messages.
 */
export class MpiEndpoint extends MpiPointToPoint implements Endpoint {
  readonly collectives: MpiCollectives;
  readonly auxiliary: MpiEndpoint;

  /**
   * An endpoint with its channel and auxiliary duplicates (MPI_Comm_dup is
   * collective: every member creates its endpoint at the same point).
   */
  static create(ctx: MpiContext, handle: number, name: string): MpiEndpoint {
    const bare = new MpiEndpoint(ctx, handle, name, undefined, undefined, false);
    const channel = new MpiEndpoint(ctx, bare.duplicateHandle(), `${name} (collective channel)`, undefined, undefined,
      false);
    const auxiliary = new MpiEndpoint(ctx, bare.duplicateHandle(), `${name} (auxiliary)`, undefined, undefined, false);
    let mayBlock: boolean;
    try {
      mayBlock = blockingAllowed(ctx.native, handle);
    } catch (e) {
      throw asMPIError(ctx.native, e, 'Comm.Dup', 'MPI_Allreduce');
    }
    return new MpiEndpoint(ctx, handle, name, channel, auxiliary, mayBlock);
  }

  /**
   * `channel` and `auxiliary` undefined: this endpoint serves as both (for the
   * duplicates themselves). `mayBlock`: see {@link MpiCollectives}.
   */
  private constructor(ctx: MpiContext, handle: number, name: string, channel: MpiEndpoint | undefined,
    auxiliary: MpiEndpoint | undefined, mayBlock: boolean) {
    super(ctx, handle, name, false);
    this.collectives = new MpiCollectives(ctx, this, channel ?? this, mayBlock);
    this.auxiliary = auxiliary ?? this;
    if (channel !== undefined) this.owned.push(channel);
    if (auxiliary !== undefined) this.owned.push(auxiliary);
  }

  /**
   * A blocking MPI communicator constructor: after a nonblocking barrier, and
   * after the collectives called before it that may block (see
   * `BlockingCalls` (context.ts)); MPI's errors become MPIErrors naming `call`.
   */
  private constructBlocking(call: string, cFunction: string, construct: () => number): Promise<number> {
    return this.ctx.blocking.construct(() => this.collectives.barrier(), () => {
      try {
        return construct();
      } catch (e) {
        throw asMPIError(this.ctx.native, e, call, cFunction);
      }
    });
  }

  async split(color: number, key: number): Promise<Endpoint | undefined> {
    this.check('Comm.Split');
    // MPI_Comm_split blocks; a nonblocking barrier first keeps the event loop
    // free while other ranks are late, so the split itself only waits briefly.
    const handle = await this.constructBlocking('Comm.Split', 'MPI_Comm_split',
      () => this.ctx.native.commSplit(this.handle, color, key));
    return handle < 0 ? undefined : MpiEndpoint.create(this.ctx, handle, `split of ${this.name}`);
  }

  /** A request-based one-sided call's operation (`window.ts`), tracked as point-to-point requests are. */
  windowRequest(rc: number, kind: WindowRequestKind, target: number, bytes: number): Operation {
    return new RequestOperation(this.ctx, rc, kind, target, 0, bytes);
  }

  /** A nonblocking file access's operation (`file.ts`), completed by the progress engine. */
  fileRequest(rc: number, call: string, cFunction: string, bytes: number): Operation {
    return new RequestOperation(this.ctx, rc, 'File', 0, 0, bytes, { call, cFunction });
  }

  /** A file opened by the MPI library on this endpoint's ranks (`file.ts`). */
  openFile(request: FileOpenRequest): Promise<FileHandle> {
    this.check('File.Open');
    return openMpiFile(this, request, 'File.Open');
  }

  /** A window over this endpoint's ranks (`window.ts`). */
  createWindow(request: WindowRequest): Promise<Window> {
    this.check('Win.Create');
    return createMpiWindow(this, request, windowCall[request.flavor]);
  }

  /**
   * MPI_Comm_split_type(MPI_COMM_TYPE_SHARED): one communicator per group of
   * ranks that MPI says can share memory, ordered by `key` then rank.
   */
  async splitShared(key: number): Promise<Endpoint> {
    this.check('Comm.Split_type');
    const handle = await this.constructBlocking('Comm.Split_type', 'MPI_Comm_split_type',
      () => this.ctx.native.commSplitShared(this.handle, key));
    return MpiEndpoint.create(this.ctx, handle, `shared-memory split of ${this.name}`);
  }

  async createGroup(members: readonly number[], tag: number): Promise<Endpoint> {
    this.check('Comm.Create_group');
    let handle: number;
    try {
      handle = this.ctx.native.commCreateGroup(this.handle, Int32Array.from(members), tag);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, 'Comm.Create_group', 'MPI_Comm_create_group');
    }
    return MpiEndpoint.create(this.ctx, handle, `group of ${this.name}`);
  }

  async createIntercomm(localLeader: number, peer: PointToPoint, remoteLeader: number,
    tag: number): Promise<InterEndpoint> {
    const call = 'Comm.Create_intercomm';
    this.check(call);
    if (this.rank === localLeader && !(peer instanceof MpiPointToPoint)) {
      throw errors.comm(call, 'the peer communicator is not one of the mpi transport');
    }
    const peerHandle = peer instanceof MpiPointToPoint ? peer.handle : null;
    const handle = await this.constructBlocking(call, 'MPI_Intercomm_create',
      () => this.ctx.native.intercommCreate(this.handle, localLeader, peerHandle, remoteLeader, tag));
    return MpiInterEndpoint.create(this.ctx, handle, `intercommunicator of ${this.name}`, this);
  }

  /**
   * MPI's own topology communicator over all ranks of this one (native/topo.c:
   * `MPI_Cart_create` or `MPI_Dist_graph_create_adjacent`, never reordered),
   * on which the neighbourhood collectives run as `MPI_Ineighbor_alltoallv`.
   */
  async neighborhood(topology: NeighborhoodSpec): Promise<Neighborhood> {
    const cart = topology.kind === 'cart';
    const call = cart ? 'Comm.Create_cart' : 'Comm.Create_dist_graph';
    this.check(call);
    const native = this.ctx.native;
    const handle = await this.constructBlocking(call, cart ? 'MPI_Cart_create' : 'MPI_Dist_graph_create_adjacent',
      () => (topology.kind === 'cart'
        ? native.topoCart(this.handle, Int32Array.from(topology.dims), Int32Array.from(topology.periods, Number))
        : native.topoDistGraph(this.handle, Int32Array.from(topology.sources), Int32Array.from(topology.destinations))));
    const bare = new MpiEndpoint(this.ctx, handle, `${topology.kind} topology of ${this.name}`, undefined, undefined, false);
    const collectives = bare.collectives;
    return {
      alltoallv: (send, sendCounts, sendDispls, recv, recvCounts, recvDispls) =>
        collectives.neighborAlltoallv('Comm.Neighbor_alltoallv', send, sendCounts, sendDispls, recv, recvCounts, recvDispls),
      free: () => bare.free(),
    };
  }

  /**
   * Starts `maxprocs` ranks of `node` running the script `command` through
   * the mpi4ts launcher (which runs the script in-process as a rank and loads
   * TypeScript itself), with this process's Node options, in its working
   * directory. MPI_Comm_spawn blocks until they have all started (about a
   * second), so the event loop waits meanwhile. Only the root's command,
   * arguments and maxprocs count (MPI-4.1 §11.8.2).
   */
  async spawn(command: string, args: readonly string[], maxprocs: number, root: number): Promise<InterEndpoint> {
    const call = 'Comm.Spawn';
    this.check(call);
    // From now on ranks may wait for the children, which the deadlock watch cannot see.
    this.ctx.progress.watch?.stop();
    const argv = this.rank === root ? [...process.execArgv, LAUNCHER, resolve(command), ...args] : [];
    const handle = await this.constructBlocking(call, 'MPI_Comm_spawn', () => this.ctx.native.commSpawn(this.handle, process.execPath,
      argv, this.rank === root ? maxprocs : 1, root, process.cwd()));
    return MpiInterEndpoint.create(this.ctx, handle, `spawn of ${this.name}`, this);
  }

  /** MPI_Comm_spawn_multiple of the mpi4ts launcher, once per program (native/ports.c); as {@link spawn}. */
  async spawnMultiple(apps: readonly SpawnApp[], root: number): Promise<InterEndpoint> {
    const call = 'Comm.Spawn_multiple';
    this.check(call);
    this.ctx.progress.watch?.stop();
    const mine = this.rank === root ? apps : [{ command: '', args: [], maxprocs: 1 }];
    const argvs = mine.map((app) => (this.rank === root ? [...process.execArgv, LAUNCHER, resolve(app.command), ...app.args] : []));
    const handle = await this.constructBlocking(call, 'MPI_Comm_spawn_multiple', () => this.ctx.native.commSpawnMultiple(this.handle,
      process.execPath, argvs, mine.map((app) => app.maxprocs), root, process.cwd()));
    return MpiInterEndpoint.create(this.ctx, handle, `spawn of ${this.name}`, this);
  }

  /** MPI_Comm_accept after a nonblocking barrier over this group; it blocks until a group connects. */
  accept(port: string, root: number): Promise<InterEndpoint> {
    return this.acceptOrConnect(port, root, true);
  }

  /** MPI_Comm_connect after a nonblocking barrier over this group. */
  connect(port: string, root: number): Promise<InterEndpoint> {
    return this.acceptOrConnect(port, root, false);
  }

  private async acceptOrConnect(port: string, root: number, accept: boolean): Promise<InterEndpoint> {
    const call = accept ? 'Comm.Accept' : 'Comm.Connect';
    this.check(call);
    // From now on ranks may wait for another group, which the deadlock watch cannot see.
    this.ctx.progress.watch?.stop();
    const handle = await this.constructBlocking(call, accept ? 'MPI_Comm_accept' : 'MPI_Comm_connect',
      () => this.ctx.native.commAcceptConnect(this.handle, this.rank === root ? port : '', root, accept));
    return MpiInterEndpoint.create(this.ctx, handle, `${accept ? 'accept' : 'connect'} of ${this.name}`, this);
  }
}

/** The mpi4ts launcher, which spawned ranks start with (it loads TypeScript and runs the script as a rank). */
const LAUNCHER = fileURLToPath(new URL('../../../bin/mpi4ts.js', import.meta.url));

/**
 * The transport side of an MPI intercommunicator (MPI-4.1 §7.6): point-to-point
 * addresses the remote group; {@link channel} (a duplicate) and
 * {@link localChannel} (a duplicate of the local group) carry the
 * intercommunicator collectives that the collective layer builds.
 */
export class MpiInterEndpoint extends MpiPointToPoint implements InterEndpoint {
  readonly channel: MpiPointToPoint;
  readonly localChannel: MpiPointToPoint;

  /**
   * The intercommunicator `handle` and its channel (MPI_Comm_dup, collective
   * over both groups); `ownsLocal`: `local` was made for it and goes with it.
   */
  static create(ctx: MpiContext, handle: number, name: string, local: MpiEndpoint, ownsLocal = false): MpiInterEndpoint {
    return new MpiInterEndpoint(ctx, handle, name, local, ownsLocal);
  }

  /**
   * @param local - the local group as an intracommunicator: the one it was made
   *   from (not freed with it), or one of its own (`ownsLocal`)
   */
  private constructor(ctx: MpiContext, handle: number, name: string, readonly local: MpiEndpoint, ownsLocal: boolean) {
    super(ctx, handle, name, true);
    this.channel = new MpiPointToPoint(ctx, this.duplicateHandle(), `${name} (channel)`, true);
    // A duplicate of the local group (collective over it, as making this intercommunicator is).
    this.localChannel = new MpiPointToPoint(ctx, local.duplicateHandle(), `${name} (local channel)`, false);
    this.owned.push(this.channel, this.localChannel);
    if (ownsLocal) this.owned.push(local);
  }

  async merge(high: boolean): Promise<Endpoint> {
    const call = 'Intercomm.Merge';
    this.check(call);
    let handle: number;
    try {
      handle = this.ctx.native.intercommMerge(this.handle, high ? 1 : 0);
    } catch (e) {
      throw asMPIError(this.ctx.native, e, call, 'MPI_Intercomm_merge');
    }
    return MpiEndpoint.create(this.ctx, handle, `merge of ${this.name}`);
  }

  /**
   * MPI_Comm_dup of the intercommunicator. Its local group is a duplicate of
   * {@link localChannel}, not of {@link local}: the communicator this one was
   * made from may have been freed since, and its handle reused.
   */
  async dup(): Promise<InterEndpoint> {
    this.check('Intercomm.Dup');
    const local = MpiEndpoint.create(this.ctx, this.localChannel.duplicateHandle(), `local group of dup of ${this.name}`);
    return MpiInterEndpoint.create(this.ctx, this.duplicateHandle(), `dup of ${this.name}`, local, true);
  }

  /**
   * MPI_Comm_split of the intercommunicator, after a nonblocking barrier over
   * both groups, as an intracommunicator's split. The new local group gets an
   * intracommunicator of its own, the same split of {@link localChannel} (this
   * one's local group in its rank order), so that nothing depends on the
   * communicator this one was made from, which the user may have freed.
   */
  async split(color: number, key: number): Promise<InterEndpoint | undefined> {
    const call = 'Intercomm.Split';
    this.check(call);
    const native = this.ctx.native;
    const across = new MpiCollectives(this.ctx, this.channel, this.channel, false);
    const [handle, localHandle] = await this.ctx.blocking.construct(() => across.barrier(), () => {
      let inter = -1;
      try {
        inter = native.commSplit(this.handle, color, key);
        // Ranks that get no intercommunicator take no part in the local group's.
        return [inter, native.commSplit(this.localChannel.handle, inter < 0 ? UNDEFINED : color, key)] as const;
      } catch (e) {
        if (inter >= 0) native.commFree(inter);
        throw asMPIError(native, e, call, 'MPI_Comm_split');
      }
    });
    if (handle < 0) return undefined;
    const local = MpiEndpoint.create(this.ctx, localHandle, `local group of split of ${this.name}`);
    return MpiInterEndpoint.create(this.ctx, handle, `split of ${this.name}`, local, true);
  }

  /**
   * MPI_Comm_disconnect: after a nonblocking barrier over both groups (the
   * event loop runs while the other group is late), so that the blocking call
   * only waits for the messages in flight. Its channels are freed first.
   */
  async disconnect(): Promise<void> {
    const call = 'Intercomm.Disconnect';
    this.check(call);
    const barrier = new MpiCollectives(this.ctx, this.channel, this.channel, false);
    await this.ctx.blocking.construct(() => barrier.barrier(), () => {
      this.freed = true;
      try {
        for (const other of this.owned) other.free();
        this.ctx.native.commDisconnect(this.handle);
      } catch (e) {
        throw asMPIError(this.ctx.native, e, call, 'MPI_Comm_disconnect');
      }
    });
  }
}
