/**
 * One-sided communication on the shm transport: windows whose memory every
 * rank loads and stores directly.
 *
 * MPI-4.1 §12.2 (window creation: `MPI_Win_create`, `MPI_Win_allocate`,
 * `MPI_Win_allocate_shared` with `MPI_Win_shared_query`, `MPI_Win_free`),
 * §12.3 (`MPI_Put`, `MPI_Get`, `MPI_Accumulate`, `MPI_Get_accumulate`,
 * `MPI_Fetch_and_op`, `MPI_Compare_and_swap`), §12.4 (the unified memory
 * model: there is one copy of the window), §12.5 (synchronization: fence,
 * post-start-complete-wait, lock/unlock, flush, sync), §12.7 (semantics:
 * accumulates are atomic per element).
 *
 * Ranks are worker threads of one process. Each rank's window memory is a
 * SharedArrayBuffer (its own for `Win.Allocate`, the user's for `Win.Create`,
 * one for all ranks, contiguous, for `Win.Allocate_shared`); the buffers are
 * exchanged at creation over a `BroadcastChannel` named for the window, which
 * hands SharedArrayBuffers over as shared memory. So:
 *
 * - `put` and `get` are copies, complete when they return, through a byte
 *   view of each rank's memory made at creation (a loop for a few bytes);
 * - accumulates of elements of 1, 2, 4 or 8 bytes are atomic per element
 *   through `Atomics` on an integer view of the target: `Atomics.add`,
 *   `and`, `or`, `xor`, `exchange` where the op is one of them, else a
 *   compare-exchange loop around the op's kernel (floats included: their
 *   bits are compared); one element of a signed integer type (a counter's
 *   `Fetch_and_op`) is one such call on an integer view made once per
 *   target and size, with no allocation but a 64-bit value's BigInts (`put`,
 *   `get` and `flush` allocate nothing, optimized by V8 or not: the hot
 *   functions make no closure, and sizes and offsets are small integers).
 *   The pair types (and misaligned targets) take the target's accumulate
 *   mutex, a word of its control block;
 * - each rank's control block (an Int32Array on a SharedArrayBuffer of its
 *   own) holds a reader-writer lock word (`Win.Lock`: 0 free, n > 0 readers,
 *   -1 a writer), the accumulate mutex, and per peer a count of the posts it
 *   received (`Win.Start` waits for them) and of the completes (`Win.Wait`);
 * - a fence is a barrier over the window's communicator; flushes have nothing
 *   to wait for.
 *
 * Waits for a lock word or a count go through `Atomics.waitAsync`, which
 * leaves the event loop free (a timer keeps the worker alive meanwhile, as
 * `waitAsync` alone does not).
 *
 * Dynamic windows (§12.2.4, `Win.Create_dynamic`): displacements are
 * addresses (`shmAddress`: each buffer a base address of its own, its views at
 * base + byte offset). Attached memory must be in the job's heaps (`MPI.alloc`),
 * which every rank maps: `Win.Attach` writes the region (address, heap, offset,
 * length) into a table at the end of the rank's control block under a
 * sequence lock (a generation word, odd while it changes); an origin rereads a
 * target's table when its generation has moved, so an attach or detach that
 * happened before the synchronization that lets the origin access the target
 * is always known to it.
 *
 * Unfinished: `Win.Attach` of SharedArrayBuffers other than the heaps; `Win.Create` over memory
 * that is not a SharedArrayBuffer (plain memory cannot be shared with other
 * threads: use `MPI.alloc` or a SharedArrayBuffer); the deadlock monitor does
 * not see ranks waiting for a window lock.
 *
 * @module
 */

import { BroadcastChannel } from 'node:worker_threads';
import type { Datatype, TypedArray } from '../../datatype/index.js';
import { errors } from '../../errors.js';
import type { Op } from '../../op/op.js';
import type { Endpoint, LockType, Window, WindowRequest } from '../transport.js';

/** Control block words (after the header, two counts per peer, then the attach generation). */
const LOCK = 0;
const MUTEX = 1;
const HEADER = 2;

/**
 * Addresses (`MPI.Get_address`, the displacements of dynamic windows): each
 * buffer this rank meets gets a base address of its own, its views are at
 * base + byte offset. Bases are 1 MiB apart past each buffer's end; an empty
 * buffer is at address 0.
 */
const bases = new WeakMap<ArrayBufferLike, number>();
let nextBase = 2 ** 20;

/** `MPI_Get_address` on shm: the address of the first byte of `view` in this rank's address space. */
export function shmAddress(view: ArrayBufferView): number {
  const buffer = view.buffer;
  if (buffer.byteLength === 0) return 0;
  let base = bases.get(buffer);
  if (base === undefined) {
    base = nextBase;
    bases.set(buffer, base);
    nextBase += Math.ceil((buffer.byteLength + 1) / 2 ** 20) * 2 ** 20;
  }
  return base + view.byteOffset;
}

/** A region of memory a rank attached to a dynamic window: its address there, and where it is in the heaps. */
interface Region {
  readonly address: number;
  readonly byteLength: number;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/** Regions a rank of a dynamic window can have attached at once. */
const MAX_REGIONS = 255;
/** Numbers per region in a region table: address, heap index, byte offset, length. */
const REGION_FIELDS = 4;

let windowsCreated = 0;
const RESOLVED = Promise.resolve();

type IntArray = Int8Array | Int16Array | Int32Array | BigInt64Array;
/** Bytes up to which a put or get copies in a loop. */
const SMALL_COPY = 16;
type IntArrayType = Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor;
const intTypes: Record<number, IntArrayType | undefined> = { 1: Int8Array, 2: Int16Array, 4: Int32Array, 8: BigInt64Array };

interface Segment {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly control: Int32Array;
}

interface Announcement {
  readonly rank: number;
  readonly buffer: SharedArrayBuffer | undefined;
  readonly byteOffset: number;
  readonly control: SharedArrayBuffer;
}

let keepAlives = 0;
let keepAliveTimer: ReturnType<typeof setInterval> | undefined;

/** Waits (without blocking the event loop) while `words[index]` still holds `value`. */
async function waitWhile(words: Int32Array, index: number, value: number): Promise<void> {
  if (keepAlives++ === 0) keepAliveTimer = setInterval(() => undefined, 1 << 30);
  try {
    const result = Atomics.waitAsync(words, index, value, 100);
    if (result.async) await result.value;
  } finally {
    if (--keepAlives === 0) clearInterval(keepAliveTimer);
  }
}

/** Waits until `words[index]` exceeds `seen`. */
async function waitAbove(words: Int32Array, index: number, seen: number): Promise<void> {
  for (;;) {
    const now = Atomics.load(words, index);
    if (now > seen) return;
    await waitWhile(words, index, now);
  }
}

/**
 * Creates a window over the ranks of `endpoint` (collective); `endpoint` is the
 * window's own communicator.
 */
export async function createShmWindow(endpoint: Endpoint, request: WindowRequest, call: string,
  heaps: readonly SharedArrayBuffer[]): Promise<Window> {
  const { rank, size } = endpoint;
  // Every rank learns every rank's size and displacement unit, and rank 0's name for the window's channel.
  const mine = Float64Array.of(request.flavor === 'create' ? request.memory!.byteLength : request.bytes, request.dispUnit,
    rank === 0 ? ++windowsCreated : 0);
  const all = new Float64Array(3 * size);
  const counts = new Array<number>(size).fill(24);
  await endpoint.collectives.allgatherv(new Uint8Array(mine.buffer), new Uint8Array(all.buffer), counts,
    counts.map((_, i) => 24 * i));
  // As small integers where they fit, not doubles: before V8 optimizes a Put, every number read from a double
  // array, and every sum made with one (an offset, then each byte's index in a short copy), is a heap allocation.
  const sizes = Array.from({ length: size }, (_, r) => smallInteger(all[3 * r]!));
  const dispUnits = Array.from({ length: size }, (_, r) => smallInteger(all[3 * r + 1]!));

  // Dynamic windows: the control block ends with a region table (a count, then the regions' fields), 8-aligned.
  const controlBytes = 4 * (HEADER + 2 * size + 1);
  const tableOffset = Math.ceil(controlBytes / 8) * 8;
  const control = new SharedArrayBuffer(request.flavor === 'dynamic'
    ? tableOffset + 8 * (1 + REGION_FIELDS * MAX_REGIONS) : controlBytes);
  let own: Announcement;
  if (request.flavor === 'create') {
    const memory = request.memory!;
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      throw errors.buffer(call, 'on the shm transport the memory of a window must be shared: use MPI.alloc ' +
        'or a view of a SharedArrayBuffer');
    }
    own = { rank, buffer: memory.buffer, byteOffset: memory.byteOffset, control };
  } else if (request.flavor === 'allocate') {
    own = { rank, buffer: new SharedArrayBuffer(request.bytes), byteOffset: 0, control };
  } else if (request.flavor === 'shared') {
    // One buffer for all, each segment aligned to 8 bytes.
    const total = sizes.reduce((sum, bytes) => sum + Math.ceil(bytes / 8) * 8, 0);
    own = { rank, buffer: rank === 0 ? new SharedArrayBuffer(total) : undefined, byteOffset: 0, control };
  } else {
    own = { rank, buffer: undefined, byteOffset: 0, control };
  }

  // Exchange the buffers: every rank opens the channel, then all post.
  const channel = new BroadcastChannel(`mpi4ts-window-${endpoint.worldRankOf(0)}-${all[2]}`);
  const announcements: Announcement[] = [own];
  let arrived!: () => void;
  const allArrived = new Promise<void>((resolve) => {
    arrived = resolve;
    if (size === 1) resolve();
  });
  channel.onmessage = (event: unknown) => {
    announcements.push((event as { data: Announcement }).data);
    if (announcements.length === size) arrived();
  };
  try {
    await endpoint.collectives.barrier();
    channel.postMessage(own);
    await allArrived;
  } finally {
    channel.close();
  }
  announcements.sort((a, b) => a.rank - b.rank);

  const segments: Segment[] = [];
  let sharedOffset = 0;
  for (let r = 0; r < size; r++) {
    const a = announcements[r]!;
    if (request.flavor === 'shared') {
      segments.push({ buffer: announcements[0]!.buffer!, byteOffset: sharedOffset, byteLength: sizes[r]!,
        control: new Int32Array(a.control) });
      sharedOffset += Math.ceil(sizes[r]! / 8) * 8;
    } else {
      segments.push({ buffer: a.buffer ?? new SharedArrayBuffer(0), byteOffset: a.byteOffset, byteLength: sizes[r]!,
        control: new Int32Array(a.control) });
    }
  }
  return new ShmWindow(endpoint, segments, sizes, dispUnits,
    request.flavor === 'dynamic' ? { heaps, tableOffset } : undefined);
}

class ShmWindow implements Window {
  readonly memory: Uint8Array;
  private readonly locks = new Map<number, LockType>();
  private readonly postsSeen: number[];
  private readonly completesSeen: number[];
  private startGroup: readonly number[] = [];
  private postGroup: readonly number[] = [];
  private readonly scratch = new ArrayBuffer(16);
  /** Windows that are not dynamic: a byte view of each rank's memory, made once (no view per call). */
  private readonly views: readonly Uint8Array[] | undefined;
  /**
   * Windows that are not dynamic: integer views of each rank's memory by
   * element size (1, 2, 4, 8), made at their first accumulate, for the
   * one-element `Atomics` path (a counter's `Fetch_and_op`); null where the
   * memory is not aligned to the size.
   */
  private readonly cells: (IntArray | null | undefined)[][] = [];

  /** Dynamic windows: the regions every rank has attached, as this rank last read them, and their generations. */
  private readonly regions: Region[][] | undefined;
  private readonly generations: number[] = [];
  private readonly generationWord: number;

  constructor(private readonly endpoint: Endpoint, private readonly segments: readonly Segment[],
    readonly sizes: readonly number[], readonly dispUnits: readonly number[],
    private readonly dynamic: { readonly heaps: readonly SharedArrayBuffer[]; readonly tableOffset: number } | undefined) {
    const own = segments[endpoint.rank]!;
    this.memory = new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
    this.postsSeen = new Array<number>(endpoint.size).fill(0);
    this.completesSeen = new Array<number>(endpoint.size).fill(0);
    this.generationWord = HEADER + 2 * endpoint.size;
    if (dynamic !== undefined) {
      this.regions = Array.from({ length: endpoint.size }, () => []);
      this.generations = new Array<number>(endpoint.size).fill(0);
    } else {
      this.views = segments.map((m) => new Uint8Array(m.buffer, m.byteOffset, m.byteLength));
    }
  }

  /** The buffer and byte position of `offset` at `target` (for a dynamic window, an address in an attached region). */
  private place(target: number, offset: number, length: number): [SharedArrayBuffer, number] {
    if (this.regions === undefined) {
      const s = this.segments[target]!;
      return [s.buffer, s.byteOffset + offset];
    }
    const region = this.regionAt(target, offset, length)!;
    return [region.buffer, region.byteOffset + offset - region.address];
  }

  private bytes(target: number, offset: number, length: number): Uint8Array {
    const [buffer, at] = this.place(target, offset, length);
    return new Uint8Array(buffer, at, length);
  }

  private regionAt(target: number, address: number, length: number): Region | undefined {
    return this.regions![target]!.find((r) => address >= r.address && address + length <= r.address + r.byteLength);
  }

  /** `rank`'s region table (in its control block). */
  private table(rank: number): Float64Array {
    const control = this.segments[rank]!.control;
    return new Float64Array(control.buffer, this.dynamic!.tableOffset, 1 + REGION_FIELDS * MAX_REGIONS);
  }

  /**
   * Attaches or detaches `memory` here. The region table is written under a
   * sequence lock: the generation word is odd while it changes.
   */
  attach(memory: Uint8Array, attach: boolean): void {
    const me = this.endpoint.rank;
    const heap = this.dynamic!.heaps.indexOf(memory.buffer as SharedArrayBuffer);
    if (heap < 0) {
      throw errors.rmaAttach(attach ? 'Win.Attach' : 'Win.Detach', 'on the shm transport attached memory must come ' +
        'from MPI.alloc (or MPI.Alloc_mem), which every rank can reach');
    }
    const region: Region = { address: shmAddress(memory), byteLength: memory.byteLength,
      buffer: memory.buffer as SharedArrayBuffer, byteOffset: memory.byteOffset };
    const mine = this.regions![me]!;
    if (attach && mine.length >= MAX_REGIONS) {
      throw errors.rmaAttach('Win.Attach', `more than ${MAX_REGIONS} regions attached at rank ${me}`);
    }
    if (attach) mine.push(region);
    else mine.splice(mine.findIndex((r) => r.address === region.address), 1);
    const words = this.segments[me]!.control;
    const table = this.table(me);
    Atomics.add(words, this.generationWord, 1);
    table[0] = mine.length;
    mine.forEach((r, i) => {
      const at = 1 + REGION_FIELDS * i;
      table[at] = r.address;
      table[at + 1] = this.dynamic!.heaps.indexOf(r.buffer);
      table[at + 2] = r.byteOffset;
      table[at + 3] = r.byteLength;
    });
    this.generations[me] = Atomics.add(words, this.generationWord, 1) + 1;
  }

  attached(target: number, address: number, bytes: number): boolean {
    const words = this.segments[target]!.control;
    for (let generation = Atomics.load(words, this.generationWord); generation !== this.generations[target];
      generation = Atomics.load(words, this.generationWord)) {
      if (generation % 2 !== 0) continue; // being written
      const table = this.table(target);
      const count = table[0]!;
      const read: Region[] = [];
      for (let i = 0; i < count && i < MAX_REGIONS; i++) {
        const at = 1 + REGION_FIELDS * i;
        const buffer = this.dynamic!.heaps[table[at + 1]!];
        if (buffer !== undefined) {
          read.push({ address: table[at]!, buffer, byteOffset: table[at + 2]!, byteLength: table[at + 3]! });
        }
      }
      if (Atomics.load(words, this.generationWord) === generation) {
        this.regions![target] = read;
        this.generations[target] = generation;
      }
    }
    return this.regionAt(target, address, bytes) !== undefined;
  }

  put(data: Uint8Array, target: number, offset: number): void {
    const n = data.byteLength;
    if (this.views === undefined) {
      this.bytes(target, offset, n).set(data);
      return;
    }
    const view = this.views[target]!;
    // A few bytes: a loop beats TypedArray.prototype.set's call into the runtime.
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) view[offset + i] = data[i]!;
    else view.set(data, offset);
  }

  get(into: Uint8Array, target: number, offset: number): void {
    const n = into.byteLength;
    if (this.views === undefined) {
      into.set(this.bytes(target, offset, n));
      return;
    }
    const view = this.views[target]!;
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) into[i] = view[offset + i]!;
    else into.set(view.subarray(offset, offset + n));
  }

  /**
   * The integer view of `target`'s memory for elements of `size` bytes
   * (windows that are not dynamic), or null where that memory is not
   * aligned to `size`.
   */
  private cellsOf(target: number, size: number): IntArray | null {
    let bySize = this.cells[size];
    if (bySize === undefined) this.cells[size] = bySize = [];
    let view = bySize[target];
    if (view === undefined) {
      const s = this.segments[target]!;
      const type = intTypes[size]!;
      view = s.byteOffset % size === 0 ? new type(s.buffer as unknown as ArrayBuffer, s.byteOffset, Math.floor(s.byteLength / size)) : null;
      bySize[target] = view;
    }
    return view;
  }

  /** An integer view of `count` elements of `size` bytes at the target, when `Atomics` can work on it. */
  private atomicView(target: number, offset: number, count: number, size: number): IntArray | undefined {
    const type = intTypes[size];
    const [buffer, at] = this.place(target, offset, count * size);
    if (type === undefined || at % size !== 0) return undefined;
    return new type(buffer as unknown as ArrayBuffer, at, count);
  }

  accumulate(origin: TypedArray, result: TypedArray | undefined, count: number, datatype: Datatype, op: Op,
    target: number, offset: number): void {
    if (count === 0) return;
    const size = datatype.size;
    if (count === 1 && this.views !== undefined && offset % size === 0 && (datatype.kind === 'int' || datatype.kind === 'bigint') &&
      datatype.arrayType === intTypes[size] && origin.constructor === datatype.arrayType &&
      (result === undefined || result.constructor === datatype.arrayType)) {
      // One signed integer element (a counter): one Atomics call on a view made once.
      const direct = directOps[op.name];
      const cells = this.cellsOf(target, size);
      if (direct !== undefined && cells !== null) {
        const old = direct(cells, offset / size, origin[0]!);
        if (result !== undefined) result[0] = old;
        return;
      }
    }
    this.accumulateElements(origin, result, count, datatype, op, target, offset);
  }

  /**
   * {@link accumulate} besides one integer element. Apart because its mutex
   * path makes a closure: V8 allocates what a closure captures at every call of
   * the function that holds it, taken or not, and the counter's path above
   * must allocate nothing.
   */
  private accumulateElements(origin: TypedArray, result: TypedArray | undefined, count: number, datatype: Datatype,
    op: Op, target: number, offset: number): void {
    const size = datatype.size;
    const view = datatype.kind === 'pair' || datatype.kind === 'complex' ? undefined : this.atomicView(target, offset, count, size);
    if (view === undefined) {
      this.underMutex(target, () => {
        const bytes = this.bytes(target, offset, count * size);
        if (result !== undefined) new Uint8Array(result.buffer, result.byteOffset, count * size).set(bytes);
        const into = datatype.arrayType !== undefined && (bytes.byteOffset % size) === 0
          ? new datatype.arrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, count) : bytes;
        this.combine(origin, into, count, datatype, op);
      });
      return;
    }
    const type = intTypes[size]!;
    // The origin's and result's elements as the same integer type (their bits).
    const originBits = op.name === 'MPI_NO_OP' ? undefined : asBits(origin, type, count);
    const resultBits = result === undefined ? undefined : asBits(result, type, count);
    const direct = directOps[op.name];
    if (direct !== undefined && (op.name !== 'MPI_SUM' || (datatype.kind !== 'float' && datatype.kind !== 'bool'))) {
      for (let i = 0; i < count; i++) {
        const old = direct(view, i, originBits === undefined ? 0 : originBits[i]!);
        if (resultBits !== undefined) resultBits[i] = old;
      }
    } else {
      // A compare-exchange loop around the op's kernel, one element at a time.
      const arrayType = datatype.arrayType!;
      const cell = new type(this.scratch, 0, 1);
      const value = new arrayType(this.scratch, 0, 1);
      const input = new arrayType(this.scratch, 8, 1);
      const ints = view as Int32Array;
      const cellInts = cell as Int32Array;
      for (let i = 0; i < count; i++) {
        input[0] = origin[i]!;
        for (;;) {
          const old = Atomics.load(ints, i);
          cellInts[0] = old;
          op.applyBuffer(input, value, 1, datatype);
          if (Atomics.compareExchange(ints, i, old, cellInts[0]!) === old) {
            if (resultBits !== undefined) (resultBits as Int32Array)[i] = old;
            break;
          }
        }
      }
    }
    if (resultBits !== undefined && resultBits.buffer !== result!.buffer) {
      new Uint8Array(result!.buffer, result!.byteOffset, count * size).set(new Uint8Array(resultBits.buffer, 0, count * size));
    }
  }

  /** `into = origin op into` for a predefined op, `MPI_REPLACE` or `MPI_NO_OP`. */
  private combine(origin: TypedArray, into: TypedArray, count: number, datatype: Datatype, op: Op): void {
    if (op.name === 'MPI_NO_OP') return;
    if (op.name === 'MPI_REPLACE') {
      new Uint8Array(into.buffer, into.byteOffset, count * datatype.size)
        .set(new Uint8Array(origin.buffer, origin.byteOffset, count * datatype.size));
      return;
    }
    op.applyBuffer(origin, into, count, datatype);
  }

  compareAndSwap(origin: TypedArray, compare: TypedArray, result: TypedArray, datatype: Datatype, target: number,
    offset: number): void {
    const size = datatype.size;
    const view = this.atomicView(target, offset, 1, size);
    if (view === undefined) {
      this.underMutex(target, () => {
        const bytes = this.bytes(target, offset, size);
        const old = Uint8Array.from(bytes);
        new Uint8Array(result.buffer, result.byteOffset, size).set(old);
        const against = new Uint8Array(compare.buffer, compare.byteOffset, size);
        if (old.every((b, i) => b === against[i])) bytes.set(new Uint8Array(origin.buffer, origin.byteOffset, size));
      });
      return;
    }
    const type = intTypes[size]!;
    const old = Atomics.compareExchange(view as Int32Array, 0, asBits(compare, type, 1)[0] as number,
      asBits(origin, type, 1)[0] as number);
    const out = asBits(result, type, 1);
    (out as Int32Array)[0] = old;
    if (out.buffer !== result.buffer) new Uint8Array(result.buffer, result.byteOffset, size).set(new Uint8Array(out.buffer, 0, size));
  }

  /** Runs `body` holding `target`'s accumulate mutex (held for a few copies only: a blocking wait is short). */
  private underMutex(target: number, body: () => void): void {
    const words = this.segments[target]!.control;
    while (Atomics.compareExchange(words, MUTEX, 0, 1) !== 0) Atomics.wait(words, MUTEX, 1, 1);
    try {
      body();
    } finally {
      Atomics.store(words, MUTEX, 0);
      Atomics.notify(words, MUTEX, 1);
    }
  }

  fence(): Promise<void> {
    return this.endpoint.collectives.barrier();
  }

  async post(ranks: readonly number[]): Promise<void> {
    this.postGroup = ranks;
    const me = this.endpoint.rank;
    for (const origin of ranks) {
      const words = this.segments[origin]!.control;
      Atomics.add(words, HEADER + me, 1);
      Atomics.notify(words, HEADER + me);
    }
  }

  async start(ranks: readonly number[]): Promise<void> {
    const words = this.segments[this.endpoint.rank]!.control;
    for (const target of ranks) {
      await waitAbove(words, HEADER + target, this.postsSeen[target]!);
      this.postsSeen[target]!++;
    }
    this.startGroup = ranks;
  }

  async complete(): Promise<void> {
    const me = this.endpoint.rank;
    const size = this.endpoint.size;
    for (const target of this.startGroup) {
      const words = this.segments[target]!.control;
      Atomics.add(words, HEADER + size + me, 1);
      Atomics.notify(words, HEADER + size + me);
    }
    this.startGroup = [];
  }

  async wait(): Promise<void> {
    const words = this.segments[this.endpoint.rank]!.control;
    const size = this.endpoint.size;
    for (const origin of this.postGroup) {
      await waitAbove(words, HEADER + size + origin, this.completesSeen[origin]!);
      this.completesSeen[origin]!++;
    }
    this.postGroup = [];
  }

  test(): boolean {
    const words = this.segments[this.endpoint.rank]!.control;
    const size = this.endpoint.size;
    if (!this.postGroup.every((o) => Atomics.load(words, HEADER + size + o) > this.completesSeen[o]!)) return false;
    for (const origin of this.postGroup) this.completesSeen[origin]!++;
    this.postGroup = [];
    return true;
  }

  async lock(target: number, type: LockType): Promise<void> {
    const words = this.segments[target]!.control;
    for (;;) {
      const now = Atomics.load(words, LOCK);
      if (type === 'exclusive' ? now === 0 : now >= 0) {
        if (Atomics.compareExchange(words, LOCK, now, type === 'exclusive' ? -1 : now + 1) === now) break;
        continue;
      }
      await waitWhile(words, LOCK, now);
    }
    this.locks.set(target, type);
  }

  async unlock(target: number): Promise<void> {
    const words = this.segments[target]!.control;
    const type = this.locks.get(target);
    this.locks.delete(target);
    if (type === 'exclusive') Atomics.store(words, LOCK, 0);
    else Atomics.sub(words, LOCK, 1);
    Atomics.notify(words, LOCK);
  }

  async lockAll(): Promise<void> {
    for (let r = 0; r < this.endpoint.size; r++) await this.lock(r, 'shared');
  }

  async unlockAll(): Promise<void> {
    for (let r = 0; r < this.endpoint.size; r++) await this.unlock(r);
  }

  flush(): Promise<void> {
    return RESOLVED; // every call completed when it returned
  }

  sync(): void {
    // One copy of the window (the unified model): a fence of memory is all there is to do.
    Atomics.load(this.segments[this.endpoint.rank]!.control, LOCK);
  }

  sharedQuery(rank: number): Uint8Array {
    const s = this.segments[rank]!;
    return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
  }

  free(): Promise<void> {
    return this.endpoint.collectives.barrier();
  }
}

/** `value` (an integer) as a small integer (`| 0`) where it fits in 30 bits, which V8 keeps unboxed. */
function smallInteger(value: number): number {
  return value < 2 ** 30 ? value | 0 : value;
}

/** The first `count` elements of `array` as integers of `type` (a copy when it is not aligned). */
function asBits(array: TypedArray, type: IntArrayType, count: number): IntArray {
  if (array.constructor === type) return array as IntArray;
  if (array.byteOffset % type.BYTES_PER_ELEMENT === 0) return new type(array.buffer as ArrayBuffer, array.byteOffset, count);
  const copy = new type(count);
  new Uint8Array(copy.buffer).set(new Uint8Array(array.buffer, array.byteOffset, count * type.BYTES_PER_ELEMENT));
  return copy;
}

type Direct = (view: IntArray, index: number, value: number | bigint) => number | bigint;
/** Ops that are one `Atomics` call (SUM on integers only). */
const directOps: Record<string, Direct | undefined> = {
  MPI_SUM: (v, i, x) => Atomics.add(v as Int32Array, i, x as number),
  MPI_BAND: (v, i, x) => Atomics.and(v as Int32Array, i, x as number),
  MPI_BOR: (v, i, x) => Atomics.or(v as Int32Array, i, x as number),
  MPI_BXOR: (v, i, x) => Atomics.xor(v as Int32Array, i, x as number),
  MPI_REPLACE: (v, i, x) => Atomics.exchange(v as Int32Array, i, x as number),
  MPI_NO_OP: (v, i) => Atomics.load(v as Int32Array, i),
};
