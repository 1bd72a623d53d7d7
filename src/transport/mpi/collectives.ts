/**
 * The collectives of the `mpi` transport: MPI's own algorithms, waited for
 * without blocking Node's event loop while other ranks are late.
 *
 * MPI-4.1 §6.3 (barrier), §6.4 (broadcast), §6.5 (Gather, Gatherv), §6.6
 * (Scatter, Scatterv), §6.7 (Allgather, Allgatherv), §6.8 (Alltoall,
 * Alltoallv), §6.9 (Reduce, predefined ops §6.9.2, MINLOC/MAXLOC §6.9.4,
 * user-defined ops §6.9.5), §6.9.6 (Allreduce), §6.10 (Reduce_scatter),
 * §6.11 (Scan, Exscan), §6.12
 * (nonblocking collectives, and the rule that every rank makes its
 * collective calls on a communicator, blocking or not, in the same order).
 *
 * Data movement uses MPI_BYTE with the byte counts the API layer computed;
 * equal blocks go through MPI's uniform calls (`MPI_Igather`, ...), which
 * take no count lists ({@link MpiCollectives.gatherv}).
 * Reductions map the datatype by name (`Datatype.name`, such as
 * `'MPI_DOUBLE'`; a derived one, which only a user op's reduction passes, to
 * an MPI type of its packed element, `datatypes.ts`) and a predefined op by
 * name (`'MPI_SUM'`); any other op is
 * a user op, created once per {@link Op} with MPI_Op_create. Its JS function
 * (`Op.applyBuffer`) runs on the main thread, synchronously, inside the MPI
 * call that progresses the reduction (`MPI_Test`, or the blocking call), with
 * views of MPI's own buffers that are detached when it returns. It must not
 * call MPI (such a call throws). MPI runs it only on the ranks that combine
 * data, so after a user-op collective the ranks agree on whether it threw
 * anywhere (a small Iallreduce): if it did, the collective rejects on every
 * rank, with the op's own error where it was thrown.
 *
 * Most collectives are their I-form, waited for through the progress engine.
 * The I-forms of Open MPI 4.1 (libnbc) are slower than its blocking
 * collectives (coll/tuned) for Allreduce, Reduce, Allgather(v) and
 * Reduce_scatter of some size, even in C, while Bcast, Gatherv, Alltoall and
 * Scan gain nothing from the blocking call. So those four, from a
 * payload of 64 KiB (Reduce, Allgatherv) or 128 KiB (Allreduce,
 * Reduce_scatter) on, first vote: an MPI_Iallreduce MIN of one int, waited
 * for like any I-form, in which each rank says 1 when no other blocking call
 * of its own is in flight (`BlockingCalls`, context.ts). All 1: every rank has
 * arrived, and MPI's blocking call follows, which blocks the event loop only
 * for the collective's own run. Otherwise the I-form. Below those sizes the
 * vote costs about what the blocking call saves; above them it brings
 * Allreduce of 1M doubles to the time of C's MPI_Allreduce (BENCHMARKS.md).
 * Not on a node with more ranks than cores (see {@link blockingAllowed}), and
 * not for the nonblocking API calls either: this transport is not told which
 * kind of call it serves, so `Iallreduce` of a large payload also votes and
 * then blocks the event loop for the collective's run once every rank is
 * there.
 *
 * Which op goes with which datatype is the library's call, and may differ from
 * the shm transport: Open MPI 4.1 rejects BAND on MPI_DOUBLE and SUM on
 * MPI_C_BOOL (`ERR_OP`) but allows SUM on MPI_BYTE and MPI_CHAR.
 *
 * Over 2^31-1 bytes: MPI's counts and displacements are C ints, so
 * {@link MpiCollectives.maxCallBytes} tells the callers the most one call
 * may move or address ({@link MAX_CALL_BYTES}): they split longer
 * collectives into rounds (`collective/segmented.ts`), and the v-forms and
 * neighbourhood collectives, whose blocks no rank knows all of, never come
 * here (they move point to point on the channel, `blockPath` in
 * `api/arguments.ts`). A value past the limit reaching this module is a bug
 * (ERR_INTERN), never a wrapped C int. Bcast alone also splits itself (pieces
 * of 1 GiB, one Ibcast each).
 *
 * Unfinished: intercommunicator collectives, neighbourhood collectives,
 * persistent collectives; keeping the I-forms for the nonblocking API calls
 * (the {@link Collectives} interface would need to say which kind of call it
 * is); MPI-4's large-count calls (`MPI_Gatherv_c` ...), which Open MPI 4.1
 * lacks, in place of rounds.
 *
 * @module
 */

import { packedBlocks, typedView, unpackBlocks } from '../../buffer.js';
import { type Datatype, datatypes, type TypedArray } from '../../datatype/index.js';
import { errors } from '../../errors.js';
import { Op } from '../../op/op.js';
import type { Collectives } from '../transport.js';
import { type MpiCommunicator, type MpiContext, RESOLVED, afterCaller } from './context.js';
import { nativeDatatypes } from './datatypes.js';
import { asMPIError, mpiError, type NativeMPI, type NativeUserOp, RC_DONE, RC_ERROR, ST_ERROR } from './native.js';
import { envNumber, oversubscribed, type PendingRequest, spinMicroseconds } from './progress.js';

const datatypeByName = new Map<string, Datatype>(Object.values(datatypes).map((d) => [d.name, d]));
let datatypeIndexByName: Map<string, number> | undefined;

/**
 * The binding's index of a datatype, checking that MPI lays it out as mpi4ts
 * does; for a derived one (a user op's reduction), of its packed element.
 */
function datatypeIndex(native: NativeMPI, datatype: Datatype, call: string): number {
  if (datatype.code === 0) return native.datatypeNames.length + nativeDatatypes(native).packedElement(datatype, call);
  datatypeIndexByName ??= new Map(native.datatypeNames.map((n, i) => [n, i]));
  const i = datatypeIndexByName.get(datatype.name);
  if (i === undefined) throw errors.type(call, `${datatype.name} has no MPI counterpart`);
  if (native.datatypeExtents[i] !== datatype.size) {
    throw errors.type(call, `${datatype.name} is ${native.datatypeExtents[i]} bytes in this MPI library but ${datatype.size} in mpi4ts`);
  }
  return i;
}

let opIndexByName: Map<string, number> | undefined;
const userOps = new WeakMap<Op, number>();
const freeUserOps = new FinalizationRegistry<{ native: NativeMPI; index: number }>(({ native, index }) => {
  try {
    native.opFree(index);
  } catch {
    // MPI finalized or the slot is gone: nothing left to free.
  }
});

/** The binding's index of an op: a predefined one by name, else a user op (created once). */
function opIndex(native: NativeMPI, op: Op, call: string): { index: number; user: boolean } {
  opIndexByName ??= new Map(native.opNames.map((n, i) => [n, i]));
  const predefined = opIndexByName.get(op.name);
  if (predefined !== undefined) return { index: predefined, user: false };
  let index = userOps.get(op);
  if (index === undefined) {
    const fn: NativeUserOp = (invec, inoutvec, len, dtIndex) => {
      const names = native.datatypeNames;
      const datatype = dtIndex < names.length ? datatypeByName.get(names[dtIndex] ?? '')
        : nativeDatatypes(native).packedDatatype(dtIndex - names.length);
      if (datatype === undefined) throw errors.type(call, `user op ${op.name} called on ${names[dtIndex] ?? `datatype #${dtIndex}`}`);
      const view = (ab: ArrayBuffer): TypedArray => typedView(new Uint8Array(ab, 0, len * datatype.size), datatype.arrayType);
      op.applyBuffer(view(invec), view(inoutvec), len, datatype);
    };
    try {
      index = native.opCreate(fn, op.commute);
    } catch (e) {
      throw asMPIError(native, e, call, 'MPI_Op_create');
    }
    userOps.set(op, index);
    freeUserOps.register(op, { native, index });
  }
  return { index, user: true };
}

/**
 * A user op in a pending collective: its binding index, and the Op and the
 * datatype, held so that neither can be collected (and its MPI op or packed
 * element type freed) meanwhile.
 */
interface UserOpUse {
  readonly index: number;
  readonly op: Op;
  readonly datatype: Datatype;
}

/** MPI_MAX by name, for the agreement after user ops; MPI_MIN for the vote of a blocking call. */
const maxOp = new Op('MPI_MAX', true, () => undefined, () => undefined);
const minOp = new Op('MPI_MIN', true, () => undefined, () => undefined);

const INT_MAX = 2 ** 31 - 1;

/**
 * The most bytes one collective call of this transport moves or addresses
 * (each count, displacement and the data of a rank): 2^31-1, MPI's counts
 * being C ints. Test hook, read once at load: `MPI4TS_TEST_MAX_CALL_BYTES`
 * (a positive integer, the same on every rank) lowers it, so that tests take
 * the rounds of calls past it with kilobytes. Not for production use.
 */
export const MAX_CALL_BYTES = Math.min(INT_MAX, Math.floor(envNumber('MPI4TS_TEST_MAX_CALL_BYTES', INT_MAX)) || INT_MAX);

/** The MPI function behind the API call `call` (`Comm.Allreduce`: `MPI_Allreduce`), for error messages. */
const cFunctionOf = (call: string): string => call.replace(/^Comm\./, 'MPI_');
/** Bytes of one Ibcast of a broadcast over 2^31-1 bytes (or over the lowered {@link MAX_CALL_BYTES}). */
const BCAST_PIECE = Math.min(2 ** 30, MAX_CALL_BYTES);

/**
 * Throws ERR_INTERN when `bytes` pass {@link MAX_CALL_BYTES}: the callers
 * keep to it, so this is a bug, reported instead of a wrapped C int that
 * would move other bytes than the caller's.
 */
function fits(call: string, bytes: number): number {
  if (bytes > MAX_CALL_BYTES) {
    throw errors.intern(call, `a count or displacement of ${bytes} bytes reached MPI, past the ${MAX_CALL_BYTES} of one call`);
  }
  return bytes;
}

/** `list` (byte counts or displacements) as C ints, or null; see {@link fits}. */
function cInts(call: string, list: readonly number[] | undefined): Int32Array | null {
  if (list === undefined) return null;
  const out = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = fits(call, list[i]!);
  return out;
}
const sum = (list: readonly number[]): number => list.reduce((a, b) => a + b, 0);

/** True when every count of `counts` is the first (a call of equal blocks: see {@link MpiCollectives.gatherv}). */
function equalBlocks(counts: readonly number[]): boolean {
  for (let i = 1; i < counts.length; i++) if (counts[i] !== counts[0]) return false;
  return true;
}

/** The rejection of a uniform call whose `block` passes {@link MAX_CALL_BYTES} ({@link fits}); undefined when it does not. */
function blockPastLimit(call: string, block: number): Promise<void> | undefined {
  try {
    fits(call, block);
    return undefined;
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * `done`, then the blocks of `packed` (MPI's uniform calls take blocks end
 * to end: `packedBlocks` of a receive buffer whose blocks lie elsewhere)
 * copied back to byte offsets `displs` of `bytes`; `done` where nothing was
 * packed.
 */
function thenUnpacked(done: Promise<void>, packed: Uint8Array | undefined, bytes: Uint8Array, displs: readonly number[],
  block: number): Promise<void> {
  return packed === undefined ? done : done.then(() => unpackBlocks(packed, bytes, displs, block));
}

/**
 * Payload (bytes reduced or gathered, the same number on every rank) from which
 * a collective runs as MPI's blocking call once every rank has voted for it;
 * `MPI4TS_BLOCKING_BYTES` sets all four (and lifts the rule on oversubscribed
 * nodes, see {@link blockingAllowed}). Chosen with Open MPI 4.1 at 2 ranks
 * (see the module comment): below these, the vote costs about what the
 * blocking call saves. Bcast, Gatherv, Scatterv, Alltoallv and Scan gain
 * nothing from the blocking call and always use the I-form.
 */
const override = envNumber('MPI4TS_BLOCKING_BYTES', -1);
const blockingFrom = {
  allreduce: override >= 0 ? override : 128 * 1024,
  reduce: override >= 0 ? override : 64 * 1024,
  allgatherv: override >= 0 ? override : 64 * 1024,
  reduceScatter: override >= 0 ? override : 128 * 1024,
} as const;

/**
 * Whether the collectives of a new communicator may run as MPI's blocking
 * calls: not when any of its ranks runs on a node with more ranks than cores
 * (there the vote and the blocking call took longer than the I-forms, whose
 * waits yield the core; in C the blocking calls gained nothing there
 * either). The ranks
 * agree with a blocking MPI_Allreduce (MIN of one int), so every rank of
 * `handle` must call this at the same point: where the communicator is made.
 */
export function blockingAllowed(native: NativeMPI, handle: number): boolean {
  const call = 'Comm.Dup';
  const flag = Int32Array.of(oversubscribed && override < 0 ? 0 : 1);
  const rc = native.allreduce(handle, null, flag, 1, datatypeIndex(native, datatypes.INT, call), opIndex(native, minOp, call).index);
  if (rc === RC_ERROR) throw mpiError(native, native.statusBuffer[ST_ERROR]!, call, 'MPI_Allreduce');
  return flag[0] === 1;
}

/**
 * A barrier made of MPI's blocking MPI_Allreduce (MIN of one int) on
 * `handle`, for start-up work that cannot wait on Promises.
 */
export function blockingBarrier(native: NativeMPI, handle: number, call: string): void {
  const rc = native.allreduce(handle, null, new Int32Array(1), 1, datatypeIndex(native, datatypes.INT, call), opIndex(native, minOp, call).index);
  if (rc === RC_ERROR) throw mpiError(native, native.statusBuffer[ST_ERROR]!, call, 'MPI_Allreduce');
}

/** How a collective is handed to MPI: settles once it has been, and its completion. */
interface Issued {
  readonly issued?: Promise<void>;
  readonly done: Promise<void>;
}

/** The collectives over one MPI communicator. */
/**
 * A started collective that did not complete at once, until it does. A
 * class, not an object of closures: the bundle keeps function names
 * (`keepNames`), which costs a named closure an `Object.defineProperty` each
 * time one is made.
 */
class PendingCollective implements PendingRequest {
  constructor(
    readonly id: number,
    readonly bytes: number,
    private readonly ctx: MpiContext,
    private readonly call: string,
    private readonly on: MpiCommunicator,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  finish(): void {
    const { native, status } = this.ctx;
    if (status[ST_ERROR] === 0) this.resolve();
    else this.reject(mpiError(native, status[ST_ERROR]!, this.call, cFunctionOf(this.call)));
  }

  describe(): string {
    return `${this.call.replace(/^Comm\./, '')} on ${this.on.name}`;
  }
}

export class MpiCollectives implements Collectives {
  /**
   * @param endpoint - the communicator the collectives run on
   * @param channel - its duplicate, for the object collectives' point-to-point
   * @param mayBlock - large collectives may run as MPI's blocking calls
   *   ({@link blockingAllowed}); false: always the I-forms
   */
  constructor(private readonly ctx: MpiContext, private readonly endpoint: MpiCommunicator, readonly channel: MpiCommunicator,
    private readonly mayBlock: boolean) {}

  /** MPI's counts are C ints: see {@link MAX_CALL_BYTES}. */
  readonly maxCallBytes = MAX_CALL_BYTES;

  /** Agreements of user-op collectives, chained in the order the collectives were started. */
  private agreements: Promise<unknown> = RESOLVED;

  /**
   * Settles once every collective called so far on this communicator has been
   * handed to MPI; undefined when they all have. A collective that votes is
   * handed over only after the vote, and the ones called after it wait, so
   * that every rank makes its MPI calls on the communicator in the order of
   * the API calls (MPI-4.1 §6.12: blocking and nonblocking collectives alike).
   */
  private unissued: Promise<void> | undefined = undefined;

  /**
   * Runs a collective: its I-form `start`, waited for through the progress
   * engine; or, given `blocking` (MPI's blocking call, for a payload at its
   * threshold), the vote and then `blocking` or `start`. `bytes`: about how
   * many this rank moves, which keeps the progress engine awake meanwhile.
   */
  private run(call: string, bytes: number, start: (comm: number) => number, userOp?: UserOpUse,
    blocking?: (comm: number) => number): Promise<void> {
    if (!this.mayBlock) blocking = undefined;
    try {
      this.endpoint.check(call);
    } catch (e) {
      return Promise.reject(e);
    }
    const done = blocking === undefined && this.unissued === undefined
      ? this.start(this.endpoint, call, bytes, start)
      : this.sequenced(call, bytes, start, blocking);
    if (userOp === undefined) {
      if (done !== RESOLVED) this.endpoint.keepFor(done);
      return done;
    }
    const agreed = this.agree(call, done, userOp);
    // A Free called meanwhile frees the handles once the collective, and its agreement on the channel, are over.
    this.endpoint.keepFor(agreed);
    this.channel.keepFor(agreed);
    return agreed;
  }

  /**
   * Hands a collective to MPI (with `blocking`, the vote) now, or once the
   * ones called before it have been. (Not inlined into {@link run}: closures
   * there would cost every small collective an allocation.)
   */
  private sequenced(call: string, bytes: number, start: (comm: number) => number,
    blocking: ((comm: number) => number) | undefined): Promise<void> {
    const before = this.unissued;
    if (before === undefined) {
      const { issued, done } = this.issue(call, bytes, start, blocking);
      if (issued !== undefined) this.track(issued);
      return done;
    }
    // A closure only here: the bundle gives a named one an Object.defineProperty of its name each time it is made.
    const next = before.then(() => this.issue(call, bytes, start, blocking));
    this.track(next.then((i) => i.issued));
    return next.then((i) => i.done);
  }

  /** Hands a collective to MPI ({@link sequenced}), with the vote of {@link voted} when `blocking` is given. */
  private issue(call: string, bytes: number, start: (comm: number) => number,
    blocking: ((comm: number) => number) | undefined): Issued {
    return blocking === undefined ? { done: this.start(this.endpoint, call, bytes, start) } : this.voted(call, bytes, start, blocking);
  }

  /** Makes `issued` the latest collective of this communicator not handed to MPI yet. */
  private track(issued: Promise<void>): void {
    const mark: Promise<void> = issued.then(() => {
      if (this.unissued === mark) this.unissued = undefined;
    });
    this.unissued = mark;
  }

  /**
   * A collective large enough for MPI's blocking call: every rank votes (an
   * MPI_Iallreduce MIN of one int on this communicator, waited for without
   * blocking the event loop) 1 if no other blocking call is in flight here
   * (`BlockingCalls`, context.ts). All 1: every rank has arrived, and the blocking
   * call only blocks the event loop for the collective's own run. Else the
   * I-form.
   */
  private voted(call: string, bytes: number, start: (comm: number) => number,
    blocking: (comm: number) => number): Issued {
    const { native, blocking: calls } = this.ctx;
    const leave = calls.enterCollective();
    const vote = Int32Array.of(calls.alone ? 1 : 0);
    const decided = this.start(this.endpoint, call, 4, (c) => native.iallreduce(c, null, vote, 1,
      datatypeIndex(native, datatypes.INT, call), opIndex(native, minOp, call).index));
    const make = (): Promise<void> => {
      try {
        return this.start(this.endpoint, call, bytes, vote[0] === 1 ? blocking : start);
      } finally {
        leave();
      }
    };
    // Voted within the spin (every rank was there): the call follows at once.
    if (decided === RESOLVED) return { done: make() };
    const made = decided.then(() => ({ done: make() }), (e: unknown) => {
      leave();
      return { done: Promise.reject(e) };
    });
    return { issued: made.then(() => undefined), done: made.then((m) => m.done) };
  }

  /** `bytes`: about how many this rank moves, which keeps the progress engine awake meanwhile. */
  private start(on: MpiCommunicator, call: string, bytes: number, start: (comm: number) => number): Promise<void> {
    const { native, status, progress } = this.ctx;
    let rc: number;
    try {
      // Not on.check: a collective called before a Free is handed to MPI even after it ({@link run} checked).
      rc = start(on.handle);
    } catch (e) {
      return Promise.reject(asMPIError(native, e, call, cFunctionOf(call)));
    }
    if (rc === RC_ERROR) return Promise.reject(mpiError(native, status[ST_ERROR]!, call, cFunctionOf(call)));
    if (rc === RC_DONE || native.test(rc)) {
      return status[ST_ERROR] === 0 ? RESOLVED : Promise.reject(mpiError(native, status[ST_ERROR]!, call, cFunctionOf(call)));
    }
    return new Promise<void>((resolve, reject) => {
      const request = new PendingCollective(rc, bytes, this.ctx, call, on, resolve, reject);
      // The spin waits for the other ranks: it runs after the caller's synchronous code.
      afterCaller(() => {
        if (native.testSpin(rc, spinMicroseconds)) request.finish();
        else progress.addRequest(request);
      });
    });
  }

  /**
   * A user op that throws fails only where MPI ran it, so once the collective
   * completes the ranks agree (an Iallreduce MAX of "failed rank + 1" on the
   * duplicate communicator) and all reject together: this rank with the op's
   * own error, the others with an MPIError naming that rank. Agreements are
   * chained in start order, which is the same on every rank.
   */
  private agree(call: string, done: Promise<void>, userOp: UserOpUse): Promise<void> {
    const { native } = this.ctx;
    const settled = done.then(() => undefined, (e: unknown) => e);
    const agreed = this.agreements.then(async () => {
      const mpiFailure = await settled;
      const thrown = native.opTakeError(userOp.index);
      const flag = Int32Array.of(thrown === undefined ? 0 : this.endpoint.rank + 1);
      const worst = new Int32Array(1);
      await this.start(this.channel, call, 4, (c) => native.iallreduce(c, flag, worst, 1, datatypeIndex(native, datatypes.INT, call),
        opIndex(native, maxOp, call).index));
      if (thrown !== undefined) throw thrown instanceof Error ? thrown : new Error(String(thrown));
      if (worst[0] !== 0) {
        throw errors.other(call, `the user-defined op ${userOp.op.name} threw on rank ${worst[0]! - 1}, so the result is undefined`);
      }
      if (mpiFailure !== undefined) throw mpiFailure;
    });
    this.agreements = agreed.catch(() => undefined);
    return agreed;
  }

  barrier(): Promise<void> {
    return this.run('Comm.Barrier', 0, (c) => this.ctx.native.ibarrier(c));
  }

  bcast(buf: Uint8Array, root: number): Promise<void> {
    if (buf.byteLength <= BCAST_PIECE) return this.run('Comm.Bcast', buf.byteLength, (c) => this.ctx.native.ibcast(c, buf, root));
    // Over 2^31-1 bytes, one Ibcast per piece, all started in this call so that every rank
    // starts them in the same order among its other collectives (MPICH 4.0.2 fails an
    // MPI_Ibcast_c, or an MPI_Ibcast of a derived datatype, of that size).
    const pieces: Promise<void>[] = [];
    for (let at = 0; at < buf.byteLength; at += BCAST_PIECE) {
      const piece = buf.subarray(at, Math.min(at + BCAST_PIECE, buf.byteLength));
      pieces.push(this.run('Comm.Bcast', piece.byteLength, (c) => this.ctx.native.ibcast(c, piece, root)));
    }
    return Promise.all(pieces).then(() => undefined);
  }

  /**
   * Equal blocks go through MPI's uniform call (`MPI_Igather`: libnbc's
   * v-forms take count lists, which cost a copy into C ints and a napi view
   * of each per call): where `counts` are given and all equal, which the
   * root's always are in a uniform call and the other ranks' are given for
   * one only (the API's uniform calls; rounds past the call limit cut the
   * blocks into uneven pieces, and the v-forms go point to point, see
   * `blockPath` in `api/arguments.ts`). `scatterv`, `allgatherv` and
   * `alltoallv` likewise.
   */
  gatherv(send: Uint8Array | undefined, recv: Uint8Array | undefined, counts: readonly number[] | undefined,
    displs: readonly number[] | undefined, root: number): Promise<void> {
    if (counts !== undefined && equalBlocks(counts)) return this.gather(send, recv, counts[0] ?? 0, displs, root);
    const call = 'Comm.Gatherv';
    let c32: Int32Array | null;
    let d32: Int32Array | null;
    try {
      c32 = cInts(call, counts);
      d32 = cInts(call, displs);
      fits(call, send?.byteLength ?? 0);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.run(call, (recv ?? send)?.byteLength ?? 0,
      (c) => this.ctx.native.igatherv(c, send ?? null, recv ?? null, c32, d32, root));
  }

  /** Equal blocks through `MPI_Iscatter`: see {@link gatherv}. */
  scatterv(send: Uint8Array | undefined, counts: readonly number[] | undefined, displs: readonly number[] | undefined,
    recv: Uint8Array | undefined, root: number): Promise<void> {
    if (counts !== undefined && equalBlocks(counts)) return this.scatter(send, counts[0] ?? 0, displs, recv, root);
    const call = 'Comm.Scatterv';
    let c32: Int32Array | null;
    let d32: Int32Array | null;
    try {
      c32 = cInts(call, counts);
      d32 = cInts(call, displs);
      fits(call, recv?.byteLength ?? 0);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.run(call, (send ?? recv)?.byteLength ?? 0,
      (c) => this.ctx.native.iscatterv(c, send ?? null, recv ?? null, c32, d32, root));
  }

  /** Equal blocks (every rank's counts are the same) through `MPI_Iallgather`: see {@link gatherv}. */
  allgatherv(send: Uint8Array | undefined, recv: Uint8Array, counts: readonly number[],
    displs: readonly number[]): Promise<void> {
    if (equalBlocks(counts)) return this.allgather(send, recv, counts[0] ?? 0, displs);
    const call = 'Comm.Allgatherv';
    const native = this.ctx.native;
    let c32: Int32Array;
    let d32: Int32Array;
    try {
      c32 = cInts(call, counts)!;
      d32 = cInts(call, displs)!;
      fits(call, send?.byteLength ?? 0);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.run(call, recv.byteLength, (c) => native.iallgatherv(c, send ?? null, recv, c32, d32), undefined,
      sum(counts) >= blockingFrom.allgatherv ? (c) => native.allgatherv(c, send ?? null, recv, c32, d32) : undefined);
  }

  /** Equal blocks, the same sent as received, through `MPI_Ialltoall`: see {@link gatherv}. */
  alltoallv(send: Uint8Array | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void> {
    if (equalBlocks(recvCounts) && (send === undefined || (equalBlocks(sendCounts) && sendCounts[0] === recvCounts[0]))) {
      return this.alltoall(send, sendDispls, recv, recvCounts[0] ?? 0, recvDispls);
    }
    return this.alltoallvOn('Comm.Alltoallv', send, sendCounts, sendDispls, recv, recvCounts, recvDispls, false);
  }

  /** `MPI_Igather` of `block`-byte blocks; `recv` and `displs` at the root only. */
  private gather(send: Uint8Array | undefined, recv: Uint8Array | undefined, block: number, displs: readonly number[] | undefined,
    root: number): Promise<void> {
    const call = 'Comm.Gather';
    const tooLong = blockPastLimit(call, block);
    if (tooLong !== undefined) return tooLong;
    const packed = recv === undefined ? undefined : packedBlocks(recv, displs!, block);
    const into = packed ?? recv;
    const done = this.run(call, (recv ?? send)?.byteLength ?? 0,
      (c) => this.ctx.native.igather(c, send ?? null, into ?? null, block, root));
    return thenUnpacked(done, packed, recv!, displs!, block);
  }

  /** `MPI_Iscatter` of `block`-byte blocks; `send` and `displs` at the root only. */
  private scatter(send: Uint8Array | undefined, block: number, displs: readonly number[] | undefined,
    recv: Uint8Array | undefined, root: number): Promise<void> {
    const call = 'Comm.Scatter';
    const tooLong = blockPastLimit(call, block);
    if (tooLong !== undefined) return tooLong;
    const from = send === undefined ? null : packedBlocks(send, displs!, block) ?? send;
    return this.run(call, (send ?? recv)?.byteLength ?? 0, (c) => this.ctx.native.iscatter(c, from, recv ?? null, block, root));
  }

  /** `MPI_Iallgather` of `block`-byte blocks (MPI's blocking call past the vote's threshold, as `allgatherv`). */
  private allgather(send: Uint8Array | undefined, recv: Uint8Array, block: number, displs: readonly number[]): Promise<void> {
    const call = 'Comm.Allgather';
    const native = this.ctx.native;
    const tooLong = blockPastLimit(call, block);
    if (tooLong !== undefined) return tooLong;
    // In place, this rank's own block is in `recv` at its displacement: the copy takes it along.
    const packed = packedBlocks(recv, displs, block);
    const into = packed ?? recv;
    const total = block * displs.length;
    return thenUnpacked(this.run(call, total, (c) => native.iallgather(c, send ?? null, into, block), undefined,
      total >= blockingFrom.allgatherv ? (c) => native.allgather(c, send ?? null, into, block) : undefined), packed, recv, displs, block);
  }

  /** `MPI_Ialltoall` of `block`-byte blocks; `send` undefined: in place, the data in `recv`. */
  private alltoall(send: Uint8Array | undefined, sendDispls: readonly number[], recv: Uint8Array, block: number,
    recvDispls: readonly number[]): Promise<void> {
    const call = 'Comm.Alltoall';
    const tooLong = blockPastLimit(call, block);
    if (tooLong !== undefined) return tooLong;
    // In place, MPI reads the blocks from the receive buffer: the copy, if any, takes them along.
    const from = send === undefined ? null : packedBlocks(send, sendDispls, block) ?? send;
    const packed = packedBlocks(recv, recvDispls, block);
    const into = packed ?? recv;
    return thenUnpacked(this.run(call, block * recvDispls.length, (c) => this.ctx.native.ialltoall(c, from, into, block)), packed,
      recv, recvDispls, block);
  }

  /** `MPI_Ineighbor_alltoallv` in bytes, on an endpoint whose communicator has a topology (native/topo.c). */
  neighborAlltoallv(call: string, send: Uint8Array, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[]): Promise<void> {
    return this.alltoallvOn(call, send, sendCounts, sendDispls, recv, recvCounts, recvDispls, true);
  }

  private alltoallvOn(call: string, send: Uint8Array | undefined, sendCounts: readonly number[], sendDispls: readonly number[],
    recv: Uint8Array, recvCounts: readonly number[], recvDispls: readonly number[], neighbor: boolean): Promise<void> {
    let lists: Int32Array[];
    try {
      lists = [sendCounts, sendDispls, recvCounts, recvDispls].map((l) => cInts(call, l)!);
    } catch (e) {
      return Promise.reject(e);
    }
    const [sc, sd, rc, rd] = lists as [Int32Array, Int32Array, Int32Array, Int32Array];
    const native = this.ctx.native;
    return this.run(call, recv.byteLength, neighbor ? (c) => native.ineighborAlltoallv(c, send!, recv, sc, sd, rc, rd)
      : (c) => native.ialltoallv(c, send ?? null, recv, sc, sd, rc, rd));
  }

  /**
   * Resolves datatype and op to the binding's indices, or rejects; then runs
   * `start` (the I-form) or, given `blocking`, the vote first.
   */
  private reduction(call: string, bytes: number, datatype: Datatype, op: Op,
    start: (comm: number, dt: number, op: number) => number,
    blocking?: (comm: number, dt: number, op: number) => number): Promise<void> {
    const native = this.ctx.native;
    let dt: number;
    let o: { index: number; user: boolean };
    try {
      // The callers keep a reduction's data within one call's limit (rounds, collective/segmented.ts).
      fits(call, bytes);
      dt = datatypeIndex(native, datatype, call);
      o = opIndex(native, op, call);
    } catch (e) {
      return Promise.reject(asMPIError(native, e, call, cFunctionOf(call)));
    }
    return this.run(call, bytes, (c) => start(c, dt, o.index), o.user ? { index: o.index, op, datatype } : undefined,
      blocking && ((c) => blocking(c, dt, o.index)));
  }

  reduce(send: TypedArray | undefined, recv: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    root: number): Promise<void> {
    const native = this.ctx.native;
    const bytes = count * datatype.size;
    return this.reduction('Comm.Reduce', bytes, datatype, op,
      (c, dt, o) => native.ireduce(c, send ?? null, recv ?? null, count, dt, o, root),
      bytes >= blockingFrom.reduce ? (c, dt, o) => native.reduce(c, send ?? null, recv ?? null, count, dt, o, root) : undefined);
  }

  allreduce(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op): Promise<void> {
    const native = this.ctx.native;
    const bytes = count * datatype.size;
    return this.reduction('Comm.Allreduce', bytes, datatype, op,
      (c, dt, o) => native.iallreduce(c, send ?? null, recv, count, dt, o),
      bytes >= blockingFrom.allreduce ? (c, dt, o) => native.allreduce(c, send ?? null, recv, count, dt, o) : undefined);
  }

  reduceScatter(send: TypedArray | undefined, recv: TypedArray, counts: readonly number[], datatype: Datatype,
    op: Op): Promise<void> {
    const native = this.ctx.native;
    let c32: Int32Array;
    try {
      c32 = Int32Array.from(counts, (n) => fits('Comm.Reduce_scatter', n * datatype.size) / datatype.size);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.reduction('Comm.Reduce_scatter', sum(counts) * datatype.size, datatype, op,
      (c, dt, o) => native.ireduceScatter(c, send ?? null, recv, c32, dt, o),
      sum(counts) * datatype.size >= blockingFrom.reduceScatter
        ? (c, dt, o) => native.reduceScatter(c, send ?? null, recv, c32, dt, o) : undefined);
  }

  scan(send: TypedArray | undefined, recv: TypedArray, count: number, datatype: Datatype, op: Op,
    exclusive: boolean): Promise<void> {
    return this.reduction(exclusive ? 'Comm.Exscan' : 'Comm.Scan', count * datatype.size, datatype, op,
      (c, dt, o) => this.ctx.native.iscan(c, send ?? null, recv, count, dt, o, exclusive ? 1 : 0));
  }
}
