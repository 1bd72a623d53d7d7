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
 * - Arrays, as structuredClone copies them: holes stay holes (`[1, , 3]`
 *   arrives with `1 in a === false`), and own enumerable non-index
 *   properties (`a.name = 'x'`) travel too, after the elements. A sparse
 *   array costs its elements, not its length. A dense array of only numbers
 *   travels packed (4 or 8 bytes a number).
 * - Typed arrays, `DataView`, `ArrayBuffer`: the same class with the same
 *   contents, in fresh memory. Only the bytes of a view travel, not the rest
 *   of its buffer, so two views on one buffer arrive on two buffers. A Node
 *   `Buffer` arrives as a `Buffer`. Typed arrays keep the byte order of the
 *   machine (like MPI on a homogeneous cluster).
 * - `SharedArrayBuffer`: arrives as a new `SharedArrayBuffer` holding a copy
 *   of the bytes, and a view on shared memory as a view of the same class on
 *   a new `SharedArrayBuffer` of its bytes. The memory is not shared with
 *   the sender: ranks may be separate processes (the mpi transport), so a
 *   copy is the one meaning both transports can give. Share memory between
 *   ranks with an MPI window or a buffer method instead.
 * - `Date`, `RegExp` (source and flags; not `lastIndex`), `Map`, `Set`,
 *   boxed primitives (`new Number(1)`, ...).
 * - Errors: the standard class (Error, TypeError, RangeError, ... ; a
 *   subclass arrives as its nearest standard ancestor), `message`, `stack`,
 *   `cause`, `errors`, a `name` that differs from the class's, and own
 *   enumerable properties.
 * - Instances of classes registered with {@link registerClass} arrive as
 *   that class (prototype restored, constructor not called; a registered
 *   subclass of a built-in keeps its own extra properties too). An instance
 *   of any other class, of an unregistered subclass of a built-in (other
 *   than Error), or an object made by `Object.create(p)` is refused, naming
 *   the class and what to register: `structuredClone` would silently turn it
 *   into a plain object (or the built-in), without its methods. Objects from
 *   another realm (`vm`) are judged by the same rule.
 * - Identity: an object met twice arrives as one object met twice, and
 *   cycles arrive as cycles.
 *
 * Refused with `MPI.ERR_ARG` on the sending rank, with the path of the
 * culprit (such as `value.tasks[3].fn`): instances of unregistered classes
 * (above), functions, symbols, Promise, WeakMap, WeakSet, WeakRef,
 * FinalizationRegistry, Proxy, generators and iterators, Intl and
 * WebAssembly objects, `arguments`, module namespaces; and a value nested
 * more than 1000 objects deep (`MAX_DEPTH`, classify.ts), which a receiver
 * might not have the stack to decode (pickle, so mpi4py, stops near there).
 *
 * Differences from `structuredClone`, all on purpose: unregistered class
 * instances are refused (above); a null-prototype object keeps its null
 * prototype; shared memory arrives as a copy; only the bytes of a view
 * travel; a `Buffer` stays a `Buffer`.
 *
 * @module
 */

export { decode } from './decode.js';
export { encode, encodeForSend, encodeScratch } from './encode.js';
export { registerClass } from './registry.js';
