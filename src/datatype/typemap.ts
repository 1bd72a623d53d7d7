/**
 * Typemaps: the flattened layout of a datatype (MPI-4.1 §5.1, the typemap
 * `{(type_0, disp_0), ..., (type_n-1, disp_n-1)}`), as blocks of basic
 * elements and as the contiguous byte runs that pack, unpack, MPI-IO file
 * views and RMA move.
 *
 * MPI-4.1 §5.1.1 (typemaps, type signatures), §5.1.6 (lower bound, upper
 * bound, extent), §5.1.7 (true extent), §5.1.2 to §5.1.4 (how the
 * constructors replicate the typemap of their old type).
 *
 * A {@link Typemap} is built once per datatype, when it is constructed: the
 * constructors hand {@link replicate} a list of (byte displacement, count of
 * old elements, old typemap) pieces. Adjacent blocks of one basic type are
 * merged, and so are adjacent byte runs, so a vector of contiguous rows is a
 * few runs however many elements it holds.
 *
 * Unfinished: no alignment padding (MPI's epsilon) is added to the upper
 * bound of a struct, as Open MPI does not add it either: use
 * `Create_resized` to give a struct the extent of its C counterpart.
 *
 * @module
 */

/** What a typemap needs to know of a basic (predefined) datatype. */
export interface BasicType {
  readonly name: string;
  readonly size: number;
}

/**
 * The flattened layout of one element of a datatype. Byte offsets are
 * relative to the start of the element (the buffer address in MPI terms)
 * and may be negative.
 */
export class Typemap<B extends BasicType = BasicType> {
  /** Displacement of each block of basic elements, in type order. */
  readonly blockDisps: readonly number[];
  /** Number of consecutive basic elements in each block. */
  readonly blockCounts: readonly number[];
  /** Basic type of each block. */
  readonly blockTypes: readonly B[];
  /** Byte offset of each contiguous run, in type order (adjacent blocks merged). */
  readonly runOffsets: readonly number[];
  /** Byte length of each contiguous run. */
  readonly runLengths: readonly number[];
  /** Bytes of data in one element (`MPI_Type_size`). */
  readonly size: number;
  /** Basic elements in one element (`MPI_Get_elements` of one whole element). */
  readonly elements: number;
  /** Lower and upper bound (`MPI_Type_get_extent`). */
  readonly lb: number;
  readonly ub: number;
  /** Lowest and highest byte of data (`MPI_Type_get_true_extent`). */
  readonly trueLb: number;
  readonly trueUb: number;
  /** The one basic type of every block, or undefined when the blocks mix basic types (or there are none). */
  readonly basic: B | undefined;
  /**
   * True when `count` elements are exactly `count * size` bytes from the
   * buffer's start, in order: one run at offset 0 as long as the extent.
   */
  readonly contiguous: boolean;

  constructor(blockDisps: number[], blockCounts: number[], blockTypes: B[], lb: number, ub: number) {
    this.blockDisps = blockDisps;
    this.blockCounts = blockCounts;
    this.blockTypes = blockTypes;
    this.lb = lb;
    this.ub = ub;
    let size = 0;
    let elements = 0;
    let trueLb = Infinity;
    let trueUb = -Infinity;
    const runOffsets: number[] = [];
    const runLengths: number[] = [];
    let basic: B | undefined = blockTypes[0];
    for (let i = 0; i < blockDisps.length; i++) {
      const bytes = blockCounts[i]! * blockTypes[i]!.size;
      const disp = blockDisps[i]!;
      size += bytes;
      elements += blockCounts[i]!;
      if (blockTypes[i] !== basic) basic = undefined;
      if (bytes === 0) continue;
      trueLb = Math.min(trueLb, disp);
      trueUb = Math.max(trueUb, disp + bytes);
      const last = runOffsets.length - 1;
      if (last >= 0 && runOffsets[last]! + runLengths[last]! === disp) runLengths[last] = runLengths[last]! + bytes;
      else {
        runOffsets.push(disp);
        runLengths.push(bytes);
      }
    }
    this.size = size;
    this.elements = elements;
    this.trueLb = trueLb === Infinity ? 0 : trueLb;
    this.trueUb = trueUb === -Infinity ? 0 : trueUb;
    this.runOffsets = runOffsets;
    this.runLengths = runLengths;
    this.basic = basic;
    this.contiguous = lb === 0 && ub === size &&
      (size === 0 || (runOffsets.length === 1 && runOffsets[0] === 0 && runLengths[0] === size));
  }

  /** `ub - lb`: the stride between consecutive elements of a buffer. */
  get extent(): number {
    return this.ub - this.lb;
  }

  /** `trueUb - trueLb`. */
  get trueExtent(): number {
    return this.trueUb - this.trueLb;
  }

  /** The typemap of one basic element. */
  static basic<B extends BasicType>(type: B): Typemap<B> {
    return new Typemap([0], [1], [type], 0, type.size);
  }

  /**
   * Basic elements in the first `bytes` bytes of a packed message of this
   * type (`MPI_Get_elements`): whole elements, then the basic elements of a
   * partial one; -1 when the bytes end inside a basic element.
   */
  elementsIn(bytes: number): number {
    if (this.size === 0) return 0;
    const whole = Math.floor(bytes / this.size);
    let rest = bytes - whole * this.size;
    let count = whole * this.elements;
    for (let i = 0; i < this.blockCounts.length && rest > 0; i++) {
      const unit = this.blockTypes[i]!.size;
      const take = Math.min(this.blockCounts[i]!, Math.floor(rest / unit));
      count += take;
      rest -= take * unit;
      if (take < this.blockCounts[i]!) break;
    }
    return rest === 0 ? count : -1;
  }
}

/** One piece of a new typemap: `count` consecutive elements of `type`, the first at byte `disp`. */
export interface Piece<B extends BasicType> {
  readonly disp: number;
  readonly count: number;
  readonly type: Typemap<B>;
}

/**
 * The typemap made of `pieces` in order (MPI-4.1 §5.1.2: each constructor's
 * typemap is its old type's, replicated at displacements), with the bounds
 * of §5.1.6: the least lower bound and greatest upper bound of the pieces
 * (0 and 0 when every piece is empty).
 */
export function replicate<B extends BasicType>(pieces: readonly Piece<B>[]): Typemap<B> {
  const disps: number[] = [];
  const counts: number[] = [];
  const types: B[] = [];
  let lb = Infinity;
  let ub = -Infinity;
  const push = (disp: number, count: number, type: B): void => {
    const last = disps.length - 1;
    if (last >= 0 && types[last] === type && disps[last]! + counts[last]! * type.size === disp) counts[last] = counts[last]! + count;
    else {
      disps.push(disp);
      counts.push(count);
      types.push(type);
    }
  };
  for (const { disp, count, type } of pieces) {
    if (count <= 0) continue;
    const extent = type.extent;
    lb = Math.min(lb, disp + type.lb + Math.min(0, (count - 1) * extent));
    ub = Math.max(ub, disp + type.ub + Math.max(0, (count - 1) * extent));
    if (type.contiguous && type.basic !== undefined) {
      push(disp, count * type.elements, type.basic);
      continue;
    }
    for (let j = 0; j < count; j++) {
      const base = disp + j * extent;
      for (let b = 0; b < type.blockDisps.length; b++) push(base + type.blockDisps[b]!, type.blockCounts[b]!, type.blockTypes[b]!);
    }
  }
  if (lb === Infinity) lb = ub = 0;
  return new Typemap(disps, counts, types, lb, ub);
}

/** `type` with its bounds set to `lb` and `lb + extent` (`MPI_Type_create_resized`). */
export function resized<B extends BasicType>(type: Typemap<B>, lb: number, extent: number): Typemap<B> {
  return new Typemap([...type.blockDisps], [...type.blockCounts], [...type.blockTypes], lb, lb + extent);
}
