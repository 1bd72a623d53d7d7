/**
 * The decoder of the object codec: the bytes of one message back to a
 * JavaScript value (layout in `format.ts`).
 *
 * The input may be a view on shared memory that the transport overwrites as
 * soon as this returns, so everything is copied out: strings are made from
 * the bytes, typed arrays and buffers get fresh memory (shared memory where
 * the sender's was, but never the input's), and no view on the input
 * outlives the call. Every read is bounds-checked and
 * every length is checked against the bytes left before anything is
 * allocated, so garbage is reported as `MPI.ERR_TYPE`, never returned.
 *
 * Short latin-1 strings (property names above all) go through a small cache
 * keyed by their bytes: a repeated name costs a compare, not an allocation,
 * and arrives as the same (internalized) string.
 *
 * A message longer than the longest `Uint8Array` (segmented bytes, Node 20)
 * is read through a window that moves forward: it is checked where a value or
 * a property name starts, and always reaches {@link SLACK} bytes further, so
 * that the reads within a value (tag, counts, scalars) need no check of their
 * own; strings and buffers move it as they need. Messages that fit one view
 * never move it.
 *
 * @module
 */

import { type Bytes, bytesIn, copyBytes, MAX_VIEW_BYTES, SegmentedBytes } from '../buffer.js';
import { errors } from '../errors.js';
import {
  ERROR_CLASSES, ERROR_ENTRY_ENUMERABLE, HEADER_BYTES, MAGIC0, MAGIC1, SMALL_INT,
  T_ARRAY, T_ARRAY_BUFFER, T_ARRAY_F64, T_ARRAY_I32, T_ARRAY_KEYED, T_BIGINT64, T_BIGINT_HEX, T_BOXED, T_CLASS, T_CLASS_WRAP,
  T_DATE, T_ERROR, T_FALSE, T_FLOAT64, T_INT32, T_INT8, T_MAP, T_NULL, T_OBJECT, T_OBJECT_NULL, T_REF, T_REGEXP,
  T_SET, T_SHARED_BUFFER, T_STR_LATIN1, T_STR_UTF16, T_STR_UTF8, T_TRUE, T_TYPED, T_TYPED_SHARED, T_UNDEFINED, VERSION,
  VIEW_BUFFER, VIEW_DATAVIEW,
  VIEW_KINDS, type ViewConstructor,
} from './format.js';
import { classByName } from './registry.js';

/** Thrown inside the decoder on malformed input; turned into an MPIError at the top. */
class Malformed {
  constructor(readonly why: string, readonly at: number) {}
}

/** Native string readers of Node's Buffer, callable on any Uint8Array (shared memory too). */
const bufferProto = Buffer.prototype as unknown as {
  latin1Slice?: (this: Uint8Array, start: number, end: number) => string;
  utf8Slice?: (this: Uint8Array, start: number, end: number) => string;
};
const latin1Slice: (b: Uint8Array, start: number, end: number) => string =
  bufferProto.latin1Slice !== undefined
    ? (b, s, e) => bufferProto.latin1Slice!.call(b, s, e)
    : (b, s, e) => Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
const utf8Slice: (b: Uint8Array, start: number, end: number) => string =
  bufferProto.utf8Slice !== undefined
    ? (b, s, e) => bufferProto.utf8Slice!.call(b, s, e)
    : (b, s, e) => Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8');

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Latin-1 strings up to this length go through the string cache. */
const CACHE_MAX_LENGTH = 32;
const CACHE_SLOTS = 4096; // a power of two
/** The longest table of decoded objects that {@link Decoder.finish} empties in place rather than gives back. */
const RETAINED_OBJECTS = 1024;
const EMPTY = new Uint8Array(0);
const defineProperty = Object.defineProperty;
/** The largest length of a JavaScript array. */
const MAX_ARRAY_LENGTH = 2 ** 32 - 1;
/** Bytes the window of a segmented message reaches past the start of any value it is checked at. */
const SLACK = 64;
/** Bytes of the window of a segmented message: the longest byte view, whole 8-byte words. */
const WINDOW_BYTES = Math.floor(MAX_VIEW_BYTES / 8) * 8;

class Decoder {
  /** The message, or its window when it is segmented. */
  bytes: Uint8Array = EMPTY;
  /** Position in {@link bytes}. */
  pos = 0;
  /** Length of {@link bytes}. */
  end = 0;
  /** The whole message, its length, and the message offset of {@link bytes}: 0 unless segmented. */
  private source: Bytes = EMPTY;
  private total = 0;
  private base = 0;
  /** Past this position the window moves before the next value (never, when it reaches the message's end). */
  private moveAfter = Infinity;
  busy = false;
  /** Objects in creation order, for `REF`. */
  private readonly objs: object[] = [];
  private readonly cache: string[] = new Array<string>(CACHE_SLOTS).fill('');
  /** Scalars are copied through these, so that no DataView on the input is needed. */
  private readonly tmp8 = new Uint8Array(8);
  private readonly tmpF64 = new Float64Array(this.tmp8.buffer);
  private readonly tmpI64 = new BigInt64Array(this.tmp8.buffer);

  begin(bytes: Bytes): void {
    this.source = bytes;
    this.total = bytes.byteLength;
    this.base = 0;
    if (bytes instanceof Uint8Array) {
      this.bytes = bytes;
      this.end = bytes.length;
      this.moveAfter = Infinity;
      this.pos = HEADER_BYTES;
    } else {
      this.pos = HEADER_BYTES;
      this.move();
    }
  }

  /** Drops every reference to the input and to the decoded objects. */
  finish(): void {
    this.bytes = EMPTY;
    this.source = EMPTY;
    const objs = this.objs;
    // Setting the length is a runtime call that gives the backing store back, which the next message's pushes then
    // grow again; pop() keeps it, for the tables of the short messages that make up most traffic.
    if (objs.length > RETAINED_OBJECTS) objs.length = 0;
    else while (objs.length > 0) objs.pop();
  }

  /** Offset in the message of the next byte to read. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes of the message after the next one to read. */
  private left(): number {
    return this.total - this.base - this.pos;
  }

  fail(why: string): Malformed {
    return new Malformed(why, this.offset);
  }

  /** Starts the window of a segmented message at the 8-byte boundary at or before the read position. */
  private move(): void {
    const at = this.offset;
    const base = Math.floor(at / 8) * 8;
    const length = Math.min(this.total - base, WINDOW_BYTES);
    this.bytes = this.source.subarray(base, base + length);
    this.base = base;
    this.pos = at - base;
    this.end = length;
    this.moveAfter = base + length === this.total ? Infinity : length - SLACK;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) this.reach(n);
  }

  /** {@link need} past the window: fails at the message's end, else moves the window when `n` bytes fit one. */
  private reach(n: number): void {
    if (n > this.left()) throw this.fail(`it ends early (${n} more bytes needed, ${this.left()} left)`);
    if (n + SLACK <= WINDOW_BYTES) this.move();
  }

  private u8(): number {
    if (this.pos >= this.end) this.reach(1);
    return this.bytes[this.pos++]!;
  }

  private varint(): number {
    const b = this.bytes;
    let p = this.pos;
    if (p >= this.end) throw this.fail('it ends early');
    let x = b[p++]!;
    if (x < 0x80) {
      this.pos = p;
      return x;
    }
    x &= 0x7f;
    for (let scale = 128; ; scale *= 128) {
      if (p >= this.end) throw this.fail('it ends early');
      if (scale > 2 ** 49) throw this.fail('a length is out of range'); // more than 8 bytes
      const c = b[p++]!;
      x += (c & 0x7f) * scale;
      if (c < 0x80) break;
    }
    this.pos = p;
    return x;
  }

  /** A count of items each at least `minBytes` long, checked against what is left. */
  private count(n: number, minBytes: number): number {
    if (n * minBytes > this.left()) throw this.fail(`a count of ${n} runs past the end`);
    return n;
  }

  private u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Reads 8 little-endian bytes into the scratch word that `tmpF64` and `tmpI64` view. */
  private load8(): void {
    this.need(8);
    const b = this.bytes;
    const t = this.tmp8;
    const p = this.pos;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) t[i] = b[p + i]!;
    else for (let i = 0; i < 8; i++) t[7 - i] = b[p + i]!;
    this.pos = p + 8;
  }

  private f64(): number {
    this.load8();
    return this.tmpF64[0]!;
  }

  readValue(): unknown {
    if (this.pos > this.moveAfter) this.move();
    if (this.pos >= this.end) throw this.fail('it ends early');
    const t = this.bytes[this.pos++]!;
    if (t >= SMALL_INT) return t - SMALL_INT;
    switch (t) {
      case T_STR_LATIN1: return this.latin1(this.varint());
      case T_OBJECT: return this.readObject();
      case T_ARRAY: return this.readArray();
      case T_FLOAT64: return this.f64();
      case T_INT8: return (this.u8() << 24) >> 24;
      case T_INT32: return this.u32() | 0;
      case T_TRUE: return true;
      case T_FALSE: return false;
      case T_NULL: return null;
      case T_UNDEFINED: return undefined;
      case T_REF: {
        const i = this.varint();
        if (i >= this.objs.length) throw this.fail(`reference to object ${i}, but only ${this.objs.length} seen`);
        return this.objs[i];
      }
      case T_STR_UTF8: return this.utf8(this.varint());
      case T_STR_UTF16: return this.utf16(this.varint());
      case T_ARRAY_KEYED: return this.readKeyedArray();
      case T_ARRAY_I32: return this.readPacked(4);
      case T_ARRAY_F64: return this.readPacked(8);
      case T_BIGINT64: return this.bigint64();
      case T_BIGINT_HEX: return this.bigintHex();
      case T_OBJECT_NULL: return this.readProps(this.created(Object.create(null) as Record<string, unknown>), undefined);
      case T_MAP: return this.readMap();
      case T_SET: return this.readSet();
      case T_DATE: {
        const d = new Date(this.f64());
        this.objs.push(d);
        return d;
      }
      case T_REGEXP: return this.readRegExp();
      case T_ERROR: return this.readError();
      case T_BOXED: return this.readBoxed();
      case T_ARRAY_BUFFER:
      case T_SHARED_BUFFER: {
        const ab = this.copyBytes(this.varint(), t === T_SHARED_BUFFER);
        this.objs.push(ab);
        return ab;
      }
      case T_TYPED: return this.readView(false);
      case T_TYPED_SHARED: return this.readView(true);
      case T_CLASS: return this.readClass();
      case T_CLASS_WRAP: return this.readClassWrap();
      default: this.pos--; throw this.fail(`unknown tag 0x${t.toString(16).padStart(2, '0')}`);
    }
  }

  private latin1(n: number): string {
    this.need(n);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + n;
    if (n > CACHE_MAX_LENGTH) return latin1Slice(b, p, p + n);
    let h = n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ b[p + i]!, 0x01000193);
    const slot = (h ^ (h >>> 16)) & (CACHE_SLOTS - 1);
    const cached = this.cache[slot]!;
    if (cached.length === n) {
      let i = 0;
      while (i < n && cached.charCodeAt(i) === b[p + i]) i++;
      if (i === n) return cached;
    }
    let s: string;
    if (n <= 8) {
      s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(b[p + i]!);
    } else {
      s = latin1Slice(b, p, p + n);
    }
    this.cache[slot] = s;
    return s;
  }

  private utf8(n: number): string {
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return utf8Slice(this.bytes, p, p + n);
  }

  private utf16(n: number): string {
    this.need(2 * n);
    const b = this.bytes;
    let p = this.pos;
    let s = '';
    // Chunks keep fromCharCode.apply within the argument limit.
    for (let done = 0; done < n;) {
      const m = Math.min(n - done, 8192);
      const units = new Uint16Array(m);
      for (let i = 0; i < m; i++, p += 2) units[i] = b[p]! | (b[p + 1]! << 8);
      s += String.fromCharCode.apply(null, units as unknown as number[]);
      done += m;
    }
    this.pos = p;
    return s;
  }

  /** A string value where the format requires one (property names, class names, RegExp parts). */
  private string(what: string): string {
    if (this.pos > this.moveAfter) this.move();
    const t = this.u8();
    if (t === T_STR_LATIN1) return this.latin1(this.varint());
    if (t === T_STR_UTF8) return this.utf8(this.varint());
    if (t === T_STR_UTF16) return this.utf16(this.varint());
    this.pos--;
    throw this.fail(`expected ${what} (a string), found tag 0x${t.toString(16).padStart(2, '0')}`);
  }

  private readObject(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    this.objs.push(o);
    const n = this.count(this.varint(), 2);
    for (let i = 0; i < n; i++) {
      const k = this.string('a property name');
      const v = this.readValue();
      // Assigning '__proto__' would set the prototype; define it as the own property it was.
      if (k === '__proto__') defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
      else o[k] = v;
    }
    return o;
  }

  /** Numbers a new object (for `REF`) and returns it. */
  private created<T extends object>(o: T): T {
    this.objs.push(o);
    return o;
  }

  /**
   * Properties onto an object already numbered: one with a null prototype
   * (where `__proto__` is an ordinary name), or a registered class instance
   * (where the names in `guarded` are defined, not assigned).
   */
  private readProps(o: Record<string, unknown>, guarded: ReadonlySet<string> | undefined): object {
    const n = this.count(this.varint(), 2);
    for (let i = 0; i < n; i++) {
      const k = this.string('a property name');
      const v = this.readValue();
      if (guarded !== undefined && guarded.has(k)) {
        defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        o[k] = v;
      }
    }
    return o;
  }

  private readArray(): unknown[] {
    const n = this.count(this.varint(), 1);
    const a = new Array<unknown>(n);
    this.objs.push(a);
    for (let i = 0; i < n; i++) a[i] = this.readValue();
    return a;
  }

  /** An array with holes or extra properties: its length, then its own properties in order. */
  private readKeyedArray(): unknown[] {
    const length = this.varint();
    if (length > MAX_ARRAY_LENGTH) throw this.fail(`an array length of ${length} is out of range`);
    const a = new Array<unknown>(length);
    this.objs.push(a);
    const n = this.count(this.varint(), 2);
    for (let i = 0; i < n; i++) {
      const k = this.string('an array property name');
      const v = this.readValue();
      if (k === 'length') throw this.fail('an array property named length');
      // Assigning '__proto__' would set the prototype; define it as the own property it was.
      if (k === '__proto__') defineProperty(a, k, { value: v, writable: true, enumerable: true, configurable: true });
      else (a as unknown as Record<string, unknown>)[k] = v;
    }
    if (a.length !== length) throw this.fail('an array element lies beyond its length');
    return a;
  }

  private readPacked(width: 4 | 8): number[] {
    const n = this.varint();
    const b = this.bytes;
    while (this.pos % width !== 0) {
      if (this.u8() !== 0) throw this.fail('bad padding');
    }
    this.count(n, width);
    const at = b.byteOffset + this.pos;
    const a = new Array<number>(n);
    this.objs.push(a);
    if (LITTLE_ENDIAN && at % width === 0) {
      if (width === 4) unpackI32(new Int32Array(b.buffer, at, n), a);
      else unpackF64(new Float64Array(b.buffer, at, n), a);
    } else {
      unpackUnaligned(new DataView(b.buffer, at, n * width), width, a);
    }
    this.pos += n * width;
    return a;
  }

  private bigint64(): bigint {
    this.load8();
    return this.tmpI64[0]!;
  }

  private bigintHex(): bigint {
    const sign = this.u8();
    const n = this.varint();
    this.need(n);
    const p = this.pos;
    const hex = latin1Slice(this.bytes, p, p + n);
    this.pos = p + n;
    if (sign > 1 || n === 0 || !/^[0-9a-f]+$/.test(hex)) throw this.fail('bad bigint');
    const v = BigInt(`0x${hex}`);
    return sign === 1 ? -v : v;
  }

  private readMap(): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>();
    this.objs.push(m);
    const n = this.count(this.u32(), 2);
    for (let i = 0; i < n; i++) {
      const k = this.readValue();
      m.set(k, this.readValue());
    }
    return m;
  }

  private readSet(): Set<unknown> {
    const s = new Set<unknown>();
    this.objs.push(s);
    const n = this.count(this.u32(), 1);
    for (let i = 0; i < n; i++) s.add(this.readValue());
    return s;
  }

  private readRegExp(): RegExp {
    const source = this.string('a RegExp source');
    const flags = this.string('RegExp flags');
    let r: RegExp;
    try {
      r = new RegExp(source, flags);
    } catch {
      throw this.fail('bad RegExp');
    }
    this.objs.push(r);
    return r;
  }

  private readError(): Error {
    const C = ERROR_CLASSES[this.u8()];
    if (C === undefined) throw this.fail('unknown error class');
    // A real error object (not Object.create) so that it is an Error to util.types and
    // assert; no stack is captured since the sender's stack is what travels.
    const limit = Error.stackTraceLimit;
    let e: Error;
    try {
      Error.stackTraceLimit = 0;
      e = C === (AggregateError as unknown) ? new AggregateError([]) : new C();
    } finally {
      Error.stackTraceLimit = limit;
    }
    for (const key of Object.getOwnPropertyNames(e)) delete (e as unknown as Record<string, unknown>)[key];
    this.objs.push(e);
    const n = this.count(this.varint(), 3);
    for (let i = 0; i < n; i++) {
      const key = this.string('an error property name');
      const flags = this.u8();
      const value = this.readValue();
      defineProperty(e, key, {
        value, writable: true, configurable: true, enumerable: (flags & ERROR_ENTRY_ENUMERABLE) !== 0,
      });
    }
    return e;
  }

  private readBoxed(): object {
    const v = this.readValue();
    const t = typeof v;
    if (t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'bigint') throw this.fail('bad boxed primitive');
    const o = Object(v) as object;
    this.objs.push(o);
    return o;
  }

  /**
   * `n` bytes copied into a fresh buffer: a SharedArrayBuffer if `shared`
   * (new shared memory, not the sender's: ranks may be separate processes),
   * else an ArrayBuffer.
   */
  private copyBytes(n: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
    this.need(n);
    const b = this.bytes;
    if (n > WINDOW_BYTES - SLACK) {
      // Longer than a window (a segmented message): copied a segment at a time, from past the window if need be.
      const ab = shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n);
      copyBytes(bytesIn(ab, 0, n), 0, bytesIn(b.buffer, b.byteOffset + this.pos, n), 0, n);
      this.pos += n;
      return ab;
    }
    // Large copies skip zero-filling: allocUnsafeSlow is never pooled, so its buffer is exactly n bytes.
    const ab = shared ? new SharedArrayBuffer(n)
      : n < 4096 ? new ArrayBuffer(n) : Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer;
    new Uint8Array(ab).set(new Uint8Array(b.buffer, b.byteOffset + this.pos, n));
    this.pos += n;
    return ab;
  }

  private readView(shared: boolean): ArrayBufferView {
    const kind = this.u8();
    const C = VIEW_KINDS[kind];
    if (C === undefined) throw this.fail(`unknown typed array kind ${kind}`);
    const n = this.varint();
    const per = kind === VIEW_DATAVIEW || kind === VIEW_BUFFER ? 1 : (C as Exclude<ViewConstructor, DataViewConstructor>).BYTES_PER_ELEMENT;
    if (n % per !== 0) throw this.fail(`${n} bytes is not a whole number of ${C.name} elements`);
    const ab = this.copyBytes(n, shared);
    const v = kind === VIEW_BUFFER ? Buffer.from(ab) : new (C as new (buffer: ArrayBufferLike) => ArrayBufferView)(ab);
    this.objs.push(v);
    return v;
  }

  private readClass(): object {
    const name = this.string('a class name');
    const reg = classByName(name);
    if (reg === undefined) throw this.unregistered(name);
    return this.readProps(this.created(Object.create(reg.proto) as Record<string, unknown>), reg.guarded);
  }

  private readClassWrap(): object {
    const name = this.string('a class name');
    const reg = classByName(name);
    if (reg === undefined) throw this.unregistered(name);
    const before = this.objs.length;
    const v = this.readValue();
    // The wrapped value must be a built-in created right here, not a reference or a primitive.
    if (this.objs.length === before || this.objs[before] !== v) throw this.fail('bad class instance');
    Object.setPrototypeOf(v, reg.proto);
    return this.readProps(v as Record<string, unknown>, reg.guarded);
  }

  private unregistered(name: string): Malformed {
    return this.fail(`it holds an instance of class "${name}", which is not registered on this rank ` +
      `(call MPI.registerClass(${name}) on every rank, with the same name)`);
  }
}

// Separate small loops, so that each stays monomorphic and fast.
function unpackI32(src: Int32Array, a: number[]): void {
  for (let i = 0, n = a.length; i < n; i++) a[i] = src[i]!;
}

function unpackF64(src: Float64Array, a: number[]): void {
  for (let i = 0, n = a.length; i < n; i++) a[i] = src[i]!;
}

function unpackUnaligned(v: DataView, width: number, a: number[]): void {
  const n = a.length;
  if (width === 4) for (let i = 0; i < n; i++) a[i] = v.getInt32(4 * i, true);
  else for (let i = 0; i < n; i++) a[i] = v.getFloat64(8 * i, true);
}

const shared = new Decoder();

/**
 * Decodes one message made by `encode` / `encodeScratch`.
 *
 * `bytes` may be a view on shared memory that is overwritten right after
 * this returns: everything is copied out and no reference to it is kept.
 *
 * @param bytes - the message
 * @param call - the API call, such as `'Comm.recv'`, for error messages
 * @returns the value, with its object identities (shared references, cycles) restored
 * @throws MPIError (`MPI.ERR_TYPE`) if the bytes are not a well-formed message,
 *   or name a class this rank has not registered
 */
export function decode(bytes: Bytes, call: string): unknown {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof SegmentedBytes)) {
    throw errors.type(call, `expected the bytes of an object message (a Uint8Array), got ${Object.prototype.toString.call(bytes)}`);
  }
  // A segmented message is longer than any view, so its header is there.
  const head = bytes instanceof Uint8Array ? bytes : bytes.subarray(0, HEADER_BYTES);
  if (bytes.byteLength <= HEADER_BYTES || head[0] !== MAGIC0 || head[1] !== MAGIC1) {
    throw errors.type(call, `the ${bytes.byteLength}-byte message is not an object message of mpi4ts ` +
      '(was it sent with a buffer method such as Send? Then receive it with Recv into a typed array)');
  }
  if (head[2] !== VERSION) {
    throw errors.type(call, `the object message has format version ${head[2]}, this rank reads version ${VERSION} ` +
      '(do all ranks run the same mpi4ts?)');
  }
  const d = shared.busy ? new Decoder() : shared;
  d.busy = true;
  d.begin(bytes);
  try {
    const v = d.readValue();
    if (d.offset !== bytes.byteLength) throw d.fail(`${bytes.byteLength - d.offset} bytes follow the value`);
    return v;
  } catch (e) {
    if (e instanceof Malformed) {
      throw errors.type(call, `malformed object message: ${e.why} (at byte ${e.at} of ${bytes.byteLength})`);
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw errors.type(call, 'the object message is nested too deeply to decode');
    }
    throw e;
  } finally {
    d.finish();
    d.busy = false;
  }
}
