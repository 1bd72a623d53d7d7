/**
 * One-sided communication: `MPI.Win`, mpi4py's `Win`.
 *
 * MPI-4.1 §12.2 (window creation: `Win.Create`, `Win.Allocate`,
 * `Win.Allocate_shared` and `Win.Shared_query`, `Win.Create_dynamic` with
 * `Win.Attach` and `Win.Detach`, `Win.Free`; §12.2.6 window
 * attributes; §12.2.7 `Win.Get_group`), §12.3 (communication calls: `Put`,
 * `Get`, `Accumulate`, `Get_accumulate`, `Fetch_and_op`, `Compare_and_swap`,
 * and the request-based `Rput`, `Rget`, `Raccumulate`, `Rget_accumulate`),
 * §12.4 (memory model: `WIN_UNIFIED` on shm), §12.5 (synchronization: `Fence`;
 * `Post`, `Start`, `Complete`, `Wait`, `Test`; `Lock`, `Unlock`, `Lock_all`,
 * `Unlock_all`; `Flush`, `Flush_all`, `Flush_local`, `Flush_local_all`,
 * `Sync`), §12.6 (error classes `ERR_WIN`, `ERR_RMA_SYNC`, `ERR_RMA_RANGE`, ...),
 * §7.8 (window names), §7.7.3 (window attributes: `Create_keyval`, `Set_attr`,
 * `Get_attr`, `Delete_attr`, `Free_keyval`), §9.3.2 (window error handlers).
 *
 * Buffers are as in point-to-point: an origin is a buffer spec (`buf`,
 * `[buf, datatype]`, `[buf, count, datatype]`). The target is mpi4py's
 * target spec: `undefined` (displacement 0, the origin's count and
 * datatype), a displacement, or `[disp, count?, datatype?]`, with the
 * displacement in units of the target's `disp_unit`. This module checks every
 * argument and the epochs (a communication call needs an access epoch to its
 * target: after `Fence`, inside `Lock`/`Unlock` or `Lock_all`/`Unlock_all`, or
 * between `Start` and `Complete`), so both transports report misuse alike;
 * the transport (`Window` in `transport/transport.ts`) moves the bytes.
 *
 * Windows are created over a duplicate of the communicator, so that their
 * synchronization never meets the program's own messages and collectives.
 *
 * Dynamic windows (§12.2.4: `Win.Create_dynamic`, `Attach`, `Detach`) take
 * addresses as target displacements (`MPI.Get_address` of the target's
 * memory, exchanged by the program); a displacement outside the memory the
 * target attached is `ERR_RMA_RANGE` on both transports.
 *
 * Derived datatypes (committed) are taken at the origin and the target: the
 * origin as a packed copy (`parseBuffer`; a `Get` or a `Get_accumulate`
 * result is unpacked once complete: at once on shm, else at the call that
 * completes it), the target as the byte runs its typemap covers, each run one
 * transfer of the transport (an accumulate over each run's basic elements,
 * which must all be of the origin's one basic type).
 *
 * The request-based calls return the transport's own request where it has
 * one and the target is one run (mpi: `MPI_Rput`, ... completing through the
 * progress engine); otherwise the request is complete once a flush of the
 * target is (shm: at once).
 *
 * Every call that fails on a live window goes through the window's error
 * handler (MPI-4.1 §9.3; `MPI.ERRORS_RETURN` unless `Set_errhandler` set
 * another), once, then throws or rejects as usual; so does the completion of
 * its requests (`Rput`, ...). A freed window has none. The constructors'
 * errors go through the handler of the communicator the window is made over.
 *
 * Unfinished: one MPI datatype per transfer on the mpi transport (a
 * non-contiguous target is one MPI call per contiguous run); hints (`info` is
 * kept (`Set_info`, `Get_info`) but not acted on; the `info` of the
 * constructors is ignored);
 * `MPI_Win_allocate` with `alloc_shared_noncontig`. Assertions (`MPI.MODE_*`)
 * are passed to MPI on the mpi transport and ignored on shm.
 *
 * @module
 */

import { type BufferSpec, elementDatatype, parseBuffer, type Message } from '../buffer.js';
import { LOCK_EXCLUSIVE, LOCK_SHARED, MODE_NOSUCCEED, PROC_NULL, WIN_BASE, WIN_CREATE_FLAVOR, WIN_DISP_UNIT,
  WIN_FLAVOR_ALLOCATE, WIN_FLAVOR_CREATE, WIN_FLAVOR_DYNAMIC, WIN_FLAVOR_SHARED, WIN_MODEL, WIN_SEPARATE, WIN_SIZE,
  WIN_UNIFIED } from '../constants.js';
import { Datatype, datatypes, type TypedArray } from '../datatype/index.js';
import type { Typemap } from '../datatype/typemap.js';
import { type AttributeCopy, AttributeCache, type AttributeDelete } from '../attributes.js';
import { transport } from '../environment.js';
import { errors, rejecting } from '../errors.js';
import { Op, ops } from '../op/op.js';
import type { Endpoint, LockType, Operation, Window, WindowFlavor } from '../transport/transport.js';
import {
  applyErrhandler, calledErrorReport, checkErrhandler, ERRORS_RETURN, Errhandler, type ErrhandlerFunction,
  type ErrhandlerOwner, handledBy, invokeErrhandler, raisedByHandler,
} from './errhandler.js';
import { Group } from './group.js';
import { Info, hintsFrom } from './info.js';
import type { Intracomm } from './intracomm.js';
import { PromiseOperation } from './promise_operation.js';
import { Request } from './request.js';

/** User attributes of windows (MPI-4.1 §7.7.3). */
const attributes = new AttributeCache<Win>('Win', 'window');

/**
 * `MPI.REPLACE` (MPI-4.1 §12.3.4): an accumulate that stores the origin's
 * elements, atomically per element. On values, `REPLACE(a, b)` is `b`.
 */
export const REPLACE: Op = new Op('MPI_REPLACE', true, (invec, inoutvec, count, datatype) => {
  new Uint8Array(inoutvec.buffer, inoutvec.byteOffset, count * datatype.size)
    .set(new Uint8Array(invec.buffer, invec.byteOffset, count * datatype.size));
}, (_a, b) => b);

/**
 * `MPI.NO_OP` (MPI-4.1 §12.3.5): a `Get_accumulate` or `Fetch_and_op` that
 * only reads, atomically. On values, `NO_OP(a, b)` is `a`.
 */
export const NO_OP: Op = new Op('MPI_NO_OP', true, () => undefined, (a) => a);

/** The origin and target datatypes the one-sided calls take this session: the predefined ones. */
const predefinedDatatypes = new Set<Datatype>(Object.values(datatypes));

/**
 * A target spec (mpi4py's `target` argument): `undefined` (displacement 0 and
 * the origin's count and datatype), a displacement, or `[disp, count?, datatype?]`.
 */
export type TargetSpec = number | readonly [number, number?, Datatype?] | null | undefined;

let selfProvider: (() => Intracomm) | undefined;

/** Set once by `mpi.ts`: where `MPI.COMM_SELF` comes from, the default communicator of the constructors. */
export function setSelfProvider(provider: () => Intracomm): void {
  selfProvider = provider;
}

const flavorCodes: Record<WindowFlavor, number> = {
  create: WIN_FLAVOR_CREATE, allocate: WIN_FLAVOR_ALLOCATE, shared: WIN_FLAVOR_SHARED, dynamic: WIN_FLAVOR_DYNAMIC,
};

/**
 * A window (MPI-4.1 §12.2): memory that every rank of a communicator exposes
 * to the others' `Put`, `Get` and accumulates.
 *
 * @example
 * ```ts
 * const win = await MPI.Win.Allocate(8 * comm.size, 8, null, comm);
 * await win.Fence();
 * win.Put(new Float64Array([comm.rank]), 0, comm.rank);  // into rank 0, slot `rank`
 * await win.Fence();
 * await win.Free();
 * ```
 */
export class Win {
  private transportWindow: Window | null;
  private winName = 'MPI_WIN_NULL';
  /** The epochs open at this rank, for `ERR_RMA_SYNC`. */
  private fenceEpoch = false;
  private lockedAll = false;
  private readonly locked = new Map<number, LockType>();
  private started: Set<number> | undefined;
  private posted = false;
  /** Buffers an MPI library may still read or write, by target, until the call that completes them. */
  private readonly inFlight = new Map<number, unknown[]>();
  /** Every call completes when it returns (shm): nothing is held for a flush. */
  private readonly atOnce = transport().name === 'shm';
  /** Not a dynamic window: displacements are offsets in each rank's memory (the fast paths of Put and Get). */
  private readonly plainFlavor: boolean;

  private constructor(window: Window, private readonly endpoint: Endpoint, private readonly flavorName: WindowFlavor,
    commName: string) {
    this.transportWindow = window;
    this.plainFlavor = flavorName !== 'dynamic';
    this.winName = `window of ${commName}`;
  }

  private static async make(flavor: WindowFlavor, memory: Uint8Array | undefined, bytes: number, dispUnit: unknown,
    comm: Intracomm | null | undefined, call: string): Promise<Win> {
    if (!Number.isInteger(dispUnit) || (dispUnit as number) <= 0) {
      throw errors.disp(call, `invalid displacement unit ${String(dispUnit)}: must be a positive integer`);
    }
    if (!Number.isInteger(bytes) || bytes < 0) throw errors.size(call, `invalid size ${String(bytes)}: must be an integer >= 0`);
    const communicator = comm ?? selfProvider?.();
    if (communicator === undefined) throw errors.comm(call, 'no communicator');
    const parent = communicator.endpoint(call);
    const own = await parent.split(0, parent.rank);
    if (own === undefined || own.createWindow === undefined) {
      throw errors.unsupported(call, `windows are not available on the ${transport().name} transport`);
    }
    const window = await own.createWindow({ flavor, memory, bytes, dispUnit: dispUnit as number });
    return new Win(window, own, flavor, communicator.Get_name());
  }

  /**
   * `MPI_Win_create` (MPI-4.1 §12.2.1): a window over `memory`, a typed array
   * (or buffer spec) of this rank's. Collective over `comm` (default
   * `MPI.COMM_SELF`). On shm the memory must be shared: `MPI.alloc` memory or
   * a view of a `SharedArrayBuffer`.
   *
   * @example
   * ```ts
   * const mem = MPI.alloc(Int32Array, 16);
   * const win = await MPI.Win.Create(mem, 4, null, comm);
   * ```
   */
  static Create(memory: BufferSpec, dispUnit = 1, info?: unknown, comm?: Intracomm | null): Promise<Win> {
    void info;
    return Win.constructing(comm, () => {
      const message = parseBuffer(memory, 'Win.Create');
      return Win.make('create', message.bytes, message.bytes.byteLength, dispUnit, comm, 'Win.Create');
    });
  }

  /**
   * A window constructor's Promise: `start`'s, rejecting through the error
   * handler of the communicator it is made over (default `MPI.COMM_SELF`):
   * the window does not exist yet, so its errors are the communicator's
   * (MPI-4.1 §9.3; Open MPI raises them there too).
   */
  private static constructing(comm: Intracomm | null | undefined, start: () => Promise<Win>): Promise<Win> {
    const owner: unknown = comm ?? selfProvider?.();
    const promise = rejecting(start);
    if (typeof (owner as Partial<ErrhandlerOwner> | undefined)?.[raisedByHandler] !== 'function') return promise;
    return promise.catch((error: unknown) => {
      throw (owner as ErrhandlerOwner)[raisedByHandler](error);
    });
  }

  /**
   * `MPI_Win_allocate` (MPI-4.1 §12.2.2): a window over `size` new bytes at
   * each rank (zeroed), in memory the transport moves fastest. Collective.
   *
   * @example
   * ```ts
   * const win = await MPI.Win.Allocate(1024, 1, null, comm);
   * const mine = win.tomemory();      // this rank's 1024 bytes
   * ```
   */
  static Allocate(size: number, dispUnit = 1, info?: unknown, comm?: Intracomm | null): Promise<Win> {
    void info;
    return Win.constructing(comm, () => Win.make('allocate', undefined, size, dispUnit, comm, 'Win.Allocate'));
  }

  /**
   * `MPI_Win_allocate_shared` (MPI-4.1 §12.2.3): like {@link Allocate}, in
   * memory every rank can load and store directly: {@link Shared_query}
   * gives another rank's segment. The ranks must share memory (`Split_type`
   * with `MPI.COMM_TYPE_SHARED`; on shm all ranks do).
   *
   * @example
   * ```ts
   * const win = await MPI.Win.Allocate_shared(8, 8, null, comm);
   * const [first] = win.Shared_query(0);
   * const all = new Float64Array(first.buffer, first.byteOffset, comm.size);
   * ```
   */
  static Allocate_shared(size: number, dispUnit = 1, info?: unknown, comm?: Intracomm | null): Promise<Win> {
    void info;
    return Win.constructing(comm, () => Win.make('shared', undefined, size, dispUnit, comm, 'Win.Allocate_shared'));
  }

  /**
   * `MPI_Win_create_dynamic` (MPI-4.1 §12.2.4): a window with no memory until
   * each rank attaches some ({@link Attach}). Collective. Target displacements
   * are addresses in the target's memory (`MPI.Get_address` there), with a
   * displacement unit of 1; an access outside the memory the target attached is
   * `ERR_RMA_RANGE`.
   *
   * @example
   * ```ts
   * const win = await MPI.Win.Create_dynamic(null, comm);
   * const mem = MPI.alloc(Int32Array, 4);
   * win.Attach(mem);
   * const addresses = await comm.allgather(MPI.Get_address(mem)); // every rank's region
   * await win.Lock_all();
   * win.Put(Int32Array.of(comm.rank), 0, [addresses[0]! + 4 * comm.rank, 1, MPI.INT]);
   * await win.Unlock_all();
   * await comm.Barrier();
   * win.Detach(mem);
   * await win.Free();
   * ```
   */
  static Create_dynamic(info?: unknown, comm?: Intracomm | null): Promise<Win> {
    void info;
    return Win.constructing(comm, () => Win.make('dynamic', undefined, 0, 1, comm, 'Win.Create_dynamic'));
  }

  /** Regions this rank attached to a dynamic window: address and length. */
  private readonly attachedHere: Array<[number, number]> = [];

  /**
   * `MPI_Win_attach` (MPI-4.1 §12.2.4): exposes `memory` (a typed array, or a
   * buffer spec) in this rank's part of a dynamic window, at its address
   * (`MPI.Get_address(memory)`). Local. On shm the memory must come from
   * `MPI.alloc` (or `MPI.Alloc_mem`), which every rank can reach.
   *
   * @example
   * ```ts
   * const mem = MPI.alloc(Float64Array, 8);
   * win.Attach(mem);
   * ```
   */
  Attach(memory: BufferSpec): void {
    try {
      const call = 'Win.Attach';
      const window = this.dynamicWindow(call);
      const bytes = parseBuffer(memory, call).bytes;
      const address = transport().address(bytes);
      const end = address + bytes.byteLength;
      if (this.attachedHere.some(([a, n]) => address < a + n && a < end && (n > 0 || a === address))) {
        throw errors.rmaAttach(call, `${bytes.byteLength} bytes at address ${address} overlap memory attached before`);
      }
      window.attach!(bytes, true);
      this.attachedHere.push([address, bytes.byteLength]);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Win_detach` (MPI-4.1 §12.2.4): ends the exposure of memory given to
   * {@link Attach} (the same memory). Local.
   *
   * @example
   * ```ts
   * win.Detach(mem);
   * ```
   */
  Detach(memory: BufferSpec): void {
    try {
      const call = 'Win.Detach';
      const window = this.dynamicWindow(call);
      const bytes = parseBuffer(memory, call).bytes;
      const address = transport().address(bytes);
      const i = this.attachedHere.findIndex(([a]) => a === address);
      if (i < 0) throw errors.rmaAttach(call, `no memory at address ${address} is attached`);
      window.attach!(bytes, false);
      this.attachedHere.splice(i, 1);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private dynamicWindow(call: string): Window {
    const window = this.live(call);
    if (this.flavorName !== 'dynamic' || window.attach === undefined) {
      throw errors.rmaFlavor(call, 'only windows from Win.Create_dynamic take attached memory');
    }
    return window;
  }

  /** The transport's window; `ERR_WIN` once freed. */
  private live(call: string): Window {
    if (this.transportWindow === null) throw errors.win(call, `${this.name} has been freed`);
    return this.transportWindow;
  }

  /**
   * `MPI_Win_free` (MPI-4.1 §12.2.5): collective; ends the window. A lock or
   * access epoch still open is `ERR_RMA_SYNC`.
   */
  Free(): Promise<void> {
    // The handler of the window as the call starts: the window is freed before the transport's part ends.
    const handler = this.transportWindow === null ? ERRORS_RETURN : this.errhandler;
    const freeing = rejecting(async () => {
      const window = this.live('Win.Free');
      if (this.locked.size > 0 || this.lockedAll || this.started !== undefined || this.posted) {
        throw errors.rmaSync('Win.Free', 'an epoch is still open: unlock, complete or wait first');
      }
      attributes.deleteAll(this);
      this.transportWindow = null;
      await window.free();
      this.endpoint.free();
    });
    if (handler === ERRORS_RETURN) return freeing;
    return freeing.catch((error: unknown) => {
      throw applyErrhandler(handler, this, this.name, error);
    });
  }

  /** `await using win = ...` frees the window at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.transportWindow === null ? Promise.resolve() : this.Free();
  }

  /** True once {@link Free} has been called (mpi4py: `win == MPI.WIN_NULL`). */
  get freed(): boolean {
    return this.transportWindow === null;
  }

  /** mpi4py's `tomemory()`: this rank's window memory as bytes (the same memory, not a copy). */
  tomemory(): Uint8Array {
    return this.live('Win.tomemory').memory;
  }

  /**
   * `MPI_Win_shared_query` (MPI-4.1 §12.2.3): `[memory, disp_unit]` of
   * `rank`'s segment of a shared window, loadable and storable here.
   */
  Shared_query(rank: number): [Uint8Array, number] {
    try {
      const call = 'Win.Shared_query';
      const window = this.live(call);
      if (this.flavorName !== 'shared') {
        throw errors.rmaFlavor(call, 'only windows from Win.Allocate_shared can be queried');
      }
      this.checkRank(rank, call);
      return [window.sharedQuery(rank), window.dispUnits[rank]!];
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Win_get_group` (MPI-4.1 §12.2.7): the ranks of the window. */
  Get_group(): Group {
    this.live('Win.Get_group');
    const e = this.endpoint;
    return new Group(Array.from({ length: e.size }, (_, r) => e.worldRankOf(r)), e.worldRankOf(e.rank));
  }

  /** mpi4py's `group` property. */
  get group(): Group {
    return this.Get_group();
  }

  /** Bytes of this rank's memory (`MPI_WIN_SIZE`). */
  get size(): number {
    return this.live('Win.size').memory.byteLength;
  }

  /** This rank's displacement unit (`MPI_WIN_DISP_UNIT`). */
  get disp_unit(): number {
    const window = this.live('Win.disp_unit');
    return window.dispUnits[this.endpoint.rank]!;
  }

  /** This rank's memory (`MPI_WIN_BASE`): the view {@link tomemory} gives; mpi4py's `attrs[0]`. */
  get base(): Uint8Array {
    this.live('Win.base');
    return this.tomemory();
  }

  /** `MPI.WIN_FLAVOR_CREATE`, `_ALLOCATE`, `_DYNAMIC` or `_SHARED` (`MPI_WIN_CREATE_FLAVOR`). */
  get flavor(): number {
    this.live('Win.flavor');
    return flavorCodes[this.flavorName];
  }

  /**
   * `MPI_WIN_MODEL`: `MPI.WIN_UNIFIED` on shm (one copy of the memory) and
   * for shared windows; `MPI.WIN_SEPARATE` for the others on the mpi
   * transport, whatever the library's model: the separate model's rules are
   * the stricter ones, and a program that keeps them is right under both.
   */
  get model(): number {
    this.live('Win.model');
    return transport().name === 'shm' || this.flavorName === 'shared' ? WIN_UNIFIED : WIN_SEPARATE;
  }

  /** mpi4py's `attrs`: `[base, size, disp_unit]`, the base as this rank's memory. */
  get attrs(): [Uint8Array, number, number] {
    return [this.tomemory(), this.size, this.disp_unit];
  }

  /**
   * `MPI_Win_get_attr` (MPI-4.1 §12.2.6) for the predefined keys:
   * `MPI.WIN_BASE` (the memory), `WIN_SIZE`, `WIN_DISP_UNIT`,
   * `WIN_CREATE_FLAVOR`, `WIN_MODEL`; for a key of {@link Win.Create_keyval}
   * the value set (undefined when unset); `ERR_KEYVAL` for any other key.
   */
  Get_attr(keyval: number): unknown {
    try {
      switch (keyval) {
        case WIN_BASE: return this.tomemory();
        case WIN_SIZE: return this.size;
        case WIN_DISP_UNIT: return this.disp_unit;
        case WIN_CREATE_FLAVOR: return this.flavor;
        case WIN_MODEL: return this.model;
        default: return attributes.get(this, keyval);
      }
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Win_get_info` (MPI-4.1 §12.2.7): a copy of the hints set with {@link Set_info} (none are acted on). */
  Get_info(): Info {
    this.live('Win.Get_info');
    return this.hints.Dup();
  }

  /** `MPI_Win_set_info` (MPI-4.1 §12.2.7): the window keeps a copy of `info`; no hint changes what it does. */
  Set_info(info: Info): void {
    try {
      this.live('Win.Set_info');
      this.hints = hintsFrom(info, 'Win.Set_info');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Win_get_name` (MPI-4.1 §7.8). */
  Get_name(): string {
    return this.winName;
  }

  /** `MPI_Win_set_name` (MPI-4.1 §7.8). */
  Set_name(name: string): void {
    this.winName = String(name);
  }

  /** mpi4py's `name` property: {@link Get_name}. */
  get name(): string {
    return this.winName;
  }

  private checkRank(rank: unknown, call: string): asserts rank is number {
    const size = this.endpoint.size;
    if (!Number.isInteger(rank) || (rank as number) < 0 || (rank as number) >= size) throw errors.rank(call, rank, size);
  }

  /** Checks the target rank and that an access epoch to it is open; false for `MPI.PROC_NULL`. */
  private access(rank: unknown, call: string): boolean {
    if (rank === PROC_NULL) return false;
    this.checkRank(rank, call);
    if (!(this.fenceEpoch || this.lockedAll || this.locked.has(rank) || this.started?.has(rank))) {
      throw errors.rmaSync(call, `no access epoch to rank ${rank} is open: call Win.Fence, Win.Lock, Win.Lock_all ` +
        'or Win.Start first');
    }
    return true;
  }

  /**
   * The target's byte offset, count and datatype, checked against the target's
   * window, and the byte runs the target datatype covers there (`runs`:
   * offset and length pairs, in type order; one run for a contiguous type).
   */
  private target(window: Window, rank: number, spec: TargetSpec, origin: Message | undefined, call: string):
  { offset: number; count: number; datatype: Datatype; runs: number[] } {
    let disp = 0;
    let count = origin?.count;
    let datatype = origin?.datatype;
    if (typeof spec === 'number') disp = spec;
    else if (Array.isArray(spec)) {
      const [d, c, t] = spec as readonly [unknown, unknown?, unknown?];
      if (d !== undefined && d !== null) disp = d as number;
      if (c !== undefined && c !== null) count = c as number;
      if (t !== undefined && t !== null) datatype = t as Datatype;
    } else if (spec !== undefined && spec !== null) {
      throw errors.arg(call, `invalid target ${String(spec)}: expected a displacement or [disp, count, datatype]`);
    }
    if (!Number.isInteger(disp) || disp < 0) throw errors.disp(call, `invalid target displacement ${String(disp)}`);
    if (!Number.isInteger(count) || count! < 0) throw errors.count(call, `invalid target count ${String(count)}`);
    checkDatatype(datatype, call);
    const offset = disp * window.dispUnits[rank]!;
    const bytes = count! * datatype.size;
    const map = datatype.typemap;
    // The bytes the target elements touch: from the first byte of data to the last.
    const first = bytes === 0 ? offset : offset + Math.min(map.trueLb, map.trueLb + (count! - 1) * map.extent);
    const end = bytes === 0 ? offset : offset + Math.max(map.trueUb, map.trueUb + (count! - 1) * map.extent);
    if (first < 0) throw errors.disp(call, `the target datatype reaches ${-first} bytes before the target's memory`);
    if (this.flavorName === 'dynamic') {
      if (bytes > 0 && !window.attached!(rank, first, end - first)) throw errors.rmaRangeDynamic(call, rank, first, end - first);
    } else if (end > window.sizes[rank]!) {
      throw errors.rmaRange(call, rank, first, end - first, window.sizes[rank]!);
    }
    if (origin !== undefined && bytes !== origin.bytes.byteLength) {
      throw errors.count(call, `the origin has ${origin.bytes.byteLength} bytes (${origin.count} × ${origin.datatype.name}) ` +
        `but the target ${bytes} (${count} × ${datatype.name})`);
    }
    return { offset, count: count!, datatype, runs: runsOf(map, count!, offset) };
  }

  /**
   * Keeps buffers alive until the call that completes the transfers to `rank`
   * (nothing to do on shm). Fixed parameters, no rest array: the fast paths
   * call it on every Put and Get, before V8 has optimized them too.
   */
  private hold(rank: number, a: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    if (this.atOnce) return;
    let list = this.inFlight.get(rank);
    if (list === undefined) this.inFlight.set(rank, list = []);
    list.push(a, b, c, d);
  }

  /**
   * Runs `unpack` (a derived origin buffer's copy back from its packed bytes)
   * once the transfers to `rank` are complete: at once on shm, else at the
   * call that completes them.
   */
  private whenComplete(rank: number, unpack: (() => void) | undefined): void {
    if (unpack === undefined) return;
    if (this.atOnce) unpack();
    else this.hold(rank, unpack);
  }

  private release(rank: number | undefined): void {
    for (const [r, list] of this.inFlight) {
      if (rank !== undefined && r !== rank) continue;
      for (const item of list) if (typeof item === 'function') (item as () => void)();
      this.inFlight.delete(r);
    }
  }

  // Communication (MPI-4.1 §12.3).

  /**
   * `MPI_Put` (MPI-4.1 §12.3.1): writes the origin buffer into `target_rank`'s
   * window. Complete at the synchronization call that ends the epoch.
   *
   * @example
   * ```ts
   * win.Put(new Int32Array([7, 8]), 1, [4, 2, MPI.INT]); // at displacement 4 of rank 1
   * ```
   */
  Put(origin: BufferSpec, target_rank: number, target?: TargetSpec): void {
    try {
      const at = this.plainTarget(origin, target_rank, target);
      if (at >= 0) {
        this.transportWindow!.put(plainBytes(origin as TypedArray), target_rank, at);
        if (!this.atOnce) this.hold(target_rank, origin);
        return;
      }
      this.put(origin, target_rank, target, 'Win.Put', false);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * The quickest path of `Put` and `Get`, for a user's loop before V8 has
   * optimized it: a typed array of a known class to a displacement (or none)
   * at a rank in range, inside `Lock_all` or a fence epoch, within the
   * target's memory. The target's byte offset, or -1 when anything else holds
   * (then {@link put} and {@link get} check everything and raise the errors).
   * Few calls on purpose: until V8 optimizes a caller's loop, each call made
   * here costs more than the copy itself (small functions are optimized only
   * after thousands of calls).
   */
  private plainTarget(origin: BufferSpec, rank: number, target: TargetSpec): number {
    const window = this.transportWindow;
    const disp = target === undefined ? 0 : target;
    if (window === null || !this.plainFlavor || !(this.lockedAll || this.fenceEpoch) || typeof disp !== 'number' ||
      (disp | 0) !== disp || disp < 0 || (rank | 0) !== rank || rank < 0 || rank >= window.sizes.length ||
      !ArrayBuffer.isView(origin) || datatypeByClass.get(origin.constructor) === undefined) {
      return -1;
    }
    const offset = disp * window.dispUnits[rank]!;
    return offset + origin.byteLength <= window.sizes[rank]! ? offset : -1;
  }

  /** `Put`, or with `requested` and a transport that has them, `Rput`'s operation for a target of one run. */
  private put(origin: BufferSpec, target_rank: number, target: TargetSpec, call: string, requested: boolean):
  Operation | undefined {
    if (!requested) {
      const at = this.plainOffset(origin, target_rank, target, call);
      if (at >= 0) {
        this.transportWindow!.put(plainBytes(origin as TypedArray), target_rank, at);
        this.hold(target_rank, origin);
        return undefined;
      }
      if (at === SKIP) return undefined;
    }
    return this.putGeneral(origin, target_rank, target, call, requested);
  }

  /** `Put` and `Rput` off the fast path: any buffer spec and target spec. */
  private putGeneral(origin: BufferSpec, target_rank: number, target: TargetSpec, call: string, requested: boolean):
  Operation | undefined {
    const window = this.live(call);
    const message = parseBuffer(origin, call);
    checkDatatype(message.datatype, call);
    if (!this.access(target_rank, call)) return undefined;
    const { runs } = this.target(window, target_rank, target, message, call);
    if (requested && window.rput !== undefined && runs.length === 2) {
      return window.rput(message.bytes, target_rank, runs[0]!);
    }
    for (let r = 0, at = 0; r < runs.length; r += 2) {
      window.put(message.bytes.subarray(at, at + runs[r + 1]!), target_rank, runs[r]!);
      at += runs[r + 1]!;
    }
    this.hold(target_rank, origin, message.bytes);
    return undefined;
  }

  /**
   * The fast path of `Put` and `Get` (checks only, shared by both so that
   * either keeps it optimized): a typed array to or from a displacement (or
   * none) of a window that is not dynamic, where the target's datatype and
   * count are the origin's, so only bytes matter. The target's byte offset,
   * checked; {@link SKIP} for `MPI.PROC_NULL`; {@link NOT_PLAIN} when the
   * fast path does not apply.
   */
  private plainOffset(origin: BufferSpec, rank: number, target: TargetSpec, call: string): number {
    if (!isPlainView(origin) || !(target === undefined || typeof target === 'number') || this.flavorName === 'dynamic') {
      return NOT_PLAIN;
    }
    const window = this.live(call);
    datatypeOf(origin, call);
    if (!this.access(rank, call)) return SKIP;
    const disp = target ?? 0;
    if (!Number.isInteger(disp) || disp < 0) throw errors.disp(call, `invalid target displacement ${String(disp)}`);
    const offset = disp * window.dispUnits[rank]!;
    if (offset + origin.byteLength > window.sizes[rank]!) {
      throw errors.rmaRange(call, rank, offset, origin.byteLength, window.sizes[rank]!);
    }
    return offset;
  }

  /**
   * `MPI_Get` (MPI-4.1 §12.3.2): reads `target_rank`'s window into the
   * origin buffer, which holds the data once the epoch's synchronization
   * call has completed.
   *
   * @example
   * ```ts
   * const got = new Int32Array(2);
   * win.Get(got, 1, 4);
   * await win.Fence();     // got now holds rank 1's elements 4 and 5
   * ```
   */
  Get(origin: BufferSpec, target_rank: number, target?: TargetSpec): void {
    try {
      const at = this.plainTarget(origin, target_rank, target);
      if (at >= 0) {
        this.transportWindow!.get(plainBytes(origin as TypedArray), target_rank, at);
        if (!this.atOnce) this.hold(target_rank, origin);
        return;
      }
      this.get(origin, target_rank, target, 'Win.Get', false);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private get(origin: BufferSpec, target_rank: number, target: TargetSpec, call: string, requested: boolean):
  Operation | undefined {
    if (!requested) {
      const at = this.plainOffset(origin, target_rank, target, call);
      if (at >= 0) {
        this.transportWindow!.get(plainBytes(origin as TypedArray), target_rank, at);
        this.hold(target_rank, origin);
        return undefined;
      }
      if (at === SKIP) return undefined;
    }
    return this.getGeneral(origin, target_rank, target, call, requested);
  }

  /**
   * `Get` and `Rget` off the fast path. Apart from {@link get} because it
   * makes a closure: V8 allocates the variables a closure captures at every
   * call of the function that holds it, taken or not.
   */
  private getGeneral(origin: BufferSpec, target_rank: number, target: TargetSpec, call: string, requested: boolean):
  Operation | undefined {
    const window = this.live(call);
    const message = parseBuffer(origin, call);
    checkDatatype(message.datatype, call);
    if (!this.access(target_rank, call)) return undefined;
    const { runs } = this.target(window, target_rank, target, message, call);
    if (requested && window.rget !== undefined && runs.length === 2 && message.unpack === undefined) {
      return window.rget(message.bytes, target_rank, runs[0]!);
    }
    for (let r = 0, at = 0; r < runs.length; r += 2) {
      window.get(message.bytes.subarray(at, at + runs[r + 1]!), target_rank, runs[r]!);
      at += runs[r + 1]!;
    }
    this.hold(target_rank, origin, message.bytes);
    this.whenComplete(target_rank, message.unpack === undefined ? undefined : () => message.unpack!());
    return undefined;
  }

  /**
   * `MPI_Accumulate` (MPI-4.1 §12.3.4): `target = origin op target`, element
   * by element and atomically per element; `op` is a predefined op (default
   * `MPI.SUM`) or `MPI.REPLACE`.
   *
   * @example
   * ```ts
   * win.Accumulate(new Int32Array([1]), 0, 0, MPI.SUM); // += 1 at rank 0's element 0
   * ```
   */
  Accumulate(origin: BufferSpec, target_rank: number, target?: TargetSpec, op: Op = ops.SUM): void {
    try {
      this.accumulate(origin, undefined, target_rank, target, op, 'Win.Accumulate', false);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Get_accumulate` (MPI-4.1 §12.3.5): as {@link Accumulate}, and `result`
   * receives the target's elements from before; `MPI.NO_OP` only reads.
   *
   * @example
   * ```ts
   * const before = new Int32Array(1);
   * win.Get_accumulate(new Int32Array([5]), before, 0, 0, MPI.SUM);
   * ```
   */
  Get_accumulate(origin: BufferSpec | null, result: BufferSpec, target_rank: number, target?: TargetSpec,
    op: Op = ops.SUM): void {
    try {
      this.accumulate(origin, result, target_rank, target, op, 'Win.Get_accumulate', false);
    } catch (error) {
      throw this.raised(error);
    }
  }

  private accumulate(origin: BufferSpec | null, result: BufferSpec | undefined, rank: number, target: TargetSpec,
    op: Op, call: string, requested: boolean): Operation | undefined {
    const window = this.live(call);
    const results = result === undefined ? undefined : parseBuffer(result, call);
    const noOp = op === NO_OP;
    const origins = origin === null || (noOp && origin === undefined) ? undefined : parseBuffer(origin, call);
    const shape = origins ?? results;
    if (shape === undefined) throw errors.buffer(call, 'an origin buffer is needed unless the op is MPI.NO_OP');
    checkDatatype(shape.datatype, call);
    checkOp(op, shape.datatype, call);
    if (origins !== undefined && results !== undefined && origins.bytes.byteLength !== results.bytes.byteLength) {
      throw errors.count(call, `the origin has ${origins.bytes.byteLength} bytes but the result buffer ${results.bytes.byteLength}`);
    }
    if (!this.access(rank, call)) return undefined;
    const t = this.target(window, rank, target, shape, call);
    // Element by element over the basic elements: both sides must be made of the same one basic type.
    const basic = t.datatype.typemap.basic;
    if (basic === undefined || basic.size !== shape.datatype.size || basic.kind !== shape.datatype.kind ||
      basic.arrayType !== shape.datatype.arrayType) {
      throw errors.type(call, `the target datatype ${t.datatype.describe()} is not made of the origin's ` +
        `${shape.datatype.describe()} alone`);
    }
    const input = origins === undefined ? elements(results!) : elements(origins);
    const output = results === undefined ? undefined : elements(results);
    const size = basic.size;
    if (requested && window.raccumulate !== undefined && t.runs.length === 2 &&
      (results === undefined || (output === results.elements && results.unpack === undefined))) {
      return window.raccumulate(input, output, t.runs[1]! / size, basic, op, rank, t.runs[0]!);
    }
    for (let r = 0, at = 0; r < t.runs.length; r += 2) {
      const n = t.runs[r + 1]! / size;
      const whole = t.runs.length === 2;
      window.accumulate(whole ? input : slice(input, at, n, size), whole ? output : output && slice(output, at, n, size), n,
        basic, op, rank, t.runs[r]!);
      at += n;
    }
    this.hold(rank, origin, result, input, output);
    if (results !== undefined && (output !== results.elements || results.unpack !== undefined)) {
      this.whenComplete(rank, () => {
        if (output !== results.elements) {
          results.bytes.set(new Uint8Array(output!.buffer, output!.byteOffset, results.bytes.byteLength));
        }
        results.unpack?.();
      });
    }
    return undefined;
  }

  /**
   * `MPI_Fetch_and_op` (MPI-4.1 §12.3.5): one element: `result` gets the
   * target's value, which becomes `origin op value`, atomically.
   *
   * @example
   * ```ts
   * const next = new BigInt64Array(1);
   * win.Fetch_and_op(BigInt64Array.of(1n), next, 0);   // a shared counter at rank 0
   * await win.Flush(0);
   * ```
   */
  Fetch_and_op(origin: BufferSpec | null, result: BufferSpec, target_rank: number, target_disp = 0,
    op: Op = ops.SUM): void {
    try {
      // The quickest path (a counter's MPI.SUM inside Lock_all; see plainTarget): one call of the transport.
      const window = this.transportWindow;
      if (op === ops.SUM && window !== null && this.lockedAll && this.plainFlavor && origin !== null &&
        ArrayBuffer.isView(origin) && ArrayBuffer.isView(result) && origin.constructor === result.constructor &&
        (target_rank | 0) === target_rank && target_rank >= 0 && target_rank < window.sizes.length &&
        (target_disp | 0) === target_disp && target_disp >= 0 && origin.byteLength > 0 && result.byteLength > 0) {
        const datatype = datatypeByClass.get(result.constructor);
        const offset = target_disp * window.dispUnits[target_rank]!;
        if (datatype !== undefined && counterKinds.has(datatype.kind) &&
          offset + datatype.size <= window.sizes[target_rank]!) {
          window.accumulate(origin as TypedArray, result as TypedArray, 1, datatype, op, target_rank, offset);
          if (!this.atOnce) this.hold(target_rank, origin, result);
          return;
        }
      }
      const call = 'Win.Fetch_and_op';
      // The fast path (a counter): typed arrays of one datatype, a window that is not dynamic.
      if (isPlainView(result) && result.length > 0 && (origin === null || (isPlainView(origin) && origin.length > 0 &&
        (origin.constructor === result.constructor || datatypeOf(origin, call) === datatypeOf(result, call)))) &&
        this.flavorName !== 'dynamic') {
        this.fetchAndOpPlain(origin, result, target_rank, target_disp, op, call);
        return;
      }
      this.fetchAndOpGeneral(origin, result, target_rank, target_disp, op, call);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * {@link Fetch_and_op} on typed arrays of one datatype (a counter): checks,
   * then one call of the transport (on shm one `Atomics` call). No closure here
   * (see {@link getGeneral}), so no allocation besides the transport's.
   */
  private fetchAndOpPlain(origin: TypedArray | null, result: TypedArray, target_rank: number, target_disp: number,
    op: Op, call: string): void {
    const window = this.live(call);
    const datatype = datatypeOf(result, call);
    checkOp(op, datatype, call);
    if (!this.access(target_rank, call)) return;
    if (!Number.isInteger(target_disp) || target_disp < 0) {
      throw errors.disp(call, `invalid target displacement ${String(target_disp)}`);
    }
    const offset = target_disp * window.dispUnits[target_rank]!;
    if (offset + datatype.size > window.sizes[target_rank]!) {
      throw errors.rmaRange(call, target_rank, offset, datatype.size, window.sizes[target_rank]!);
    }
    window.accumulate(origin ?? result, result, 1, datatype, op, target_rank, offset);
    this.hold(target_rank, origin, result);
  }

  /** {@link Fetch_and_op} with any buffer specs: one element of {@link Get_accumulate}. */
  private fetchAndOpGeneral(origin: BufferSpec | null, result: BufferSpec, target_rank: number, target_disp: number,
    op: Op, call: string): void {
    const results = parseBuffer(result, call);
    const one = (spec: BufferSpec): BufferSpec => [parseBuffer(spec, call).elements, 1, parseBuffer(spec, call).datatype];
    if (results.count < 1) throw errors.count(call, 'the result buffer holds no element');
    this.accumulate(origin === null ? null : one(origin), one(result), target_rank, [target_disp, 1], op, call, false);
  }

  /**
   * `MPI_Compare_and_swap` (MPI-4.1 §12.3.6): one element: `result` gets the
   * target's value, which becomes `origin` if it equaled `compare`, atomically.
   *
   * @example
   * ```ts
   * const old = new Int32Array(1);
   * win.Compare_and_swap(Int32Array.of(1), Int32Array.of(0), old, 0); // try to take a lock word
   * await win.Flush(0);
   * ```
   */
  Compare_and_swap(origin: BufferSpec, compare: BufferSpec, result: BufferSpec, target_rank: number,
    target_disp = 0): void {
    try {
      const call = 'Win.Compare_and_swap';
      const window = this.live(call);
      const o = parseBuffer(origin, call);
      const c = parseBuffer(compare, call);
      const r = parseBuffer(result, call);
      checkDatatype(o.datatype, call);
      if (o.count < 1 || c.count < 1 || r.count < 1) {
        throw errors.count(call, 'origin, compare and result need one element each');
      }
      if (c.datatype !== o.datatype || r.datatype !== o.datatype) {
        throw errors.type(call, `origin, compare and result must have one datatype: got ${o.datatype.describe()}, ` +
          `${c.datatype.describe()} and ${r.datatype.describe()}`);
      }
      if (o.datatype.kind === 'pair' || o.datatype.kind === 'float' || o.datatype.kind === 'complex') {
        throw errors.type(call,
          `${o.datatype.name} cannot be compared and swapped: use an integer, logical or byte datatype`);
      }
      if (!this.access(target_rank, call)) return;
      const t = this.target(window, target_rank, [target_disp, 1, o.datatype], undefined, call);
      window.compareAndSwap(elements(o), elements(c), r.elements, o.datatype, target_rank, t.offset);
      this.hold(target_rank, origin, compare, result);
    } catch (error) {
      throw this.raised(error);
    }
  }

  // Request-based communication (MPI-4.1 §12.3.7): passive target only.

  /**
   * Runs a request-based call: `start` with `requested` set gives the
   * transport's own request (mpi: `MPI_Rput`, ... completing through the
   * progress engine), or undefined once it has done the plain call, which a
   * flush of the target completes (shm: complete at once).
   */
  private requested(rank: number, call: string, start: () => Operation | undefined): Request<void> {
    const window = this.live(call);
    if (rank !== PROC_NULL && !this.lockedAll && !this.locked.has(rank)) {
      throw errors.rmaSync(call, 'request-based calls need a passive-target epoch (Win.Lock or Win.Lock_all)');
    }
    const operation = start();
    if (rank === PROC_NULL) return new Request<void>(undefined, call);
    if (operation !== undefined) return new Request<void>(operation, call, undefined, this);
    const done = transport().name === 'shm' ? Promise.resolve() : window.flush(rank, true).then(() => this.release(rank));
    return new Request<void>(new PromiseOperation(done, call), call, undefined, this);
  }

  /** `MPI_Rput` (MPI-4.1 §12.3.7): {@link Put} with a request that completes once the origin buffer may be reused. */
  Rput(origin: BufferSpec, target_rank: number, target?: TargetSpec): Request<void> {
    try {
      return this.requested(target_rank, 'Win.Rput', () => this.put(origin, target_rank, target, 'Win.Rput', true));
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Rget`: {@link Get} with a request that completes once the data has arrived. */
  Rget(origin: BufferSpec, target_rank: number, target?: TargetSpec): Request<void> {
    try {
      return this.requested(target_rank, 'Win.Rget', () => this.get(origin, target_rank, target, 'Win.Rget', true));
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Raccumulate`: {@link Accumulate} with a request. */
  Raccumulate(origin: BufferSpec, target_rank: number, target?: TargetSpec, op: Op = ops.SUM): Request<void> {
    try {
      return this.requested(target_rank, 'Win.Raccumulate',
        () => this.accumulate(origin, undefined, target_rank, target, op, 'Win.Raccumulate', true));
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Rget_accumulate`: {@link Get_accumulate} with a request that completes once `result` holds the data. */
  Rget_accumulate(origin: BufferSpec | null, result: BufferSpec, target_rank: number, target?: TargetSpec,
    op: Op = ops.SUM): Request<void> {
    try {
      return this.requested(target_rank, 'Win.Rget_accumulate',
        () => this.accumulate(origin, result, target_rank, target, op, 'Win.Rget_accumulate', true));
    } catch (error) {
      throw this.raised(error);
    }
  }

  // Synchronization (MPI-4.1 §12.5).

  /**
   * `MPI_Win_fence` (MPI-4.1 §12.5.1): collective; completes every call of the
   * epoch before and opens the next (unless `MPI.MODE_NOSUCCEED`).
   */
  Fence(assertion = 0): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Fence';
      const window = this.live(call);
      if (this.locked.size > 0 || this.lockedAll || this.started !== undefined || this.posted) {
        throw errors.rmaSync(call, 'a lock, start or post epoch is open');
      }
      await window.fence(assertion);
      this.release(undefined);
      this.fenceEpoch = (assertion & MODE_NOSUCCEED) === 0;
    }));
  }

  /** Translates a group of world ranks to ranks of the window. */
  private ranksOf(group: Group, call: string): number[] {
    const e = this.endpoint;
    const byWorld = new Map<number, number>();
    for (let r = 0; r < e.size; r++) byWorld.set(e.worldRankOf(r), r);
    return group.members.map((w) => {
      const r = byWorld.get(w);
      if (r === undefined) throw errors.group(call, `world rank ${w} is not a member of the window`);
      return r;
    });
  }

  /** `MPI_Win_start` (MPI-4.1 §12.5.2): an access epoch to the ranks of `group`, once they have posted. */
  Start(group: Group, assertion = 0): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Start';
      const window = this.live(call);
      if (this.started !== undefined) throw errors.rmaSync(call, 'an access epoch is already open: call Win.Complete');
      const ranks = this.ranksOf(group, call);
      this.started = new Set(ranks);
      try {
        await window.start(ranks, assertion);
      } catch (e) {
        this.started = undefined;
        throw e;
      }
    }));
  }

  /** `MPI_Win_complete` (MPI-4.1 §12.5.2): ends the access epoch of {@link Start}. */
  Complete(): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Complete';
      const window = this.live(call);
      if (this.started === undefined) throw errors.rmaSync(call, 'no access epoch was started: call Win.Start first');
      this.started = undefined;
      await window.complete();
      this.release(undefined);
    }));
  }

  /** `MPI_Win_post` (MPI-4.1 §12.5.2): exposes this rank's window to the ranks of `group`. */
  Post(group: Group, assertion = 0): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Post';
      const window = this.live(call);
      if (this.posted) throw errors.rmaSync(call, 'an exposure epoch is already open: call Win.Wait');
      const ranks = this.ranksOf(group, call);
      this.posted = true;
      await window.post(ranks, assertion);
    }));
  }

  /** `MPI_Win_wait` (MPI-4.1 §12.5.2): ends the exposure epoch once every origin has completed. */
  Wait(): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Wait';
      const window = this.live(call);
      if (!this.posted) throw errors.rmaSync(call, 'no exposure epoch was posted: call Win.Post first');
      await window.wait();
      this.posted = false;
    }));
  }

  /** `MPI_Win_test` (MPI-4.1 §12.5.2): {@link Wait} without waiting: true once the exposure epoch is over. */
  Test(): boolean {
    try {
      const call = 'Win.Test';
      const window = this.live(call);
      if (!this.posted) throw errors.rmaSync(call, 'no exposure epoch was posted: call Win.Post first');
      const done = window.test();
      if (done) this.posted = false;
      return done;
    } catch (error) {
      throw this.raised(error);
    }
  }

  /**
   * `MPI_Win_lock` (MPI-4.1 §12.5.3): a passive-target access epoch to
   * `rank`, exclusive (default) or shared (`MPI.LOCK_SHARED`).
   *
   * @example
   * ```ts
   * await win.Lock(1);
   * win.Put(data, 1);
   * await win.Unlock(1);
   * ```
   */
  Lock(rank: number, lock_type: number = LOCK_EXCLUSIVE, assertion = 0): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Lock';
      const window = this.live(call);
      if (lock_type !== LOCK_EXCLUSIVE && lock_type !== LOCK_SHARED) throw errors.lockType(call, lock_type);
      if (rank === PROC_NULL) return;
      this.checkRank(rank, call);
      if (this.locked.has(rank) || this.lockedAll) throw errors.rmaSync(call, `rank ${rank} is already locked`);
      const type: LockType = lock_type === LOCK_EXCLUSIVE ? 'exclusive' : 'shared';
      this.locked.set(rank, type);
      try {
        await window.lock(rank, type, assertion);
      } catch (e) {
        this.locked.delete(rank);
        throw e;
      }
    }));
  }

  /** `MPI_Win_unlock` (MPI-4.1 §12.5.3): completes the calls to `rank` and releases its lock. */
  Unlock(rank: number): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Unlock';
      const window = this.live(call);
      if (rank === PROC_NULL) return;
      this.checkRank(rank, call);
      if (!this.locked.has(rank)) throw errors.rmaSync(call, `rank ${rank} is not locked`);
      this.locked.delete(rank);
      await window.unlock(rank);
      this.release(rank);
    }));
  }

  /** `MPI_Win_lock_all` (MPI-4.1 §12.5.3): a shared lock on every rank. */
  Lock_all(assertion = 0): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Lock_all';
      const window = this.live(call);
      if (this.lockedAll || this.locked.size > 0) throw errors.rmaSync(call, 'a lock is already held');
      this.lockedAll = true;
      try {
        await window.lockAll(assertion);
      } catch (e) {
        this.lockedAll = false;
        throw e;
      }
    }));
  }

  /** `MPI_Win_unlock_all` (MPI-4.1 §12.5.3). */
  Unlock_all(): Promise<void> {
    return this.handled(rejecting(async () => {
      const call = 'Win.Unlock_all';
      const window = this.live(call);
      if (!this.lockedAll) throw errors.rmaSync(call, 'Win.Lock_all was not called');
      this.lockedAll = false;
      await window.unlockAll();
      this.release(undefined);
    }));
  }

  private flushing(rank: number | undefined, local: boolean, call: string): Promise<void> {
    // No async function and no closure here: a flush on shm is one resolved Promise, the whole cost of a
    // Put + Flush loop besides the Put.
    const window = this.transportWindow;
    if (window === null || (rank !== undefined && rank !== PROC_NULL && (!Number.isInteger(rank) || rank < 0 ||
      rank >= this.endpoint.size)) || !this.lockedAll && (rank === undefined ? this.locked.size === 0
      : rank !== PROC_NULL && !this.locked.has(rank))) {
      return this.flushRejected(rank, call);
    }
    if (rank === PROC_NULL) return RESOLVED;
    const done = window.flush(rank, local);
    return this.inFlight.size === 0 ? done : this.flushReleasing(done, rank);
  }

  // The closures of a flush live in these two, not in flushing: V8 allocates what a closure captures at every call
  // of the function that holds it, taken or not (59 bytes per Flush).

  /** A flush that cannot be made: the rejected Promise. */
  private flushRejected(rank: number | undefined, call: string): Promise<void> {
    return rejecting(() => this.flushError(rank, call));
  }

  /** A flush on the mpi transport: the buffers held for `rank` are released once it is done. */
  private flushReleasing(done: Promise<void>, rank: number | undefined): Promise<void> {
    return done.then(() => this.release(rank));
  }

  /** The error of a flush that cannot be made (checked in the order of the calls' other checks). */
  private flushError(rank: number | undefined, call: string): never {
    this.live(call);
    if (rank !== undefined) this.checkRank(rank, call);
    throw errors.rmaSync(call, 'flushes need a passive-target epoch (Win.Lock or Win.Lock_all)');
  }

  /** `MPI_Win_flush` (MPI-4.1 §12.5.4): completes the calls to `rank`, at the origin and the target. */
  Flush(rank: number): Promise<void> {
    try {
      // Inside Lock_all, with nothing held for later (shm): the transport's flush, with one call (see plainTarget).
      const window = this.transportWindow;
      if (this.lockedAll && window !== null && (rank | 0) === rank && rank >= 0 && rank < window.sizes.length &&
        this.inFlight.size === 0) {
        return this.handled(window.flush(rank, false));
      }
      return this.handled(this.flushing(rank, false, 'Win.Flush'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Win_flush_all`: {@link Flush} of every rank. */
  Flush_all(): Promise<void> {
    try {
      return this.handled(this.flushing(undefined, false, 'Win.Flush_all'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Win_flush_local`: completes the calls to `rank` at the origin (its buffers may be reused). */
  Flush_local(rank: number): Promise<void> {
    try {
      return this.handled(this.flushing(rank, true, 'Win.Flush_local'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Win_flush_local_all`. */
  Flush_local_all(): Promise<void> {
    try {
      return this.handled(this.flushing(undefined, true, 'Win.Flush_local_all'));
    } catch (error) {
      return this.failed(error);
    }
  }

  /** `MPI_Win_sync` (MPI-4.1 §12.5.4): synchronizes the public and private copies of this rank's window. */
  Sync(): void {
    try {
      this.live('Win.Sync').sync();
    } catch (error) {
      throw this.raised(error);
    }
  }

  // -------------------------------------- attributes and error handlers
  // (MPI-4.1 §7.7.3 and §9.3.2; added after the communication calls so that edits there stay apart)

  /** The window's hints (`Set_info`). */
  private hints: Info = Info.Create();
  /** The window's error handler: `MPI.ERRORS_RETURN` unless set. */
  private errhandler: Errhandler = ERRORS_RETURN;

  /**
   * `MPI_Win_create_keyval` (MPI-4.1 §7.7.3): a key for {@link Set_attr}.
   * Windows are never duplicated, so `copy_fn` is accepted for mpi4py's
   * signature and never called; `delete_fn` runs on `Delete_attr`, on a
   * `Set_attr` that replaces the value, and on `Free`.
   *
   * @example
   * ```ts
   * const key = MPI.Win.Create_keyval(undefined, (w, k, value) => console.log('gone', value));
   * win.Set_attr(key, { owner: 'solver' });
   * win.Get_attr(key); // { owner: 'solver' }
   * ```
   */
  static Create_keyval(copy_fn?: AttributeCopy<Win> | true | null, delete_fn?: AttributeDelete<Win> | null): number {
    return attributes.createKeyval(copy_fn, delete_fn);
  }

  /** `MPI_Win_free_keyval` (MPI-4.1 §7.7.3): returns `MPI.KEYVAL_INVALID`; windows that hold it keep their value. */
  static Free_keyval(keyval: number): number {
    return attributes.freeKeyval(keyval);
  }

  /**
   * `MPI_Win_set_attr` (MPI-4.1 §7.7.3): a replaced value goes through the
   * delete callback first; the predefined keys (`MPI.WIN_BASE`, ...) cannot be set.
   *
   * @example
   * ```ts
   * const key = MPI.Win.Create_keyval();
   * win.Set_attr(key, 42);
   * ```
   */
  Set_attr(keyval: number, attrval: unknown): void {
    try {
      this.live('Win.Set_attr');
      attributes.set(this, keyval, attrval);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Win_delete_attr` (MPI-4.1 §7.7.3): runs the delete callback; `ERR_KEYVAL` when it is not set. */
  Delete_attr(keyval: number): void {
    try {
      this.live('Win.Delete_attr');
      attributes.delete(this, keyval);
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** mpi4py's `info` property: {@link Get_info}, and {@link Set_info} when assigned. */
  get info(): Info {
    return this.Get_info();
  }

  set info(info: Info) {
    this.Set_info(info);
  }

  /**
   * `MPI_Win_create_errhandler` (MPI-4.1 §9.3.2): a handler that calls `fn`
   * with the window and the error code.
   *
   * @example
   * ```ts
   * win.Set_errhandler(MPI.Win.Create_errhandler((w, code) => console.error(code)));
   * ```
   */
  static Create_errhandler(fn: ErrhandlerFunction<Win>): Errhandler {
    if (typeof fn !== 'function') throw errors.arg('Win.Create_errhandler', `expected a function, got ${typeof fn}`);
    return new Errhandler('user', 'user error handler', fn as ErrhandlerFunction<never>);
  }

  /** `MPI_Win_set_errhandler` (MPI-4.1 §9.3.2). */
  Set_errhandler(errhandler: Errhandler): void {
    try {
      this.live('Win.Set_errhandler');
      this.errhandler = checkErrhandler(errhandler, 'Win.Set_errhandler');
    } catch (error) {
      throw this.raised(error);
    }
  }

  /** `MPI_Win_get_errhandler` (MPI-4.1 §9.3.2): `MPI.ERRORS_RETURN` unless set (windows' default in mpi4py). */
  Get_errhandler(): Errhandler {
    this.live('Win.Get_errhandler');
    return this.errhandler;
  }

  /**
   * `MPI_Win_call_errhandler` (MPI-4.1 §9.3.2): invokes the handler with
   * `errorcode` (a user handler's function, or the end of the job for
   * `ERRORS_ARE_FATAL`/`ERRORS_ABORT`); nothing happens with `ERRORS_RETURN`.
   *
   * @example
   * ```ts
   * win.Call_errhandler(MPI.ERR_OTHER);
   * ```
   */
  Call_errhandler(errorcode: number): void {
    this.live('Win.Call_errhandler');
    invokeErrhandler(this.errhandler, this, this.name, errorcode, calledErrorReport(errorcode, 'Win.Call_errhandler'));
  }

  // Every public call that can fail on a live window goes through its error handler (MPI-4.1 §9.3), written out
  // in the call as in comm.ts: a Promise through handled (failed for what threw before it), a value in
  // try { ... } catch (error) { throw this.raised(error) }. The getters fail only on a freed window, which has no
  // handler; a call made of other public calls (attrs, base, Get_attr's predefined keys) leaves it to them.

  /** `promise`, through the window's error handler when it rejects: with `MPI.ERRORS_RETURN` one comparison. */
  private handled<T>(promise: Promise<T>): Promise<T> {
    return handledBy(this.errhandler, this, promise);
  }

  /** A call that threw `error` before it had a Promise: rejects through the error handler. */
  private failed(error: unknown): Promise<never> {
    return this.handled(Promise.reject(error));
  }

  /**
   * Applies the error handler to `error`, an exception of one of this
   * window's calls, and returns it to be thrown. A freed window has no
   * handler: its calls fail as with `MPI.ERRORS_RETURN`.
   */
  private raised(error: unknown): unknown {
    return this.transportWindow === null ? error : applyErrhandler(this.errhandler, this, this.name, error);
  }

  /**
   * @internal {@link raised} for `errhandler.ts`: the errors of this
   * window's calls ({@link handled}) and of its request-based calls (`Rput`,
   * ...) at their completion (MPI-4.1 §9.3).
   */
  [raisedByHandler](error: unknown): unknown {
    return this.raised(error);
  }

  toString(): string {
    return this.name;
  }
}

function checkDatatype(datatype: unknown, call: string): asserts datatype is Datatype {
  if (!(datatype instanceof Datatype)) throw errors.type(call, `${String(datatype)} is not a datatype`);
  if (!predefinedDatatypes.has(datatype)) datatype.checkUsable(call);
}

/** Elements `[at, at + n)` of `size` bytes each of `array` (a byte view for the pair types). */
function slice(array: TypedArray, at: number, n: number, size: number): TypedArray {
  const unit = array.BYTES_PER_ELEMENT === size ? 1 : size;
  return array.subarray(at * unit, (at + n) * unit);
}

/**
 * The byte runs `count` elements of `map` cover from byte `offset`: offset and
 * length pairs, in type order, adjacent runs merged.
 */
function runsOf(map: Typemap<Datatype>, count: number, offset: number): number[] {
  if (map.contiguous || count === 0) return count * map.size === 0 ? [] : [offset, count * map.size];
  const runs: number[] = [];
  for (let i = 0; i < count; i++) {
    const base = offset + i * map.extent;
    for (let r = 0; r < map.runOffsets.length; r++) {
      const at = base + map.runOffsets[r]!;
      const last = runs.length - 2;
      if (last >= 0 && runs[last]! + runs[last + 1]! === at) runs[last + 1]! += map.runLengths[r]!;
      else runs.push(at, map.runLengths[r]!);
    }
  }
  return runs;
}

const RESOLVED = Promise.resolve();
/** {@link Win.plainOffset}: a call to `MPI.PROC_NULL`, which moves nothing. */
const SKIP = -1;
/** {@link Win.plainOffset}: the fast path does not apply. */
const NOT_PLAIN = -2;

/** The bytes of a typed array, as a `Uint8Array` (itself when it is one). */
function plainBytes(view: TypedArray): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A typed array (not a DataView), which the fast paths take. */
function isPlainView(spec: unknown): spec is TypedArray {
  return ArrayBuffer.isView(spec) && !(spec instanceof DataView);
}

const datatypeByClass = new Map<unknown, Datatype>();

/** Element kinds whose `MPI.SUM` needs no check: the integers (the quickest path of `Fetch_and_op`). */
const counterKinds = new Set<string>(['int', 'uint', 'bigint', 'biguint']);

/** The datatype of a typed array's elements (cached by class; `ERR_TYPE` for a class without one). */
function datatypeOf(view: TypedArray, call: string): Datatype {
  let datatype = datatypeByClass.get(view.constructor);
  if (datatype === undefined) datatypeByClass.set(view.constructor, datatype = elementDatatype(view, call));
  return datatype;
}

function checkOp(op: Op, datatype: Datatype, call: string): void {
  if (!(op instanceof Op)) throw errors.op(call, `${String(op)} is not an op`);
  if (op === REPLACE || op === NO_OP) return;
  if (op.predefined === undefined) throw errors.op(call, `${op.name}: one-sided accumulates take predefined ops only`);
  op.check(datatype, call);
}

/** The elements of a parsed buffer as its datatype's typed array class (an aligned copy where they are not). */
function elements(message: Message): TypedArray {
  const arrayType = message.datatype.arrayType;
  if (arrayType === undefined || message.elements.constructor === arrayType) return message.elements;
  const copy = new arrayType(message.count);
  new Uint8Array(copy.buffer).set(message.bytes);
  return copy;
}
