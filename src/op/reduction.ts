/**
 * Applying an op to byte ranges of a vector, as the algorithms hold their
 * data: `inout = in op inout` over whole elements.
 *
 * MPI-4.1 §6.9.1 (the reduction is element-wise over `count` elements).
 *
 * @module
 */

import type { Datatype, TypedArray } from '../datatype/index.js';
import type { Op } from './op.js';

/** An op over one datatype. */
export class Reduction {
  /** Bytes per element. */
  readonly unit: number;

  constructor(readonly op: Op, readonly datatype: Datatype) {
    this.unit = datatype.size;
  }

  /** `inout = input op inout` for the elements of two byte views of equal length. */
  apply(input: Uint8Array, inout: Uint8Array): void {
    const count = inout.byteLength / this.unit;
    if (count === 0) return;
    this.op.applyBuffer(this.view(input, count), this.view(inout, count), count, this.datatype);
  }

  /** The elements of a byte view (the op copies misaligned ones itself). */
  private view(bytes: Uint8Array, count: number): TypedArray {
    const arrayType = this.datatype.arrayType;
    if (arrayType === undefined || bytes.byteOffset % arrayType.BYTES_PER_ELEMENT !== 0) return bytes;
    return new arrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
  }
}

/** The bytes of a typed array. */
export function bytesOf(view: TypedArray): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
