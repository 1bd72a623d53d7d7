/**
 * The predefined reduction operations on values (the lower-case `reduce`,
 * `allreduce`, `scan`, `exscan`), with Python's semantics mapped to
 * JavaScript as docs/ARCHITECTURE.md (section 4) describes.
 *
 * MPI-4.1 §6.9.2 (predefined operations), §6.9.4 (MINLOC and MAXLOC).
 *
 * - SUM adds numbers and bigints, concatenates strings and arrays (Python
 *   list `+`), and adds typed arrays element-wise (NumPy `+`); PROD multiplies.
 * - MAX and MIN compare numbers, bigints, strings and booleans, and arrays
 *   lexicographically (Python compares tuples so); on a tie the left value
 *   wins. Typed arrays compare element-wise.
 * - LAND and LOR are `a && b` and `a || b` (Python `and`, `or`); LXOR is a
 *   boolean. BAND, BOR and BXOR work on numbers (as 32-bit integers, as JS
 *   does), bigints and booleans.
 * - Typed arrays of one class and length combine element-wise under every
 *   operation that applies to their element type.
 * - MAXLOC and MINLOC take `[value, index]` pairs; a value that is not a
 *   two-element array stands for `[value, rank]` of the rank that gave it.
 *   The better value wins; on a tie, the smaller index.
 *
 * @module
 */

import { describe, elementDatatype, isTypedArray } from '../buffer.js';
import type { TypedArray } from '../datatype/index.js';
import { errors } from '../errors.js';
import { elementKernel, inapplicable, type PredefinedName } from './kernels.js';

/** `a op b` on values, `a` from the lower ranks. */
export type ObjectFunction = (a: unknown, b: unknown) => unknown;

type ElementWise = Exclude<PredefinedName, 'MAXLOC' | 'MINLOC'>;

function cannot(name: PredefinedName, a: unknown, b: unknown): never {
  throw errors.op(`MPI.${name}`, `cannot combine ${describe(a)} and ${describe(b)}`);
}

/** Element-wise `a op b` of two typed arrays of one class and length, in a new array. */
function elementWise(name: ElementWise, a: TypedArray, b: TypedArray): TypedArray {
  if (a.constructor !== b.constructor || a.length !== b.length) {
    throw errors.op(`MPI.${name}`, `cannot combine a ${a.constructor.name}(${a.length}) and a ` +
      `${b.constructor.name}(${b.length}) element-wise: class and length must match`);
  }
  const why = inapplicable(name, elementDatatype(a, `MPI.${name}`));
  if (why !== undefined) throw errors.op(`MPI.${name}`, why);
  const out = b.slice();
  elementKernel(name, a)(a, out, a.length);
  return out;
}

function bothTyped(a: unknown, b: unknown): boolean {
  return isTypedArray(a) && isTypedArray(b);
}

/** Orders two values as Python would: numbers and bigints together, strings, booleans, arrays. */
export function compare(a: unknown, b: unknown, name: PredefinedName): number {
  const ta = typeof a;
  const tb = typeof b;
  const numeric = (t: string): boolean => t === 'number' || t === 'bigint' || t === 'boolean';
  if ((numeric(ta) && numeric(tb)) || (ta === 'string' && tb === 'string')) {
    const x = a as number;
    const y = b as number;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compare(a[i], b[i], name);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return cannot(name, a, b);
}

function sum(a: unknown, b: unknown): unknown {
  // Numbers, the usual case, return at the end: a return near the start of a function delays its optimization by V8
  // (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
  return typeof a === 'number' && typeof b === 'number' ? a + b : sumOther(a, b);
}

/** {@link sum} of anything but two numbers. */
function sumOther(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...(a as unknown[]), ...(b as unknown[])];
  if (bothTyped(a, b)) return elementWise('SUM', a as TypedArray, b as TypedArray);
  return cannot('SUM', a, b);
}

function prod(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a * b;
  if (bothTyped(a, b)) return elementWise('PROD', a as TypedArray, b as TypedArray);
  return cannot('PROD', a, b);
}

function extreme(name: 'MAX' | 'MIN'): ObjectFunction {
  return (a, b) => {
    if (bothTyped(a, b)) return elementWise(name, a as TypedArray, b as TypedArray);
    const c = compare(a, b, name);
    return (name === 'MAX' ? c >= 0 : c <= 0) ? a : b;
  };
}

function logical(name: 'LAND' | 'LOR' | 'LXOR'): ObjectFunction {
  return (a, b) => {
    if (bothTyped(a, b)) return elementWise(name, a as TypedArray, b as TypedArray);
    if (name === 'LAND') return a && b;
    if (name === 'LOR') return a || b;
    return Boolean(a) !== Boolean(b);
  };
}

function bitwise(name: 'BAND' | 'BOR' | 'BXOR'): ObjectFunction {
  return (a, b) => {
    if (bothTyped(a, b)) return elementWise(name, a as TypedArray, b as TypedArray);
    const ta = typeof a;
    if (ta !== typeof b || (ta !== 'number' && ta !== 'bigint' && ta !== 'boolean')) return cannot(name, a, b);
    const x = a as number;
    const y = b as number;
    const r = name === 'BAND' ? x & y : name === 'BOR' ? x | y : x ^ y;
    return ta === 'boolean' ? r !== 0 : r;
  };
}

function location(name: 'MAXLOC' | 'MINLOC'): ObjectFunction {
  return (a, b) => {
    if (!isPair(a) || !isPair(b)) return cannot(name, a, b);
    const c = compare(a[0], b[0], name);
    if (c === 0) return compare(a[1], b[1], name) <= 0 ? a : b;
    return (name === 'MAXLOC' ? c > 0 : c < 0) ? a : b;
  };
}

function isPair(value: unknown): value is [unknown, unknown] {
  return Array.isArray(value) && value.length === 2;
}

/** MAXLOC/MINLOC: a bare value stands for `[value, rank]`. */
export function asPair(value: unknown, rank: number): unknown {
  return isPair(value) ? value : [value, rank];
}

/** The value semantics of each predefined operation. */
export const objectFunctions: Record<PredefinedName, ObjectFunction> = {
  SUM: sum,
  PROD: prod,
  MAX: extreme('MAX'),
  MIN: extreme('MIN'),
  LAND: logical('LAND'),
  LOR: logical('LOR'),
  LXOR: logical('LXOR'),
  BAND: bitwise('BAND'),
  BOR: bitwise('BOR'),
  BXOR: bitwise('BXOR'),
  MAXLOC: location('MAXLOC'),
  MINLOC: location('MINLOC'),
};
