/**
 * One-sided communication on the mpi transport: MPI's windows, through the
 * addon's `win*` calls (native/win.c).
 *
 * MPI-4.1 §12.2 (window creation: `MPI_Win_create` over the user's memory,
 * `MPI_Win_allocate` and `MPI_Win_allocate_shared` over memory MPI allocates
 * and lends to JS as an external ArrayBuffer, `MPI_Win_shared_query`,
 * `MPI_Win_free`), §12.3 (communication calls), §12.5 (synchronization).
 *
 * MPI windows are created with a displacement unit of 1: the API layer
 * addresses bytes and keeps the program's units. The collective calls that
 * block in MPI (`MPI_Win_create`, `MPI_Win_allocate*`, `MPI_Win_fence`,
 * `MPI_Win_free`) first pass a nonblocking barrier, so the event loop runs
 * while other ranks are late and the MPI call itself waits only briefly
 * (`BlockingCalls.construct`, context.ts). `MPI_Win_wait` is `MPI_Win_test`
 * polled from the event loop. Lock, unlock, flush, start and complete are
 * MPI's blocking calls: they wait only for the MPI library at other ranks,
 * which progresses in their own MPI calls and in the `Progress` ticks of any
 * request they await (a target that awaits nothing MPI makes no progress
 * for transports that need it, such as TCP).
 *
 * Unfinished: dynamic windows; transfers over 2^31-1 bytes.
 *
 * @module
 */

import type { Datatype, TypedArray } from '../../datatype/index.js';
import { ErrorClass, errors } from '../../errors.js';
import type { Op } from '../../op/op.js';
import type { LockType, Window, WindowRequest } from '../transport.js';
import type { MpiCommunicator, MpiContext } from './context.js';
import { asMPIError, type NativeMPI } from './native.js';

/** Kinds of `winSync` (native/win.c). */
const FENCE = 0;
const LOCK = 1;
const UNLOCK = 2;
const LOCK_ALL = 3;
const UNLOCK_ALL = 4;
const FLUSH = 5;
const FLUSH_ALL = 6;
const FLUSH_LOCAL = 7;
const FLUSH_LOCAL_ALL = 8;
const SYNC = 9;
const COMPLETE = 10;
const TEST = 12;

const cFunctions = ['MPI_Win_fence', 'MPI_Win_lock', 'MPI_Win_unlock', 'MPI_Win_lock_all', 'MPI_Win_unlock_all',
  'MPI_Win_flush', 'MPI_Win_flush_all', 'MPI_Win_flush_local', 'MPI_Win_flush_local_all', 'MPI_Win_sync',
  'MPI_Win_complete', 'MPI_Win_wait', 'MPI_Win_test'];
const calls = ['Win.Fence', 'Win.Lock', 'Win.Unlock', 'Win.Lock_all', 'Win.Unlock_all', 'Win.Flush', 'Win.Flush_all',
  'Win.Flush_local', 'Win.Flush_local_all', 'Win.Sync', 'Win.Complete', 'Win.Wait', 'Win.Test'];

/** What the window needs of its communicator: the endpoint's handle, context and collectives. */
export interface WindowCommunicator extends MpiCommunicator {
  readonly ctx: MpiContext;
  readonly collectives: { barrier(): Promise<void>; allgatherv(send: Uint8Array | undefined, recv: Uint8Array,
    counts: readonly number[], displs: readonly number[]): Promise<void> };
}

let datatypeIndexByName: Map<string, number> | undefined;
let opIndexByName: Map<string, number> | undefined;

function datatypeIndex(native: NativeMPI, datatype: Datatype, call: string): number {
  datatypeIndexByName ??= new Map(native.datatypeNames.map((n, i) => [n, i]));
  const i = datatypeIndexByName.get(datatype.name);
  if (i === undefined || native.datatypeExtents[i] !== datatype.size) {
    throw errors.type(call, `${datatype.name} has no MPI counterpart of ${datatype.size} bytes`);
  }
  return i;
}

function opIndex(native: NativeMPI, op: Op, call: string): number {
  opIndexByName ??= new Map(native.opNames.map((n, i) => [n, i]));
  const i = opIndexByName.get(op.name);
  if (i === undefined) throw errors.op(call, `${op.name}: one-sided accumulates take predefined ops only`);
  return i;
}

/** Creates a window over the ranks of `comm` (collective); `comm` is the window's own communicator. */
export async function createMpiWindow(comm: WindowCommunicator, request: WindowRequest, call: string): Promise<Window> {
  const { ctx, size } = comm;
  const native = ctx.native;
  const bytes = request.flavor === 'create' ? request.memory!.byteLength : request.bytes;
  const all = new Float64Array(2 * size);
  const counts = new Array<number>(size).fill(16);
  await comm.collectives.allgatherv(new Uint8Array(Float64Array.of(bytes, request.dispUnit).buffer),
    new Uint8Array(all.buffer), counts, counts.map((_, i) => 16 * i));
  const sizes = Array.from({ length: size }, (_, r) => all[2 * r]!);
  const dispUnits = Array.from({ length: size }, (_, r) => all[2 * r + 1]!);
  if (request.flavor === 'dynamic') throw errors.unsupported(call, 'dynamic windows are not implemented yet');
  const cFunction = { create: 'MPI_Win_create', allocate: 'MPI_Win_allocate', shared: 'MPI_Win_allocate_shared' }[request.flavor];
  const [handle, memory] = await ctx.blocking.construct(() => comm.collectives.barrier(), (): [number, Uint8Array] => {
    try {
      if (request.flavor === 'create') {
        const memory = request.memory!;
        return [native.winCreate(comm.handle, memory.byteLength > 0 ? memory : null), memory];
      }
      const [h, buffer] = native.winAllocate(comm.handle, request.bytes, request.flavor === 'shared' ? 1 : 0);
      return [h, new Uint8Array(buffer)];
    } catch (e) {
      const error = asMPIError(native, e, call, cFunction);
      if (error.error_class !== ErrorClass.ERR_WIN) throw error;
      throw errors.win(call, `the MPI library has no one-sided communication for these ranks (${error.detail}); ` +
        'Open MPI 4 needs shared memory or an RDMA network (osc rdma) for windows over memory it did not allocate');
    }
  });
  return new MpiWindow(comm, handle, memory, sizes, dispUnits);
}

class MpiWindow implements Window {
  private posted = false;

  constructor(private readonly comm: WindowCommunicator, private readonly handle: number, readonly memory: Uint8Array,
    readonly sizes: readonly number[], readonly dispUnits: readonly number[]) {}

  private get native(): NativeMPI {
    return this.comm.ctx.native;
  }

  /** Runs a binding call, with its failure as an MPIError of the API call. */
  private run<T>(call: string, cFunction: string, body: () => T): T {
    try {
      return body();
    } catch (e) {
      throw asMPIError(this.native, e, call, cFunction);
    }
  }

  private synchronize(kind: number, a: number | null = null, b: number | null = null): boolean {
    return this.run(calls[kind]!, cFunctions[kind]!, () => this.native.winSync(this.handle, kind, a, b));
  }

  put(data: Uint8Array, target: number, offset: number): void {
    this.run('Win.Put', 'MPI_Put', () => this.native.winPut(this.handle, data, target, offset));
  }

  get(into: Uint8Array, target: number, offset: number): void {
    this.run('Win.Get', 'MPI_Get', () => this.native.winGet(this.handle, into, target, offset));
  }

  accumulate(origin: TypedArray, result: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    target: number, offset: number): void {
    const call = result === undefined ? 'Win.Accumulate' : 'Win.Get_accumulate';
    const dt = datatypeIndex(this.native, datatype, call);
    const o = opIndex(this.native, op, call);
    this.run(call, result === undefined ? 'MPI_Accumulate' : 'MPI_Get_accumulate',
      () => this.native.winAccumulate(this.handle, origin, result ?? null, count, dt, target, offset, o));
  }

  compareAndSwap(origin: TypedArray, compare: TypedArray, result: TypedArray, datatype: Datatype, target: number,
    offset: number): void {
    const dt = datatypeIndex(this.native, datatype, 'Win.Compare_and_swap');
    this.run('Win.Compare_and_swap', 'MPI_Compare_and_swap',
      () => this.native.winCompareAndSwap(this.handle, origin, compare, result, dt, target, offset));
  }

  async fence(assertion: number): Promise<void> {
    await this.comm.ctx.blocking.construct(() => this.comm.collectives.barrier(), () => this.synchronize(FENCE, assertion));
  }

  async post(ranks: readonly number[], assertion: number): Promise<void> {
    this.run('Win.Post', 'MPI_Win_post', () => this.native.winPostStart(this.handle, 0, Int32Array.from(ranks), assertion));
    this.posted = true;
  }

  async start(ranks: readonly number[], assertion: number): Promise<void> {
    this.run('Win.Start', 'MPI_Win_start', () => this.native.winPostStart(this.handle, 1, Int32Array.from(ranks), assertion));
  }

  async complete(): Promise<void> {
    this.synchronize(COMPLETE);
  }

  async wait(): Promise<void> {
    // MPI_Win_test polled from the event loop, so that the origins' Complete, which may need this
    // rank's progress, and the rest of the program run meanwhile.
    for (let polls = 0; !this.test(); polls++) {
      await new Promise<void>((resolve) => polls < 100 ? setImmediate(resolve) : setTimeout(resolve, 1));
    }
  }

  test(): boolean {
    if (!this.posted) return true;
    const done = this.synchronize(TEST);
    if (done) this.posted = false;
    return done;
  }

  async lock(target: number, type: LockType, assertion: number): Promise<void> {
    void assertion;
    this.synchronize(LOCK, type === 'exclusive' ? 1 : 2, target);
  }

  async unlock(target: number): Promise<void> {
    this.synchronize(UNLOCK, target);
  }

  async lockAll(assertion: number): Promise<void> {
    this.synchronize(LOCK_ALL, assertion);
  }

  async unlockAll(): Promise<void> {
    this.synchronize(UNLOCK_ALL);
  }

  async flush(target: number | undefined, local: boolean): Promise<void> {
    if (target === undefined) this.synchronize(local ? FLUSH_LOCAL_ALL : FLUSH_ALL);
    else this.synchronize(local ? FLUSH_LOCAL : FLUSH, target);
  }

  sync(): void {
    this.synchronize(SYNC);
  }

  sharedQuery(rank: number): Uint8Array {
    if (rank === this.comm.rank) return this.memory;
    return new Uint8Array(this.run('Win.Shared_query', 'MPI_Win_shared_query',
      () => this.native.winSharedQuery(this.handle, rank)));
  }

  async free(): Promise<void> {
    await this.comm.ctx.blocking.construct(() => this.comm.collectives.barrier(),
      () => this.run('Win.Free', 'MPI_Win_free', () => this.native.winFree(this.handle)));
  }
}
