/**
 * Registered classes: `MPI.registerClass(C)` makes instances of `C` arrive
 * as `C` (the pickle of user classes). Both ends look a class up by name,
 * so every rank must register the same classes under the same names.
 *
 * @module
 */

import { errors } from '../errors.js';

/** A registered class as the codec sees it. */
export interface RegisteredClass {
  /** The name on the wire. */
  readonly name: string;
  /** The prototype instances are created from (no constructor call). */
  readonly proto: object;
  /**
   * Property names that plain assignment would not simply define on a fresh
   * instance (setters and read-only properties of the prototype chain); the
   * decoder defines those with `Object.defineProperty` instead.
   */
  readonly guarded: ReadonlySet<string>;
}

const byName = new Map<string, RegisteredClass>();
const byProto = new Map<object, RegisteredClass>();

/**
 * Prototypes the codec already moves as built-ins; registering them would
 * change nothing or break them.
 */
const refused = new Set<object>([
  Object.prototype, Array.prototype, Function.prototype, Map.prototype, Set.prototype,
  Date.prototype, RegExp.prototype, Promise.prototype, ArrayBuffer.prototype,
  SharedArrayBuffer.prototype, DataView.prototype, Buffer.prototype,
]);

/** Names along the prototype chain of `proto` that a plain assignment would not define as own data. */
function guardedNames(proto: object): Set<string> {
  const names = new Set<string>();
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (d !== undefined && (d.get !== undefined || d.set !== undefined || d.writable === false)) names.add(key);
    }
  }
  return names;
}

/**
 * `MPI.registerClass(C)`: instances of `C` arrive as `C`. The receiver
 * creates them with `Object.create(C.prototype)` and copies in the own
 * enumerable properties; the constructor is not called. A class that
 * extends a built-in (Map, Array, Error, a typed array, ...) arrives as that
 * built-in with its prototype set to `C.prototype`.
 *
 * Must be done on every rank, with the same names. Registering the same
 * class again under the same name does nothing. Without it, sending an
 * instance of `C` (or of a subclass of `C`, which needs its own
 * registration) is refused with `MPI.ERR_ARG` on the sending rank.
 *
 * @param ctor - the class
 * @param name - the name on the wire; defaults to `ctor.name`
 * @throws MPIError (`MPI.ERR_ARG`) if `ctor` is not a class, the name is
 *   empty, or the name or the class is already registered otherwise
 */
export function registerClass(ctor: abstract new (...args: never[]) => object, name?: string): void {
  const call = 'MPI.registerClass';
  if (typeof ctor !== 'function') throw errors.arg(call, `expected a class, got ${typeof ctor}`);
  const proto: unknown = ctor.prototype;
  if (typeof proto !== 'object' || proto === null) {
    throw errors.arg(call, `${ctor.name || 'the function'} has no prototype object: only classes can be registered`);
  }
  if (refused.has(proto)) throw errors.arg(call, `${ctor.name} is a built-in that is sent natively; it cannot be registered`);
  const wireName = name ?? ctor.name;
  if (typeof wireName !== 'string' || wireName.length === 0) {
    throw errors.arg(call, 'the class has no name: pass one, as in MPI.registerClass(C, \'C\')');
  }
  const known = byName.get(wireName);
  if (known !== undefined) {
    if (known.proto === proto) return;
    throw errors.arg(call, `another class is already registered under the name "${wireName}"; pass a distinct name`);
  }
  const other = byProto.get(proto);
  if (other !== undefined) {
    throw errors.arg(call, `${ctor.name} is already registered under the name "${other.name}"`);
  }
  const entry: RegisteredClass = { name: wireName, proto, guarded: guardedNames(proto) };
  byName.set(wireName, entry);
  byProto.set(proto, entry);
}

/** The registration whose prototype is exactly `proto`, if any. */
export function classByProto(proto: object): RegisteredClass | undefined {
  return byProto.get(proto);
}

/** The registration of `name`, if any. */
export function classByName(name: string): RegisteredClass | undefined {
  return byName.get(name);
}
