/**
 * The object codec: how the lower-case methods (`comm.send`, `bcast`, ...)
 * turn a value into bytes and back. It is the "pickle" of mpi4ts, faster
 * than `v8.serialize` for small messages and for arrays of numbers.
 *
 * What travels, and how it arrives:
 * - `undefined`, `null`, booleans, numbers (-0, NaN, ±Infinity too),
 *   bigints of any size, strings (any UTF-16, lone surrogates too).
 * - Plain objects: own enumerable string-keyed properties, in order;
 *   getters are read as values; symbol keys and non-enumerable properties
 *   are left out. Objects with a null prototype arrive with a null prototype.
 * - Arrays: dense; a hole arrives as `undefined` (a sparse array is sent
 *   element by element up to its length), and non-index properties of an
 *   array are left out. An array of only numbers travels packed (4 or 8
 *   bytes a number).
 * - Typed arrays, `DataView`, `ArrayBuffer`: the same class with the same
 *   contents, in fresh non-shared memory. Only the bytes of a view travel,
 *   not the rest of its buffer, so two views on one buffer arrive on two
 *   buffers. A `SharedArrayBuffer` arrives as an `ArrayBuffer` copy. A Node
 *   `Buffer` arrives as a `Buffer`. Typed arrays keep the byte order of the
 *   machine (like MPI on a homogeneous cluster).
 * - `Date`, `RegExp` (source and flags; not `lastIndex`), `Map`, `Set`,
 *   boxed primitives (`new Number(1)`, ...).
 * - Errors: the standard class (Error, TypeError, RangeError, ... ; a
 *   subclass arrives as its nearest standard ancestor), `message`, `stack`,
 *   `cause`, `errors`, a `name` that differs from the class's, and own
 *   enumerable properties.
 * - Instances of classes registered with {@link registerClass} arrive as
 *   that class (prototype restored, constructor not called; a registered
 *   subclass of a built-in keeps its own extra properties too). Instances of
 *   other classes arrive as plain objects, and of unregistered subclasses of
 *   built-ins as the built-in, as with `structuredClone`.
 * - Identity: an object met twice arrives as one object met twice, and
 *   cycles arrive as cycles.
 *
 * Refused with `MPI.ERR_ARG`, with the path of the culprit (such as
 * `value.tasks[3].fn`): functions, symbols, Promise, WeakMap, WeakSet,
 * WeakRef, FinalizationRegistry, Proxy, generators and iterators, Intl and
 * WebAssembly objects, `arguments`, module namespaces.
 *
 * @module
 */

export { decode } from './decode.js';
export { encode, encodeScratch } from './encode.js';
export { registerClass } from './registry.js';
