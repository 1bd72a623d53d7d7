/**
 * The encoder of the object codec: a JavaScript value to the bytes of one
 * message (layout in `format.ts`).
 *
 * Written for small messages first: one growable scratch buffer reused by
 * every call, no allocation per primitive, short strings written by a loop,
 * object identity tracked by a linear search over the first few objects and
 * a Map after that. Arrays of numbers are written packed (int32 or float64),
 * typed arrays as raw bytes. When a value cannot be sent, encoding stops and
 * a second walk finds where it sits, so that the hot path carries no path.
 *
 * @module
 */

import { inspect, types } from 'node:util';
import { errors } from '../errors.js';
import {
  ERROR_CLASSES, ERROR_ENTRY_ENUMERABLE, HEADER_BYTES, MAGIC0, MAGIC1, PACKED_MIN, SHORT_STRING, SMALL_INT,
  T_ARRAY, T_ARRAY_BUFFER, T_ARRAY_F64, T_ARRAY_I32, T_ARRAY_KEYED, T_BIGINT64, T_BIGINT_HEX, T_BOXED, T_CLASS, T_CLASS_WRAP,
  T_DATE, T_ERROR, T_FALSE, T_FLOAT64, T_INT32, T_INT8, T_MAP, T_NULL, T_OBJECT, T_OBJECT_NULL, T_REF, T_REGEXP,
  T_SET, T_SHARED_BUFFER, T_STR_LATIN1, T_STR_UTF16, T_STR_UTF8, T_TRUE, T_TYPED, T_TYPED_SHARED, T_UNDEFINED, VERSION,
  VIEW_KINDS,
} from './format.js';
import { classByProto } from './registry.js';

// ---------------------------------------------------------------------------
// Classification: what kind of object a value is.
//
// Decided by the first built-in prototype on the object's chain (cached per
// prototype), then confirmed with util.types so that an object that merely
// inherits from Map.prototype is not read as a Map. Objects of another realm
// (vm) have none of our prototypes and are classified by util.types alone.

const K_PLAIN = 0;
const K_NULL = 1;
const K_ARRAY = 2;
const K_MAP = 3;
const K_SET = 4;
const K_DATE = 5;
const K_REGEXP = 6;
const K_ERROR = 7;
const K_BOXED = 8;
const K_ARRAY_BUFFER = 9;
const K_VIEW = 10;
const K_REJECT = 11;
const K_FOREIGN = 12;

/**
 * The kind of an object; `sub` is the error class or view kind byte, `why`
 * the reason of a rejection. `unregistered` is non-empty when the prototype
 * is not one the receiver can rebuild (an instance of a class, or of a
 * subclass of a built-in): the reason the object is refused unless its
 * class is registered.
 */
interface Kind {
  readonly kind: number;
  readonly sub: number;
  readonly why: string;
  readonly unregistered: string;
}

const kind = (k: number, sub = 0, why = '', unregistered = ''): Kind => ({ kind: k, sub, why, unregistered });
const reject = (why: string): Kind => kind(K_REJECT, 0, why);

const PLAIN = kind(K_PLAIN);
const NULL_PROTO = kind(K_NULL);
const ARRAY = kind(K_ARRAY);
const FOREIGN = kind(K_FOREIGN);
const PROXY = reject('a Proxy cannot be serialized (send the object it wraps)');
const ARGUMENTS = reject('an arguments object cannot be serialized (send Array.from(arguments))');
const NAMESPACE = reject('a module namespace object cannot be serialized');

/** Reasons for primitives that cannot be sent. */
const WHY_FUNCTION = 'a function cannot be serialized';
const WHY_SYMBOL = 'a symbol cannot be serialized';

/** Built-in prototypes and what their instances are. */
const builtins = new Map<object, Kind>();
function add(proto: unknown, k: Kind): void {
  if (typeof proto === 'object' && proto !== null && !builtins.has(proto)) builtins.set(proto, k);
}
add(Object.prototype, PLAIN);
add(Array.prototype, ARRAY);
add(Map.prototype, kind(K_MAP));
add(Set.prototype, kind(K_SET));
add(Date.prototype, kind(K_DATE));
add(RegExp.prototype, kind(K_REGEXP));
ERROR_CLASSES.forEach((C, i) => add(C.prototype, kind(K_ERROR, i)));
for (const C of [Number, String, Boolean, BigInt]) add(C.prototype, kind(K_BOXED));
add(ArrayBuffer.prototype, kind(K_ARRAY_BUFFER));
add(SharedArrayBuffer.prototype, kind(K_ARRAY_BUFFER));
// Buffer.prototype comes before Uint8Array.prototype on a Buffer's chain, so it wins.
VIEW_KINDS.forEach((C, i) => { if (C !== undefined) add(C.prototype, kind(K_VIEW, i)); });
// Reached only by a typed array class the list above lacks.
add(Object.getPrototypeOf(Int8Array.prototype), reject('a typed array of this class cannot be serialized'));
add(Symbol.prototype, reject('a Symbol object cannot be serialized'));
add(Promise.prototype, reject('a Promise cannot be serialized (await it and send the result)'));
add(WeakMap.prototype, reject('a WeakMap cannot be serialized'));
add(WeakSet.prototype, reject('a WeakSet cannot be serialized'));
add(WeakRef.prototype, reject('a WeakRef cannot be serialized'));
add(FinalizationRegistry.prototype, reject('a FinalizationRegistry cannot be serialized'));
add(Object.getPrototypeOf(function* () { /* probe */ }).prototype, reject('a generator cannot be serialized'));
add(Object.getPrototypeOf(async function* () { /* probe */ }).prototype, reject('an async generator cannot be serialized'));
add(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
  reject('an iterator cannot be serialized (spread it into an array first)'));
add(Object.getPrototypeOf(Object.getPrototypeOf(async function* () { /* probe */ }).prototype),
  reject('an async iterator cannot be serialized'));
for (const [ns, label] of [[Intl, 'Intl'], [(globalThis as Record<string, unknown>).WebAssembly, 'WebAssembly']] as const) {
  if (typeof ns !== 'object' || ns === null) continue;
  for (const name of Object.getOwnPropertyNames(ns)) {
    const C: unknown = (ns as unknown as Record<string, unknown>)[name];
    if (typeof C === 'function') add((C as { prototype?: unknown }).prototype, reject(`a ${label}.${name} cannot be serialized`));
  }
}

/** Kind by prototype, found by walking the chain once per prototype. */
const byProto = new WeakMap<object, Kind>();

/**
 * The kind of the first built-in prototype on the chain of `proto`. When
 * that is not `proto` itself, the object is an instance of a class (or of
 * `Object.create(p)`), whose prototype would be lost on the way: the kind
 * then carries the reason to refuse it unless registered. Errors are the
 * exception: a subclass of Error arrives as its nearest standard ancestor,
 * as with structuredClone, so that any error can be reported to another rank.
 */
function walk(proto: object): Kind {
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const k = builtins.get(p);
    if (k === undefined) continue;
    if (p === proto || k.kind === K_ERROR || k.kind === K_REJECT) return k;
    return kind(k.kind, k.sub, k.why, unregisteredReason(proto, k));
  }
  return FOREIGN;
}

/** The name of the class whose prototype is `proto` ('' if anonymous), or undefined if `proto` is no class's prototype. */
function className(proto: object): string | undefined {
  const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  if (typeof ctor !== 'function' || (ctor as { prototype?: unknown }).prototype !== proto) return undefined;
  const name: unknown = Object.getOwnPropertyDescriptor(ctor, 'name')?.value;
  return typeof name === 'string' ? name : '';
}

/** Names of the built-ins by kind, for messages about their unregistered subclasses. */
const BUILTIN_NAMES: Record<number, string> = {
  [K_ARRAY]: 'Array', [K_MAP]: 'Map', [K_SET]: 'Set', [K_DATE]: 'Date', [K_REGEXP]: 'RegExp',
  [K_BOXED]: 'a boxed primitive', [K_ARRAY_BUFFER]: 'ArrayBuffer', [K_VIEW]: 'a typed array',
};

/** Why an object with prototype `proto` (not registered), which inherits from the built-in `base`, cannot be sent. */
function unregisteredReason(proto: object, base: Kind): string {
  const name = className(proto);
  if (name === undefined) {
    return 'an object whose prototype is neither Object.prototype nor a class\'s would arrive without it; ' +
      'send a plain copy ({ ...obj }), or make it an instance of a class registered with MPI.registerClass on every rank';
  }
  const named = /^[A-Za-z_$][\w$]*$/.test(name);
  const what = `an instance of ${named ? `class ${name}` : 'an anonymous class'}` +
    (base.kind === K_PLAIN ? '' : ` (a subclass of ${BUILTIN_NAMES[base.kind] ?? 'a built-in'})`);
  const register = named ? `MPI.registerClass(${name})` : 'MPI.registerClass(TheClass, \'a name\')';
  return `${what}, whose class is not registered: call ${register} on every rank to send it (it then arrives as an instance of that class)`;
}

/** The `[Symbol.toStringTag]` getter of %TypedArray%: the class name of a typed array. */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)
  ?.get as (this: unknown) => string | undefined;

/** Classification of an object from another realm, by its internal slots only. */
function classifyForeign(v: object): Kind {
  if (Array.isArray(v)) return ARRAY;
  if (types.isArrayBufferView(v)) {
    if (types.isDataView(v)) return kind(K_VIEW, 12);
    const name = typedArrayTag.call(v);
    const i = VIEW_KINDS.findIndex((C) => C !== undefined && C.name === name);
    return i > 0 ? kind(K_VIEW, i) : reject(`a ${String(name)} cannot be serialized`);
  }
  if (types.isAnyArrayBuffer(v)) return kind(K_ARRAY_BUFFER);
  if (types.isDate(v)) return kind(K_DATE);
  if (types.isRegExp(v)) return kind(K_REGEXP);
  if (types.isMap(v)) return kind(K_MAP);
  if (types.isSet(v)) return kind(K_SET);
  if (types.isNativeError(v)) {
    const name = (v as { name?: unknown }).name;
    return kind(K_ERROR, Math.max(0, ERROR_CLASSES.findIndex((C) => C.name === name)));
  }
  if (types.isBoxedPrimitive(v)) return types.isSymbolObject(v) ? reject('a Symbol object cannot be serialized') : kind(K_BOXED);
  if (types.isPromise(v)) return reject('a Promise cannot be serialized (await it and send the result)');
  if (types.isWeakMap(v)) return reject('a WeakMap cannot be serialized');
  if (types.isWeakSet(v)) return reject('a WeakSet cannot be serialized');
  if (types.isGeneratorObject(v)) return reject('a generator cannot be serialized');
  if (types.isMapIterator(v) || types.isSetIterator(v)) return reject('an iterator cannot be serialized (spread it into an array first)');
  if (types.isArgumentsObject(v)) return ARGUMENTS;
  // A plain object of that realm has that realm's Object.prototype: the end of the chain, with a constructor.
  const proto = Object.getPrototypeOf(v) as object;
  return Object.getPrototypeOf(proto) === null && className(proto) === 'Object'
    ? PLAIN : kind(K_PLAIN, 0, '', unregisteredReason(proto, PLAIN));
}

/**
 * The kind of object `v`, whose prototype is `proto`. Proxies and
 * `arguments` objects are refused like structuredClone does.
 */
function classify(v: object, proto: object | null): Kind {
  if (types.isProxy(v)) return PROXY;
  if (proto === null) return types.isModuleNamespaceObject(v) ? NAMESPACE : NULL_PROTO;
  let k = byProto.get(proto);
  if (k === undefined) {
    k = walk(proto);
    byProto.set(proto, k);
  }
  switch (k.kind) {
    case K_PLAIN: return types.isArgumentsObject(v) ? ARGUMENTS : k;
    case K_ARRAY: return Array.isArray(v) ? k : impostor(proto);
    case K_MAP: return types.isMap(v) ? k : impostor(proto);
    case K_SET: return types.isSet(v) ? k : impostor(proto);
    case K_DATE: return types.isDate(v) ? k : impostor(proto);
    case K_REGEXP: return types.isRegExp(v) ? k : impostor(proto);
    case K_ERROR: return types.isNativeError(v) ? k : impostor(proto);
    case K_BOXED: return types.isBoxedPrimitive(v) ? k : impostor(proto);
    case K_ARRAY_BUFFER: return types.isAnyArrayBuffer(v) ? k : impostor(proto);
    case K_VIEW: return ArrayBuffer.isView(v) ? k : impostor(proto);
    case K_FOREIGN: return classifyForeign(v);
    default: return k;
  }
}

/**
 * An object that inherits from a built-in's prototype without being one
 * (`Object.create(Map.prototype)`, say): refused like a class instance,
 * since it would arrive as a plain object.
 */
function impostor(proto: object): Kind {
  if (builtins.has(proto)) {
    const name = className(proto) ?? 'a built-in';
    return reject(`an object that inherits from ${name}.prototype without being one cannot be serialized`);
  }
  return kind(K_PLAIN, 0, '', unregisteredReason(proto, PLAIN));
}

/** Objects of the fast paths (prototype exactly Object.prototype or Array.prototype) that must still be refused. */
function fastPathRejection(v: object): Kind | undefined {
  if (types.isProxy(v)) return PROXY;
  if (types.isArgumentsObject(v)) return ARGUMENTS;
  return undefined;
}

/** An own property of an error to send: key, value, enumerable. */
type ErrorEntry = [key: string, value: unknown, enumerable: boolean];

const ERROR_SPECIALS = ['message', 'stack', 'cause', 'errors'] as const;

/**
 * The properties of an error that travel: `message`, `stack`, `cause` and
 * `errors` when own, `name` when it differs from the rebuilt class's, and
 * every own enumerable property.
 */
function errorEntries(e: object, errorClass: number): ErrorEntry[] {
  const rec = e as Record<string, unknown>;
  const out: ErrorEntry[] = [];
  for (const key of ERROR_SPECIALS) {
    const d = Object.getOwnPropertyDescriptor(e, key);
    if (d !== undefined && !d.enumerable) out.push([key, rec[key], false]);
  }
  if (!Object.hasOwn(e, 'name')) {
    const name = rec.name;
    if (name !== ERROR_CLASSES[errorClass].prototype.name) out.push(['name', name, false]);
  }
  for (const key of Object.keys(e)) out.push([key, rec[key], true]);
  return out;
}

// ---------------------------------------------------------------------------
// The encoder

/** Thrown inside the encoder when a value cannot be sent; turned into an MPIError with a path at the top. */
class Unserializable {
  constructor(readonly why: string) {}
}

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
/** Bytes of the largest Uint8Array (Node 20): where the scratch stops doubling. */
const MAX_VIEW_BYTES = 2 ** 32;

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

const getTime = Date.prototype.getTime;
const objectKeys = Object.keys;
const hasOwn = Object.prototype.hasOwnProperty;
const getPrototypeOf = Object.getPrototypeOf;

class Encoder {
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

  constructor(bytes: number) {
    this.alloc(bytes);
  }

  alloc(bytes: number): void {
    const ab = new ArrayBuffer(bytes);
    this.buf = new Uint8Array(ab);
    this.nbuf = Buffer.from(ab);
    this.view = new DataView(ab);
    this.f64 = new Float64Array(ab);
    this.i32 = new Int32Array(ab);
  }

  private grow(n: number): void {
    const old = this.buf;
    const need = this.pos + n;
    // A big write leaves some room after it, so that the few bytes that follow a large typed array do not copy
    // it again; doubling stops at the largest byte view (pages only count once written, so the slack is cheap).
    const next = Math.max(old.length * 2, need + need / 16);
    this.alloc(Math.ceil(Math.max(need, Math.min(next, MAX_VIEW_BYTES)) / 8) * 8);
    this.buf.set(old.subarray(0, this.pos));
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
    const proto: unknown = getPrototypeOf(o);
    if (proto === Object.prototype) {
      const no = fastPathRejection(o);
      if (no !== undefined) throw new Unserializable(no.why);
      this.remember(o);
      this.writeProps(T_OBJECT, o);
    } else if (proto === Array.prototype && Array.isArray(o)) {
      const no = fastPathRejection(o);
      if (no !== undefined) throw new Unserializable(no.why);
      this.remember(o);
      this.writeArray(o as unknown[]);
    } else {
      this.writeOther(o, proto as object | null);
    }
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
    const at = this.pos++;
    let n = 0;
    if (skip !== SKIP_ALL) for (const k in o) {
      if (!hasOwn.call(o, k) || (skip === SKIP_INDICES && isIndex(k))) continue;
      this.writeString(k);
      this.writeValue((o as Record<string, unknown>)[k]);
      n++;
    }
    this.patchCount(at, n);
  }

  /** Writes count `n` as a varint into the byte reserved at `at`, moving what follows if it needs more. */
  private patchCount(at: number, n: number): void {
    if (n < 0x80) {
      this.buf[at] = n;
      return;
    }
    let extra = 0;
    for (let x = n; x > 0x7f; x = Math.floor(x / 128)) extra++;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    const end = this.pos + extra;
    this.pos = at;
    this.varint(n);
    this.pos = end;
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
        const bytes = new Uint8Array(o as ArrayBufferLike);
        this.ensure(6 + bytes.length);
        this.buf[this.pos++] = types.isSharedArrayBuffer(o) ? T_SHARED_BUFFER : T_ARRAY_BUFFER;
        this.varint(bytes.length);
        this.buf.set(bytes, this.pos);
        this.pos += bytes.length;
        return;
      }
      default: { // K_VIEW
        const view = o as ArrayBufferView;
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        this.ensure(7 + bytes.length);
        this.buf[this.pos++] = types.isSharedArrayBuffer(view.buffer) ? T_TYPED_SHARED : T_TYPED;
        this.buf[this.pos++] = k.sub;
        this.varint(bytes.length);
        this.buf.set(bytes, this.pos);
        this.pos += bytes.length;
      }
    }
  }

  /** Map and Set counts are patched in after the loop: a getter met inside may change the collection. */
  private writeMap(m: Map<unknown, unknown>): void {
    this.ensure(5);
    this.buf[this.pos] = T_MAP;
    const at = this.pos + 1;
    this.pos += 5;
    let n = 0;
    for (const [key, value] of m) {
      this.writeValue(key);
      this.writeValue(value);
      n++;
    }
    this.view.setUint32(at, n, true);
  }

  private writeSet(s: Set<unknown>): void {
    this.ensure(5);
    this.buf[this.pos] = T_SET;
    const at = this.pos + 1;
    this.pos += 5;
    let n = 0;
    for (const value of s) {
      this.writeValue(value);
      n++;
    }
    this.view.setUint32(at, n, true);
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

/** Whether property name `k` is an array index (elements that a wrapped array or typed array carries itself). */
function isIndex(k: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;
}

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
// Finding where an unserializable value sits (only after encoding failed)

interface Fault {
  readonly path: string;
  readonly why: string;
}

/** `.name` for identifiers, `[3]` for indices, `["a b"]` otherwise. */
function member(key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `.${key}`;
  if (/^(?:0|[1-9]\d*)$/.test(key)) return `[${key}]`;
  return `[${JSON.stringify(key)}]`;
}

/** Walks `v` as the encoder does and returns the first value it refuses, with its path. */
function locate(v: unknown, path: string, seen: Set<object>): Fault | null {
  if (typeof v === 'function') return { path, why: WHY_FUNCTION };
  if (typeof v === 'symbol') return { path, why: WHY_SYMBOL };
  if (typeof v !== 'object' || v === null || seen.has(v)) return null;
  seen.add(v);
  const proto = getPrototypeOf(v) as object | null;
  const k = classify(v, proto);
  const registered = proto !== null && classByProto(proto) !== undefined;
  if (!registered && k.unregistered !== '') return { path, why: k.unregistered };
  if (k.kind !== K_REJECT && k.kind !== K_PLAIN && k.kind !== K_NULL && k.kind !== K_ERROR && registered) {
    // A registered subclass of a built-in also sends its own non-index properties.
    for (const key of objectKeys(v)) {
      if (isIndex(key)) continue;
      const f = locate((v as Record<string, unknown>)[key], path + member(key), seen);
      if (f !== null) return f;
    }
  }
  switch (k.kind) {
    case K_REJECT: return { path, why: k.why };
    case K_PLAIN:
    case K_NULL:
      for (const key of objectKeys(v)) {
        const f = locate((v as Record<string, unknown>)[key], path + member(key), seen);
        if (f !== null) return f;
      }
      return null;
    case K_ARRAY:
      // By its own keys, so that a huge sparse array is walked by its elements, not its length.
      for (const key of objectKeys(v)) {
        const f = locate((v as Record<string, unknown>)[key], path + member(key), seen);
        if (f !== null) return f;
      }
      return null;
    case K_MAP: {
      let i = 0;
      for (const [key, value] of v as Map<unknown, unknown>) {
        const f = locate(key, `${path} (Map entry ${i} key)`, seen) ?? locate(value, `${path} (Map entry ${i} value)`, seen);
        if (f !== null) return f;
        i++;
      }
      return null;
    }
    case K_SET: {
      let i = 0;
      for (const value of v as Set<unknown>) {
        const f = locate(value, `${path} (Set element ${i})`, seen);
        if (f !== null) return f;
        i++;
      }
      return null;
    }
    case K_ERROR:
      for (const [key, value] of errorEntries(v, k.sub)) {
        const f = locate(value, path + member(key), seen);
        if (f !== null) return f;
      }
      return null;
    default: return null;
  }
}

// ---------------------------------------------------------------------------
// Entry points

const shared = new Encoder(INITIAL_BYTES);

function run(value: unknown, call: string): Encoder {
  // A getter that sends while we encode must not clobber the shared scratch.
  const enc = shared.busy ? new Encoder(256) : shared;
  if (enc.buf.length > MAX_RETAINED_BYTES) enc.alloc(INITIAL_BYTES);
  enc.busy = true;
  try {
    enc.writeHeader();
    enc.writeValue(value);
    return enc;
  } catch (e) {
    throw translate(e, value, call);
  } finally {
    enc.reset();
    enc.busy = false;
  }
}

function translate(e: unknown, value: unknown, call: string): unknown {
  if (e instanceof Unserializable) {
    let fault: Fault | null = null;
    try {
      fault = locate(value, 'value', new Set());
    } catch { /* a getter that throws the second time: fall back to no path */ }
    return errors.unserializable(call, fault?.path ?? 'value', fault?.why ?? e.why);
  }
  if (e instanceof RangeError) {
    if (/call stack/i.test(e.message)) {
      return errors.unserializable(call, 'value', 'it is nested too deeply to serialize');
    }
    if (/allocation failed|invalid (typed )?array (buffer )?length/i.test(e.message)) {
      return errors.noMem(call, 'the serialized value does not fit in memory');
    }
  }
  return e; // thrown by a getter of the value: the user's own error
}

/**
 * Encodes `value` into an internal scratch buffer that is reused: the
 * returned view is valid only until the next call of `encodeScratch` or
 * {@link encode}. Use it to copy the message straight into a transport.
 *
 * @param value - any structured-cloneable value (see the module comment of `index.ts`)
 * @param call - the API call, such as `'Comm.send'`, for error messages
 * @throws MPIError (`MPI.ERR_ARG`) naming where an unserializable value sits
 */
export function encodeScratch(value: unknown, call: string): Uint8Array {
  const enc = run(value, call);
  return enc.buf.subarray(0, enc.pos);
}

/**
 * Encodes `value` into fresh bytes that the caller owns.
 *
 * @param value - any structured-cloneable value
 * @param call - the API call, for error messages
 * @throws MPIError (`MPI.ERR_ARG`) naming where an unserializable value sits
 */
export function encode(value: unknown, call: string): Uint8Array {
  return ownBytes(run(value, call));
}

/**
 * Encodes `value` for a transport that copies messages of up to `copied`
 * bytes before its send returns: such a message is left in the scratch (as
 * {@link encodeScratch} does), a longer one gets bytes of its own (as
 * {@link encode} does), since the next call reuses the scratch while the
 * transport may still read it.
 *
 * @param value - any structured-cloneable value
 * @param call - the API call, for error messages
 * @param copied - the longest message the transport copies before its send returns
 */
export function encodeForSend(value: unknown, call: string, copied: number): Uint8Array {
  const enc = run(value, call);
  return enc.pos <= copied ? enc.buf.subarray(0, enc.pos) : ownBytes(enc);
}

/** The encoder's message as bytes the caller owns. */
function ownBytes(enc: Encoder): Uint8Array {
  if (enc.buf.length <= MAX_RETAINED_BYTES) return enc.buf.slice(0, enc.pos);
  // A scratch this large would be dropped by the next call anyway: hand it over rather than copy gigabytes.
  const bytes = enc.buf.subarray(0, enc.pos);
  enc.alloc(INITIAL_BYTES);
  return bytes;
}
