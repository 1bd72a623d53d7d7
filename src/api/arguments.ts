/**
 * The arguments of the buffer collectives: buffer specs, `MPI.IN_PLACE`,
 * roots, counts and ops checked and turned into what a transport's
 * {@link Collectives} take (bytes, byte counts, element views).
 *
 * MPI-4.1 §6.2.2 (`MPI_IN_PLACE`: the send buffer of Gather(v) and Reduce at
 * the root, of Allgather(v), Alltoall(v), Allreduce, Reduce_scatter(_block),
 * Scan and Exscan everywhere; the receive buffer of Scatter(v) at the root),
 * §6.5 to §6.11 (which arguments matter where: receive buffers of rooted
 * gathers and reductions at the root only, and so on). A spec follows
 * `buffer.ts`: where per-rank blocks are expected, `[buf, count, datatype]`
 * gives the count of each block (as in mpi4py), a plain spec splits into
 * equal blocks, and `[buf, [counts, displs], datatype]` gives them.
 *
 * As in mpi4py, a buffer that does not matter on a rank (the receive buffer
 * of a gather or a reduction off the root, the send buffer of a scatter off
 * the root) may be null. A send buffer that is the very memory of this
 * rank's part of the receive buffer (the same typed array, or a view of
 * exactly that block) means `MPI.IN_PLACE`: MPI calls such aliasing
 * erroneous and Open MPI rejects some of it, but the data is already where
 * in-place wants it.
 *
 * Every check throws an `MPIError` naming the call and what to change,
 * before anything is sent. Buffers of non-contiguous derived datatypes
 * travel packed (`buffer.ts`); receive buffers are unpacked once the
 * collective is done.
 *
 * Each collective's general path (`parsedBcast`, `parsedAlltoall`, ...) is a
 * function of its own, apart from the fast path that its API function
 * returns from, and small functions return once, at their end: V8 optimizes
 * a function whose calls return near its start only after hundreds of them
 * (docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
 *
 * @module
 */

import {
  allocateBytes, type Bytes, bytesOf, copyBytes, elementDatatype, elementsIn, elementsPerSpecElement, endToEnd, type Message,
  packedBlocks, parseWideBuffer, parseWideVectorBuffer, sameMemory, singleView, typedView, unpackBlocks, type VectorMessage,
  type WideMessage, type WideVectorMessage,
} from '../buffer.js';
import { type BlockCollectives, blockCollectivesOf, PointToPointCollectives } from '../collective/point_to_point.js';
import * as segmented from '../collective/segmented.js';
import type { Datatype, TypedArray } from '../datatype/index.js';
import { IN_PLACE, UNDEFINED } from '../constants.js';
import { collectiveScratch } from '../environment.js';
import { errors } from '../errors.js';
import { Op, type ValueFunction } from '../op/op.js';
import type { Collectives, Endpoint } from '../transport/transport.js';

/** Throws `ERR_ROOT` unless `root` is a rank of the communicator. */
export function checkRoot(root: unknown, size: number, call: string): number {
  if (!Number.isInteger(root) || (root as number) < 0 || (root as number) >= size) throw errors.root(call, root, size);
  return root as number;
}

/** Throws `ERR_ARG` unless `color` is a non-negative integer or `MPI.UNDEFINED` and `key` an integer (`MPI_Comm_split`, §7.4.2). */
export function checkSplit(color: unknown, key: unknown, call: string): void {
  if (!Number.isInteger(color) || ((color as number) < 0 && color !== UNDEFINED)) {
    throw errors.arg(call, `invalid color ${String(color)}: must be a non-negative integer or MPI.UNDEFINED`);
  }
  if (!Number.isInteger(key)) throw errors.arg(call, `invalid key ${String(key)}: must be an integer`);
}

/** Throws `ERR_OP` unless `op` is an op. */
export function checkOp(op: unknown, call: string): Op {
  if (!(op instanceof Op)) throw errors.op(call, `expected an op such as MPI.SUM, got ${String(op)}`);
  op.checkLive(call);
  return op;
}

/** The op made for each function given to a value reduction ({@link checkValueOp}), so that a loop passing one function makes one op. */
const functionOps = new WeakMap<object, Op>();

/**
 * Throws `ERR_OP` unless `op` is an op or a function of two values, which
 * becomes a non-commutative op on values (see `ValueFunction`): mpi4py's
 * value reductions take any callable.
 */
export function checkValueOp(op: unknown, call: string): Op {
  // One return, at the end (see the module's note on fast paths).
  return op instanceof Op ? checkOp(op, call) : functionOp(op, call);
}

/** The op of a function given to a value reduction (see {@link checkValueOp}). */
function functionOp(op: unknown, call: string): Op {
  if (typeof op !== 'function') throw errors.op(call, `expected an op such as MPI.SUM or a function of two values, got ${String(op)}`);
  let made = functionOps.get(op);
  if (made === undefined) functionOps.set(op, made = Op.Create(op as ValueFunction<unknown>));
  return made;
}

/**
 * `done`, then the receive buffers of non-contiguous derived datatypes among
 * `received` unpacked from the packed bytes the collective filled
 * (`buffer.ts`); `done` itself when there are none.
 */
function unpacking(done: Promise<void>, received: { readonly unpack?: (() => void) | undefined } | undefined): Promise<void> {
  const unpack = received?.unpack;
  if (unpack === undefined) return done;
  return done.then(() => unpack());
}

/** Datatypes of the typed array classes seen, by prototype, or undefined for one without a datatype of its own. */
const plainTypes = new Map<unknown, Datatype | undefined>();
const getPrototypeOf = Object.getPrototypeOf;
/** The prototype {@link plainDatatype} saw last and its answer: a loop passes arrays of one class, and a Map lookup costs more than this look. */
let lastPrototype: unknown = undefined;
let lastPlainType: Datatype | undefined = undefined;
/**
 * The two specs {@link plainDatatype} answered for last, and its answers: a
 * loop passes the same send and receive arrays at every call, and the look
 * at an array's prototype is a call into V8's runtime (about 40 ns, 2-4% of
 * an 8-byte Scan's CPU time with its two buffers). An array keeps its
 * prototype unless the program sets another with `Object.setPrototypeOf`.
 */
let recentSpec: unknown = undefined;
let recentType: Datatype | undefined = undefined;
let olderSpec: unknown = undefined;
let olderType: Datatype | undefined = undefined;

/**
 * The datatype of `spec` when it is a plain typed array (not a spec array,
 * not a DataView) of a predefined datatype whose elements are that very
 * class: the common form, which needs no parsing, no views and no unpack.
 * Undefined otherwise (the general path parses it and reports what is wrong).
 * The class is told by its prototype, from a builtin call: a read of
 * `spec.constructor` compiles against the classes it has seen, and the
 * first buffer of another class deoptimized every caller (Node 24's first
 * Alltoall of bytes after Allreduces of doubles).
 */
function plainDatatype(spec: unknown): Datatype | undefined {
  if (spec === recentSpec) return recentType;
  if (spec === olderSpec) return olderType;
  const datatype = plainDatatypeOf(spec);
  olderSpec = recentSpec;
  olderType = recentType;
  recentSpec = spec;
  recentType = datatype;
  return datatype;
}

/** {@link plainDatatype} of a spec it did not answer for last. */
function plainDatatypeOf(spec: unknown): Datatype | undefined {
  if (!ArrayBuffer.isView(spec) || spec instanceof DataView) return undefined;
  const prototype: unknown = getPrototypeOf(spec);
  if (prototype === lastPrototype) return lastPlainType;
  let datatype = plainTypes.get(prototype);
  if (datatype === undefined && !plainTypes.has(prototype)) {
    try {
      datatype = elementDatatype(spec as TypedArray, '');
      if (datatype.code === 0 || datatype.arrayType?.prototype !== prototype) datatype = undefined;
    } catch {
      datatype = undefined;
    }
    plainTypes.set(prototype, datatype);
  }
  lastPrototype = prototype;
  lastPlainType = datatype;
  return datatype;
}

/** The pair of arrays {@link samePlainArrays} compared last, and whether they share their buffer and offset. */
let lastFirst: TypedArray | undefined = undefined;
let lastSecond: TypedArray | undefined = undefined;
let lastSameStart = false;

/**
 * Whether plain typed arrays `a` and `b` are the same memory
 * ({@link sameMemory}), from the answer for the pair seen last when they are
 * that pair again: a loop passes the same arrays, and each read of
 * `.buffer` is a call into V8's C++ (about 20 ns). A view's buffer and
 * offset never change; its length may (a view that tracks a resizable
 * buffer), so that is compared each time.
 */
function samePlainArrays(a: TypedArray, b: TypedArray): boolean {
  if (a !== lastFirst || b !== lastSecond) {
    lastFirst = a;
    lastSecond = b;
    // Both read whatever the first says, as in sameMemory: a look that the first pairs skipped had no type feedback.
    const buffer = a.buffer === b.buffer;
    const offset = a.byteOffset === b.byteOffset;
    lastSameStart = buffer && offset;
  }
  return lastSameStart && a.byteLength === b.byteLength;
}

/** The bytes of a plain typed array, itself when it is a Uint8Array. */
function plainBytes(view: TypedArray): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The buffers of a short gather, scatter or allgather of plain typed arrays (see {@link smallBlocks}). */
interface SmallBlocks {
  readonly own: TypedArray | undefined;
  readonly all: TypedArray | undefined;
  readonly block: number;
  readonly collectives: PointToPointCollectives;
}

/**
 * The buffers of a uniform gather, scatter or allgather (`kind`) of plain
 * typed arrays whose blocks fit the shared area, with the collectives that
 * take them without parsing; undefined when the call needs the general path
 * (which parses the buffers and reports what is wrong). `own` is this rank's
 * block (undefined: `MPI.IN_PLACE`, or its very block of `all`), `all` the
 * blocks of every rank end to end where this rank has them (`hasAll`: a
 * root, or any rank of an allgather), `block` their length in bytes.
 */
function smallBlocks(endpoint: Endpoint, kind: 'all' | 'gather' | 'scatter', own: unknown, all: unknown,
  hasAll: boolean): SmallBlocks | undefined {
  const collectives = endpoint.collectives;
  if (!(collectives instanceof PointToPointCollectives)) return undefined;
  const size = endpoint.size;
  let block: number;
  let whole: TypedArray | undefined;
  if (!hasAll) {
    if (plainDatatype(own) === undefined) return undefined;
    block = (own as TypedArray).byteLength;
  } else {
    const datatype = plainDatatype(all);
    if (datatype === undefined) return undefined;
    whole = all as TypedArray;
    if (whole.length % size !== 0) return undefined;
    block = whole.byteLength / size;
    if (own === IN_PLACE) own = undefined;
    else if (plainDatatype(own) !== datatype || (own as TypedArray).byteLength !== block) return undefined;
  }
  if (block * size > limitOf(endpoint) || !collectives.fitsSmallGather(kind, block)) return undefined;
  return { own: own as TypedArray | undefined, all: whole, block, collectives };
}

/** `size` counts of `bytes` each. */
function equalCounts(size: number, bytes: number): number[] {
  return new Array<number>(size).fill(bytes);
}

function inPlaceOnlyAtRoot(call: string): Error {
  return errors.buffer(call, 'MPI.IN_PLACE is valid here at the root only');
}

/** Throws `ERR_BUFFER` when a buffer that matters on this rank is missing or `MPI.IN_PLACE`. */
export function required(spec: unknown, what: string, call: string): void {
  if (spec === undefined || spec === null || spec === IN_PLACE) throw errors.buffer(call, `${what} is required here`);
}

/** True when `send` is the very memory of rank `rank`'s block of the v-buffer `v`. */
function isOwnBlock(send: Bytes, v: VectorMessage | WideVectorMessage, rank: number): boolean {
  const unit = v.datatype.size;
  return send.buffer === v.bytes.buffer && send.byteOffset === v.bytes.byteOffset + v.displs[rank]! * unit &&
    send.byteLength === v.counts[rank]! * unit;
}

/** Byte counts and displacements of a v-buffer, and the bytes of all blocks. */
function blocksOf(v: VectorMessage | WideVectorMessage): { counts: number[]; displs: number[]; total: number } {
  const unit = v.datatype.size;
  let total = 0;
  const counts = v.counts.map((c) => {
    total += c * unit;
    return c * unit;
  });
  return { counts, displs: v.displs.map((d) => d * unit), total };
}

/**
 * The end of the furthest block (`displs[i] + counts[i]` bytes): how much of
 * a buffer one call must address to reach every block.
 */
function spanOf(counts: readonly number[], displs: readonly number[]): number {
  let end = 0;
  for (let i = 0; i < counts.length; i++) end = Math.max(end, displs[i]! + counts[i]!);
  return end;
}

/** Throws `ERR_COUNT` unless the blocks of `v` are equal (the non-v collectives). */
export function checkUniform(v: VectorMessage | WideVectorMessage, call: string, what: string): void {
  if (v.counts.some((c) => c !== v.counts[0])) {
    throw errors.count(call,
      `the ${what} buffer needs equal blocks here (use the v-form for [${v.counts.join(', ')}] × ${v.datatype.describe()})`);
  }
}

function checkBlock(send: Message | WideMessage, bytes: number, call: string): void {
  if (send.bytes.byteLength !== bytes) {
    throw errors.count(call, `this rank's send buffer has ${send.count} × ${send.datatype.name} (${send.bytes.byteLength} bytes) ` +
      `but its block of the receive buffer holds ${bytes} bytes`);
  }
}

/** The first `length` bytes of `bytes` in one view: a view of it, or a copy of a buffer past the longest byte view. */
function oneView(bytes: Bytes, length: number): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes.byteLength === length ? bytes : bytes.subarray(0, length);
  const copy = new Uint8Array(length);
  copyBytes(copy, 0, bytes, 0, length);
  return copy;
}

/** Runs `call` on the first `length` bytes of `bytes` in one view ({@link oneView}), copying a copy back once done. */
function intoOneView(bytes: Bytes, length: number, call: (view: Uint8Array) => Promise<void>): Promise<void> {
  const view = oneView(bytes, length);
  if (bytes instanceof Uint8Array) return call(view);
  return call(view).then(() => copyBytes(bytes, 0, view, 0, length));
}

/**
 * Runs `call` on `displs.length` blocks of `block` bytes end to end, as the
 * shared area takes them: the first bytes of `bytes` ({@link oneView}) when
 * its blocks, at byte offsets `displs`, lie so already, else a packed copy
 * of them (a uniform call's blocks may lie anywhere in this rank's buffer:
 * `[buf, [counts, displs], datatype]`). `back`: a receive buffer, whose
 * blocks are copied back to their offsets once done.
 */
function blocksEndToEnd(bytes: Bytes, displs: readonly number[], block: number, back: boolean,
  call: (blocks: Uint8Array) => Promise<void>): Promise<void> {
  const packed = packedBlocks(bytes, displs, block);
  const length = block * displs.length;
  if (packed === undefined) return back ? intoOneView(bytes, length, call) : call(oneView(bytes, length));
  const done = call(packed);
  return back ? done.then(() => unpackBlocks(packed, bytes, displs, block)) : done;
}

/**
 * The collectives a v-form of gather, scatter or all-to-all (and
 * `Alltoallw`) runs on when its buffers may be longer than one call can
 * take, or undefined for the transport's own. Only a block's two ranks know
 * its length (and each rank its own displacements), so the ranks cannot
 * agree on rounds; instead every long block travels as one point-to-point
 * message (`collective/gather.ts`, `collective/alltoall.ts`). On shm those
 * are the transport's own algorithms, so a rank takes them when `long` (one
 * of its buffers or displacements is past the longest view). On the mpi
 * transport, whose calls take C ints (`Collectives.maxCallBytes`), every
 * rank takes them for every v-form, on every Node.js, as none knows whether
 * another's blocks or displacements pass that limit; MPI's own v-collectives
 * are not used.
 */
export function blockPath(endpoint: Endpoint, long: boolean): BlockCollectives | undefined {
  const { blocks, own } = blockCollectivesOf(endpoint.collectives, collectiveScratch);
  return own && !long ? undefined : blocks;
}

/** See {@link segmented.callLimit}. */
const limitOf = (endpoint: Endpoint): number => segmented.callLimit(endpoint.collectives);

const isLong = (bytes: Bytes | undefined): boolean => bytes !== undefined && !(bytes instanceof Uint8Array);

/** `Bcast`. */
export function bcast(endpoint: Endpoint, buf: unknown, root: number, call: string): Promise<void> {
  root = checkRoot(root, endpoint.size, call);
  if (plainDatatype(buf) !== undefined && (buf as TypedArray).byteLength <= limitOf(endpoint)) {
    const collectives = endpoint.collectives;
    // On point-to-point collectives, the byte view of an array that a loop passes again is made once.
    if (collectives instanceof PointToPointCollectives) return collectives.bcastOf(buf as TypedArray, root);
    return collectives.bcast(plainBytes(buf as TypedArray), root);
  }
  return parsedBcast(endpoint, buf, root, call);
}

/** {@link bcast} past its fast path (see the module's note on fast paths). */
function parsedBcast(endpoint: Endpoint, buf: unknown, root: number, call: string): Promise<void> {
  const message = parseWideBuffer(buf, call);
  // The length is the same on every rank: all take the same path.
  if (!('elements' in message) || message.bytes.byteLength > limitOf(endpoint)) {
    return unpacking(segmented.bcast(endpoint.collectives, message.bytes, root), endpoint.rank === root ? undefined : message);
  }
  return unpacking(endpoint.collectives.bcast(message.bytes, root), endpoint.rank === root ? undefined : message);
}

/** `Gather` (`vector` false: equal blocks) and `Gatherv`. */
export function gather(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean,
  call: string): Promise<void> {
  const { rank, size } = endpoint;
  root = checkRoot(root, size, call);
  if (sendbuf === IN_PLACE && rank !== root) throw inPlaceOnlyAtRoot(call);
  const small = vector ? undefined : smallBlocks(endpoint, 'gather', sendbuf, rank === root ? recvbuf : undefined, rank === root);
  if (small !== undefined) return small.collectives.smallGather(small.own, small.all, small.block, root);
  return parsedGather(endpoint, sendbuf, recvbuf, root, vector, call);
}

/** {@link gather} past its fast path (see the module's note on fast paths); `root` checked. */
function parsedGather(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean,
  call: string): Promise<void> {
  const { rank, size } = endpoint;
  const collectives = endpoint.collectives;
  let send = sendbuf === IN_PLACE ? undefined : parseWideBuffer(sendbuf, call);
  const limit = limitOf(endpoint);
  if (rank !== root) {
    const own = send!.bytes;
    // Equal blocks: every rank knows the whole, and takes rounds past the limit as the root does.
    if (!vector && own.byteLength * size > limit) {
      return segmented.gather(endpoint.collectives, rank, own, undefined, equalCounts(size, own.byteLength),
        undefined, root, true);
    }
    if (!vector && collectives instanceof PointToPointCollectives && collectives.fitsSmallGather('gather', own.byteLength)) {
      return collectives.smallGather(oneView(own, own.byteLength), undefined, own.byteLength, root);
    }
    const blocks = vector ? blockPath(endpoint, own.byteLength > limit || isLong(own)) : undefined;
    if (blocks !== undefined) return blocks.gatherv(own, undefined, undefined, undefined, root);
    // Counts off the root say that the blocks are equal (a transport may then take a uniform call, as the root does).
    return endpoint.collectives.gatherv(singleView(own, call), undefined, vector ? undefined : equalCounts(size, own.byteLength),
      undefined, root);
  }
  required(recvbuf, 'the receive buffer at the root', call);
  const recv = parseWideVectorBuffer(recvbuf, size, call);
  if (!vector) checkUniform(recv, call, 'receive');
  const { counts, displs, total } = blocksOf(recv);
  if (send !== undefined && isOwnBlock(send.bytes, recv, rank)) send = undefined;
  if (send !== undefined) checkBlock(send, counts[rank]!, call);
  const span = spanOf(counts, displs);
  const blocks = vector ? blockPath(endpoint, span > limit || isLong(recv.bytes) || isLong(send?.bytes)) : undefined;
  if (blocks !== undefined) return unpacking(blocks.gatherv(send?.bytes, recv.bytes, counts, displs, root), recv);
  const block = counts[0]!;
  // Decided as the other ranks do, on the block and the total alone: the root's buffer may be longer.
  if (!vector && span <= limit && collectives instanceof PointToPointCollectives && collectives.fitsSmallGather('gather', block)) {
    return unpacking(blocksEndToEnd(recv.bytes, displs, block, true, (into) =>
      collectives.smallGather(send === undefined ? undefined : oneView(send.bytes, block), into, block, root)), recv);
  }
  if (span > limit || !(recv.bytes instanceof Uint8Array)) {
    return unpacking(segmented.gather(endpoint.collectives, rank, send?.bytes, recv.bytes, counts, displs, root, total > limit), recv);
  }
  return unpacking(endpoint.collectives.gatherv(send === undefined ? undefined : singleView(send.bytes, call), recv.bytes, counts, displs, root), recv);
}

/** `Scatter` (`vector` false: equal blocks) and `Scatterv`. */
export function scatter(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean,
  call: string): Promise<void> {
  const { rank, size } = endpoint;
  root = checkRoot(root, size, call);
  if (recvbuf === IN_PLACE && rank !== root) throw inPlaceOnlyAtRoot(call);
  const small = vector ? undefined : smallBlocks(endpoint, 'scatter', recvbuf, rank === root ? sendbuf : undefined, rank === root);
  if (small !== undefined) return small.collectives.smallScatter(small.all, small.own, small.block, root);
  return parsedScatter(endpoint, sendbuf, recvbuf, root, vector, call);
}

/** {@link scatter} past its fast path (see the module's note on fast paths); `root` checked. */
function parsedScatter(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, root: number, vector: boolean,
  call: string): Promise<void> {
  const { rank, size } = endpoint;
  const collectives = endpoint.collectives;
  let recv = recvbuf === IN_PLACE ? undefined : parseWideBuffer(recvbuf, call);
  const limit = limitOf(endpoint);
  if (rank !== root) {
    const own = recv!.bytes;
    if (!vector && own.byteLength * size > limit) {
      return unpacking(segmented.scatter(endpoint.collectives, rank, undefined, equalCounts(size, own.byteLength),
        undefined, own, root, true), recv);
    }
    if (!vector && collectives instanceof PointToPointCollectives && collectives.fitsSmallGather('scatter', own.byteLength)) {
      return unpacking(intoOneView(own, own.byteLength, (into) => collectives.smallScatter(undefined, into, own.byteLength, root)),
        recv);
    }
    const blocks = vector ? blockPath(endpoint, own.byteLength > limit || isLong(own)) : undefined;
    if (blocks !== undefined) return unpacking(blocks.scatterv(undefined, undefined, undefined, own, root), recv);
    return unpacking(endpoint.collectives.scatterv(undefined, vector ? undefined : equalCounts(size, own.byteLength), undefined,
      singleView(own, call), root), recv);
  }
  required(sendbuf, 'the send buffer at the root', call);
  const send = parseWideVectorBuffer(sendbuf, size, call);
  if (!vector) checkUniform(send, call, 'send');
  const { counts, displs, total } = blocksOf(send);
  if (recv !== undefined && isOwnBlock(recv.bytes, send, rank)) recv = undefined;
  if (recv !== undefined && recv.bytes.byteLength !== counts[rank]) {
    throw errors.count(call, `the root's receive buffer has ${recv.bytes.byteLength} bytes but its block of the send ` +
      `buffer ${counts[rank]}`);
  }
  const span = spanOf(counts, displs);
  const blocks = vector ? blockPath(endpoint, span > limit || isLong(send.bytes) || isLong(recv?.bytes)) : undefined;
  if (blocks !== undefined) return unpacking(blocks.scatterv(send.bytes, counts, displs, recv?.bytes, root), recv);
  const block = counts[0]!;
  // Decided as the other ranks do, on the block and the total alone: the root's buffer may be longer.
  if (!vector && span <= limit && collectives instanceof PointToPointCollectives && collectives.fitsSmallGather('scatter', block)) {
    return unpacking(blocksEndToEnd(send.bytes, displs, block, false, (whole) => recv === undefined
      ? collectives.smallScatter(whole, undefined, block, root)
      : intoOneView(recv.bytes, block, (into) => collectives.smallScatter(whole, into, block, root))), recv);
  }
  if (span > limit || !(send.bytes instanceof Uint8Array)) {
    return unpacking(segmented.scatter(endpoint.collectives, rank, send.bytes, counts, displs, recv?.bytes, root, total > limit), recv);
  }
  return unpacking(endpoint.collectives.scatterv(send.bytes, counts, displs, recv === undefined ? undefined : singleView(recv.bytes, call), root), recv);
}

/** `Allgather` (`vector` false: equal blocks) and `Allgatherv`. */
export function allgather(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, vector: boolean,
  call: string): Promise<void> {
  const small = vector ? undefined : smallBlocks(endpoint, 'all', sendbuf, recvbuf, true);
  if (small !== undefined) return small.collectives.smallAllgather(small.own, small.all!, small.block);
  return parsedAllgather(endpoint, sendbuf, recvbuf, vector, call);
}

/** {@link allgather} past its fast path (see the module's note on fast paths). */
function parsedAllgather(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, vector: boolean, call: string): Promise<void> {
  const collectives = endpoint.collectives;
  required(recvbuf, 'the receive buffer', call);
  const recv = parseWideVectorBuffer(recvbuf, endpoint.size, call);
  if (!vector) checkUniform(recv, call, 'receive');
  const { counts, displs, total } = blocksOf(recv);
  let send = sendbuf === IN_PLACE ? undefined : parseWideBuffer(sendbuf, call);
  if (send !== undefined && isOwnBlock(send.bytes, recv, endpoint.rank)) send = undefined;
  if (send !== undefined) checkBlock(send, counts[endpoint.rank]!, call);
  // Every rank knows every block here, so all make the same calls: rounds when the total is past the
  // limit; else one call, through scratch on a rank whose displacements pass the limit (theirs alone).
  const limit = limitOf(endpoint);
  const block = counts[0]!;
  if (!vector && total <= limit && collectives instanceof PointToPointCollectives && collectives.fitsSmallGather('all', block)) {
    return unpacking(blocksEndToEnd(recv.bytes, displs, block, true, (into) =>
      collectives.smallAllgather(send === undefined ? undefined : oneView(send.bytes, block), into, block)), recv);
  }
  if (total > limit || spanOf(counts, displs) > limit || !(recv.bytes instanceof Uint8Array)) {
    return unpacking(segmented.allgatherv(endpoint.collectives, endpoint.rank, send?.bytes, recv.bytes, counts, displs,
      total > limit), recv);
  }
  return unpacking(endpoint.collectives.allgatherv(send === undefined ? undefined : singleView(send.bytes, call), recv.bytes, counts, displs), recv);
}

/** `Alltoall` (`vector` false: equal blocks) and `Alltoallv`. */
export function alltoall(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, vector: boolean,
  call: string): Promise<void> {
  const size = endpoint.size;
  const collectives = endpoint.collectives;
  if (!vector && collectives instanceof PointToPointCollectives && plainDatatype(recvbuf) !== undefined &&
    (sendbuf === IN_PLACE || plainDatatype(sendbuf) !== undefined)) {
    // Plain typed arrays of equal blocks that fit the shared area: no parsing (else the general path below).
    const recv = recvbuf as TypedArray;
    const send = sendbuf === IN_PLACE ? undefined : sendbuf as TypedArray;
    const block = recv.byteLength / size;
    if (recv.length % size === 0 && (send === undefined || (send.length % size === 0 && send.byteLength === recv.byteLength))) {
      const inPlace = send === undefined || (send.buffer === recv.buffer && send.byteOffset === recv.byteOffset);
      if (collectives.fitsSharedAlltoall(block)) return collectives.sharedAlltoallOf(inPlace ? undefined : send, recv, block);
    }
  }
  return parsedAlltoall(endpoint, sendbuf, recvbuf, vector, call);
}

/** {@link alltoall} past its fast path: the buffers parsed and checked (see the module's note on fast paths). */
function parsedAlltoall(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, vector: boolean, call: string): Promise<void> {
  const size = endpoint.size;
  const collectives = endpoint.collectives;
  required(recvbuf, 'the receive buffer', call);
  const recv = parseWideVectorBuffer(recvbuf, size, call);
  if (!vector) checkUniform(recv, call, 'receive');
  const r = blocksOf(recv);
  const send = sendbuf === IN_PLACE ? undefined : parseWideVectorBuffer(sendbuf, size, call);
  const inPlace = send === undefined || sameMemory(send.bytes, recv.bytes);
  if (!inPlace && !vector) {
    checkUniform(send, call, 'send');
    if (send.counts[0]! * send.datatype.size !== r.counts[0]) {
      throw errors.count(call, `send blocks of ${send.counts[0]! * send.datatype.size} bytes but receive blocks of ${r.counts[0]}`);
    }
  }
  if (!vector && collectives instanceof PointToPointCollectives && collectives.fitsSharedAlltoall(r.counts[0]!) &&
    recv.bytes instanceof Uint8Array && (inPlace || send.bytes instanceof Uint8Array)) {
    // Equal blocks, which every rank has alike: one exchange through the shared area, of the blocks or by reference.
    const sendDispls = inPlace ? undefined : unlessPacked(blocksOf(send).displs, r.counts[0]!);
    return unpacking(collectives.sharedAlltoall(inPlace ? undefined : send.bytes as Uint8Array, sendDispls,
      recv.bytes, unlessPacked(r.displs, r.counts[0]!), r.counts[0]!), recv);
  }
  const limit = limitOf(endpoint);
  if (vector) {
    // A v-form's blocks are known to their two ranks only: see blockPath.
    const s = inPlace ? undefined : blocksOf(send);
    const blocks = blockPath(endpoint, spanOf(r.counts, r.displs) > limit || isLong(recv.bytes) ||
      (s !== undefined && (spanOf(s.counts, s.displs) > limit || isLong(send!.bytes))));
    if (blocks !== undefined) {
      return unpacking(s === undefined ? blocks.alltoallv(undefined, r.counts, r.displs, recv.bytes, r.counts, r.displs)
        : blocks.alltoallv(send!.bytes, s.counts, s.displs, recv.bytes, r.counts, r.displs), recv);
    }
  }
  if (r.total > limit || !(recv.bytes instanceof Uint8Array) || (!inPlace && !(send.bytes instanceof Uint8Array))) {
    // Equal blocks laid end to end: every rank knows the whole.
    return unpacking(segmented.alltoall(endpoint.collectives, inPlace ? undefined : send.bytes,
      inPlace ? r.displs : blocksOf(send).displs, recv.bytes, r.displs, r.counts[0] ?? 0, r.total > limit), recv);
  }
  if (inPlace) return unpacking(endpoint.collectives.alltoallv(undefined, r.counts, r.displs, recv.bytes, r.counts, r.displs), recv);
  const s = blocksOf(send);
  return unpacking(endpoint.collectives.alltoallv(singleView(send.bytes, call), s.counts, s.displs, recv.bytes, r.counts, r.displs), recv);
}

/** `displs`, or undefined when they are those of `block`-byte blocks laid end to end. */
function unlessPacked(displs: readonly number[], block: number): readonly number[] | undefined {
  return endToEnd(displs, block) ? undefined : displs;
}

/** The send and receive messages of a reduction, checked against each other. */
function reductionBuffers(sendbuf: unknown, recvbuf: unknown, needRecv: boolean, op: unknown,
  call: string): { send: Message | WideMessage | undefined; recv: Message | WideMessage | undefined; op: Op } {
  const checked = checkOp(op, call);
  let send = sendbuf === IN_PLACE ? undefined : parseWideBuffer(sendbuf, call, checked.wholeElements);
  let recv: Message | WideMessage | undefined;
  if (needRecv) {
    required(recvbuf, 'the receive buffer', call);
    recv = parseWideBuffer(recvbuf, call, checked.wholeElements);
    if (send !== undefined && sameMemory(send.bytes, recv.bytes)) send = undefined;
  }
  if (send !== undefined && recv !== undefined) checkReductionPair(send, recv, true, call);
  const datatype = (send ?? recv)!.datatype;
  checked.check(datatype, call);
  return { send, recv, op: checked };
}

/**
 * Throws unless a reduction's send and receive buffers hold one datatype and,
 * with `whole` (not a reduce-scatter), the receive buffer holds all that is sent.
 */
export function checkReductionPair(send: Message | WideMessage, recv: Message | WideMessage, whole: boolean, call: string): void {
  if (send.datatype !== recv.datatype) {
    throw errors.type(call, `the send buffer holds ${send.datatype.describe()} but the receive buffer ${recv.datatype.describe()}`);
  }
  if (whole && recv.count < send.count) {
    throw errors.count(call, `the receive buffer holds ${recv.count} × ${recv.datatype.describe()}, fewer than the ${send.count} sent`);
  }
}

/** The first `count` elements of a reduction's buffer (`count` fits one view). */
function elementsOf(message: Message | WideMessage, count: number): TypedArray {
  return 'elements' in message ? message.elements : elementsIn(message.bytes, message.datatype, 0, count);
}

/** `Reduce`. */
export function reduce(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, op: unknown, root: number,
  call: string): Promise<void> {
  root = checkRoot(root, endpoint.size, call);
  const isRoot = endpoint.rank === root;
  if (sendbuf === IN_PLACE && !isRoot) throw inPlaceOnlyAtRoot(call);
  if (!isRoot) required(sendbuf, 'the send buffer', call);
  const datatype = plainDatatype(sendbuf === IN_PLACE ? recvbuf : sendbuf);
  if (datatype !== undefined && (!isRoot || plainDatatype(recvbuf) === datatype)) {
    // Plain typed arrays of one datatype, as Allreduce takes them below; a non-root's receive buffer is not used.
    const into = isRoot ? recvbuf as TypedArray : undefined;
    const from = sendbuf === IN_PLACE || (into !== undefined && samePlainArrays(sendbuf as TypedArray, into)) ? undefined
      : sendbuf as TypedArray;
    const count = (from ?? into)!.length;
    if ((into === undefined || into.length >= count) && count * datatype.size <= limitOf(endpoint)) {
      const checked = checkOp(op, call);
      checked.check(datatype, call);
      return endpoint.collectives.reduce(from, into, count, datatype, checked, root);
    }
  }
  return parsedReduce(endpoint, sendbuf, recvbuf, op, root, call);
}

/** {@link reduce} past its fast path (see the module's note on fast paths); `root` checked. */
function parsedReduce(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, op: unknown, root: number,
  call: string): Promise<void> {
  const { send, recv, op: checked } = reductionBuffers(sendbuf, recvbuf, endpoint.rank === root, op, call);
  const data = (send ?? recv)!;
  // The data's length is the same on every rank: all take the same path.
  if (!('elements' in data) || data.count * data.datatype.size > limitOf(endpoint)) {
    return unpacking(segmented.reduce(endpoint.collectives, send?.bytes, recv?.bytes, data.count, data.datatype, checked, root), recv);
  }
  return unpacking(endpoint.collectives.reduce(send === undefined ? undefined : elementsOf(send, data.count), recv === undefined ? undefined : elementsOf(recv, data.count),
    data.count, data.datatype, checked, root), recv);
}

/** `Allreduce`, `Scan` (`scan` 'inclusive') and `Exscan` (`scan` 'exclusive'). */
export function allreduce(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, op: unknown,
  scan: 'inclusive' | 'exclusive' | undefined, call: string): Promise<void> {
  const datatype = plainDatatype(recvbuf);
  if (datatype !== undefined && (sendbuf === IN_PLACE || plainDatatype(sendbuf) === datatype)) {
    // Plain typed arrays of one datatype: no parsing (else, or when they differ in a way to report, the general path).
    const recv = recvbuf as TypedArray;
    const send = sendbuf === IN_PLACE || samePlainArrays(sendbuf as TypedArray, recv) ? undefined : sendbuf as TypedArray;
    const count = (send ?? recv).length;
    if (recv.length >= count && count * datatype.size <= limitOf(endpoint)) {
      const checked = checkOp(op, call);
      checked.check(datatype, call);
      return scan === undefined ? endpoint.collectives.allreduce(send, recv, count, datatype, checked)
        : endpoint.collectives.scan(send, recv, count, datatype, checked, scan === 'exclusive');
    }
  }
  return parsedAllreduce(endpoint, sendbuf, recvbuf, op, scan, call);
}

/** {@link allreduce} past its fast path (see the module's note on fast paths). */
function parsedAllreduce(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown, op: unknown,
  scan: 'inclusive' | 'exclusive' | undefined, call: string): Promise<void> {
  const { send, recv, op: checked } = reductionBuffers(sendbuf, recvbuf, true, op, call);
  const data = (send ?? recv)!;
  if (!('elements' in data) || data.count * data.datatype.size > limitOf(endpoint)) {
    return unpacking(segmented.allreduce(endpoint.collectives, send?.bytes, recv!.bytes, data.count, data.datatype, checked, scan), recv);
  }
  const into = elementsOf(recv!, data.count);
  return unpacking(scan === undefined
    ? endpoint.collectives.allreduce(send === undefined ? undefined : elementsOf(send, data.count), into, data.count,
      data.datatype, checked)
    : endpoint.collectives.scan(send === undefined ? undefined : elementsOf(send, data.count), into, data.count, data.datatype, checked, scan === 'exclusive'), recv);
}

/**
 * `Reduce_scatter`'s `recvcounts` (MPI-4.1 §6.10.1), checked: `size`
 * non-negative integers (`ERR_COUNT` otherwise, `whose` saying whose ranks
 * they count), counted in elements of the receive spec's datatype and
 * returned in the elements of `recv`, the message parsed from `recvbuf`.
 */
export function recvCounts(recvcounts: unknown, size: number, recvbuf: unknown, recv: { readonly datatype: Datatype },
  call: string, whose = ''): number[] {
  const given = Array.isArray(recvcounts);
  const counts = given ? Array.from(recvcounts as readonly unknown[], Number) : [];
  if (!given || counts.length !== size || counts.some((c) => !Number.isInteger(c) || c < 0)) {
    throw errors.count(call, `recvcounts must be ${size} non-negative integers${whose}, got ` +
      (given ? `[${counts.join(', ')}]` : String(recvcounts)));
  }
  // Counted in elements of the receive spec's datatype; the messages are in their own (maybe basic) elements.
  const per = elementsPerSpecElement(recvbuf, recv);
  return counts.map((c) => c * per);
}

/**
 * `Reduce_scatter` (`recvcounts` per rank) and `Reduce_scatter_block`
 * (`recvcounts` 'block': every rank's block is its receive buffer, in place
 * an equal share of it). Without `recvcounts`, as in mpi4py, every rank gets
 * as many elements as its receive buffer holds, which only it knows; in
 * place, where the buffer holds every block, the counts are required.
 */
export function reduceScatter(endpoint: Endpoint, sendbuf: unknown, recvbuf: unknown,
  recvcounts: readonly number[] | 'block' | null | undefined, op: unknown, call: string): Promise<void> {
  const { rank, size } = endpoint;
  const checked = checkOp(op, call);
  required(recvbuf, 'the receive buffer', call);
  const recv = parseWideBuffer(recvbuf, call, checked.wholeElements);
  const given = sendbuf === IN_PLACE ? undefined : parseWideBuffer(sendbuf, call, checked.wholeElements);
  const inPlace = given === undefined || sameMemory(given.bytes, recv.bytes);
  const send = inPlace ? undefined : given;
  if (send !== undefined && send.datatype !== recv.datatype) {
    throw errors.type(call, `the send buffer holds ${send.datatype.describe()} but the receive buffer ${recv.datatype.describe()}`);
  }
  checked.check(recv.datatype, call);
  let counts: number[];
  if (recvcounts === 'block') {
    if (inPlace && recv.count % size !== 0) {
      throw errors.count(call, `in place, the ${recv.count} elements of the buffer do not split into ${size} equal blocks`);
    }
    counts = new Array<number>(size).fill(inPlace ? recv.count / size : recv.count);
  } else if (recvcounts === undefined || recvcounts === null) {
    if (send === undefined) throw errors.count(call, 'in place, the receive counts are required: pass recvcounts');
    return unpacking(reduceScatterBySize(endpoint, send, recv, checked, call), recv);
  } else {
    counts = recvCounts(recvcounts, size, recvbuf, recv, call);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  if (send !== undefined && send.count < total) {
    throw errors.count(call, `the send buffer holds ${send.count} elements but the blocks add up to ${total}`);
  }
  const need = inPlace ? total : counts[rank]!;
  if (recv.count < need) throw errors.count(call, `the receive buffer holds ${recv.count} elements, ${need} needed`);
  // Every rank knows every block: all take the same path.
  const wide = total * recv.datatype.size > limitOf(endpoint);
  if (wide || !('elements' in recv) || (send !== undefined && !('elements' in send))) {
    return unpacking(segmented.reduceScatter(endpoint.collectives, rank, send?.bytes, recv.bytes, counts, recv.datatype, checked, wide), recv);
  }
  return unpacking(endpoint.collectives.reduceScatter(send?.elements, recv.elements, counts, recv.datatype, checked), recv);
}

/**
 * `Reduce_scatter` without `recvcounts`: an allgather of the receive counts
 * and an allreduce of the whole send buffer, both started at once, then this
 * rank's block copied out. mpi4py waits for the counts before it starts the
 * reduce-scatter; starting both here keeps a nonblocking call's collectives
 * in call order whatever the program starts next, at the price of the whole
 * reduced vector on every rank.
 */
function reduceScatterBySize(endpoint: Endpoint, send: Message | WideMessage, recv: Message | WideMessage, op: Op,
  call: string): Promise<void> {
  const { rank, size } = endpoint;
  const all = new Float64Array(size);
  const unit = Float64Array.BYTES_PER_ELEMENT;
  const gathered = endpoint.collectives.allgatherv(bytesOf(Float64Array.of(recv.count)), bytesOf(all),
    new Array<number>(size).fill(unit), Array.from({ length: size }, (_, r) => r * unit));
  if (!('elements' in send) || send.bytes.byteLength > limitOf(endpoint)) return reduceScatterWide(endpoint, send, recv, op, all, gathered, call);
  const whole = typedView(new Uint8Array(send.bytes.byteLength), send.datatype.arrayType);
  const reduced = endpoint.collectives.allreduce(send.elements, whole, send.count, send.datatype, op);
  return Promise.all([gathered, reduced]).then(() => copyOwnBlock(all, rank, send, recv, bytesOf(whole), call));
}

/**
 * {@link reduceScatterBySize} of a send buffer longer than one call takes
 * (the same length on every rank): the allreduce goes in rounds.
 */
function reduceScatterWide(endpoint: Endpoint, send: Message | WideMessage, recv: Message | WideMessage, op: Op, all: Float64Array,
  gathered: Promise<void>, call: string): Promise<void> {
  const rank = endpoint.rank;
  const whole = allocateBytes(send.bytes.byteLength);
  const reduced = segmented.allreduce(endpoint.collectives, send.bytes, whole, send.count, send.datatype, op, undefined);
  return Promise.all([gathered, reduced]).then(() => copyOwnBlock(all, rank, send, recv, whole, call));
}

/**
 * The last step of a reduce-scatter by receive sizes: this rank's block of
 * the reduced vector `whole` into its receive buffer, once every rank's
 * receive count (`all`) is known.
 */
function copyOwnBlock(all: Float64Array, rank: number, send: Message | WideMessage, recv: Message | WideMessage,
  whole: Bytes, call: string): void {
  const offset = all.subarray(0, rank).reduce((a, b) => a + b, 0);
  const total = offset + all.subarray(rank).reduce((a, b) => a + b, 0);
  if (total > send.count) {
    throw errors.count(call, `the send buffer holds ${send.count} elements but the receive buffers add up to ${total}`);
  }
  const element = send.datatype.size;
  copyBytes(recv.bytes, 0, whole, offset * element, recv.count * element);
}
