/**
 * Reduction operations (placeholder shape; the collectives work fills it in).
 *
 * MPI-4.1 §6.9 (global reduction operations).
 *
 * @module
 */

import type { Datatype, TypedArray } from './datatype.js';

/** A reduction operation (MPI-4.1 §6.9.2). */
export class Op {
  constructor(
    readonly name: string,
    readonly commute: boolean,
    /** `inout[i] = in[i] op inout[i]` for `count` elements of `datatype`. */
    readonly applyBuffer: (invec: TypedArray, inoutvec: TypedArray, count: number, datatype: Datatype) => void,
    /** `a op b` on values, `a` from the lower rank. */
    readonly applyObject: (a: unknown, b: unknown) => unknown,
  ) {}
}
