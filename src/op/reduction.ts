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

const EMPTY = new Uint8Array(0);

/** An op over one datatype. */
export class Reduction {
  /** Bytes per element. */
  readonly unit: number;
  /** The elements of the byte views of the last apply: a small reduction in a loop reads the same views each call. */
  private readonly inputs = new ElementsMemo();
  private readonly inouts = new ElementsMemo();

  constructor(readonly op: Op, readonly datatype: Datatype) {
    this.unit = datatype.size;
  }

  /** `inout = input op inout` for the elements of two byte views of equal length. */
  apply(input: Uint8Array, inout: Uint8Array): void {
    const count = inout.byteLength / this.unit;
    if (count === 0) return;
    this.op.applyBuffer(this.inputs.of(input, count, this.datatype), this.inouts.of(inout, count, this.datatype), count,
      this.datatype);
  }
}

/**
 * The elements of the two byte views seen last, made again only for another
 * view or count. Two, because the shared area's blocks alternate between two
 * places from one call to the next.
 */
class ElementsMemo {
  private bytes: [Uint8Array | undefined, Uint8Array | undefined] = [undefined, undefined];
  private counts = [0, 0];
  private elements: [TypedArray, TypedArray] = [EMPTY, EMPTY];
  /** The entry to replace next. */
  private next = 0;

  /** The elements of a byte view (the op copies misaligned ones itself). */
  of(bytes: Uint8Array, count: number, datatype: Datatype): TypedArray {
    if (bytes === this.bytes[0] && count === this.counts[0]) return this.elements[0];
    if (bytes === this.bytes[1] && count === this.counts[1]) return this.elements[1];
    const arrayType = datatype.arrayType;
    const elements = arrayType === undefined || bytes.byteOffset % arrayType.BYTES_PER_ELEMENT !== 0 ? bytes
      : new arrayType(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
    const at = this.next;
    this.bytes[at] = bytes;
    this.counts[at] = count;
    this.elements[at] = elements;
    this.next = 1 - at;
    return elements;
  }
}

/** The bytes of a typed array. */
export function bytesOf(view: TypedArray): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
