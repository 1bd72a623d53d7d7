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
 * Dynamic windows (`MPI_Win_create_dynamic`, attach, detach): displacements
 * are real addresses (`MPI_Get_address`). Each has a directory window beside
 * it in which every rank lists the regions it attached, so that the API layer
 * reports a displacement outside them as `ERR_RMA_RANGE` as on shm, rather
 * than leave it to the MPI library (which Open MPI does not always catch). An
 * origin reads a target's directory when a displacement is not in the regions
 * it has read of since its access epoch began (`Fence`, `Start`, `Lock`,
 * `Lock_all`), so a detach within one epoch goes unnoticed until the next (an
 * erroneous program in MPI's terms).
 *
 * The request-based calls (`MPI_Rput`, `MPI_Rget`, `MPI_Raccumulate`,
 * `MPI_Rget_accumulate`) return real MPI requests in the binding's request
 * slots, which complete through the progress engine as point-to-point
 * requests do (`RequestOperation`, endpoint.ts).
 *
 * Unfinished: transfers over 2^31-1 bytes.
 *
 * @module
 */

import type { Datatype, TypedArray } from '../../datatype/index.js';
import { ErrorClass, errors } from '../../errors.js';
import type { Op } from '../../op/op.js';
import type { LockType, Operation, Window, WindowRequest } from '../transport.js';
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

/** The names of the request-based calls, as the request operations of endpoint.ts take them. */
export type WindowRequestKind = 'Rput' | 'Rget' | 'Raccumulate' | 'Rget_accumulate';

/** What the window needs of its communicator: the endpoint's handle, context and collectives. */
export interface WindowCommunicator extends MpiCommunicator {
  /** A request-based call's operation over the binding's request id (or RC_DONE / RC_ERROR) `rc`. */
  windowRequest(rc: number, kind: WindowRequestKind, target: number, bytes: number): Operation;
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
  const cFunction = { create: 'MPI_Win_create', allocate: 'MPI_Win_allocate', shared: 'MPI_Win_allocate_shared',
    dynamic: 'MPI_Win_create_dynamic' }[request.flavor];
  const [handle, memory] = await ctx.blocking.construct(() => comm.collectives.barrier(), (): [number, Uint8Array] => {
    try {
      if (request.flavor === 'create') {
        const memory = request.memory!;
        return [native.winCreate(comm.handle, memory.byteLength > 0 ? memory : null), memory];
      }
      if (request.flavor === 'dynamic') return [native.winCreateDynamic(comm.handle), new Uint8Array(0)];
      const [h, buffer] = native.winAllocate(comm.handle, request.bytes, request.flavor === 'shared' ? 1 : 0);
      return [h, new Uint8Array(buffer)];
    } catch (e) {
      const error = asMPIError(native, e, call, cFunction);
      if (error.error_class !== ErrorClass.ERR_WIN) throw error;
      throw errors.win(call, `the MPI library has no one-sided communication for these ranks (${error.detail}); ` +
        'Open MPI 4 needs shared memory or an RDMA network (osc rdma) for windows over memory it did not allocate');
    }
  });
  let directory: Directory | undefined;
  if (request.flavor === 'dynamic') {
    const [h, buffer] = await ctx.blocking.construct(() => comm.collectives.barrier(),
      () => native.winAllocate(comm.handle, DIRECTORY_BYTES, 0));
    directory = { handle: h, words: new Float64Array(buffer), known: Array.from({ length: size }, () => []) };
  }
  return new MpiWindow(comm, handle, memory, sizes, dispUnits, directory);
}

/** Regions a rank's directory holds at most. */
const MAX_REGIONS = 255;
const DIRECTORY_BYTES = 8 * (1 + 2 * MAX_REGIONS);

/**
 * A dynamic window's directory: a window of its own (`MPI_Win_allocate`) in
 * which every rank lists the regions it has attached (`words`: a count, then
 * address and length pairs), so that an origin can check a target displacement
 * against the target's memory before MPI sees it; `known` caches what this rank
 * read of each rank's directory.
 */
interface Directory {
  readonly handle: number;
  readonly words: Float64Array;
  readonly known: Array<Array<[number, number]>>;
}

class MpiWindow implements Window {
  private posted = false;

  constructor(private readonly comm: WindowCommunicator, private readonly handle: number, readonly memory: Uint8Array,
    readonly sizes: readonly number[], readonly dispUnits: readonly number[], private readonly directory?: Directory) {}

  attach(memory: Uint8Array, attach: boolean): void {
    const call = attach ? 'Win.Attach' : 'Win.Detach';
    const d = this.directory!;
    const me = this.comm.rank;
    const address = this.native.address(memory);
    const count = d.words[0]!;
    if (attach && count >= MAX_REGIONS) {
      throw errors.rmaAttach(call, `more than ${MAX_REGIONS} regions attached at rank ${me}`);
    }
    this.run(call, attach ? 'MPI_Win_attach' : 'MPI_Win_detach', () => this.native.winAttach(this.handle, memory, attach ? 1 : 0));
    // This rank's directory entry, under its exclusive lock so that no origin reads half of it.
    this.run(call, 'MPI_Win_lock', () => this.native.winSync(d.handle, LOCK, 1, me));
    try {
      const pairs = this.regionsOf(d.words);
      if (attach) pairs.push([address, memory.byteLength]);
      else pairs.splice(pairs.findIndex(([a]) => a === address), 1);
      d.words[0] = pairs.length;
      pairs.forEach(([a, n], i) => {
        d.words[1 + 2 * i] = a;
        d.words[2 + 2 * i] = n;
      });
      d.known[me] = pairs;
    } finally {
      this.run(call, 'MPI_Win_unlock', () => this.native.winSync(d.handle, UNLOCK, me, null));
    }
  }

  private regionsOf(words: Float64Array): Array<[number, number]> {
    return Array.from({ length: words[0]! }, (_, i): [number, number] => [words[1 + 2 * i]!, words[2 + 2 * i]!]);
  }

  attached(target: number, address: number, bytes: number): boolean {
    const d = this.directory!;
    const inside = (): boolean => d.known[target]!.some(([a, n]) => address >= a && address + bytes <= a + n);
    if (inside() || target === this.comm.rank) return inside();
    // Not among the regions known: read the target's directory (a shared lock on it, a get, the unlock).
    const words = new Float64Array(DIRECTORY_BYTES / 8);
    this.run('Win.Attach', 'MPI_Win_lock', () => this.native.winSync(d.handle, LOCK, 2, target));
    try {
      this.run('Win.Attach', 'MPI_Get', () => this.native.winGet(d.handle, new Uint8Array(words.buffer), target, 0));
    } finally {
      this.run('Win.Attach', 'MPI_Win_unlock', () => this.native.winSync(d.handle, UNLOCK, target, null));
    }
    d.known[target] = this.regionsOf(words);
    return inside();
  }

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

  rput(data: Uint8Array, target: number, offset: number): Operation {
    return this.request(0, 'Rput', data, null, 0, 0, target, offset, 0);
  }

  rget(into: Uint8Array, target: number, offset: number): Operation {
    return this.request(1, 'Rget', null, into, 0, 0, target, offset, 0);
  }

  raccumulate(origin: TypedArray, result: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    target: number, offset: number): Operation {
    const call = result === undefined ? 'Win.Raccumulate' : 'Win.Rget_accumulate';
    const dt = datatypeIndex(this.native, datatype, call);
    const o = opIndex(this.native, op, call);
    return result === undefined ? this.request(2, 'Raccumulate', origin, null, count, dt, target, offset, o)
      : this.request(3, 'Rget_accumulate', origin, result, count, dt, target, offset, o);
  }

  /** Starts a request-based call (`winRequest`), tracked by the progress engine as point-to-point requests are. */
  private request(kind: number, name: WindowRequestKind, origin: TypedArray | null,
    result: TypedArray | null, count: number, dt: number, target: number, offset: number, op: number): Operation {
    const rc = this.run(`Win.${name}`, `MPI_${name}`,
      () => this.native.winRequest(this.handle, kind, origin, result, count, dt, target, offset, op));
    return this.comm.windowRequest(rc, name, target, (origin ?? result)!.byteLength);
  }

  compareAndSwap(origin: TypedArray, compare: TypedArray, result: TypedArray, datatype: Datatype, target: number,
    offset: number): void {
    const dt = datatypeIndex(this.native, datatype, 'Win.Compare_and_swap');
    this.run('Win.Compare_and_swap', 'MPI_Compare_and_swap',
      () => this.native.winCompareAndSwap(this.handle, origin, compare, result, dt, target, offset));
  }

  /** A new access epoch: what this rank knew of other ranks' attached regions may be out of date. */
  private forgetRegions(): void {
    const d = this.directory;
    if (d === undefined) return;
    for (let r = 0; r < d.known.length; r++) if (r !== this.comm.rank) d.known[r] = [];
  }

  async fence(assertion: number): Promise<void> {
    this.forgetRegions();
    await this.comm.ctx.blocking.construct(() => this.comm.collectives.barrier(), () => this.synchronize(FENCE, assertion));
  }

  async post(ranks: readonly number[], assertion: number): Promise<void> {
    this.run('Win.Post', 'MPI_Win_post', () => this.native.winPostStart(this.handle, 0, Int32Array.from(ranks), assertion));
    this.posted = true;
  }

  async start(ranks: readonly number[], assertion: number): Promise<void> {
    this.forgetRegions();
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
    this.forgetRegions();
    this.synchronize(LOCK, type === 'exclusive' ? 1 : 2, target);
  }

  async unlock(target: number): Promise<void> {
    this.synchronize(UNLOCK, target);
  }

  async lockAll(assertion: number): Promise<void> {
    this.forgetRegions();
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
    await this.comm.ctx.blocking.construct(() => this.comm.collectives.barrier(), () => {
      this.run('Win.Free', 'MPI_Win_free', () => this.native.winFree(this.handle));
      if (this.directory !== undefined) this.run('Win.Free', 'MPI_Win_free', () => this.native.winFree(this.directory!.handle));
    });
  }
}
