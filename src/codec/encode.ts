/**
 * The encoder of the object codec: a JavaScript value to the bytes of one
 * message (layout in `format.ts`).
 *
 * Written for small messages first: one growable scratch buffer reused by
 * every call, no allocation per primitive, short strings written by a loop,
 * object identity tracked by a linear search over the first few objects and
 * a Map after that. Arrays of numbers are written packed (int32 or float64),
 * typed arrays as raw bytes. Which kind an object is comes from
 * `classify.ts`; when a value cannot be sent, encoding stops and a second
 * walk (`locate.ts`) finds where it sits, so that the hot path carries no path.
 *
 * A message longer than the longest `Uint8Array` (2^32 bytes on Node 20)
 * still has one ArrayBuffer; the encoder then writes through a window of it
 * that moves forward, and hands the message out as segmented bytes
 * (`buffer.ts`). Messages that fit one view never move the window.
 *
 * @module
 */

import { inspect, types } from 'node:util';
import { type Bytes, copyBytes, MAX_VIEW_BYTES, SEGMENT_BYTES, SegmentedBytes, singleView } from '../buffer.js';
import {
  K_ARRAY, K_ARRAY_BUFFER, K_BOXED, K_DATE, K_ERROR, K_MAP, K_NULL, K_PLAIN, K_REGEXP, K_REJECT, K_SET, K_VIEW, type Kind,
  MAX_DEPTH, WHY_DEEP, WHY_FUNCTION, WHY_SYMBOL, arrayFastPathRejection, classify, errorEntries, fastPathRejection, isIndex,
} from './classify.js';
import {
  ERROR_ENTRY_ENUMERABLE, HEADER_BYTES, MAGIC0, MAGIC1, PACKED_MIN, SHORT_STRING, SMALL_INT,
  T_ARRAY, T_ARRAY_BUFFER, T_ARRAY_F64, T_ARRAY_I32, T_ARRAY_KEYED, T_BIGINT64, T_BIGINT_HEX, T_BOXED, T_CLASS, T_CLASS_WRAP,
  T_DATE, T_ERROR, T_FALSE, T_FLOAT64, T_INT32, T_INT8, T_MAP, T_NULL, T_OBJECT, T_OBJECT_NULL, T_REF, T_REGEXP,
  T_SET, T_SHARED_BUFFER, T_STR_LATIN1, T_STR_UTF16, T_STR_UTF8, T_TRUE, T_TYPED, T_TYPED_SHARED, T_UNDEFINED, VERSION,
} from './format.js';
import { Unserializable, encodingError } from './locate.js';
import { classByProto } from './registry.js';

/** Native string writers of Node's Buffer (present since Node 0.x; documented `write` as fallback). */
interface NativeWriters {
  utf8Write?(s: string, offset: number): number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Objects remembered by linear search before switching to a Map: most messages have few. */
const LINEAR_SEEN = 16;
/** Initial scratch size. */
const INITIAL_BYTES = 4096;
/** A scratch grown beyond this for one big message is dropped before the next one. */
const MAX_RETAINED_BYTES = 64 << 20;
/** Where the scratch stops doubling: pages only count once written, so slack is cheap, but not unbounded. */
const MAX_DOUBLING_BYTES = 2 ** 32;

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

const getTime = Date.prototype.getTime;
const objectKeys = Object.keys;
const hasOwn = Object.prototype.hasOwnProperty;
const getPrototypeOf = Object.getPrototypeOf;

class Encoder {
  /** The whole scratch; {@link buf} and the other views cover its window from {@link base}. */
  private scratch!: ArrayBuffer;
  /** Offset in the message of the window's first byte: 0 unless the message outgrows one view. */
  base = 0;
  buf!: Uint8Array;
  private nbuf!: Buffer & NativeWriters;
  private view!: DataView;
  private f64!: Float64Array;
  private i32!: Int32Array;
  pos = 0;
  busy = false;
  private readonly seen: (object | null)[] = new Array<object | null>(LINEAR_SEEN).fill(null);
  private nSeen = 0;
  private seenMap: Map<object, number> | null = null;
  /** Objects being written, one inside the other (at most {@link MAX_DEPTH}). */
  private depth = 0;
  /** The view {@link written} gave last (of the scratch's first window). */
  private lastWritten: Uint8Array = new Uint8Array(0);

  constructor(bytes: number) {
    this.alloc(bytes);
  }

  alloc(bytes: number): void {
    this.scratch = new ArrayBuffer(bytes);
    this.window(0, bytes);
  }

  /** Points the views at `length` bytes of the scratch from `base`, a multiple of 8 (packed arrays align on it). */
  private window(base: number, length: number): void {
    const ab = this.scratch;
    this.base = base;
    this.buf = new Uint8Array(ab, base, length);
    this.nbuf = Buffer.from(ab, base, length);
    this.view = new DataView(ab, base, length);
    // Division, not a shift: the length can be 2^32 or more.
    this.f64 = new Float64Array(ab, base, Math.floor(length / 8));
    this.i32 = new Int32Array(ab, base, Math.floor(length / 4));
  }

  /** Bytes of the message written so far. */
  get length(): number {
    return this.base + this.pos;
  }

  private grow(n: number): void {
    const old = this.buf;
    const need = this.pos + n;
    if (this.base !== 0 || need > MAX_VIEW_BYTES) {
      this.growPastView(n);
      return;
    }
    // A big write leaves some room after it, so that the few bytes that follow a large typed array do not copy
    // it again (past 4 GiB too, where doubling stops); all within one view.
    const next = Math.max(Math.min(old.length * 2, MAX_DOUBLING_BYTES), need + need / 16);
    this.alloc(Math.ceil(Math.max(need, Math.min(next, MAX_VIEW_BYTES)) / 8) * 8);
    this.buf.set(old.subarray(0, this.pos));
  }

  /**
   * Room for `n` more bytes in a message longer than one view: a larger
   * scratch if needed, and the window moved to start at the 8-byte boundary
   * at or before the write position.
   */
  private growPastView(n: number): void {
    const written = this.length;
    const need = written + n;
    if (need > this.scratch.byteLength) {
      const old = this.scratch;
      this.scratch = new ArrayBuffer(Math.ceil((need + need / 16) / 8) * 8);
      copyBytes(new SegmentedBytes(this.scratch, 0, written), 0, new SegmentedBytes(old, 0, written), 0, written);
    }
    // A write longer than the window (a huge typed array) goes through writeRaw, which moves it again.
    const base = Math.floor(written / 8) * 8;
    this.window(base, Math.min(this.scratch.byteLength - base, Math.floor(MAX_VIEW_BYTES / 8) * 8));
    this.pos = written - base;
  }

  /** Copies `length` bytes of `buffer` from `offset` into the message, a segment at a time past one view. */
  private writeRaw(buffer: ArrayBufferLike, offset: number, length: number): void {
    for (let done = 0; done < length;) {
      // At most a window's room (a moved window starts up to 7 bytes before the write position).
      const step = Math.min(length - done, SEGMENT_BYTES, Math.floor(MAX_VIEW_BYTES / 8) * 8 - 8);
      this.ensure(step);
      this.buf.set(new Uint8Array(buffer, offset + done, step), this.pos);
      this.pos += step;
      done += step;
    }
  }

  /** Drops a scratch grown for one big message, before the next one. */
  trim(): void {
    if (this.scratch.byteLength > MAX_RETAINED_BYTES) this.alloc(INITIAL_BYTES);
  }

  /** Whether the scratch is one that {@link trim} keeps. */
  get retained(): boolean {
    return this.scratch.byteLength <= MAX_RETAINED_BYTES;
  }

  /**
   * The message as bytes that view the scratch: the same view as the last
   * message's when it is as long (a loop that sends alike values makes no
   * view per call).
   */
  written(): Bytes {
    return this.base === 0 ? this.firstWindow() : new SegmentedBytes(this.scratch, 0, this.length);
  }

  private firstWindow(): Uint8Array {
    const last = this.lastWritten;
    if (last.buffer !== this.scratch || last.byteLength !== this.pos) this.lastWritten = this.buf.subarray(0, this.pos);
    return this.lastWritten;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /** Forget the objects of the last message (and drop the references to them). */
  reset(): void {
    const s = this.seen;
    for (let i = Math.min(this.nSeen, LINEAR_SEEN) - 1; i >= 0; i--) s[i] = null;
    this.nSeen = 0;
    this.seenMap = null;
    this.depth = 0;
  }

  private find(o: object): number {
    const m = this.seenMap;
    if (m !== null) {
      const i = m.get(o);
      return i === undefined ? -1 : i;
    }
    const s = this.seen;
    for (let i = 0, n = this.nSeen; i < n; i++) if (s[i] === o) return i;
    return -1;
  }

  private remember(o: object): void {
    const i = this.nSeen++;
    if (this.seenMap !== null) {
      this.seenMap.set(o, i);
      return;
    }
    this.seen[i] = o;
    if (i === LINEAR_SEEN - 1) {
      const m = new Map<object, number>();
      for (let j = 0; j <= i; j++) m.set(this.seen[j]!, j);
      this.seenMap = m;
    }
  }

  private byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned LEB128; callers ensure 5 bytes of room for lengths below 2^35. */
  private varint(n: number): void {
    const b = this.buf;
    let p = this.pos;
    while (n > 0x7f) {
      b[p++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[p++] = n;
    this.pos = p;
  }

  writeHeader(): void {
    const b = this.buf;
    b[0] = MAGIC0;
    b[1] = MAGIC1;
    b[2] = VERSION;
    this.pos = HEADER_BYTES;
  }

  writeValue(v: unknown): void {
    switch (typeof v) {
      case 'number': this.writeNumber(v); return;
      case 'string': this.writeString(v); return;
      case 'object':
        if (v === null) this.byte(T_NULL);
        else this.writeObject(v);
        return;
      case 'boolean': this.byte(v ? T_TRUE : T_FALSE); return;
      case 'undefined': this.byte(T_UNDEFINED); return;
      case 'bigint': this.writeBigInt(v); return;
      case 'function': throw new Unserializable(WHY_FUNCTION);
      default: throw new Unserializable(WHY_SYMBOL);
    }
  }

  private writeNumber(v: number): void {
    this.ensure(9);
    const b = this.buf;
    const p = this.pos;
    const i = v | 0;
    // -0 passes the int test (-0 | 0 === -0) and must stay a float to survive.
    if (i === v && (i !== 0 || 1 / v > 0)) {
      if (i >= 0 && i < 0x80) {
        b[p] = SMALL_INT + i;
        this.pos = p + 1;
      } else if (i >= -0x80 && i < 0x80) {
        b[p] = T_INT8;
        b[p + 1] = i;
        this.pos = p + 2;
      } else {
        b[p] = T_INT32;
        b[p + 1] = i;
        b[p + 2] = i >> 8;
        b[p + 3] = i >> 16;
        b[p + 4] = i >> 24;
        this.pos = p + 5;
      }
    } else {
      b[p] = T_FLOAT64;
      this.view.setFloat64(p + 1, v, true);
      this.pos = p + 9;
    }
  }

  private writeBigInt(v: bigint): void {
    if (BigInt.asIntN(64, v) === v) {
      this.ensure(9);
      this.buf[this.pos] = T_BIGINT64;
      this.view.setBigInt64(this.pos + 1, v, true);
      this.pos += 9;
      return;
    }
    // Hex is linear-time in V8 both ways, unlike repeated 64-bit shifts.
    const negative = v < 0n;
    const hex = (negative ? -v : v).toString(16);
    this.ensure(7 + hex.length);
    this.buf[this.pos++] = T_BIGINT_HEX;
    this.buf[this.pos++] = negative ? 1 : 0;
    this.varint(hex.length);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < hex.length; i++) b[p + i] = hex.charCodeAt(i);
    this.pos = p + hex.length;
  }

  writeString(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      // Optimistically latin-1, written while checking; bail out on the first wider code unit.
      if (this.pos + n + 2 > this.buf.length) this.grow(n + 2);
      const b = this.buf;
      const p = this.pos + 2;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) {
          this.writeWideString(s);
          return;
        }
        b[p + i] = c;
      }
      b[p - 2] = T_STR_LATIN1;
      b[p - 1] = n;
      this.pos = p + n;
    } else {
      this.writeWideString(s);
    }
  }

  /** Long or non-latin-1 strings: native UTF-8 when well-formed, else UTF-16 code units (lone surrogates). */
  private writeWideString(s: string): void {
    const n = s.length;
    if (isWellFormed(s)) {
      this.ensure(6 + 3 * n);
      const p = this.pos;
      const start = p + 6;
      const nb = this.nbuf;
      const written = nb.utf8Write !== undefined ? nb.utf8Write(s, start) : nb.write(s, start, 'utf8');
      const b = this.buf;
      // All ASCII: say latin-1, which the receiver reads with a plain copy.
      b[p] = written === n ? T_STR_LATIN1 : T_STR_UTF8;
      // A varint padded to 5 bytes, since the length was unknown before writing.
      b[p + 1] = (written & 0x7f) | 0x80;
      b[p + 2] = ((written >>> 7) & 0x7f) | 0x80;
      b[p + 3] = ((written >>> 14) & 0x7f) | 0x80;
      b[p + 4] = ((written >>> 21) & 0x7f) | 0x80;
      b[p + 5] = (written >>> 28) & 0x0f;
      this.pos = start + written;
      return;
    }
    this.ensure(6 + 2 * n);
    this.buf[this.pos++] = T_STR_UTF16;
    this.varint(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      b[p++] = c;
      b[p++] = c >> 8;
    }
    this.pos = p;
  }

  private writeRef(i: number): void {
    this.ensure(6);
    this.buf[this.pos++] = T_REF;
    this.varint(i);
  }

  private writeObject(o: object): void {
    const seenAt = this.find(o);
    if (seenAt >= 0) {
      this.writeRef(seenAt);
      return;
    }
    if (++this.depth > MAX_DEPTH) throw new Unserializable(WHY_DEEP);
    const proto: unknown = getPrototypeOf(o);
    if (proto === Object.prototype) {
      const no = fastPathRejection(o);
      if (no !== undefined) throw new Unserializable(no.why);
      this.remember(o);
      this.writeProps(T_OBJECT, o);
    } else if (proto === Array.prototype && Array.isArray(o)) {
      const no = arrayFastPathRejection(o);
      if (no !== undefined) throw new Unserializable(no.why);
      this.remember(o);
      this.writeArray(o as unknown[]);
    } else {
      this.writeOther(o, proto as object | null);
    }
    this.depth--;
  }

  /**
   * Own enumerable string-keyed properties, in their order; getters are read.
   * for-in (with an own-property check) rather than Object.keys: V8 turns
   * `o[k]` inside it into a field load through the enum cache, and nothing
   * is allocated. The count is known only at the end and patched in.
   */
  private writeProps(tag: number, o: object): void {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    this.writePropsBody(o);
  }

  /**
   * The count and properties of a plain object or registered class instance;
   * `skip` leaves out what a wrapped built-in carries itself (its elements,
   * or for an error everything).
   */
  private writePropsBody(o: object, skip = SKIP_NONE): void {
    this.ensure(1);
    const at = this.base + this.pos++;
    let n = 0;
    if (skip !== SKIP_ALL) for (const k in o) {
      if (!hasOwn.call(o, k) || (skip === SKIP_INDICES && isIndex(k))) continue;
      this.writeString(k);
      this.writeValue((o as Record<string, unknown>)[k]);
      n++;
    }
    this.patchCount(at, n);
  }

  /**
   * Writes count `n` as a varint into the byte reserved at message offset
   * `at`, moving what follows if it needs more.
   */
  private patchCount(at: number, n: number): void {
    const local = at - this.base;
    // The usual case returns at the end: V8 optimizes a function whose calls return near its start only after
    // hundreds of them (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    if (n >= 0x80 || local < 0) this.patchWideCount(at, n);
    else this.buf[local] = n;
  }

  /** {@link patchCount} of a count of more than one byte, or behind the window. */
  private patchWideCount(at: number, n: number): void {
    let extra = 0;
    for (let x = n; x > 0x7f; x = Math.floor(x / 128)) extra++;
    this.ensure(extra);
    if (at < this.base) {
      this.patchBehindWindow(at, n, extra);
      return;
    }
    const start = at - this.base;
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos);
    const end = this.pos + extra;
    this.pos = start;
    this.varint(n);
    this.pos = end;
  }

  /** {@link patchCount} where the window has moved past `at`: moves what follows from the end back, a segment at a time. */
  private patchBehindWindow(at: number, n: number, extra: number): void {
    const end = this.length;
    for (let to = end; to > at + 1;) {
      const step = Math.min(SEGMENT_BYTES, to - (at + 1));
      new Uint8Array(this.scratch, to - step, step + extra).copyWithin(extra, 0, step);
      to -= step;
    }
    const count = new Uint8Array(this.scratch, at, 1 + extra);
    for (let i = 0, x = n; i <= extra; i++, x = Math.floor(x / 128)) count[i] = (x % 128) | (i < extra ? 0x80 : 0);
    this.pos += extra;
  }

  /** Writes `n` as 4 little-endian bytes at message offset `at` (Map and Set counts). */
  private patchU32(at: number, n: number): void {
    if (at >= this.base) this.view.setUint32(at - this.base, n, true);
    else new DataView(this.scratch, at, 4).setUint32(0, n, true);
  }

  /**
   * An array: packed if it holds only numbers, element by element if it is
   * dense with nothing else, else keyed (holes, extra properties).
   */
  private writeArray(a: unknown[]): void {
    const n = a.length;
    if (n < LONG_ARRAY) {
      // As isDenseOnly, written out here: the call costs as much as the check on a short array.
      const keys = objectKeys(a);
      if (keys.length !== n || (n !== 0 && keys[n - 1] !== INDEX_NAMES[n - 1])) {
        this.writeKeyedArray(a);
        return;
      }
    } else if (!hasOnlyElements(a)) {
      this.writeKeyedArray(a);
      return;
    }
    if (n >= PACKED_MIN && LITTLE_ENDIAN) {
      // Only numbers means no holes either (a hole reads as undefined).
      const kind = numericKind(a);
      if (kind !== 0) {
        this.writePacked(a as number[], kind === 1);
        return;
      }
    }
    if (n >= LONG_ARRAY && hasHole(a)) {
      this.writeKeyedArray(a);
      return;
    }
    this.ensure(6);
    this.buf[this.pos++] = T_ARRAY;
    this.varint(n);
    for (let i = 0; i < n; i++) this.writeValue(a[i]);
  }

  /**
   * An array with holes or extra properties, as its length and its own
   * enumerable properties: a hole costs nothing, however long the array.
   */
  private writeKeyedArray(a: unknown[]): void {
    const keys = objectKeys(a);
    this.ensure(11);
    this.buf[this.pos++] = T_ARRAY_KEYED;
    this.varint(a.length);
    this.varint(keys.length);
    for (const k of keys) {
      this.writeString(k);
      this.writeValue((a as unknown as Record<string, unknown>)[k]);
    }
  }

  /** A dense array of numbers as raw int32 or float64, through views aligned on the message start. */
  private writePacked(a: number[], allInt: boolean): void {
    const n = a.length;
    const width = allInt ? 4 : 8;
    this.ensure(6 + width + width * n);
    this.buf[this.pos++] = allInt ? T_ARRAY_I32 : T_ARRAY_F64;
    this.varint(n);
    const b = this.buf;
    while (this.pos % width !== 0) b[this.pos++] = 0;
    // Division, not a shift: the position can pass 2^31.
    if (allInt) packI32(this.i32, this.pos / 4, a);
    else packF64(this.f64, this.pos / 8, a);
    this.pos += width * n;
  }

  private writeOther(o: object, proto: object | null): void {
    const k = classify(o, proto);
    if (k.kind === K_REJECT) throw new Unserializable(k.why);
    const reg = proto === null ? undefined : classByProto(proto);
    if (reg === undefined && k.unregistered !== '') throw new Unserializable(k.unregistered);
    this.remember(o);
    if (reg !== undefined) {
      if (k.kind === K_PLAIN) {
        this.byte(T_CLASS);
        this.writeString(reg.name);
        this.writePropsBody(o);
        return;
      }
      // A registered subclass of a built-in: the built-in, its own extra properties, and its
      // prototype is set on arrival.
      this.byte(T_CLASS_WRAP);
      this.writeString(reg.name);
      this.writeBuiltin(o, k);
      // An error or an array carries its own properties itself.
      this.writePropsBody(o, k.kind === K_ERROR || k.kind === K_ARRAY ? SKIP_ALL : k.kind === K_VIEW || k.kind === K_BOXED ? SKIP_INDICES : SKIP_NONE);
      return;
    }
    this.writeBuiltin(o, k);
  }

  private writeBuiltin(o: object, k: Kind): void {
    switch (k.kind) {
      case K_PLAIN: this.writeProps(T_OBJECT, o); return;
      case K_NULL: this.writeProps(T_OBJECT_NULL, o); return;
      case K_ARRAY: this.writeArray(o as unknown[]); return;
      case K_MAP: this.writeMap(o as Map<unknown, unknown>); return;
      case K_SET: this.writeSet(o as Set<unknown>); return;
      case K_DATE:
        this.ensure(9);
        this.buf[this.pos] = T_DATE;
        this.view.setFloat64(this.pos + 1, getTime.call(o as Date), true);
        this.pos += 9;
        return;
      case K_REGEXP:
        this.byte(T_REGEXP);
        this.writeString((o as RegExp).source);
        this.writeString((o as RegExp).flags);
        return;
      case K_ERROR: this.writeError(o, k.sub); return;
      case K_BOXED:
        this.byte(T_BOXED);
        this.writeValue(unbox(o));
        return;
      case K_ARRAY_BUFFER: {
        const length = (o as ArrayBufferLike).byteLength;
        this.ensure(6 + length);
        this.buf[this.pos++] = types.isSharedArrayBuffer(o) ? T_SHARED_BUFFER : T_ARRAY_BUFFER;
        this.varint(length);
        this.writeRaw(o as ArrayBufferLike, 0, length);
        return;
      }
      default: { // K_VIEW
        const view = o as ArrayBufferView;
        const length = view.byteLength;
        this.ensure(7 + length);
        this.buf[this.pos++] = types.isSharedArrayBuffer(view.buffer) ? T_TYPED_SHARED : T_TYPED;
        this.buf[this.pos++] = k.sub;
        this.varint(length);
        this.writeRaw(view.buffer, view.byteOffset, length);
      }
    }
  }

  /** Map and Set counts are patched in after the loop: a getter met inside may change the collection. */
  private writeMap(m: Map<unknown, unknown>): void {
    this.ensure(5);
    this.buf[this.pos] = T_MAP;
    const at = this.length + 1;
    this.pos += 5;
    let n = 0;
    for (const [key, value] of m) {
      this.writeValue(key);
      this.writeValue(value);
      n++;
    }
    this.patchU32(at, n);
  }

  private writeSet(s: Set<unknown>): void {
    this.ensure(5);
    this.buf[this.pos] = T_SET;
    const at = this.length + 1;
    this.pos += 5;
    let n = 0;
    for (const value of s) {
      this.writeValue(value);
      n++;
    }
    this.patchU32(at, n);
  }

  private writeError(e: object, errorClass: number): void {
    const entries = errorEntries(e, errorClass);
    this.ensure(7);
    this.buf[this.pos++] = T_ERROR;
    this.buf[this.pos++] = errorClass;
    this.varint(entries.length);
    for (const [key, value, enumerable] of entries) {
      this.writeString(key);
      this.byte(enumerable ? ERROR_ENTRY_ENUMERABLE : 0);
      this.writeValue(value);
    }
  }
}

const SKIP_NONE = 0;
const SKIP_INDICES = 1;
const SKIP_ALL = 2;


/**
 * Whether array `a` has its n elements and no other own enumerable
 * property: its own keys are the indices in order, then the other names, so
 * that holds exactly when there are n keys and the last is index n - 1.
 */
function isDenseOnly(a: unknown[]): boolean {
  const n = a.length;
  const keys = objectKeys(a);
  return keys.length === n && (n === 0 || keys[n - 1] === String(n - 1));
}

/** From this length on, arrays are checked for extra properties by `hasOnlyElements` rather than `isDenseOnly`. */
const LONG_ARRAY = 128;
/** '0', '1', ... : the last key of a short dense array, without making the string each time. */
const INDEX_NAMES = Array.from({ length: LONG_ARRAY }, (_, i) => String(i));

/**
 * `util.inspect` showing no element lists an array's own enumerable
 * non-index properties (and symbols) only, and Node finds those without
 * listing the indices. Object.keys would make a string of every index:
 * several times the cost of writing a packed array, and gigabytes for a
 * huge one.
 */
const ELEMENTS_HIDDEN = { maxArrayLength: 0, depth: 0, customInspect: false, showHidden: false, breakLength: Infinity } as const;

function inspectShowsOnlyElements(a: unknown[]): boolean {
  return inspect(a, ELEMENTS_HIDDEN) === `[ ... ${a.length} more item${a.length === 1 ? '' : 's'} ]`;
}

/** The check above, where this Node formats as expected; else the exact but slower Object.keys one. */
const hasOnlyElements: (a: unknown[]) => boolean =
  inspectShowsOnlyElements(new Array<number>(LONG_ARRAY).fill(0)) &&
  !inspectShowsOnlyElements(Object.assign(new Array<number>(LONG_ARRAY).fill(0), { extra: 1 }))
    ? (a) => inspectShowsOnlyElements(a) || isDenseOnly(a)
    : isDenseOnly;

/**
 * Whether `a` has a hole below its length. A loop of reads rather than
 * Object.keys: undefined is rare, and only an undefined can be a hole.
 */
function hasHole(a: unknown[]): boolean {
  for (let i = 0, n = a.length; i < n; i++) if (a[i] === undefined && !(i in a)) return true;
  return false;
}

/** 0 if `a` holds anything but numbers, 1 if only int32 values (not -0), 2 if only numbers. */
function numericKind(a: unknown[]): number {
  let kind = 1;
  for (let i = 0, n = a.length; i < n; i++) {
    const x = a[i];
    if (typeof x !== 'number') return 0;
    if (kind === 1 && ((x | 0) !== x || (x === 0 && 1 / x < 0))) kind = 2;
  }
  return kind;
}

// Separate small loops, so that each stays monomorphic and fast.
function packI32(dst: Int32Array, base: number, a: number[]): void {
  for (let i = 0, n = a.length; i < n; i++) dst[base + i] = a[i]!;
}

function packF64(dst: Float64Array, base: number, a: number[]): void {
  for (let i = 0, n = a.length; i < n; i++) dst[base + i] = a[i]!;
}

/** The primitive inside a Number, String, Boolean or BigInt object. */
function unbox(o: object): unknown {
  if (types.isNumberObject(o)) return Number.prototype.valueOf.call(o);
  if (types.isStringObject(o)) return String.prototype.valueOf.call(o);
  if (types.isBooleanObject(o)) return Boolean.prototype.valueOf.call(o);
  return BigInt.prototype.valueOf.call(o as unknown as bigint);
}

// ---------------------------------------------------------------------------
// Entry points

const shared = new Encoder(INITIAL_BYTES);

function run(value: unknown, call: string): Encoder {
  // A getter that sends while we encode must not clobber the shared scratch.
  const enc = shared.busy ? new Encoder(256) : shared;
  enc.trim();
  enc.busy = true;
  try {
    enc.writeHeader();
    enc.writeValue(value);
    return enc;
  } catch (e) {
    throw encodingError(e, value, call);
  } finally {
    enc.reset();
    enc.busy = false;
  }
}

/**
 * Encodes `value` into an internal scratch buffer that is reused: the
 * returned view is valid only until the next call of `encodeScratch` or
 * {@link encode}. Use it to copy the message straight into a transport.
 *
 * @param value - any structured-cloneable value (see the module comment of `index.ts`)
 * @param call - the API call, such as `'Comm.send'`, for error messages
 * @throws MPIError (`MPI.ERR_ARG`) naming where an unserializable value sits, `MPI.ERR_COUNT` if the
 *   encoding is longer than the longest byte view (see {@link encodeForSend})
 */
export function encodeScratch(value: unknown, call: string): Uint8Array {
  return singleView(run(value, call).written(), call);
}

/**
 * Encodes `value` into fresh bytes that the caller owns.
 *
 * @param value - any structured-cloneable value
 * @param call - the API call, for error messages
 * @throws MPIError (`MPI.ERR_ARG`) naming where an unserializable value sits, `MPI.ERR_COUNT` if the
 *   encoding is longer than the longest byte view (see {@link encodeForSend})
 */
export function encode(value: unknown, call: string): Uint8Array {
  return singleView(ownBytes(run(value, call)), call);
}

/**
 * Encodes `value` for a transport that copies messages of up to `copied`
 * bytes before its send returns: such a message is left in the scratch (as
 * {@link encodeScratch} does), a longer one gets bytes of its own (as
 * {@link encode} does), since the next call reuses the scratch while the
 * transport may still read it. An encoding longer than the longest byte
 * view (Node 20: 2^32 bytes) comes as segmented bytes.
 *
 * @param value - any structured-cloneable value
 * @param call - the API call, for error messages
 * @param copied - the longest message the transport copies before its send returns
 */
export function encodeForSend(value: unknown, call: string, copied: number): Bytes {
  const enc = run(value, call);
  return enc.length <= copied ? enc.written() : ownBytes(enc);
}

/** The encoder's message as bytes the caller owns. */
function ownBytes(enc: Encoder): Bytes {
  // (A message past one view is never a retained scratch's, but may be under a lowered MAX_VIEW_BYTES.)
  if (enc.retained && enc.length === enc.pos) return enc.buf.slice(0, enc.pos);
  // A scratch this large would be dropped by the next call anyway: hand it over rather than copy gigabytes.
  const bytes = enc.written();
  enc.alloc(INITIAL_BYTES);
  return bytes;
}
