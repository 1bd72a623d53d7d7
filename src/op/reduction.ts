/**
 * Applying an op to byte ranges of a vector, as the algorithms hold their
 * data: `inout = in op inout` over whole elements.
 *
 * MPI-4.1 §6.9.1 (the reduction is element-wise over `count` elements).
 *
 * @module
 */

import { typedView } from '../buffer.js';
import type { Datatype, TypedArray } from '../datatype/index.js';
import type { Op } from './op.js';

const EMPTY = new Uint8Array(0);
/** Entries of an {@link ElementsMemo} (a power of two): each contribution block of a communicator of up to 16 ranks has one of its own. */
const MEMO_PLACES = 256;
/** The tables of a memo that has seen no view: every place empty, never written. */
const NO_VIEWS: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(MEMO_PLACES).fill(undefined);
const NO_ELEMENTS: TypedArray[] = new Array<TypedArray>(MEMO_PLACES).fill(EMPTY);

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
    this.op.applyBuffer(this.inputs.of(input, this.datatype), this.inouts.of(inout, this.datatype), count, this.datatype);
  }
}

/**
 * The elements of the byte views seen lately, made again only for a view not
 * seen: a short reduction reads the members' contribution blocks, used in
 * turn, so a loop of calls comes back to each of `members × blocks` views
 * (with two entries, as this held before, every call made a view again: 96
 * bytes of a rank's young generation a call). One entry per place, by the
 * view's offset in 64-byte lines: the blocks lie apart and keep their
 * entries, and a view of other data (a long reduction's segments, made each
 * call) takes the entry of its place with no other way through this code, so
 * that no path that a loop of small reductions never took can deoptimize it
 * later (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up"). A view's
 * elements depend on the view alone.
 */
class ElementsMemo {
  /**
   * Made at the first view: a reduction over messages makes a `Reduction`
   * per call (a 1-rank Reduce spent half its time filling these), and one
   * that applies nothing (a root alone) never needs them.
   */
  private views: (Uint8Array | undefined)[] = NO_VIEWS;
  private elements: TypedArray[] = NO_ELEMENTS;

  /** The elements of a byte view (the op copies misaligned ones itself). */
  of(bytes: Uint8Array, datatype: Datatype): TypedArray {
    const place = (bytes.byteOffset >>> 6) & (MEMO_PLACES - 1);
    return this.views[place] === bytes ? this.elements[place]! : this.made(bytes, datatype, place);
  }

  private made(bytes: Uint8Array, datatype: Datatype, place: number): TypedArray {
    if (this.views === NO_VIEWS) {
      this.views = new Array<Uint8Array | undefined>(MEMO_PLACES).fill(undefined);
      this.elements = new Array<TypedArray>(MEMO_PLACES).fill(EMPTY);
    }
    // From the byte length: a derived type of one basic type (user ops) has several of its basic elements each.
    const elements = typedView(bytes, datatype.arrayType);
    this.views[place] = bytes;
    this.elements[place] = elements;
    return elements;
  }
}

/** The bytes of a typed array. */
export function bytesOf(view: TypedArray): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
