/**
 * Message buffers: turning the buffer specs of the Capitalized methods into
 * views of bytes and elements.
 *
 * MPI-4.1 §3.2.2 (message data: buffer, count, datatype), §6.5 / §6.6 (the
 * counts and displacements of the v-collectives). The model is mpi4py's
 * `msgbuffer`: a spec is one of
 *
 * - `buf`: a typed array, all of it, datatype from its class
 * - `[buf, datatype]`: all of `buf` as elements of `datatype`
 * - `[buf, count, datatype]` or `[buf, count]`: the first `count` elements
 * - `[buf, [counts, displs], datatype]`: v-collectives, counts and
 *   displacements in elements (`displs` may be left out or null: packed
 *   blocks; a number: blocks that far apart)
 *
 * Where a collective expects one block per rank, as mpi4py does: the `count`
 * of `[buf, count, datatype]` is the count of each block (MPI's `sendcount`
 * and `recvcount`), and a spec without counts splits the buffer into one
 * block per rank, the first ones one element longer when it does not divide
 * (the plain collectives then ask for equal blocks). The elements are the
 * spec's datatype's, whole: a buffer that is not a whole number of them is
 * an `ERR_COUNT` (mpi4py's "cannot infer count").
 *
 * Message bodies are {@link Bytes}: one `Uint8Array`, or, for a body longer
 * than the longest `Uint8Array` of the running Node.js (2^32 bytes on Node
 * 20), a {@link SegmentedBytes} that point-to-point and the object codec read
 * and write a segment at a time. Only such bodies take the segmented path.
 *
 * Derived datatypes (MPI-4.1 §5.1): a buffer of `count` elements of a
 * derived type is the typemap's data laid out from the typed array's start
 * (element `i` at `i * extent`). A contiguous one is viewed in place as a
 * predefined one is; any other is packed into fresh bytes (the message's
 * body, in type order), and a buffer that receives is unpacked from them
 * once the data is there (`Message.unpack`, {@link PackedReceive}). A parsed
 * message of a derived type made of one basic type is described as that
 * many elements of the basic type, which predefined reductions and type
 * matching use; a reduction with a user op parses its buffers with whole
 * elements instead, since MPI calls a user op with the call's datatype and
 * never splits its elements (MPI-4.1 §6.9.5).
 *
 * The buffer collectives and `Sendrecv_replace` parse their specs with
 * {@link parseWideBuffer} / {@link parseWideVectorBuffer}, which give a
 * {@link WideMessage} for a body past the longest byte view; the collectives
 * then move it in rounds of views (`collective/segmented.ts`).
 *
 * Unfinished: buffers that are not typed arrays (plain `ArrayBuffer`s must
 * be wrapped in a view); a non-contiguous derived datatype whose packed
 * message is longer than the longest byte view.
 *
 * @module
 */

import { constants } from 'node:buffer';
import { Datatype, pack, type TypedArray, type TypedArrayConstructor, typedict, unpack } from './datatype/index.js';
import { errors } from './errors.js';

/**
 * Test hook, read once at load: `MPI4TS_TEST_MAX_VIEW_BYTES` (a positive
 * integer) lowers {@link MAX_VIEW_BYTES}, so that tests take the segmented
 * paths of bodies past the longest view with megabytes instead of gigabytes.
 * Every rank of a job must see the same value. Not for production use.
 */
const testMaxView = Number(process.env['MPI4TS_TEST_MAX_VIEW_BYTES'] ?? '');
/**
 * Bytes of the longest `Uint8Array` this Node.js can make
 * (`buffer.constants.MAX_LENGTH`: 2^32 on Node 20), or the lower limit of the
 * test hook `MPI4TS_TEST_MAX_VIEW_BYTES`.
 */
export const MAX_VIEW_BYTES = Number.isInteger(testMaxView) && testMaxView > 0
  ? Math.min(testMaxView, constants.MAX_LENGTH) : constants.MAX_LENGTH;
/** Bytes a segmented body is copied by at a time. */
export const SEGMENT_BYTES = 2 ** 30;

/**
 * A message body longer than the longest `Uint8Array`: `byteLength` bytes
 * of `buffer` from `byteOffset`, read and written through views of at most
 * {@link SEGMENT_BYTES} bytes ({@link copyBytes}), or handed to native code
 * as one view of wider elements ({@link SegmentedBytes.covering}). Node 20
 * can hold such memory (an ArrayBuffer, a Float64Array) but cannot view it
 * as one `Uint8Array`.
 */
export class SegmentedBytes {
  constructor(readonly buffer: ArrayBufferLike, readonly byteOffset: number, readonly byteLength: number) {}

  /** Bytes `begin` to `end` as one view (at most {@link MAX_VIEW_BYTES} of them). */
  subarray(begin: number, end: number): Uint8Array {
    return new Uint8Array(this.buffer, this.byteOffset + begin, end - begin);
  }

  /**
   * One view of the whole body with elements wider than a byte (the widest
   * that its offset and its buffer allow), which may run up to 7 bytes past
   * its end: for native code, which takes a typed array and a byte count.
   */
  covering(): Float64Array | Uint32Array | Uint16Array {
    const { buffer, byteOffset, byteLength } = this;
    const fits = (size: number): boolean =>
      byteOffset % size === 0 && byteOffset + Math.ceil(byteLength / size) * size <= buffer.byteLength;
    if (fits(8)) return new Float64Array(buffer, byteOffset, Math.ceil(byteLength / 8));
    if (fits(4)) return new Uint32Array(buffer, byteOffset, Math.ceil(byteLength / 4));
    if (fits(2)) return new Uint16Array(buffer, byteOffset, Math.ceil(byteLength / 2));
    // Unreachable from a buffer spec: a body this long lies in a typed array of elements of 2 bytes or more.
    throw new RangeError(`no view of elements wider than a byte covers ${this.byteLength} bytes at offset ${this.byteOffset}`);
  }
}

/** A message body: one byte view, or segments where it is longer than any byte view. */
export type Bytes = Uint8Array | SegmentedBytes;

/**
 * Whether `bytes` is segmented (the one kind of {@link Bytes} that is no
 * view). A view check, which optimized code makes inline: `instanceof`
 * against a class of the bundle is a call there, as its binding may change.
 */
export function isSegmented(bytes: Bytes): bytes is SegmentedBytes {
  return !ArrayBuffer.isView(bytes);
}

/**
 * `byteLength` bytes of `buffer` from `byteOffset`: one view, or segments
 * past {@link MAX_VIEW_BYTES}.
 */
export function bytesIn(buffer: ArrayBufferLike, byteOffset: number, byteLength: number): Bytes {
  return byteLength <= MAX_VIEW_BYTES ? new Uint8Array(buffer, byteOffset, byteLength)
    : new SegmentedBytes(buffer, byteOffset, byteLength);
}

/**
 * Fresh zeroed memory for a body of `byteLength` bytes (segmented ones in a
 * buffer of whole 8-byte words, so that {@link SegmentedBytes.covering} can
 * hand them to native code).
 */
export function allocateBytes(byteLength: number): Bytes {
  return byteLength <= MAX_VIEW_BYTES ? new Uint8Array(byteLength)
    : new SegmentedBytes(new ArrayBuffer(Math.ceil(byteLength / 8) * 8), 0, byteLength);
}

/** True when `a` and `b` are the same bytes of the same memory (a send buffer given as the receive buffer: in place). */
export function sameMemory(a: Bytes | ArrayBufferView, b: Bytes | ArrayBufferView | undefined): boolean {
  return b !== undefined && sameView(a, b);
}

/** {@link sameMemory} of two views, each property compared whatever the others say. */
function sameView(a: Bytes | ArrayBufferView, b: Bytes | ArrayBufferView): boolean {
  // Short-circuited, the reads of the first calls' answer alone had type feedback, and the first other answer (an
  // Allreduce's 64 KiB arrays in another heap arena) deoptimized the api's fast path (see docs/ARCHITECTURE.md, "Code
  // shaped for V8's tier-up").
  const buffer = a.buffer === b.buffer;
  const offset = a.byteOffset === b.byteOffset;
  const length = a.byteLength === b.byteLength;
  return buffer && offset && length;
}

/** The first `byteLength` bytes of `bytes`. */
export function prefixOf(bytes: Bytes, byteLength: number): Bytes {
  if (bytes instanceof Uint8Array) return bytes.subarray(0, byteLength);
  return bytesIn(bytes.buffer, bytes.byteOffset, byteLength);
}

/** Bytes `begin` to `end` of `bytes`: one view, or segments past {@link MAX_VIEW_BYTES}. */
export function sliceBytes(bytes: Bytes, begin: number, end: number): Bytes {
  if (bytes instanceof Uint8Array) return bytes.subarray(begin, end);
  return bytesIn(bytes.buffer, bytes.byteOffset + begin, end - begin);
}

/**
 * Block `r` of a buffer of blocks: `counts[r]` bytes at `displs[r]`. A
 * function of the module rather than a closure of each call: the bundle
 * gives a named closure an `Object.defineProperty` of its name each time it
 * is made (`keepNames`).
 */
export function blockOf(bytes: Bytes, counts: readonly number[], displs: readonly number[], r: number): Bytes {
  return sliceBytes(bytes, displs[r]!, displs[r]! + counts[r]!);
}

/** Copies `length` bytes from `source` at `sourceOffset` to `target` at `targetOffset`, a segment at a time. */
export function copyBytes(target: Bytes, targetOffset: number, source: Bytes, sourceOffset: number, length: number): void {
  for (let done = 0; done < length;) {
    const step = Math.min(SEGMENT_BYTES, length - done);
    const from = source.subarray(sourceOffset + done, sourceOffset + done + step);
    if (target instanceof Uint8Array) target.set(from, targetOffset + done);
    else target.subarray(targetOffset + done, targetOffset + done + step).set(from);
    done += step;
  }
}

/**
 * The one byte view of `bytes`, for the calls that move a single view (the
 * buffer collectives): a longer body is an MPIError, not a RangeError.
 */
export function singleView(bytes: Bytes, call: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  throw errors.count(call, `a message of ${bytes.byteLength} bytes is longer than the longest byte view this Node.js ` +
    `can make (${MAX_VIEW_BYTES} bytes), which ${call} needs: send it in parts, or run on Node.js 22 or later`);
}

/** One byte view of `byteLength` bytes of `buffer`, or the MPIError of {@link singleView}. */
function byteView(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, call: string): Uint8Array {
  return singleView(bytesIn(buffer, byteOffset, byteLength), call);
}

/** A buffer spec for point-to-point and the plain collectives. */
export type BufferSpec =
  | TypedArray
  | readonly [TypedArray, Datatype]
  | readonly [TypedArray, number, Datatype?];

/** A buffer spec of the v-collectives: counts (and displacements) per rank, in elements. */
export type VectorBufferSpec =
  | BufferSpec
  | readonly [TypedArray, readonly [readonly number[] | number, (readonly number[] | number | null)?], Datatype?];

/** A parsed buffer: the bytes to move, and the elements for reductions. */
export interface Message {
  /** Exactly the `count` elements, as bytes. */
  readonly bytes: Uint8Array;
  /** The same memory as elements of `datatype` (bytes for the pair types). */
  readonly elements: TypedArray;
  readonly count: number;
  readonly datatype: Datatype;
  /**
   * For a buffer of a non-contiguous derived type, whose `bytes` are a packed
   * copy: copies the first `byteLength` bytes (all by default) back into the
   * user's buffer, once received.
   */
  readonly unpack?: ((byteLength?: number) => void) | undefined;
}

/** A parsed v-collective buffer: the whole buffer plus per-rank blocks in elements. */
export interface VectorMessage {
  /** The whole buffer as bytes. */
  readonly bytes: Uint8Array;
  readonly datatype: Datatype;
  /** Elements per rank. */
  readonly counts: readonly number[];
  /** Element offset of each rank's block. */
  readonly displs: readonly number[];
  /** As {@link Message.unpack}, for the whole buffer. */
  readonly unpack?: (() => void) | undefined;
}

/**
 * A parsed buffer longer than the longest byte view: its bytes segmented, its
 * elements reached through views of ranges ({@link elementsIn}).
 */
export interface WideMessage {
  readonly bytes: SegmentedBytes;
  readonly count: number;
  readonly datatype: Datatype;
  /** Never packed: a derived datatype's packed message fits one view. */
  readonly unpack?: undefined;
}

/** A parsed v-collective buffer longer than the longest byte view. */
export interface WideVectorMessage {
  readonly bytes: SegmentedBytes;
  readonly datatype: Datatype;
  readonly counts: readonly number[];
  readonly displs: readonly number[];
  /** Never packed, as {@link WideMessage}. */
  readonly unpack?: undefined;
}

/**
 * Elements `begin` to `end` of a message's bytes as elements of `datatype`
 * (bytes for the pair types and where the offset is not aligned for them).
 */
export function elementsIn(bytes: Bytes, datatype: Datatype, begin: number, end: number): TypedArray {
  return typedView(bytes.subarray(begin * datatype.size, end * datatype.size), datatype.arrayType);
}

/**
 * All of `bytes` as elements of `arrayType` (which for a derived type of one
 * basic type is that type's: more than one per element), or `bytes` itself
 * when there is none or the offset is not aligned for it.
 */
export function typedView(bytes: Uint8Array, arrayType: TypedArrayConstructor | undefined): TypedArray {
  if (arrayType === undefined || bytes.byteOffset % arrayType.BYTES_PER_ELEMENT !== 0) return bytes;
  return new arrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / arrayType.BYTES_PER_ELEMENT);
}

/** True for any typed array, Node `Buffer` included. */
export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** The predefined datatype of a typed array's elements (`Buffer` counts as `Uint8Array`). */
export function elementDatatype(view: TypedArray, call: string): Datatype {
  let proto = Object.getPrototypeOf(view) as { constructor: { name: string } } | null;
  while (proto !== null) {
    const found = typedict[proto.constructor.name];
    if (found !== undefined) return found;
    proto = Object.getPrototypeOf(proto) as { constructor: { name: string } } | null;
  }
  throw errors.type(call, `a ${view.constructor.name} has no MPI datatype`);
}

function isDatatype(value: unknown): value is Datatype {
  return value instanceof Datatype;
}

/** Checks that `count` elements of `datatype` fit in `buf`. */
function checkCount(buf: TypedArray, count: number, datatype: Datatype, call: string): void {
  if (!Number.isInteger(count) || count < 0) throw errors.count(call, `invalid count ${count}`);
  const byteLength = count * datatype.size;
  if (byteLength > buf.byteLength) {
    throw errors.count(call, `count ${count} of ${datatype.name} needs ${byteLength} bytes but the buffer has ${buf.byteLength}`);
  }
}

/** Views `count` elements of `datatype` at the start of `buf`, as bytes and as elements. */
export function messageOf(buf: TypedArray, count: number, datatype: Datatype, call: string): Message {
  if (datatype.code === 0) return derivedMessage(buf, count, datatype, true, call);
  checkCount(buf, count, datatype, call);
  const bytes = byteView(buf.buffer, buf.byteOffset, count * datatype.size, call);
  return { bytes, elements: elementsView(buf, bytes, count, datatype), count, datatype };
}

/** Throws unless `count` elements of the derived `datatype` may be used from `buf`. */
function checkDerived(buf: TypedArray, count: number, datatype: Datatype, call: string): void {
  datatype.checkUsable(call);
  if (!Number.isSafeInteger(count) || count < 0) throw errors.count(call, `invalid count ${count}`);
  const why = datatype.outOfBounds(count, buf.byteLength);
  if (why !== undefined) throw errors.count(call, why);
}

/**
 * A message of `count` elements of a derived datatype: viewed in place when
 * contiguous, else packed (with `fill` false, fresh zeroed bytes to receive
 * into), with `unpack` to copy received bytes back. Made of one basic type,
 * it is described as elements of that type, unless `wholeElements`.
 */
function derivedMessage(buf: TypedArray, count: number, datatype: Datatype, fill: boolean, call: string,
  wholeElements = false): Message {
  checkDerived(buf, count, datatype, call);
  const map = datatype.typemap;
  const byteLength = count * map.size;
  let bytes: Uint8Array;
  let unpackInto: ((byteLength?: number) => void) | undefined;
  if (map.contiguous) bytes = byteView(buf.buffer, buf.byteOffset, byteLength, call);
  else {
    const user = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    bytes = new Uint8Array(byteLength);
    if (fill) pack(map, count, user, 0, bytes, 0);
    unpackInto = (received = byteLength) => {
      unpack(map, user, 0, bytes, 0, Math.min(received, byteLength));
    };
  }
  const basic = wholeElements ? undefined : map.basic;
  const [type, n] = basic !== undefined ? [basic, count * map.elements] : [datatype, count];
  return { bytes, elements: typedView(bytes, type.arrayType), count: n, datatype: type, unpack: unpackInto };
}

/**
 * A receive buffer of a non-contiguous derived datatype: the transport
 * receives into `bytes`, then {@link PackedReceive.unpack} copies the bytes
 * that arrived into the user's buffer.
 */
export class PackedReceive {
  constructor(readonly bytes: Uint8Array, readonly unpack: (byteLength: number) => void) {}
}

/**
 * Where point-to-point receives a buffer spec: its bytes (as
 * {@link bytesOfSpec}), or a {@link PackedReceive} for a non-contiguous
 * derived datatype.
 */
export function receiveOfSpec(spec: unknown, call: string): Bytes | PackedReceive {
  if (spec instanceof Uint8Array) return spec;
  if (ArrayBuffer.isView(spec) && !(spec instanceof DataView)) return bytesIn(spec.buffer, spec.byteOffset, spec.byteLength);
  return parseSpec(spec, call, (buf, count, datatype): Bytes | PackedReceive => {
    if (datatype.code === 0) {
      const message = derivedMessage(buf, count, datatype, false, call);
      return message.unpack === undefined ? message.bytes : new PackedReceive(message.bytes, message.unpack);
    }
    checkCount(buf, count, datatype, call);
    return bytesIn(buf.buffer, buf.byteOffset, count * datatype.size);
  });
}

function elementsView(buf: TypedArray, bytes: Uint8Array, count: number, datatype: Datatype): TypedArray {
  const arrayType: TypedArrayConstructor | undefined = datatype.arrayType;
  if (arrayType === undefined) return bytes;
  if (buf instanceof arrayType && buf.constructor === arrayType) return buf.length === count ? buf : buf.subarray(0, count);
  return typedView(bytes, arrayType);
}

/**
 * Parses a buffer spec as {@link parseBuffer} does (`wholeElements` as
 * there), but a message longer than the longest byte view comes as a
 * {@link WideMessage} instead of an error.
 */
export function parseWideBuffer(spec: unknown, call: string, wholeElements = false): Message | WideMessage {
  return parseSpec(spec, call, (buf, count, datatype): Message | WideMessage => {
    if (datatype.code === 0) return derivedMessage(buf, count, datatype, true, call, wholeElements);
    checkCount(buf, count, datatype, call);
    const byteLength = count * datatype.size;
    if (byteLength > MAX_VIEW_BYTES) return { bytes: new SegmentedBytes(buf.buffer, buf.byteOffset, byteLength), count, datatype };
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, byteLength);
    return { bytes, elements: elementsView(buf, bytes, count, datatype), count, datatype };
  });
}

/**
 * Parses a buffer spec (see the module comment).
 *
 * @param call - the API call, for error messages (`'Comm.Send'`)
 * @param wholeElements - a derived datatype's message stays `count` elements of it, not its basic elements (for user ops)
 */
export function parseBuffer(spec: unknown, call: string, wholeElements = false): Message {
  return parseSpec(spec, call, (buf, count, datatype) => datatype.code === 0
    ? derivedMessage(buf, count, datatype, true, call, wholeElements) : messageOf(buf, count, datatype, call));
}

/** Reads the typed array, count and datatype of a buffer spec and hands them to `view`. */
function parseSpec<T>(spec: unknown, call: string, view: (buf: TypedArray, count: number, datatype: Datatype) => T): T {
  if (ArrayBuffer.isView(spec)) {
    if (spec instanceof DataView) throw errors.buffer(call, 'a DataView has no element type: pass [view, datatype]');
    const datatype = elementDatatype(spec as TypedArray, call);
    return view(spec as TypedArray, (spec as TypedArray).byteLength / datatype.size, datatype);
  }
  if (!Array.isArray(spec) || spec.length < 1 || spec.length > 3 || !ArrayBuffer.isView(spec[0])) {
    throw errors.buffer(call, `expected a typed array, [buf, datatype] or [buf, count, datatype], got ${describe(spec)}`);
  }
  const buf = spec[0] as TypedArray;
  if (spec.length === 2 && isDatatype(spec[1])) {
    const datatype = spec[1];
    if (datatype.code === 0) {
      datatype.checkUsable(call);
      return view(buf, datatype.countIn(buf.byteLength), datatype);
    }
    if (buf.byteLength % datatype.size !== 0) {
      throw errors.count(call, `${buf.byteLength} bytes is not a whole number of ${datatype.name} (${datatype.size} bytes)`);
    }
    return view(buf, buf.byteLength / datatype.size, datatype);
  }
  const datatype = spec[2] === undefined ? elementDatatype(buf, call) : spec[2];
  if (!isDatatype(datatype)) throw errors.type(call, `${describe(datatype)} is not a datatype`);
  if (typeof spec[1] !== 'number') {
    throw errors.buffer(call, `the count of [buf, count, datatype] must be a number, got ${describe(spec[1])}`);
  }
  return view(buf, spec[1], datatype);
}

/**
 * The bytes of a buffer spec, as point-to-point moves them: those of
 * `parseBuffer(spec)`, without building the parsed message when the spec is
 * a plain typed array (the latency-critical case), and segmented where the
 * message is longer than the longest byte view.
 */
export function bytesOfSpec(spec: unknown, call: string): Bytes {
  if (spec instanceof Uint8Array) return spec;
  if (ArrayBuffer.isView(spec) && !(spec instanceof DataView)) return bytesIn(spec.buffer, spec.byteOffset, spec.byteLength);
  return parseSpec(spec, call, (buf, count, datatype) => {
    if (datatype.code === 0) return derivedMessage(buf, count, datatype, true, call).bytes;
    checkCount(buf, count, datatype, call);
    return bytesIn(buf.buffer, buf.byteOffset, count * datatype.size);
  });
}

/**
 * Parses a buffer spec that holds one block per rank of a communicator of
 * `size` ranks (see the module comment for how counts and blocks are read).
 */
export function parseVectorBuffer(spec: unknown, size: number, call: string): VectorMessage {
  const parsed = parseWideVectorBuffer(spec, size, call);
  return { bytes: singleView(parsed.bytes, call), datatype: parsed.datatype, counts: parsed.counts, displs: parsed.displs,
    unpack: parsed.unpack };
}

/**
 * Parses a v-buffer spec as {@link parseVectorBuffer} does, but a buffer
 * longer than the longest byte view comes as a {@link WideVectorMessage}.
 */
export function parseWideVectorBuffer(spec: unknown, size: number, call: string): VectorMessage | WideVectorMessage {
  if (Array.isArray(spec) && spec.length >= 2 && Array.isArray(spec[1])) {
    const buf = spec[0] as TypedArray;
    if (!ArrayBuffer.isView(buf)) throw errors.buffer(call, `expected a typed array, got ${describe(buf)}`);
    const datatype = spec[2] === undefined ? elementDatatype(buf, call) : spec[2];
    if (!isDatatype(datatype)) throw errors.type(call, `${describe(datatype)} is not a datatype`);
    const [countSpec, displSpec] = spec[1] as [unknown, unknown];
    const counts = perRank(countSpec, size, call, 'counts');
    const displs = displSpec === undefined || displSpec === null ? packedDispls(counts)
      : typeof displSpec === 'number' ? strided(displSpec, size, call) : checkCounts(displSpec, size, call, 'displacements');
    return vectorOf(buf, datatype, counts, displs, call);
  }
  if (Array.isArray(spec) && spec.length >= 2 && typeof spec[1] === 'number') {
    const buf = spec[0] as TypedArray;
    if (!ArrayBuffer.isView(buf)) throw errors.buffer(call, `expected a typed array, got ${describe(buf)}`);
    const datatype = spec[2] === undefined ? elementDatatype(buf, call) : spec[2];
    if (!isDatatype(datatype)) throw errors.type(call, `${describe(datatype)} is not a datatype`);
    const counts = perRank(spec[1], size, call, 'count');
    return vectorOf(buf, datatype, counts, packedDispls(counts), call);
  }
  const whole = parseWideBuffer(spec, call);
  // Blocks of whole elements of the spec's datatype, counted in the parsed message's elements.
  const per = elementsPerItem(spec, call);
  const items = whole.count / per;
  const counts = Array.from({ length: size }, (_, r) => (Math.floor(items / size) + (r < items % size ? 1 : 0)) * per);
  const { bytes, datatype } = whole;
  const displs = packedDispls(counts);
  if (!(bytes instanceof Uint8Array)) return { bytes, datatype, counts, displs };
  return { bytes, datatype, counts, displs, unpack: whole.unpack };
}

/**
 * How many elements of `message`, parsed from `spec`, make one element of
 * the spec's datatype: a derived datatype of one basic type is parsed as its
 * basic elements (`message.datatype` is then that basic type), while counts
 * passed beside the buffer (`Reduce_scatter`'s `recvcounts`) are in elements
 * of the spec's datatype, as in MPI.
 */
export function elementsPerSpecElement(spec: unknown, message: { readonly datatype: Datatype }): number {
  if (!Array.isArray(spec)) return 1;
  const datatype: unknown = spec.length === 2 ? spec[1] : spec[2];
  if (!isDatatype(datatype) || datatype.code !== 0 || datatype === message.datatype) return 1;
  return datatype.typemap.elements;
}

/**
 * How many elements of its parsed message make one element of a spec's
 * datatype: of `[buf, datatype]` with a derived one made of one basic type,
 * parsed as its basic elements, that many; else 1. Blocks split per rank
 * must not end inside one, so a buffer that is not a whole number of them
 * throws `ERR_COUNT`, as mpi4py's "cannot infer count" (a predefined one is
 * checked by {@link parseSpec}).
 */
function elementsPerItem(spec: unknown, call: string): number {
  if (!Array.isArray(spec) || spec.length !== 2 || !isDatatype(spec[1]) || spec[1].code !== 0) return 1;
  const [buf, datatype] = spec as [TypedArray, Datatype];
  const map = datatype.typemap;
  if (map.extent > 0 && buf.byteLength % map.extent !== 0) {
    throw errors.count(call, `cannot infer the count: the buffer's ${buf.byteLength} bytes are not a whole number of ` +
      `${datatype.describe()} (extent ${map.extent} bytes); give the count, [buf, count, datatype]`);
  }
  return map.basic === undefined ? 1 : map.elements;
}

/** Checks that the blocks fit `buf` and views all of it. */
function vectorOf(buf: TypedArray, datatype: Datatype, counts: number[], displs: number[],
  call: string): VectorMessage | WideVectorMessage {
  if (datatype.code === 0 && !datatype.typemap.contiguous) return packedVectorOf(buf, datatype, counts, displs, call);
  if (datatype.code === 0) datatype.checkUsable(call);
  let extent = 0;
  for (let i = 0; i < counts.length; i++) extent = Math.max(extent, (displs[i]! + counts[i]!) * datatype.size);
  if (extent > buf.byteLength) {
    throw errors.count(call, `counts and displacements reach byte ${extent} but the buffer has ${buf.byteLength}`);
  }
  const bytes = bytesIn(buf.buffer, buf.byteOffset, buf.byteLength);
  return bytes instanceof Uint8Array ? { bytes, datatype, counts, displs } : { bytes, datatype, counts, displs };
}

/**
 * The blocks of a non-contiguous derived datatype packed one after another
 * (displacements then count packed elements), with `unpack` to copy them
 * back into the blocks of `buf`.
 */
function packedVectorOf(buf: TypedArray, datatype: Datatype, counts: number[], displs: number[], call: string): VectorMessage {
  datatype.checkUsable(call);
  const map = datatype.typemap;
  for (let r = 0; r < counts.length; r++) {
    const why = datatype.outOfBounds(counts[r]!, buf.byteLength, displs[r]! * map.extent);
    if (why !== undefined) throw errors.count(call, `block ${r}: ${why}`);
  }
  const user = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const packed = packedDispls(counts);
  const bytes = new Uint8Array((packed[counts.length - 1] ?? 0) * map.size + (counts[counts.length - 1] ?? 0) * map.size);
  for (let r = 0; r < counts.length; r++) pack(map, counts[r]!, user, displs[r]! * map.extent, bytes, packed[r]! * map.size);
  const unpackAll = (): void => {
    for (let r = 0; r < counts.length; r++) {
      unpack(map, user, displs[r]! * map.extent, bytes, packed[r]! * map.size, counts[r]! * map.size);
    }
  };
  return { bytes, datatype, counts, displs: packed, unpack: unpackAll };
}

/** Counts per rank: one number for every rank, or a list of them. */
function perRank(value: unknown, size: number, call: string, what: string): number[] {
  if (typeof value !== 'number') return checkCounts(value, size, call, what);
  if (!Number.isInteger(value) || value < 0) throw errors.count(call, `invalid ${what} ${value}`);
  return new Array<number>(size).fill(value);
}

/** Displacements of blocks `stride` elements apart. */
function strided(stride: number, size: number, call: string): number[] {
  if (!Number.isInteger(stride) || stride < 0) throw errors.count(call, `invalid displacement stride ${stride}`);
  return Array.from({ length: size }, (_, r) => r * stride);
}

function checkCounts(value: unknown, size: number, call: string, what: string): number[] {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw errors.count(call, `${what} must be an array of ${size} numbers`);
  const list = Array.from(value as ArrayLike<number>, Number);
  if (list.length !== size || list.some((n) => !Number.isInteger(n) || n < 0)) {
    throw errors.count(call, `${what} must be ${size} non-negative integers, got [${list.join(', ')}]`);
  }
  return list;
}

/** Displacements of blocks laid end to end. */
export function packedDispls(counts: readonly number[]): number[] {
  const displs = new Array<number>(counts.length);
  let offset = 0;
  for (let i = 0; i < counts.length; i++) {
    displs[i] = offset;
    offset += counts[i]!;
  }
  return displs;
}

/** Whether `displs` are those of `block`-byte blocks laid end to end from offset 0. */
export function endToEnd(displs: readonly number[], block: number): boolean {
  for (let i = 0; i < displs.length; i++) if (displs[i] !== i * block) return false;
  return true;
}

/**
 * The `displs.length` blocks of `block` bytes at byte offsets `displs` of
 * `bytes`, end to end in fresh memory, for a call that takes equal blocks so
 * ({@link unpackBlocks} copies a receive buffer's back); undefined when they
 * lie so in `bytes` already ({@link endToEnd}).
 */
export function packedBlocks(bytes: Bytes, displs: readonly number[], block: number): Uint8Array | undefined {
  if (endToEnd(displs, block)) return undefined;
  const packed = new Uint8Array(block * displs.length);
  for (let i = 0; i < displs.length; i++) copyBytes(packed, i * block, bytes, displs[i]!, block);
  return packed;
}

/** Copies the blocks of `packed` ({@link packedBlocks}) back to byte offsets `displs` of `bytes`. */
export function unpackBlocks(packed: Uint8Array, bytes: Bytes, displs: readonly number[], block: number): void {
  for (let i = 0; i < displs.length; i++) copyBytes(bytes, displs[i]!, packed, i * block, block);
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 20 ? value.slice(0, 20) + '...' : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** `MPI.BYTE` views of any typed array, for moving data without regard to type. */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
