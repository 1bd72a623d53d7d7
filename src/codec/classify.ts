/**
 * Classification for the object codec's encoder: which kind of object a
 * value is (plain, array, Map, error, view, ...), whether its class can be
 * rebuilt by the receiver, and the reason it is refused when it cannot be
 * sent. MPI-4.1 leaves object messages to the language binding (§3.2.2
 * covers typed buffers only): this is mpi4py's pickle side, whose rules are
 * in the module comment of `index.ts`.
 *
 * Used by the encoder (`encode.ts`) on every object that is not a plain
 * object or array, and by the walk that locates a refused value
 * (`locate.ts`).
 *
 * @module
 */

import { types } from 'node:util';
import { ERROR_CLASSES, VIEW_KINDS } from './format.js';

// Decided by the first built-in prototype on the object's chain (cached per
// prototype), then confirmed with util.types so that an object that merely
// inherits from Map.prototype is not read as a Map. Objects of another realm
// (vm) have none of our prototypes and are classified by util.types alone.

export const K_PLAIN = 0;
export const K_NULL = 1;
export const K_ARRAY = 2;
export const K_MAP = 3;
export const K_SET = 4;
export const K_DATE = 5;
export const K_REGEXP = 6;
export const K_ERROR = 7;
export const K_BOXED = 8;
export const K_ARRAY_BUFFER = 9;
export const K_VIEW = 10;
export const K_REJECT = 11;
export const K_FOREIGN = 12;

/**
 * The kind of an object; `sub` is the error class or view kind byte, `why`
 * the reason of a rejection. `unregistered` is non-empty when the prototype
 * is not one the receiver can rebuild (an instance of a class, or of a
 * subclass of a built-in): the reason the object is refused unless its
 * class is registered.
 */
export interface Kind {
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
export const WHY_FUNCTION = 'a function cannot be serialized';
export const WHY_SYMBOL = 'a symbol cannot be serialized';

/**
 * The deepest nesting of objects a message may hold, as pickle's recursion
 * limit bounds mpi4py's: the encoder and the decoder recurse per level, and
 * the decoder needs more stack than the encoder, so a fixed limit that every
 * rank's stack holds (a main thread's, on the mpi transport, the smallest)
 * makes the sender refuse what a receiver could not decode.
 */
export const MAX_DEPTH = 1000;
export const WHY_DEEP = `it is nested more than ${MAX_DEPTH} levels deep`;

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
export function classify(v: object, proto: object | null): Kind {
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

/** Objects of the plain-object fast path (prototype exactly Object.prototype) that must still be refused. */
export function fastPathRejection(v: object): Kind | undefined {
  if (types.isProxy(v)) return PROXY;
  if (types.isArgumentsObject(v)) return ARGUMENTS;
  return undefined;
}

/**
 * {@link fastPathRejection} for the array fast path (prototype exactly
 * Array.prototype, `Array.isArray`): only a Proxy, since an `arguments`
 * object is never an array. One call into Node less per array sent.
 */
export function arrayFastPathRejection(v: object): Kind | undefined {
  return types.isProxy(v) ? PROXY : undefined;
}

/** An own property of an error to send: key, value, enumerable. */
export type ErrorEntry = [key: string, value: unknown, enumerable: boolean];

const ERROR_SPECIALS = ['message', 'stack', 'cause', 'errors'] as const;

/**
 * The properties of an error that travel: `message`, `stack`, `cause` and
 * `errors` when own, `name` when it differs from the rebuilt class's, and
 * every own enumerable property.
 */
export function errorEntries(e: object, errorClass: number): ErrorEntry[] {
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

/** Whether property name `k` is an array index (elements that a wrapped array or typed array carries itself). */
export function isIndex(k: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;
}
