/**
 * Reduction operations: the predefined ones (`MPI.SUM`, ...) and user ops
 * made with `MPI.Op.Create`.
 *
 * MPI-4.1 §6.9.2 (predefined operations), §6.9.4 (MINLOC and MAXLOC),
 * §6.9.5 (user-defined operations: `MPI_Op_create`, `MPI_Op_free`,
 * `MPI_Op_commutative`), §6.9.7 (`MPI_Reduce_local`).
 *
 * An op works on both families of collectives:
 * - buffers (`Reduce`, `Allreduce`, ...): element-wise over typed arrays,
 *   with C semantics (integers wrap; see `op/kernels.ts`);
 * - values (`reduce`, `allreduce`, ...): with the value semantics of
 *   docs/ARCHITECTURE.md (see `op/object_ops.ts`): SUM adds numbers and
 *   bigints, concatenates strings and arrays, adds typed arrays element-wise.
 *
 * MINLOC and MAXLOC on buffers take the C pair datatypes, laid out as C lays
 * out the struct, so that the same bytes go through a native MPI untouched:
 *
 * | datatype          | C struct                 | bytes | value at | index (int32) at |
 * |-------------------|--------------------------|-------|----------|------------------|
 * | `MPI.FLOAT_INT`   | `{ float v; int i; }`    | 8     | 0        | 4                |
 * | `MPI.DOUBLE_INT`  | `{ double v; int i; }`   | 16    | 0        | 8 (then 4 padding) |
 * | `MPI.LONG_INT`    | `{ long v; int i; }`     | 16    | 0        | 8 (then 4 padding) |
 * | `MPI.TWOINT`      | `{ int v; int i; }`      | 8     | 0        | 4                |
 * | `MPI.SHORT_INT`   | `{ short v; int i; }`    | 8     | 0        | 4 (2 padding before) |
 *
 * In JavaScript, hold `n` pairs in any typed array of `n * size` bytes and
 * read them through two views of its buffer; for `MPI.DOUBLE_INT`, a
 * `Float64Array` of `2n` elements has the values at even positions and a
 * `new Int32Array(sameBuffer)` the indices at `4k + 2`. For `MPI.TWOINT`, an
 * `Int32Array` of `[value, index, value, index, ...]` is the layout itself.
 * On values, MINLOC and MAXLOC take `[value, index]` pairs, and a bare value
 * means `[value, rank]`.
 *
 * @module
 */

import { parseBuffer } from '../buffer.js';
import { asPair, type ObjectFunction, objectFunctions } from './object_ops.js';
import { complexKernel, type ElementWise, elementKernel, inapplicable, type Kernel, pairKernel, type PredefinedName } from './kernels.js';
import type { Datatype, TypedArray, TypedArrayConstructor } from '../datatype/index.js';
import { errors } from '../errors.js';

/** `inoutvec = invec op inoutvec` over `count` elements of `datatype`. */
export type BufferFunction = (invec: TypedArray, inoutvec: TypedArray, count: number, datatype: Datatype) => void;

/**
 * The function of a user op (`MPI.Op.Create`), modeled on mpi4py's
 * `function(inbuf, inoutbuf, datatype)`:
 * - in buffer collectives it gets `invec` and `inoutvec`, typed arrays of the
 *   same `count` elements (a `Uint8Array` of C structs for the pair types),
 *   and the datatype. It either stores `invec[i] op inoutvec[i]` into
 *   `inoutvec` and returns nothing, or returns `count` results (a typed array
 *   or an array), which are copied into `inoutvec`. With a derived datatype
 *   it gets that datatype and whole elements of it, packed (without the gaps
 *   of its layout): as its basic type's typed array when it has one basic
 *   type (`2 × count` numbers for `MPI.DOUBLE.Create_contiguous(2)`), else as
 *   bytes (MPI-4.1 §6.9.5);
 * - in object collectives it gets two values, `a` from the lower ranks, no
 *   datatype, and returns `a op b`.
 *
 * So `(a, b) => a + b` serves numbers and strings, and
 * `(a, b) => a.map((x, i) => x + b[i])` serves typed arrays in both families.
 */
export type UserFunction<T> = (invec: T, inoutvec: T, datatype?: Datatype) => T | void;

/**
 * A function of two values, which the value reductions (`comm.reduce`,
 * `allreduce`, `scan`, `exscan`) take in place of an op, as mpi4py's take
 * any callable: `a` comes from the lower ranks, and the values are combined
 * in rank order (`v0 op v1 op ... op vn-1`), like a non-commutative
 * {@link Op.Create} op's (MPI-4.1 §6.9.5). Like every op it should be
 * associative: the ranks may group the values differently.
 *
 * @example
 * ```ts
 * const longest = await comm.allreduce(word, (a: string, b: string) => (b.length > a.length ? b : a));
 * ```
 */
export type ValueFunction<T> = (a: T, b: T) => T;

/** What distinguishes the predefined ops. */
interface OpOptions {
  /** The predefined op this is, such as `'SUM'`. */
  readonly predefined?: PredefinedName;
  /** Turns a rank's own value into what the op combines (MINLOC: a bare value becomes `[value, rank]`). */
  readonly prepareObject?: (value: unknown, rank: number) => unknown;
}

let userOps = 0;

/**
 * A reduction operation (MPI-4.1 §6.9): `MPI.SUM`, `MPI.MAXLOC`, ... or a
 * user op from {@link Op.Create}. `T` is what a user op combines (the
 * operands of its function, `unknown` for the predefined ops); an `Op<T>`
 * goes wherever an `Op` does.
 *
 * @example
 * ```ts
 * const total = await comm.allreduce(rank, MPI.SUM);
 * await comm.Allreduce(mine, sums, MPI.SUM);
 * const [best, where] = await comm.allreduce<[number, number]>(score, MPI.MAXLOC);
 * ```
 */
export class Op<T = unknown> {
  /** The type of the operands, for TypeScript only: no such property exists at run time. */
  declare readonly operands?: T;
  private freed = false;
  /** The predefined op this is (`'SUM'`, ...), undefined for a user op. */
  readonly predefined: PredefinedName | undefined;
  private readonly prepare: ((value: unknown, rank: number) => unknown) | undefined;
  /** Datatypes a predefined op has been checked to apply to. */
  private readonly applies = new Set<Datatype>();

  /**
   * Most programs use the predefined ops and {@link Op.Create}.
   *
   * @param name - `'MPI_SUM'` for the predefined ops (the native transport maps ops by this name)
   * @param commute - whether the op is commutative; non-commutative ops are applied in rank order
   * @param applyBuffer - `inoutvec = invec op inoutvec` over typed arrays of `count` elements
   * @param applyObject - `a op b` on values, `a` from the lower ranks
   */
  constructor(
    readonly name: string,
    readonly commute: boolean,
    readonly applyBuffer: BufferFunction,
    readonly applyObject: ObjectFunction,
    options: OpOptions = {},
  ) {
    this.predefined = options.predefined;
    this.prepare = options.prepareObject;
  }

  /**
   * `MPI_Op_create` (MPI-4.1 §6.9.5): a user op from a function of
   * `(invec, inoutvec, datatype)`; see {@link UserFunction} for how it
   * serves buffers and values. Non-commutative ops (the default, as in
   * mpi4py) are applied in rank order: the result is `v0 op v1 op ... op vn-1`.
   * `T`, the operands' type, comes from the function's parameters (or is given:
   * `MPI.Op.Create<Float64Array>((inv, inout) => ...)`), and the op is an `Op<T>`.
   *
   * @example
   * ```ts
   * const concat = MPI.Op.Create((a: string, b: string) => a + b);    // values
   * await comm.allreduce(String(rank), concat);                       // '0123'
   * const absmax = MPI.Op.Create((inv: Float64Array, inout: Float64Array) => {
   *   for (let i = 0; i < inv.length; i++) if (Math.abs(inv[i]) > Math.abs(inout[i])) inout[i] = inv[i];
   * }, true);
   * await comm.Allreduce(mine, out, absmax);                          // buffers
   * ```
   */
  static Create<T>(fn: UserFunction<T>, commute = false): Op<T> {
    if (typeof fn !== 'function') throw errors.op('Op.Create', `expected a function, got ${typeof fn}`);
    const name = `user op ${++userOps}${fn.name ? ` (${fn.name})` : ''}`;
    const applyBuffer: BufferFunction = (invec, inoutvec, count, datatype) => {
      // A derived type of one basic type comes as that type's elements, packed (as the transports hold it).
      const basic = datatype.code === 0 ? datatype.typemap.basic : undefined;
      const [arrayType, length] = basic === undefined ? [datatype.arrayType, count] : [basic.arrayType, count * datatype.typemap.elements];
      const byteLength = count * datatype.size;
      const a = elementsOf(invec, arrayType, length, byteLength).elements;
      const b = elementsOf(inoutvec, arrayType, length, byteLength);
      const result = fn(a as T, b.elements as T, datatype);
      if (result !== undefined && result !== b.elements) copyResult(result, b.elements, name);
      if (b.copied) copyBack(b.elements, inoutvec, byteLength);
    };
    return new Op<T>(name, Boolean(commute), applyBuffer, (a, b) => fn(a as T, b as T));
  }

  /** `MPI_Op_commutative` (MPI-4.1 §6.9.5). */
  Is_commutative(): boolean {
    return this.commute;
  }

  /** mpi4py's property spelling of {@link Is_commutative}. */
  get is_commutative(): boolean {
    return this.commute;
  }

  /** True for `MPI.SUM` and the other predefined ops. */
  get is_predefined(): boolean {
    return this.predefined !== undefined;
  }

  /**
   * Whether this op reduces whole elements of a derived datatype, as MPI
   * calls a user op (MPI-4.1 §6.9.5), rather than its basic elements, as
   * the predefined ops do: how a reduction parses its buffers.
   */
  get wholeElements(): boolean {
    return this.predefined === undefined;
  }

  /**
   * `MPI_Op_free` (MPI-4.1 §6.9.5): a freed user op can no longer be used.
   * Predefined ops cannot be freed.
   */
  Free(): void {
    if (this.predefined !== undefined) throw errors.op('Op.Free', `${this.name} is predefined and cannot be freed`);
    if (this.freed) throw errors.op('Op.Free', `${this.name} has already been freed`);
    this.freed = true;
  }

  /**
   * `MPI_Reduce_local` (MPI-4.1 §6.9.7): `inoutbuf = inbuf op inoutbuf` on
   * this rank alone.
   *
   * @example
   * ```ts
   * const acc = new Float64Array([1, 2]);
   * MPI.SUM.Reduce_local(new Float64Array([10, 20]), acc); // acc is [11, 22]
   * ```
   */
  Reduce_local(inbuf: unknown, inoutbuf: unknown): void {
    const call = 'Op.Reduce_local';
    const a = parseBuffer(inbuf, call, this.wholeElements);
    const b = parseBuffer(inoutbuf, call, this.wholeElements);
    if (a.count !== b.count || a.datatype.size !== b.datatype.size) {
      throw errors.count(call, `inbuf has ${a.count} × ${a.datatype.describe()} but inoutbuf ${b.count} × ${b.datatype.describe()}`);
    }
    this.check(b.datatype, call);
    this.applyBuffer(a.elements, b.elements, b.count, b.datatype);
  }

  /** Throws `ERR_OP` when this op cannot reduce `datatype` (or has been freed). */
  check(datatype: Datatype, call: string): void {
    this.checkLive(call);
    if (this.predefined !== undefined && !this.applies.has(datatype)) {
      const why = inapplicable(this.predefined, datatype);
      if (why !== undefined) throw errors.op(call, why);
      this.applies.add(datatype);
    }
  }

  /** Throws `ERR_OP` after {@link Free}. */
  checkLive(call: string): void {
    if (this.freed) throw errors.op(call, `${this.name} has been freed`);
  }

  /** A rank's own value as the op combines it (MINLOC/MAXLOC: `[value, rank]` for a bare value). */
  prepareObject(value: unknown, rank: number): unknown {
    return this.prepare === undefined ? value : this.prepare(value, rank);
  }

  toString(): string {
    return this.name;
  }
}

function copyResult(result: unknown, into: TypedArray, name: string): void {
  if (!ArrayBuffer.isView(result) && !Array.isArray(result)) {
    throw errors.op(name, `a buffer op must fill inoutvec or return its ${into.length} results, got ${typeof result}`);
  }
  const values = result as ArrayLike<number> & ArrayLike<bigint>;
  if (values.length !== into.length) {
    throw errors.op(name, `returned ${values.length} results for ${into.length} elements`);
  }
  (into as Float64Array).set(values as ArrayLike<number>);
}

/**
 * The first `byteLength` bytes of `view` as `length` elements of `arrayType`
 * (as bytes without one), over the same memory when it is aligned, else as
 * an aligned copy (then `copied` is true).
 */
function elementsOf(view: TypedArray, arrayType: TypedArrayConstructor | undefined, length: number,
  byteLength: number): { elements: TypedArray; copied: boolean } {
  if (arrayType === undefined) {
    return { elements: view instanceof Uint8Array && view.byteLength === byteLength ? view
      : new Uint8Array(view.buffer, view.byteOffset, byteLength), copied: false };
  }
  if (view.constructor === arrayType) return { elements: view.length === length ? view : view.subarray(0, length), copied: false };
  if (view.byteOffset % arrayType.BYTES_PER_ELEMENT === 0) {
    return { elements: new arrayType(view.buffer as ArrayBuffer, view.byteOffset, length), copied: false };
  }
  const copy = new arrayType(length);
  new Uint8Array(copy.buffer).set(new Uint8Array(view.buffer, view.byteOffset, byteLength));
  return { elements: copy, copied: true };
}

/** Writes the first `bytes` bytes of an aligned copy back where they came from. */
function copyBack(copy: TypedArray, into: TypedArray, bytes: number): void {
  new Uint8Array(into.buffer, into.byteOffset, bytes).set(new Uint8Array(copy.buffer, copy.byteOffset, bytes));
}

function predefinedOp(name: PredefinedName): Op {
  /** The kernels of the types whose elements are structs: pairs (MINLOC, MAXLOC) and complex numbers. */
  const pairs = new Map<Datatype, Kernel>();
  const kernels = new Map<unknown, Kernel>();
  const kernelFor = (view: TypedArray): Kernel => {
    let kernel = kernels.get(view.constructor);
    if (kernel === undefined) kernels.set(view.constructor, kernel = elementKernel(name as ElementWise, view));
    return kernel;
  };
  const applyBuffer: BufferFunction = (invec, inoutvec, count, datatype) => {
    if (count === 0) return;
    if (name === 'MAXLOC' || name === 'MINLOC' || datatype.kind === 'complex') {
      let kernel = pairs.get(datatype);
      if (kernel === undefined) {
        kernel = datatype.kind === 'complex' ? complexKernel(name === 'PROD', datatype) : pairKernel(name === 'MAXLOC', datatype);
        pairs.set(datatype, kernel);
      }
      kernel(invec, inoutvec, count);
      return;
    }
    // The usual case, both already typed arrays of the datatype: no views to make.
    const arrayType = datatype.arrayType;
    if (arrayType !== undefined && invec.constructor === arrayType && inoutvec.constructor === arrayType) {
      kernelFor(inoutvec)(invec, inoutvec, count);
      return;
    }
    const a = elementsOf(invec, arrayType, count, count * datatype.size).elements;
    const b = elementsOf(inoutvec, arrayType, count, count * datatype.size);
    kernelFor(b.elements)(a, b.elements, count);
    if (b.copied) copyBack(b.elements, inoutvec, count * datatype.size);
  };
  const location = name === 'MAXLOC' || name === 'MINLOC';
  return new Op(`MPI_${name}`, true, applyBuffer, objectFunctions[name],
    { predefined: name, ...(location ? { prepareObject: asPair } : {}) });
}

/**
 * The predefined operations (MPI-4.1 §6.9.2), as `MPI.SUM` and so on. All are
 * commutative. See the module comment for the layout MINLOC and MAXLOC take.
 */
export const ops = {
  /** Sum; on values also string and array concatenation. */
  SUM: predefinedOp('SUM'),
  /** Product. */
  PROD: predefinedOp('PROD'),
  /** Maximum. */
  MAX: predefinedOp('MAX'),
  /** Minimum. */
  MIN: predefinedOp('MIN'),
  /** Logical and. */
  LAND: predefinedOp('LAND'),
  /** Logical or. */
  LOR: predefinedOp('LOR'),
  /** Logical exclusive or. */
  LXOR: predefinedOp('LXOR'),
  /** Bitwise and. */
  BAND: predefinedOp('BAND'),
  /** Bitwise or. */
  BOR: predefinedOp('BOR'),
  /** Bitwise exclusive or. */
  BXOR: predefinedOp('BXOR'),
  /** Maximum and the (smallest) index where it is. */
  MAXLOC: predefinedOp('MAXLOC'),
  /** Minimum and the (smallest) index where it is. */
  MINLOC: predefinedOp('MINLOC'),
} as const;
