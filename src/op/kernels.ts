/**
 * Element-wise kernels of the predefined reduction operations on buffers.
 *
 * MPI-4.1 §6.9.2 (predefined operations and the datatypes each applies to),
 * §6.9.4 (MINLOC and MAXLOC on value-index pairs).
 *
 * Every kernel computes `inoutvec[i] = invec[i] op inoutvec[i]` for `count`
 * elements. Integer results wrap as in C: the typed array's store does the
 * wrapping (`Math.imul` keeps 32-bit products exact). Kernels are compiled
 * once per (operation, typed array class) with `new Function`: V8 shares the
 * type feedback of every closure made from one function literal, and a loop
 * that has seen several typed array classes runs an order of magnitude slower than
 * one that has seen a single class.
 *
 * Pair datatypes (`MPI.DOUBLE_INT`, ...) are C structs read with a DataView,
 * in the byte order of this machine: `{ value; int index; }` with C padding.
 *
 * Unfinished: complex types and `MPI.REPLACE` / `MPI.NO_OP` (one-sided only).
 *
 * @module
 */

import type { Datatype, ElementKind, TypedArray } from '../datatype/index.js';

/** `inoutvec[i] = invec[i] op inoutvec[i]` for `count` elements. */
export type Kernel = (invec: TypedArray, inoutvec: TypedArray, count: number) => void;

/** The name of a predefined operation without its `MPI_` prefix. */
export type PredefinedName =
  'SUM' | 'PROD' | 'MAX' | 'MIN' | 'LAND' | 'LOR' | 'LXOR' | 'BAND' | 'BOR' | 'BXOR' | 'MAXLOC' | 'MINLOC';

type Family = 'number' | 'int32' | 'bigint';
export type ElementWise = Exclude<PredefinedName, 'MAXLOC' | 'MINLOC'>;

/** The expression for one element, with `a` from invec and `b` from inoutvec. */
const expressions: Record<ElementWise, Record<Family, string>> = {
  SUM: { number: 'a + b', int32: 'a + b', bigint: 'a + b' },
  PROD: { number: 'a * b', int32: 'Math.imul(a, b)', bigint: 'a * b' },
  MAX: { number: 'a > b ? a : b', int32: 'a > b ? a : b', bigint: 'a > b ? a : b' },
  MIN: { number: 'a < b ? a : b', int32: 'a < b ? a : b', bigint: 'a < b ? a : b' },
  LAND: { number: 'a !== 0 && b !== 0 ? 1 : 0', int32: 'a !== 0 && b !== 0 ? 1 : 0', bigint: 'a !== 0n && b !== 0n ? 1n : 0n' },
  LOR: { number: 'a !== 0 || b !== 0 ? 1 : 0', int32: 'a !== 0 || b !== 0 ? 1 : 0', bigint: 'a !== 0n || b !== 0n ? 1n : 0n' },
  LXOR: { number: '(a !== 0) !== (b !== 0) ? 1 : 0', int32: '(a !== 0) !== (b !== 0) ? 1 : 0',
    bigint: '(a !== 0n) !== (b !== 0n) ? 1n : 0n' },
  BAND: { number: 'a & b', int32: 'a & b', bigint: 'a & b' },
  BOR: { number: 'a | b', int32: 'a | b', bigint: 'a | b' },
  BXOR: { number: 'a ^ b', int32: 'a ^ b', bigint: 'a ^ b' },
};

/** Which element kinds each predefined operation applies to (MPI-4.1 §6.9.2). */
const applicable: Record<PredefinedName, readonly ElementKind[]> = {
  SUM: ['int', 'uint', 'float', 'bigint', 'biguint', 'complex'],
  PROD: ['int', 'uint', 'float', 'bigint', 'biguint', 'complex'],
  MAX: ['int', 'uint', 'float', 'bigint', 'biguint'],
  MIN: ['int', 'uint', 'float', 'bigint', 'biguint'],
  LAND: ['int', 'uint', 'bigint', 'biguint', 'bool'],
  LOR: ['int', 'uint', 'bigint', 'biguint', 'bool'],
  LXOR: ['int', 'uint', 'bigint', 'biguint', 'bool'],
  BAND: ['int', 'uint', 'bigint', 'biguint', 'byte'],
  BOR: ['int', 'uint', 'bigint', 'biguint', 'byte'],
  BXOR: ['int', 'uint', 'bigint', 'biguint', 'byte'],
  MAXLOC: ['pair'],
  MINLOC: ['pair'],
};

/** Characters and packed bytes take no reduction, as in MPI (MPI-4.1 §6.9.2). */
const UNREDUCIBLE: ReadonlySet<string> = new Set(['MPI_CHAR', 'MPI_WCHAR', 'MPI_CHARACTER', 'MPI_PACKED']);

/** Why `name` does not apply to `datatype`, or undefined when it does. */
export function inapplicable(name: PredefinedName, datatype: Datatype): string | undefined {
  if (UNREDUCIBLE.has(datatype.name) || !applicable[name].includes(datatype.kind)) {
    const kinds = applicable[name].map((k) => kindNames[k]).join(', ');
    return `MPI_${name} does not apply to ${datatype.name}; it takes ${kinds}`;
  }
  return undefined;
}

const kindNames: Record<ElementKind, string> = {
  int: 'signed integers', uint: 'unsigned integers', float: 'floating point', bigint: '64-bit integers',
  biguint: 'unsigned 64-bit integers', bool: 'the logical types (MPI_C_BOOL, MPI_LOGICAL, ...)', byte: 'MPI_BYTE',
  pair: 'the pair types (MPI_DOUBLE_INT, ...)', complex: 'the complex types (MPI_C_DOUBLE_COMPLEX, ...)',
};

function familyOf(view: TypedArray): Family {
  if (view instanceof BigInt64Array || view instanceof BigUint64Array) return 'bigint';
  if (view instanceof Int32Array || view instanceof Uint32Array) return 'int32';
  return 'number';
}

const compiled = new Map<string, Kernel>();
/** Elements per loop iteration: unrolling halves the time of a SUM of doubles in V8. */
const UNROLL = 16;

/** The kernel of an element-wise operation for the class of `view`. */
export function elementKernel(name: ElementWise, view: TypedArray): Kernel {
  const key = `${name}:${view.constructor.name}`;
  let kernel = compiled.get(key);
  if (kernel === undefined) {
    const family = familyOf(view);
    const expression = expressions[name][family];
    const step = (at: string): string => `{ const a = x[${at}], b = y[${at}]; y[${at}] = ${expression}; }`;
    const unroll = family === 'bigint' ? 4 : UNROLL;
    let body = '';
    for (let j = 0; j < unroll; j++) body += step(`i + ${j}`);
    try {
      kernel = new Function('x', 'y', 'n', `'use strict'; let i = 0;
        for (; i + ${unroll} <= n; i += ${unroll}) { ${body} }
        for (; i < n; i++) ${step('i')}`) as Kernel;
    } catch {
      kernel = interpreted(name, family); // code generation from strings is disabled
    }
    primeKernel(kernel, view, unroll);
    compiled.set(key, kernel);
  }
  return kernel;
}

/**
 * Runs a new kernel on `unroll + 1` zeros of the class of `view`, so that
 * both of its loops have type feedback before its first real call. A long
 * vector's first call otherwise has V8 replace the running unrolled loop
 * with optimized code (on-stack replacement) before the remainder loop ever
 * ran: that code then left the function through a deoptimization at the
 * remainder loop's first comparison on every later call (a 500-call loop of
 * 64 KiB Allreduces at 2 ranks deoptimized 110 times). V8 gives a function
 * its feedback only after a few calls, hence {@link PRIME_CALLS} of them.
 */
function primeKernel(kernel: Kernel, view: TypedArray, unroll: number): void {
  // A subclass (a Node Buffer) may not take a length: the built-in class it extends has the same elements.
  let Class: unknown = view.constructor;
  while (Object.getPrototypeOf(Class) !== TYPED_ARRAY) Class = Object.getPrototypeOf(Class);
  const x = new (Class as TypedArrayClass)(unroll + 1);
  const y = new (Class as TypedArrayClass)(unroll + 1);
  for (let call = 0; call < PRIME_CALLS; call++) kernel(x, y, unroll + 1);
}

type TypedArrayClass = new (length: number) => TypedArray;

/** The abstract class every built-in typed array class extends (`%TypedArray%`). */
const TYPED_ARRAY: unknown = Object.getPrototypeOf(Int8Array);

/** Calls of a new kernel by {@link primeKernel}: more than the 8 after which V8 gives a function its feedback. */
const PRIME_CALLS = 32;

/** A slower kernel for when `new Function` is not allowed (`--disallow-code-generation-from-strings`). */
function interpreted(name: ElementWise, family: Family): Kernel {
  const big = family === 'bigint';
  const truth = (v: number | bigint): boolean => v !== 0 && v !== 0n;
  const one = big ? 1n : 1;
  const zero = big ? 0n : 0;
  const f: Record<ElementWise, (a: number, b: number) => number | bigint> = {
    SUM: (a, b) => a + b,
    PROD: family === 'int32' ? Math.imul : (a, b) => a * b,
    MAX: (a, b) => (a > b ? a : b),
    MIN: (a, b) => (a < b ? a : b),
    LAND: (a, b) => (truth(a) && truth(b) ? one : zero),
    LOR: (a, b) => (truth(a) || truth(b) ? one : zero),
    LXOR: (a, b) => (truth(a) !== truth(b) ? one : zero),
    BAND: (a, b) => a & b,
    BOR: (a, b) => a | b,
    BXOR: (a, b) => a ^ b,
  };
  const op = f[name];
  return (x, y, n) => {
    const a = x as Float64Array;
    const b = y as Float64Array;
    for (let i = 0; i < n; i++) b[i] = op(a[i]!, b[i]!) as number;
  };
}

/** Layout of a pair datatype: the value's reader and writer and the index's offset. */
interface PairLayout {
  readonly get: (view: DataView, at: number) => number | bigint;
  readonly set: (view: DataView, at: number, value: number | bigint) => void;
  readonly indexOffset: number;
}

const LITTLE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const pairLayouts: Record<string, PairLayout> = {
  MPI_FLOAT_INT: { get: (v, at) => v.getFloat32(at, LITTLE), set: (v, at, x) => v.setFloat32(at, x as number, LITTLE), indexOffset: 4 },
  MPI_DOUBLE_INT: { get: (v, at) => v.getFloat64(at, LITTLE), set: (v, at, x) => v.setFloat64(at, x as number, LITTLE), indexOffset: 8 },
  MPI_LONG_INT: { get: (v, at) => v.getBigInt64(at, LITTLE), set: (v, at, x) => v.setBigInt64(at, x as bigint, LITTLE), indexOffset: 8 },
  MPI_2INT: { get: (v, at) => v.getInt32(at, LITTLE), set: (v, at, x) => v.setInt32(at, x as number, LITTLE), indexOffset: 4 },
  MPI_SHORT_INT: { get: (v, at) => v.getInt16(at, LITTLE), set: (v, at, x) => v.setInt16(at, x as number, LITTLE), indexOffset: 4 },
};

/**
 * MAXLOC (`max` true) or MINLOC on `count` pairs of `datatype` (MPI-4.1
 * §6.9.4): the better value wins; on a tie, the smaller index.
 */
export function pairKernel(max: boolean, datatype: Datatype): Kernel {
  const layout = pairLayouts[datatype.name]!;
  const size = datatype.size;
  const { get, set, indexOffset } = layout;
  return (invec, inoutvec, count) => {
    const a = new DataView(invec.buffer, invec.byteOffset, count * size);
    const b = new DataView(inoutvec.buffer, inoutvec.byteOffset, count * size);
    for (let i = 0, at = 0; i < count; i++, at += size) {
      const u = get(a, at);
      const v = get(b, at);
      const i1 = a.getInt32(at + indexOffset, LITTLE);
      if (max ? u > v : u < v) {
        set(b, at, u);
        b.setInt32(at + indexOffset, i1, LITTLE);
      } else if (u === v && i1 < b.getInt32(at + indexOffset, LITTLE)) {
        b.setInt32(at + indexOffset, i1, LITTLE);
      }
    }
  };
}

/**
 * SUM (`product` false) or PROD on `count` complex numbers of `datatype`
 * (8 bytes: two floats; 16 bytes: two doubles, real part first, as C and
 * Fortran lay them out).
 */
export function complexKernel(product: boolean, datatype: Datatype): Kernel {
  const Part = datatype.size === 8 ? Float32Array : Float64Array;
  const partsOf = (view: TypedArray, count: number): { parts: Float32Array | Float64Array; copied: boolean } => {
    if (view.byteOffset % Part.BYTES_PER_ELEMENT === 0) return { parts: new Part(view.buffer as ArrayBuffer, view.byteOffset, 2 * count), copied: false };
    const parts = new Part(2 * count);
    new Uint8Array(parts.buffer).set(new Uint8Array(view.buffer, view.byteOffset, parts.byteLength));
    return { parts, copied: true };
  };
  return (invec, inoutvec, count) => {
    const x = partsOf(invec, count).parts;
    const into = partsOf(inoutvec, count);
    const y = into.parts;
    if (product) {
      for (let i = 0; i < 2 * count; i += 2) {
        const a = x[i]!, b = x[i + 1]!, c = y[i]!, d = y[i + 1]!;
        y[i] = a * c - b * d;
        y[i + 1] = a * d + b * c;
      }
    } else {
      for (let i = 0; i < 2 * count; i++) y[i] = x[i]! + y[i]!;
    }
    if (into.copied) new Uint8Array(inoutvec.buffer, inoutvec.byteOffset, y.byteLength).set(new Uint8Array(y.buffer));
  };
}
