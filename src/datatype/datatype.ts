/**
 * Datatypes: the predefined MPI datatypes, how typed arrays map to them, and
 * the derived datatypes built from them.
 *
 * MPI-4.1 §3.2.2 (message data, predefined datatypes), §5.1 (derived
 * datatypes: §5.1.2 constructors, §5.1.3 subarray, §5.1.4 darray, §5.1.5
 * size, §5.1.6 bounds and extent, §5.1.7 true extent, §5.1.9 commit and
 * free, §5.1.10 duplicates, §5.1.13 decoding: envelope and contents), §5.2
 * (pack and unpack, external32), §6.9.4 (the pair types of MINLOC and
 * MAXLOC), §7.7.4 (attributes), §7.8 (names), §19.2.5 (the Fortran types of given range and
 * precision: `Create_f90_*`, `Match_size`).
 *
 * Every datatype has a {@link Typemap} (`datatype.typemap`, built when it is
 * constructed): its blocks of basic elements and its contiguous byte runs,
 * with bounds, extent and size. That is the internal interface for whatever
 * must walk a datatype's layout: `buffer.ts` packs and unpacks messages with
 * it, an MPI-IO file view or an RMA target can compute offsets from it.
 *
 * Unfinished: the types that
 * JavaScript has no arithmetic for (`MPI.LONG_DOUBLE`, 16-byte reals and
 * complexes, `MPI.LONG_DOUBLE_INT`, 16-byte integers); no alignment padding is added to a struct's extent (see
 * `typemap.ts`); the pair types have no external32 form.
 *
 * @module
 */

import { type AttributeCopy, AttributeCache, type AttributeDelete } from '../attributes.js';
import { UNDEFINED } from '../constants.js';
import { errors } from '../errors.js';
import { pack, toExternal32, unpack } from './pack.js';
import { type Piece, replicate, resized, Typemap } from './typemap.js';

/** How the elements of a datatype combine in a reduction. */
export type ElementKind = 'int' | 'uint' | 'float' | 'bigint' | 'biguint' | 'bool' | 'byte' | 'pair' | 'complex';

/** A typed array class, such as `Float64Array`. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** A typed array: what a buffer method sends or receives. */
export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** `MPI.COMBINER_*` (MPI-4.1 §5.1.13): which constructor made a datatype. */
export const combiners = {
  COMBINER_NAMED: 0,
  COMBINER_DUP: 1,
  COMBINER_CONTIGUOUS: 2,
  COMBINER_VECTOR: 3,
  COMBINER_HVECTOR: 4,
  COMBINER_INDEXED: 5,
  COMBINER_HINDEXED: 6,
  COMBINER_INDEXED_BLOCK: 7,
  COMBINER_HINDEXED_BLOCK: 8,
  COMBINER_STRUCT: 9,
  COMBINER_SUBARRAY: 10,
  COMBINER_DARRAY: 11,
  COMBINER_RESIZED: 12,
  COMBINER_F90_REAL: 14,
  COMBINER_F90_COMPLEX: 15,
  COMBINER_F90_INTEGER: 16,
} as const;

/** `MPI.TYPECLASS_*` (MPI-4.1 §19.2.5): the kinds of type {@link Datatype.Match_size} looks up. */
export const typeclasses = {
  TYPECLASS_INTEGER: 1,
  TYPECLASS_REAL: 2,
  TYPECLASS_COMPLEX: 3,
} as const;

/** The combiners of the Fortran types made by `Create_f90_*`: predefined, but not named (MPI-4.1 §19.2.5). */
const F90_COMBINERS: ReadonlySet<number> = new Set([combiners.COMBINER_F90_REAL, combiners.COMBINER_F90_COMPLEX,
  combiners.COMBINER_F90_INTEGER]);

/** `MPI.ORDER_*` and `MPI.DISTRIBUTE_*` (MPI-4.1 §5.1.3, §5.1.4). */
export const arrayConstants = {
  ORDER_C: 0,
  ORDER_FORTRAN: 1,
  ORDER_F: 1,
  DISTRIBUTE_BLOCK: 0,
  DISTRIBUTE_CYCLIC: 1,
  DISTRIBUTE_NONE: 2,
  DISTRIBUTE_DFLT_DARG: -1,
} as const;

const { ORDER_C, ORDER_FORTRAN, DISTRIBUTE_BLOCK, DISTRIBUTE_CYCLIC, DISTRIBUTE_NONE, DISTRIBUTE_DFLT_DARG } = arrayConstants;

const COMBINER_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(combiners).map(([key, value]) => [value, key.slice('COMBINER_'.length)]));

/** What a derived datatype was made of (`MPI_Type_get_contents`). */
interface Contents {
  readonly combiner: number;
  readonly integers: readonly number[];
  readonly addresses: readonly number[];
  readonly datatypes: readonly Datatype[];
}

/** Parameters of {@link Datatype.decode}, by combiner. */
export type DecodedParams = Readonly<Record<string, number | readonly number[] | readonly Datatype[]>>;

/** Something with a byte view: a typed array or a `DataView`. */
type Buffer = ArrayBufferView;

let nextCode = 1;

/** The attributes that programs cache on datatypes (MPI-4.1 §7.7.4). */
const attributes = new AttributeCache<Datatype>('Datatype', 'datatype');

/**
 * An MPI datatype (MPI-4.1 §3.2.2, §5.1): the type of each element of a
 * buffer, predefined (`MPI.DOUBLE`) or derived from others
 * (`MPI.DOUBLE.Create_vector(n, 1, n)`), which must be committed before use
 * in communication.
 *
 * @example
 * ```ts
 * MPI.DOUBLE.Get_size();                 // 8
 * MPI.typedict.Float64Array === MPI.DOUBLE // true
 * const column = MPI.DOUBLE.Create_vector(4, 1, 4).Commit();
 * column.size;                           // 32
 * ```
 */
export class Datatype {
  /** Bytes of data in one element (`MPI_Type_size`). */
  readonly size: number;
  /** How elements combine in reductions ('byte' for a derived type of mixed basic types). */
  readonly kind: ElementKind;
  /** Stable number of a predefined datatype, shared with the native transport; 0 for a derived one. */
  readonly code: number;
  /** The typed array class whose elements are this type (or its one basic type), if any. */
  readonly arrayType: TypedArrayConstructor | undefined;
  /** The flattened layout: blocks, byte runs, bounds (internal: for packing, file views, RMA). */
  readonly typemap: Typemap<Datatype>;
  #name: string;
  #committed: boolean;
  #freed = false;
  readonly #contents: Contents | undefined;

  /**
   * A predefined datatype. Derived datatypes come from the `Create_*` methods.
   *
   * @param name - the MPI name without prefix, as `Get_name()` gives it (`'MPI_DOUBLE'`)
   * @param size - bytes of one element (`MPI_Type_size`)
   * @param kind - how elements combine in reductions
   * @param code - stable number of the datatype, shared with the native transport
   * @param arrayType - the typed array class whose elements are this type, if any
   */
  constructor(name: string, size: number, kind: ElementKind, code: number, arrayType: TypedArrayConstructor | undefined,
    derived?: { typemap: Typemap<Datatype>; contents: Contents }) {
    this.#name = name;
    this.code = code;
    this.#contents = derived?.contents;
    this.#committed = derived === undefined || F90_COMBINERS.has(derived.contents.combiner);
    this.size = derived === undefined ? size : derived.typemap.size;
    this.typemap = derived?.typemap ?? Typemap.basic<Datatype>(this);
    const basic = this.typemap.basic;
    this.kind = derived === undefined ? kind : basic?.kind ?? 'byte';
    this.arrayType = derived === undefined ? arrayType : basic?.arrayType;
    Object.freeze(this);
  }

  /** The MPI name (`'MPI_DOUBLE'`), or the one given by {@link Set_name}; '' for an unnamed derived type. */
  get name(): string {
    return this.#name;
  }

  /** `MPI_Type_size` (MPI-4.1 §5.1.5): bytes of data in one element. */
  Get_size(): number {
    return this.size;
  }

  /** `MPI_Type_get_extent` (MPI-4.1 §5.1.7): `[lower bound, extent]`. */
  Get_extent(): [number, number] {
    return [this.typemap.lb, this.typemap.extent];
  }

  /** `MPI_Type_get_true_extent` (MPI-4.1 §5.1.8): `[true lower bound, true extent]` of the data itself. */
  Get_true_extent(): [number, number] {
    return [this.typemap.trueLb, this.typemap.trueExtent];
  }

  /** `MPI_Type_get_name` (MPI-4.1 §7.8). */
  Get_name(): string {
    return this.#name;
  }

  /**
   * `MPI_Type_set_name` (MPI-4.1 §7.8).
   *
   * @example
   * ```ts
   * const pair = MPI.INT.Create_contiguous(2); pair.Set_name('pair'); pair.name; // 'pair'
   * ```
   */
  Set_name(name: string): void {
    if (this.is_predefined) throw errors.type('Datatype.Set_name', `the predefined ${this.#name} cannot be renamed`);
    this.#name = String(name);
  }

  /** Extent (`ub - lb`): the stride between elements of a buffer (MPI-4.1 §5.1.6). */
  get extent(): number {
    return this.typemap.extent;
  }

  /** Lower bound (MPI-4.1 §5.1.6). */
  get lb(): number {
    return this.typemap.lb;
  }

  /** Upper bound (MPI-4.1 §5.1.6). */
  get ub(): number {
    return this.typemap.ub;
  }

  /** True lower bound: the offset of the first byte of data (MPI-4.1 §5.1.8). */
  get true_lb(): number {
    return this.typemap.trueLb;
  }

  /** True upper bound: past the last byte of data (MPI-4.1 §5.1.8). */
  get true_ub(): number {
    return this.typemap.trueUb;
  }

  /** `true_ub - true_lb` (MPI-4.1 §5.1.8). */
  get true_extent(): number {
    return this.typemap.trueExtent;
  }

  /** The constructor that made this datatype, an `MPI.COMBINER_*` value (MPI-4.1 §5.1.13). */
  get combiner(): number {
    return this.#contents?.combiner ?? combiners.COMBINER_NAMED;
  }

  /** True for a predefined datatype. */
  get is_named(): boolean {
    return this.#contents === undefined;
  }

  /** True for a predefined datatype: a named one, or a Fortran type of `Create_f90_*`. */
  get is_predefined(): boolean {
    return this.#contents === undefined || F90_COMBINERS.has(this.#contents.combiner);
  }

  /** True once committed (predefined ones always are). */
  get committed(): boolean {
    return this.#committed;
  }

  /** True after {@link Free}. */
  get freed(): boolean {
    return this.#freed;
  }

  /**
   * `MPI_Type_get_envelope` (MPI-4.1 §5.1.13): `[num_integers,
   * num_addresses, num_datatypes, combiner]`.
   *
   * @example
   * ```ts
   * MPI.DOUBLE.Create_vector(3, 1, 4).Get_envelope(); // [3, 0, 1, MPI.COMBINER_VECTOR]
   * ```
   */
  Get_envelope(): [number, number, number, number] {
    const c = this.#contents;
    if (c === undefined) return [0, 0, 0, combiners.COMBINER_NAMED];
    return [c.integers.length, c.addresses.length, c.datatypes.length, c.combiner];
  }

  /** mpi4py's property spelling of {@link Get_envelope}. */
  get envelope(): [number, number, number, number] {
    return this.Get_envelope();
  }

  /**
   * `MPI_Type_get_contents` (MPI-4.1 §5.1.13): the integers, addresses and
   * datatypes this datatype was made from. A predefined type has none
   * (`ERR_TYPE`, as calling it on a named type is erroneous in MPI).
   *
   * @example
   * ```ts
   * MPI.DOUBLE.Create_vector(3, 1, 4).Get_contents(); // [[3, 1, 4], [], [MPI.DOUBLE]]
   * ```
   */
  Get_contents(): [number[], number[], Datatype[]] {
    const c = this.#contents;
    if (c === undefined) throw errors.type('Datatype.Get_contents', `the predefined ${this.#name} has no contents`);
    return [[...c.integers], [...c.addresses], [...c.datatypes]];
  }

  /** mpi4py's property spelling of {@link Get_contents}. */
  get contents(): [number[], number[], Datatype[]] {
    return this.Get_contents();
  }

  /**
   * mpi4py's `decode()`: `[base datatype, combiner name, parameters]`, the
   * parameters named as the constructor's arguments; a predefined type gives
   * `[itself, 'NAMED', {}]`, a struct `[itself, 'STRUCT', {blocklengths,
   * displacements, datatypes}]`.
   *
   * @example
   * ```ts
   * const [base, name, params] = MPI.DOUBLE.Create_vector(3, 1, 4).decode();
   * // base === MPI.DOUBLE, name === 'VECTOR', params: { count: 3, blocklength: 1, stride: 4 }
   * ```
   */
  decode(): [Datatype, string, DecodedParams] {
    const c = this.#contents;
    if (c === undefined) return [this, 'NAMED', {}];
    const ints = c.integers;
    const name = COMBINER_NAMES[c.combiner]!;
    const base = c.datatypes[0]!;
    switch (c.combiner) {
      case combiners.COMBINER_F90_INTEGER: return [this, name, { r: ints[0]! }];
      case combiners.COMBINER_F90_REAL:
      case combiners.COMBINER_F90_COMPLEX: return [this, name, { p: ints[0]!, r: ints[1]! }];
      case combiners.COMBINER_DUP: return [base, name, {}];
      case combiners.COMBINER_CONTIGUOUS: return [base, name, { count: ints[0]! }];
      case combiners.COMBINER_VECTOR: return [base, name, { count: ints[0]!, blocklength: ints[1]!, stride: ints[2]! }];
      case combiners.COMBINER_HVECTOR: return [base, name, { count: ints[0]!, blocklength: ints[1]!, stride: c.addresses[0]! }];
      case combiners.COMBINER_INDEXED: {
        const n = ints[0]!;
        return [base, name, { blocklengths: ints.slice(1, 1 + n), displacements: ints.slice(1 + n, 1 + 2 * n) }];
      }
      case combiners.COMBINER_HINDEXED: return [base, name, { blocklengths: ints.slice(1), displacements: [...c.addresses] }];
      case combiners.COMBINER_INDEXED_BLOCK: return [base, name, { blocklength: ints[1]!, displacements: ints.slice(2) }];
      case combiners.COMBINER_HINDEXED_BLOCK: return [base, name, { blocklength: ints[1]!, displacements: [...c.addresses] }];
      case combiners.COMBINER_STRUCT:
        return [this, name, { blocklengths: ints.slice(1), displacements: [...c.addresses], datatypes: [...c.datatypes] }];
      case combiners.COMBINER_SUBARRAY: {
        const n = ints[0]!;
        return [base, name, { sizes: ints.slice(1, 1 + n), subsizes: ints.slice(1 + n, 1 + 2 * n),
          starts: ints.slice(1 + 2 * n, 1 + 3 * n), order: ints[1 + 3 * n]! }];
      }
      case combiners.COMBINER_DARRAY: {
        const n = ints[2]!;
        const at = (k: number): number[] => ints.slice(3 + k * n, 3 + (k + 1) * n);
        return [base, name, { size: ints[0]!, rank: ints[1]!, gsizes: at(0), distribs: at(1), dargs: at(2), psizes: at(3),
          order: ints[3 + 4 * n]! }];
      }
      default: return [base, name, { lb: c.addresses[0]!, extent: c.addresses[1]! }];
    }
  }

  // ------------------------------------------------------------ attributes

  /**
   * `MPI_Type_create_keyval` (MPI-4.1 §7.7.4): a key for {@link Set_attr}.
   * `copy_fn` gives the value for a `Dup` (undefined: not copied; `true`:
   * the same value), `delete_fn` runs when the value goes.
   *
   * @example
   * ```ts
   * const key = MPI.Datatype.Create_keyval(true);
   * const t = MPI.DOUBLE.Create_contiguous(3).Commit();
   * t.Set_attr(key, 'xyz'); t.Dup().Get_attr(key); // 'xyz'
   * ```
   */
  static Create_keyval(copy_fn?: AttributeCopy<Datatype> | true | null, delete_fn?: AttributeDelete<Datatype> | null): number {
    return attributes.createKeyval(copy_fn, delete_fn);
  }

  /** `MPI_Type_free_keyval` (MPI-4.1 §7.7.4): returns `MPI.KEYVAL_INVALID`. */
  static Free_keyval(keyval: number): number {
    return attributes.freeKeyval(keyval);
  }

  /** `MPI_Type_set_attr` (MPI-4.1 §7.7.4): a replaced value goes through the delete callback first. */
  Set_attr(keyval: number, attrval: unknown): void {
    this.checkLive('Datatype.Set_attr');
    attributes.set(this, keyval, attrval);
  }

  /** `MPI_Type_get_attr` (MPI-4.1 §7.7.4): the value, or undefined when it is not set (mpi4py's None). */
  Get_attr(keyval: number): unknown {
    this.checkLive('Datatype.Get_attr');
    return attributes.get(this, keyval);
  }

  /** `MPI_Type_delete_attr` (MPI-4.1 §7.7.4): runs the delete callback; `ERR_KEYVAL` when it is not set. */
  Delete_attr(keyval: number): void {
    this.checkLive('Datatype.Delete_attr');
    attributes.delete(this, keyval);
  }

  // ------------------------------------------------------------ Fortran types

  /**
   * `MPI_Type_match_size` (MPI-4.1 §19.2.5): the predefined Fortran type of
   * `typeclass` (`MPI.TYPECLASS_INTEGER`, `_REAL`, `_COMPLEX`) whose elements
   * are `size` bytes.
   *
   * @example
   * ```ts
   * MPI.Datatype.Match_size(MPI.TYPECLASS_INTEGER, 8) === MPI.INTEGER8; // true
   * ```
   */
  static Match_size(typeclass: number, size: number): Datatype {
    const call = 'Datatype.Match_size';
    const family = fortranFamily(typeclass, call);
    const found = family.find((t) => t.size === size);
    if (found === undefined) {
      throw errors.arg(call, `no ${typeclassNames[typeclass]} type of ${String(size)} bytes; there are ${family.map((t) => t.size).join(', ')}`);
    }
    return found;
  }

  /**
   * `MPI_Type_create_f90_integer` (MPI-4.1 §19.2.5): the smallest Fortran
   * integer type that holds every integer below `10 ** r` in magnitude.
   *
   * @example
   * ```ts
   * MPI.Datatype.Create_f90_integer(9).size; // 4
   * ```
   */
  static Create_f90_integer(r: number): Datatype {
    const call = 'Datatype.Create_f90_integer';
    checkInteger(r, call, 'range r');
    const base = fortranFamily(typeclasses.TYPECLASS_INTEGER, call).find((t) => r <= INTEGER_RANGE[t.size]!);
    if (base === undefined) throw errors.arg(call, `no integer type has a decimal range of ${r} digits (at most 18)`);
    return fortranType(base, combiners.COMBINER_F90_INTEGER, [r]);
  }

  /**
   * `MPI_Type_create_f90_real` (MPI-4.1 §19.2.5): the smallest real type with
   * at least `p` decimal digits of precision and a decimal exponent range of
   * at least `r`; `MPI.UNDEFINED` leaves either free.
   *
   * @example
   * ```ts
   * MPI.Datatype.Create_f90_real(15, 300) === MPI.DOUBLE_PRECISION; // false: a new handle of 8 bytes
   * ```
   */
  static Create_f90_real(p: number, r: number): Datatype {
    return fortranReal(p, r, typeclasses.TYPECLASS_REAL, combiners.COMBINER_F90_REAL, 'Datatype.Create_f90_real');
  }

  /**
   * `MPI_Type_create_f90_complex` (MPI-4.1 §19.2.5): the complex type whose
   * parts are `Create_f90_real(p, r)`.
   *
   * @example
   * ```ts
   * MPI.Datatype.Create_f90_complex(6, 30).size; // 8
   * ```
   */
  static Create_f90_complex(p: number, r: number): Datatype {
    return fortranReal(p, r, typeclasses.TYPECLASS_COMPLEX, combiners.COMBINER_F90_COMPLEX, 'Datatype.Create_f90_complex');
  }

  // ------------------------------------------------------------ constructors

  /**
   * `MPI_Type_dup` (MPI-4.1 §5.1.10): a new datatype with the same typemap,
   * committed if this one is.
   *
   * @example
   * ```ts
   * const copy = MPI.INT.Dup(); copy.combiner === MPI.COMBINER_DUP; // true
   * ```
   */
  Dup(): Datatype {
    const call = 'Datatype.Dup';
    this.checkLive(call);
    const made = derive(this.typemap, combiners.COMBINER_DUP, [], [], [this]);
    if (this.#committed) made.#committed = true;
    attributes.copyAll(this, made);
    return made;
  }

  /** mpi4py's alias of {@link Dup}. */
  Create_dup(): Datatype {
    return this.Dup();
  }

  /**
   * `MPI_Type_contiguous` (MPI-4.1 §5.1.2): `count` elements of this type in a row.
   *
   * @example
   * ```ts
   * MPI.INT.Create_contiguous(3).Commit().size; // 12
   * ```
   */
  Create_contiguous(count: number): Datatype {
    const call = 'Datatype.Create_contiguous';
    this.checkLive(call);
    checkCount(count, call, 'count');
    return derive(replicate([{ disp: 0, count, type: this.typemap }]), combiners.COMBINER_CONTIGUOUS, [count], [], [this]);
  }

  /**
   * `MPI_Type_vector` (MPI-4.1 §5.1.2): `count` blocks of `blocklength`
   * elements, block starts `stride` elements apart.
   *
   * @example
   * ```ts
   * const n = 4;
   * const column = MPI.DOUBLE.Create_vector(n, 1, n).Commit(); // a column of an n x n row-major matrix
   * ```
   */
  Create_vector(count: number, blocklength: number, stride: number): Datatype {
    const call = 'Datatype.Create_vector';
    this.checkLive(call);
    checkCount(count, call, 'count');
    checkCount(blocklength, call, 'blocklength');
    checkInteger(stride, call, 'stride');
    const extent = this.typemap.extent;
    return derive(vectorMap(count, blocklength, stride * extent, this.typemap), combiners.COMBINER_VECTOR,
      [count, blocklength, stride], [], [this]);
  }

  /**
   * `MPI_Type_create_hvector` (MPI-4.1 §5.1.2): {@link Create_vector} with the stride in bytes.
   *
   * @example
   * ```ts
   * MPI.INT.Create_hvector(2, 1, 16).Commit().extent; // 20
   * ```
   */
  Create_hvector(count: number, blocklength: number, stride: number): Datatype {
    const call = 'Datatype.Create_hvector';
    this.checkLive(call);
    checkCount(count, call, 'count');
    checkCount(blocklength, call, 'blocklength');
    checkInteger(stride, call, 'stride');
    return derive(vectorMap(count, blocklength, stride, this.typemap), combiners.COMBINER_HVECTOR,
      [count, blocklength], [stride], [this]);
  }

  /**
   * `MPI_Type_indexed` (MPI-4.1 §5.1.2): blocks of `blocklengths[i]`
   * elements at `displacements[i]` elements.
   *
   * @example
   * ```ts
   * MPI.INT.Create_indexed([3, 1], [4, 0]).Commit().size; // 16
   * ```
   */
  Create_indexed(blocklengths: readonly number[], displacements: readonly number[]): Datatype {
    const call = 'Datatype.Create_indexed';
    this.checkLive(call);
    const [lengths, displs] = checkBlocks(blocklengths, displacements, call);
    const extent = this.typemap.extent;
    const map = replicate(lengths.map((count, i) => ({ disp: displs[i]! * extent, count, type: this.typemap })));
    return derive(map, combiners.COMBINER_INDEXED, [lengths.length, ...lengths, ...displs], [], [this]);
  }

  /**
   * `MPI_Type_create_hindexed` (MPI-4.1 §5.1.2): {@link Create_indexed} with displacements in bytes.
   *
   * @example
   * ```ts
   * MPI.INT.Create_hindexed([1, 1], [0, 12]).Commit().extent; // 16
   * ```
   */
  Create_hindexed(blocklengths: readonly number[], displacements: readonly number[]): Datatype {
    const call = 'Datatype.Create_hindexed';
    this.checkLive(call);
    const [lengths, displs] = checkBlocks(blocklengths, displacements, call);
    const map = replicate(lengths.map((count, i) => ({ disp: displs[i]!, count, type: this.typemap })));
    return derive(map, combiners.COMBINER_HINDEXED, [lengths.length, ...lengths], displs, [this]);
  }

  /**
   * `MPI_Type_create_indexed_block` (MPI-4.1 §5.1.2): blocks of one length at displacements in elements.
   *
   * @example
   * ```ts
   * MPI.INT.Create_indexed_block(2, [0, 5]).Commit().size; // 16
   * ```
   */
  Create_indexed_block(blocklength: number, displacements: readonly number[]): Datatype {
    const call = 'Datatype.Create_indexed_block';
    this.checkLive(call);
    checkCount(blocklength, call, 'blocklength');
    const displs = checkList(displacements, call, 'displacements', false);
    const extent = this.typemap.extent;
    const map = replicate(displs.map((d) => ({ disp: d * extent, count: blocklength, type: this.typemap })));
    return derive(map, combiners.COMBINER_INDEXED_BLOCK, [displs.length, blocklength, ...displs], [], [this]);
  }

  /**
   * `MPI_Type_create_hindexed_block` (MPI-4.1 §5.1.2): blocks of one length at displacements in bytes.
   *
   * @example
   * ```ts
   * MPI.INT.Create_hindexed_block(1, [0, 8]).Commit().extent; // 12
   * ```
   */
  Create_hindexed_block(blocklength: number, displacements: readonly number[]): Datatype {
    const call = 'Datatype.Create_hindexed_block';
    this.checkLive(call);
    checkCount(blocklength, call, 'blocklength');
    const displs = checkList(displacements, call, 'displacements', false);
    const map = replicate(displs.map((d) => ({ disp: d, count: blocklength, type: this.typemap })));
    return derive(map, combiners.COMBINER_HINDEXED_BLOCK, [displs.length, blocklength], displs, [this]);
  }

  /**
   * `MPI_Type_create_struct` (MPI-4.1 §5.1.2): blocks of `blocklengths[i]`
   * elements of `datatypes[i]` at byte `displacements[i]`. No padding is
   * added to the extent; give the C struct's size with `Create_resized`.
   *
   * @example
   * ```ts
   * // struct { double x; int n; } (16 bytes in C)
   * const s = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.INT]).Create_resized(0, 16).Commit();
   * ```
   */
  static Create_struct(blocklengths: readonly number[], displacements: readonly number[],
    datatypes: readonly Datatype[]): Datatype {
    const call = 'Datatype.Create_struct';
    const [lengths, displs] = checkBlocks(blocklengths, displacements, call);
    if (!Array.isArray(datatypes) || datatypes.length !== lengths.length) {
      throw errors.arg(call, `expected ${lengths.length} datatypes, got ${Array.isArray(datatypes) ? datatypes.length : String(datatypes)}`);
    }
    for (const t of datatypes) {
      if (!(t instanceof Datatype)) throw errors.type(call, `${String(t)} is not a datatype`);
      t.checkLive(call);
    }
    const map = replicate<Datatype>(lengths.map((count, i) => ({ disp: displs[i]!, count, type: datatypes[i]!.typemap })));
    return derive(map, combiners.COMBINER_STRUCT, [lengths.length, ...lengths], displs, [...datatypes]);
  }

  /**
   * `MPI_Type_create_subarray` (MPI-4.1 §5.1.3): the block `subsizes` at
   * `starts` of an array of `sizes` elements in C (row-major) or Fortran
   * order; its extent is the whole array's.
   *
   * @example
   * ```ts
   * // the 2 x 2 block at row 1, column 1 of a 4 x 4 array
   * const block = MPI.DOUBLE.Create_subarray([4, 4], [2, 2], [1, 1]).Commit();
   * block.extent; // 128
   * ```
   */
  Create_subarray(sizes: readonly number[], subsizes: readonly number[], starts: readonly number[],
    order: number = ORDER_C): Datatype {
    const call = 'Datatype.Create_subarray';
    this.checkLive(call);
    const n = checkList(sizes, call, 'sizes', true).length;
    if (n === 0) throw errors.arg(call, 'sizes must name at least one dimension');
    const sub = checkList(subsizes, call, 'subsizes', true);
    const at = checkList(starts, call, 'starts', true);
    if (sub.length !== n || at.length !== n) {
      throw errors.arg(call, `sizes, subsizes and starts must have one entry per dimension (${n}), got ${sub.length} and ${at.length}`);
    }
    checkOrder(order, call);
    const indices: number[][] = [];
    for (let d = 0; d < n; d++) {
      if (sizes[d]! < 1 || sub[d]! < 1 || at[d]! + sub[d]! > sizes[d]!) {
        throw errors.arg(call, `dimension ${d}: a block of ${sub[d]} from ${at[d]} does not fit in ${sizes[d]} elements`);
      }
      indices.push(Array.from({ length: sub[d]! }, (_, k) => at[d]! + k));
    }
    return derive(gridMap(this.typemap, [...sizes], indices, order), combiners.COMBINER_SUBARRAY,
      [n, ...sizes, ...sub, ...at, order], [], [this]);
  }

  /**
   * `MPI_Type_create_darray` (MPI-4.1 §5.1.4): the part of a global array of
   * `gsizes` that rank `rank` of a row-major grid of `psizes` processes owns,
   * each dimension distributed by `MPI.DISTRIBUTE_BLOCK`,
   * `MPI.DISTRIBUTE_CYCLIC` (blocks of `dargs[i]`, `MPI.DISTRIBUTE_DFLT_DARG`
   * for the default) or `MPI.DISTRIBUTE_NONE`.
   *
   * @example
   * ```ts
   * // rank 1 of 2 owns the second half of each row of a 4 x 4 array
   * const mine = MPI.INT.Create_darray(2, 1, [4, 4], [MPI.DISTRIBUTE_NONE, MPI.DISTRIBUTE_BLOCK],
   *   [MPI.DISTRIBUTE_DFLT_DARG, MPI.DISTRIBUTE_DFLT_DARG], [1, 2]).Commit();
   * mine.size; // 32
   * ```
   */
  Create_darray(size: number, rank: number, gsizes: readonly number[], distribs: readonly number[],
    dargs: readonly number[], psizes: readonly number[], order: number = ORDER_C): Datatype {
    const call = 'Datatype.Create_darray';
    this.checkLive(call);
    if (!Number.isInteger(size) || size < 1) throw errors.arg(call, `invalid size ${String(size)}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw errors.arg(call, `invalid rank ${String(rank)} of ${size}`);
    const g = checkList(gsizes, call, 'gsizes', true);
    const n = g.length;
    const dist = checkList(distribs, call, 'distribs', false);
    const darg = checkList(dargs, call, 'dargs', false);
    const p = checkList(psizes, call, 'psizes', true);
    if (n === 0 || dist.length !== n || darg.length !== n || p.length !== n) {
      throw errors.arg(call, `gsizes, distribs, dargs and psizes must have one entry per dimension (${n})`);
    }
    if (p.reduce((a, b) => a * b, 1) !== size) throw errors.arg(call, `psizes [${p.join(', ')}] do not multiply to ${size}`);
    checkOrder(order, call);
    // Grid coordinates of `rank`, row-major whatever the array order (MPI-4.1 §5.1.4).
    const coords = new Array<number>(n);
    for (let d = n - 1, r = rank; d >= 0; d--) {
      coords[d] = r % p[d]!;
      r = Math.floor(r / p[d]!);
    }
    const indices = g.map((gsize, d) => darrayIndices(gsize, dist[d]!, darg[d]!, p[d]!, coords[d]!, call, d));
    return derive(gridMap(this.typemap, g, indices, order), combiners.COMBINER_DARRAY,
      [size, rank, n, ...g, ...dist, ...darg, ...p, order], [], [this]);
  }

  /**
   * `MPI_Type_create_resized` (MPI-4.1 §5.1.7): the same data with lower
   * bound `lb` and extent `extent`.
   *
   * @example
   * ```ts
   * MPI.INT.Create_resized(0, 8).Commit().extent; // 8
   * ```
   */
  Create_resized(lb: number, extent: number): Datatype {
    const call = 'Datatype.Create_resized';
    this.checkLive(call);
    checkInteger(lb, call, 'lb');
    checkInteger(extent, call, 'extent');
    return derive(resized(this.typemap, lb, extent), combiners.COMBINER_RESIZED, [], [lb, extent], [this]);
  }

  /** mpi4py's alias of {@link Create_resized}. */
  Resized(lb: number, extent: number): Datatype {
    return this.Create_resized(lb, extent);
  }

  /**
   * `MPI_Type_commit` (MPI-4.1 §5.1.9): makes the datatype usable in
   * communication; returns it, as mpi4py does.
   *
   * @example
   * ```ts
   * const row = MPI.DOUBLE.Create_contiguous(8).Commit();
   * ```
   */
  Commit(): this {
    this.checkLive('Datatype.Commit');
    this.#committed = true;
    return this;
  }

  /**
   * `MPI_Type_free` (MPI-4.1 §5.1.9). Types made from this one stay usable.
   * Freeing a predefined type is `ERR_TYPE`.
   *
   * @example
   * ```ts
   * const t = MPI.INT.Create_contiguous(2).Commit(); t.Free();
   * ```
   */
  Free(): void {
    if (this.is_predefined) throw errors.type('Datatype.Free', `the predefined ${this.#name} cannot be freed`);
    this.checkLive('Datatype.Free');
    attributes.deleteAll(this);
    this.#freed = true;
    this.#committed = false;
  }

  // ------------------------------------------------------------ packing

  /**
   * `MPI_Pack_size` (MPI-4.1 §5.2): bytes that `Pack` of `count` elements needs.
   *
   * @example
   * ```ts
   * MPI.DOUBLE.Create_vector(3, 1, 4).Commit().Pack_size(2, MPI.COMM_WORLD); // 48
   * ```
   */
  Pack_size(count: number, _comm?: unknown): number {
    checkCount(count, 'Datatype.Pack_size', 'count');
    return count * this.size;
  }

  /**
   * `MPI_Pack` (MPI-4.1 §5.2): packs the elements of `inbuf` (as many whole
   * elements of this type as it holds, or `[buf, count]`) into `outbuf` at
   * byte `position`; returns the position after them.
   *
   * @example
   * ```ts
   * const column = MPI.DOUBLE.Create_vector(2, 1, 2).Commit();
   * const packed = new Uint8Array(16);
   * column.Pack(Float64Array.of(1, 2, 3, 4), packed, 0, MPI.COMM_WORLD); // 16; packed holds 1 and 3
   * ```
   */
  Pack(inbuf: Buffer | readonly [Buffer, number], outbuf: Buffer, position: number, _comm?: unknown): number {
    const call = 'Datatype.Pack';
    const [user, count] = this.userBuffer(inbuf, call);
    const out = packedView(outbuf, position, count * this.size, call);
    return pack(this.typemap, count, user, 0, out, position);
  }

  /**
   * `MPI_Unpack` (MPI-4.1 §5.2): unpacks from `inbuf` at byte `position` into
   * the elements of `outbuf`; returns the position after them.
   *
   * @example
   * ```ts
   * const column = MPI.DOUBLE.Create_vector(2, 1, 2).Commit();
   * const matrix = new Float64Array(4);
   * column.Unpack(new Uint8Array(Float64Array.of(7, 9).buffer), 0, matrix, MPI.COMM_WORLD); // matrix: 7, 0, 9, 0
   * ```
   */
  Unpack(inbuf: Buffer, position: number, outbuf: Buffer | readonly [Buffer, number], _comm?: unknown): number {
    const call = 'Datatype.Unpack';
    const [user, count] = this.userBuffer(outbuf, call);
    const bytes = count * this.size;
    return unpack(this.typemap, user, 0, packedView(inbuf, position, bytes, call), position, bytes);
  }

  /**
   * `MPI_Pack_external_size` (MPI-4.1 §5.2.2): bytes of `count` elements in
   * `datarep` ("external32" only).
   *
   * @example
   * ```ts
   * MPI.INT.Pack_external_size('external32', 3); // 12
   * ```
   */
  Pack_external_size(datarep: string, count: number): number {
    const call = 'Datatype.Pack_external_size';
    this.checkExternal(datarep, call);
    checkCount(count, call, 'count');
    return count * this.size;
  }

  /**
   * `MPI_Pack_external` (MPI-4.1 §5.2.2): {@link Pack} in the portable
   * "external32" representation (big-endian); returns the new position.
   *
   * @example
   * ```ts
   * const out = new Uint8Array(4);
   * MPI.INT.Pack_external('external32', Int32Array.of(1), out, 0); // out: 0, 0, 0, 1
   * ```
   */
  Pack_external(datarep: string, inbuf: Buffer | readonly [Buffer, number], outbuf: Buffer, position: number): number {
    const call = 'Datatype.Pack_external';
    this.checkExternal(datarep, call);
    const [user, count] = this.userBuffer(inbuf, call);
    const out = packedView(outbuf, position, count * this.size, call);
    const end = pack(this.typemap, count, user, 0, out, position);
    toExternal32(this.typemap, count, out, position);
    return end;
  }

  /**
   * `MPI_Unpack_external` (MPI-4.1 §5.2.2): {@link Unpack} from "external32".
   *
   * @example
   * ```ts
   * const out = new Int32Array(1);
   * MPI.INT.Unpack_external('external32', Uint8Array.of(0, 0, 1, 0), 0, out); // out[0] === 256
   * ```
   */
  Unpack_external(datarep: string, inbuf: Buffer, position: number, outbuf: Buffer | readonly [Buffer, number]): number {
    const call = 'Datatype.Unpack_external';
    this.checkExternal(datarep, call);
    const [user, count] = this.userBuffer(outbuf, call);
    const bytes = count * this.size;
    const native = packedView(inbuf, position, bytes, call).slice(position, position + bytes);
    toExternal32(this.typemap, count, native, 0);
    unpack(this.typemap, user, 0, native, 0, bytes);
    return position + bytes;
  }

  // ------------------------------------------------------------ internal

  /** Throws `ERR_TYPE` after {@link Free}. */
  checkLive(call: string): void {
    if (this.#freed) throw errors.type(call, `datatype ${this.describe()} has been freed`);
  }

  /** Throws `ERR_TYPE` unless this datatype may be used in communication (committed, not freed). */
  checkUsable(call: string): void {
    this.checkLive(call);
    if (!this.#committed) throw errors.type(call, `datatype ${this.describe()} is not committed: call Commit() first`);
  }

  /** A name for messages: the MPI name, or the combiner of an unnamed derived type. */
  describe(): string {
    return this.#name !== '' ? this.#name : `<${COMBINER_NAMES[this.combiner]} of ${this.size} bytes>`;
  }

  /**
   * Checks that `count` elements of this type, the first at byte `origin`,
   * lie within `byteLength` bytes: the first byte of data at or after byte 0,
   * the last within them. Returns the reason when they do not.
   */
  outOfBounds(count: number, byteLength: number, origin = 0): string | undefined {
    if (count === 0 || this.size === 0) return undefined;
    const map = this.typemap;
    const low = origin + map.trueLb + Math.min(0, (count - 1) * map.extent);
    const high = origin + map.trueUb + Math.max(0, (count - 1) * map.extent);
    if (low < 0) return `count ${count} of ${this.describe()} reaches ${-low} bytes before the buffer's start`;
    if (high > byteLength) return `count ${count} of ${this.describe()} reaches byte ${high} but the buffer has ${byteLength}`;
    return undefined;
  }

  /** Whole elements of this type in `byteLength` bytes from the buffer address (mpi4py: length // extent). */
  countIn(byteLength: number): number {
    const extent = this.typemap.extent;
    if (extent <= 0) return this.size === 0 ? 0 : 1;
    let count = Math.floor(byteLength / extent);
    while (count > 0 && this.outOfBounds(count, byteLength) !== undefined) count--;
    return count;
  }

  private userBuffer(spec: Buffer | readonly [Buffer, number], call: string): [Uint8Array, number] {
    this.checkUsable(call);
    const [buf, given] = Array.isArray(spec) ? spec as readonly [Buffer, number] : [spec as Buffer, undefined];
    if (!ArrayBuffer.isView(buf)) throw errors.buffer(call, `expected a typed array, got ${String(buf)}`);
    const count = given ?? this.countIn(buf.byteLength);
    checkCount(count, call, 'count');
    const why = this.outOfBounds(count, buf.byteLength);
    if (why !== undefined) throw errors.count(call, why);
    return [new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), count];
  }

  private checkExternal(datarep: string, call: string): void {
    if (datarep !== 'external32') throw errors.arg(call, `unknown data representation ${JSON.stringify(datarep)}: use 'external32'`);
    if (this.typemap.blockTypes.some((t) => t.kind === 'pair' || t.kind === 'complex')) {
      throw errors.type(call, `${this.describe()} holds a pair or complex type, which has no external32 form in mpi4ts`);
    }
  }

  toString(): string {
    return this.describe();
  }
}

/** A byte view of `buf` with `bytes` bytes from `position` checked to fit. */
function packedView(buf: Buffer, position: number, bytes: number, call: string): Uint8Array {
  if (!ArrayBuffer.isView(buf)) throw errors.buffer(call, `expected a typed array, got ${String(buf)}`);
  if (!Number.isInteger(position) || position < 0) throw errors.arg(call, `invalid position ${String(position)}`);
  if (position + bytes > buf.byteLength) {
    throw errors.count(call, `${bytes} packed bytes from position ${position} do not fit in ${buf.byteLength} bytes`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function derive(typemap: Typemap<Datatype>, combiner: number, integers: number[], addresses: number[],
  datatypes: Datatype[]): Datatype {
  return new Datatype('', 0, 'byte', 0, undefined, { typemap, contents: { combiner, integers, addresses, datatypes } });
}

/** The largest decimal range `r` (all integers below `10 ** r`) of a Fortran integer of each size. */
const INTEGER_RANGE: Readonly<Record<number, number>> = { 1: 2, 2: 4, 4: 9, 8: 18 };
/** Decimal precision and exponent range of the Fortran reals of each size (IEEE 754 single and double). */
const REAL_LIMITS: readonly { readonly size: number; readonly p: number; readonly r: number }[] = [
  { size: 4, p: 6, r: 37 }, { size: 8, p: 15, r: 307 },
];

const typeclassNames: Readonly<Record<number, string>> = {
  [typeclasses.TYPECLASS_INTEGER]: 'integer', [typeclasses.TYPECLASS_REAL]: 'real', [typeclasses.TYPECLASS_COMPLEX]: 'complex',
};

/** The Fortran types of a type class, smallest first. */
function fortranFamily(typeclass: number, call: string): readonly Datatype[] {
  switch (typeclass) {
    case typeclasses.TYPECLASS_INTEGER: return [datatypes.INTEGER1, datatypes.INTEGER2, datatypes.INTEGER4, datatypes.INTEGER8];
    case typeclasses.TYPECLASS_REAL: return [datatypes.REAL4, datatypes.REAL8];
    case typeclasses.TYPECLASS_COMPLEX: return [datatypes.COMPLEX8, datatypes.COMPLEX16];
    default: throw errors.arg(call, `invalid type class ${String(typeclass)}; use MPI.TYPECLASS_INTEGER, _REAL or _COMPLEX`);
  }
}

/** A type of `Create_f90_*`: `base`'s layout, predefined and committed, its parameters as contents. */
function fortranType(base: Datatype, combiner: number, integers: number[]): Datatype {
  return new Datatype(base.name, 0, 'byte', 0, undefined, { typemap: base.typemap, contents: { combiner, integers, addresses: [], datatypes: [] } });
}

function fortranReal(p: number, r: number, typeclass: number, combiner: number, call: string): Datatype {
  checkInteger(p, call, 'precision p');
  checkInteger(r, call, 'range r');
  const limits = REAL_LIMITS.find((l) => (p === UNDEFINED || p <= l.p) && (r === UNDEFINED || r <= l.r));
  if (limits === undefined || (p === UNDEFINED && r === UNDEFINED)) {
    throw errors.arg(call, p === UNDEFINED && r === UNDEFINED ? 'p and r cannot both be MPI.UNDEFINED'
      : `no real type has ${p} digits of precision and a decimal range of ${r} (JavaScript has 4- and 8-byte reals)`);
  }
  const base = fortranFamily(typeclass, call).find((t) => t.size === (typeclass === typeclasses.TYPECLASS_COMPLEX ? 2 : 1) * limits.size)!;
  return fortranType(base, combiner, [p, r]);
}

function checkInteger(value: unknown, call: string, what: string): void {
  if (!Number.isSafeInteger(value)) throw errors.arg(call, `invalid ${what} ${String(value)}`);
}

function checkCount(value: unknown, call: string, what: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw errors.count(call, `invalid ${what} ${String(value)}`);
}

function checkOrder(order: unknown, call: string): void {
  if (order !== ORDER_C && order !== ORDER_FORTRAN) throw errors.arg(call, `invalid order ${String(order)}: use MPI.ORDER_C or MPI.ORDER_FORTRAN`);
}

function checkList(value: unknown, call: string, what: string, nonNegative: boolean): number[] {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw errors.arg(call, `${what} must be an array of integers`);
  const list = Array.from(value as ArrayLike<number>, Number);
  for (const v of list) {
    if (!Number.isSafeInteger(v) || (nonNegative && v < 0)) throw errors.arg(call, `invalid ${what} [${list.join(', ')}]`);
  }
  return list;
}

function checkBlocks(blocklengths: unknown, displacements: unknown, call: string): [number[], number[]] {
  const lengths = checkList(blocklengths, call, 'blocklengths', false);
  for (const l of lengths) checkCount(l, call, 'blocklength');
  const displs = checkList(displacements, call, 'displacements', false);
  if (lengths.length !== displs.length) {
    throw errors.arg(call, `${lengths.length} blocklengths but ${displs.length} displacements`);
  }
  return [lengths, displs];
}

/** `count` blocks of `blocklength` elements of `old`, `strideBytes` apart. */
function vectorMap(count: number, blocklength: number, strideBytes: number, old: Typemap<Datatype>): Typemap<Datatype> {
  const pieces: Piece<Datatype>[] = [];
  for (let i = 0; i < count; i++) pieces.push({ disp: i * strideBytes, count: blocklength, type: old });
  return replicate(pieces);
}

/**
 * The elements of an array of `sizes` (C or Fortran order) whose index in
 * dimension `d` is in `indices[d]`, in memory order; lower bound 0 and the
 * whole array's extent (subarray and darray).
 */
function gridMap(old: Typemap<Datatype>, sizes: number[], indices: number[][], order: number): Typemap<Datatype> {
  const n = sizes.length;
  // Dimensions from the slowest to the fastest in memory.
  const dims = order === ORDER_C ? Array.from({ length: n }, (_, d) => d) : Array.from({ length: n }, (_, d) => n - 1 - d);
  const strides = new Array<number>(n);
  let stride = old.extent;
  for (let k = n - 1; k >= 0; k--) {
    strides[dims[k]!] = stride;
    stride *= sizes[dims[k]!]!;
  }
  const total = stride;
  // Build from the fastest dimension outward: runs of consecutive indices become one piece.
  let inner = old;
  for (let k = n - 1; k >= 0; k--) {
    const d = dims[k]!;
    const list = indices[d]!;
    const pieces: Piece<Datatype>[] = [];
    for (let i = 0; i < list.length;) {
      let j = i + 1;
      while (k === n - 1 && j < list.length && list[j] === list[j - 1]! + 1) j++;
      pieces.push({ disp: list[i]! * strides[d]!, count: j - i, type: inner });
      i = j;
    }
    inner = replicate(pieces);
  }
  return resized(inner, 0, total);
}

/** The indices along one dimension of a darray that grid coordinate `coord` owns, in increasing order. */
function darrayIndices(gsize: number, distrib: number, darg: number, psize: number, coord: number,
  call: string, d: number): number[] {
  const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
  if (distrib === DISTRIBUTE_NONE) {
    if (psize !== 1) throw errors.arg(call, `dimension ${d} is not distributed but has ${psize} processes`);
    return range(0, gsize);
  }
  if (distrib === DISTRIBUTE_BLOCK) {
    const block = darg === DISTRIBUTE_DFLT_DARG ? Math.ceil(gsize / psize) : darg;
    if (block < 1 || block * psize < gsize) {
      throw errors.arg(call, `dimension ${d}: blocks of ${block} on ${psize} processes do not cover ${gsize} elements`);
    }
    return range(coord * block, Math.min((coord + 1) * block, gsize));
  }
  if (distrib === DISTRIBUTE_CYCLIC) {
    const block = darg === DISTRIBUTE_DFLT_DARG ? 1 : darg;
    if (block < 1) throw errors.arg(call, `dimension ${d}: invalid cyclic block ${block}`);
    const out: number[] = [];
    for (let start = coord * block; start < gsize; start += psize * block) out.push(...range(start, Math.min(start + block, gsize)));
    return out;
  }
  throw errors.arg(call, `dimension ${d}: invalid distribution ${distrib}`);
}

function predefined(name: string, size: number, kind: ElementKind, arrayType?: TypedArrayConstructor): Datatype {
  return new Datatype(`MPI_${name}`, size, kind, nextCode++, arrayType);
}

/** The predefined datatypes, as `MPI.<name>`. Codes are stable: the native addon uses them. */
export const datatypes = {
  BYTE: predefined('BYTE', 1, 'byte', Uint8Array),
  PACKED: predefined('PACKED', 1, 'byte', Uint8Array),
  CHAR: predefined('CHAR', 1, 'int', Int8Array),
  SIGNED_CHAR: predefined('SIGNED_CHAR', 1, 'int', Int8Array),
  UNSIGNED_CHAR: predefined('UNSIGNED_CHAR', 1, 'uint', Uint8Array),
  SHORT: predefined('SHORT', 2, 'int', Int16Array),
  UNSIGNED_SHORT: predefined('UNSIGNED_SHORT', 2, 'uint', Uint16Array),
  INT: predefined('INT', 4, 'int', Int32Array),
  UNSIGNED: predefined('UNSIGNED', 4, 'uint', Uint32Array),
  LONG: predefined('LONG', 8, 'bigint', BigInt64Array),
  UNSIGNED_LONG: predefined('UNSIGNED_LONG', 8, 'biguint', BigUint64Array),
  LONG_LONG: predefined('LONG_LONG', 8, 'bigint', BigInt64Array),
  UNSIGNED_LONG_LONG: predefined('UNSIGNED_LONG_LONG', 8, 'biguint', BigUint64Array),
  FLOAT: predefined('FLOAT', 4, 'float', Float32Array),
  DOUBLE: predefined('DOUBLE', 8, 'float', Float64Array),
  INT8_T: predefined('INT8_T', 1, 'int', Int8Array),
  INT16_T: predefined('INT16_T', 2, 'int', Int16Array),
  INT32_T: predefined('INT32_T', 4, 'int', Int32Array),
  INT64_T: predefined('INT64_T', 8, 'bigint', BigInt64Array),
  UINT8_T: predefined('UINT8_T', 1, 'uint', Uint8Array),
  UINT16_T: predefined('UINT16_T', 2, 'uint', Uint16Array),
  UINT32_T: predefined('UINT32_T', 4, 'uint', Uint32Array),
  UINT64_T: predefined('UINT64_T', 8, 'biguint', BigUint64Array),
  C_BOOL: predefined('C_BOOL', 1, 'bool', Uint8Array),
  /** `{float, int}` pairs for MINLOC/MAXLOC, 8 bytes each (C layout). */
  FLOAT_INT: predefined('FLOAT_INT', 8, 'pair'),
  /** `{double, int}` pairs for MINLOC/MAXLOC, 16 bytes each (C layout, 4 bytes padding). */
  DOUBLE_INT: predefined('DOUBLE_INT', 16, 'pair'),
  /** `{long, int}` pairs for MINLOC/MAXLOC, 16 bytes each (C layout, 4 bytes padding). */
  LONG_INT: predefined('LONG_INT', 16, 'pair'),
  /** `{int, int}` pairs for MINLOC/MAXLOC, 8 bytes each. */
  TWOINT: predefined('2INT', 8, 'pair'),
  /** `{short, int}` pairs for MINLOC/MAXLOC, 8 bytes each (C layout, 2 bytes padding). */
  SHORT_INT: predefined('SHORT_INT', 8, 'pair'),
  WCHAR: predefined('WCHAR', 4, 'int', Int32Array),
  AINT: predefined('AINT', 8, 'bigint', BigInt64Array),
  OFFSET: predefined('OFFSET', 8, 'bigint', BigInt64Array),
  COUNT: predefined('COUNT', 8, 'bigint', BigInt64Array),
  CXX_BOOL: predefined('CXX_BOOL', 1, 'bool', Uint8Array),
  // Complex numbers: an element is a (real, imaginary) pair, two entries of a Float32Array or Float64Array.
  C_COMPLEX: predefined('C_COMPLEX', 8, 'complex'),
  C_DOUBLE_COMPLEX: predefined('C_DOUBLE_COMPLEX', 16, 'complex'),
  CXX_FLOAT_COMPLEX: predefined('CXX_FLOAT_COMPLEX', 8, 'complex'),
  CXX_DOUBLE_COMPLEX: predefined('CXX_DOUBLE_COMPLEX', 16, 'complex'),
  // Fortran (MPI-4.1 §3.2.2): LOGICAL is 4 bytes, 0 false and 1 true, as gfortran stores it.
  CHARACTER: predefined('CHARACTER', 1, 'int', Int8Array),
  LOGICAL: predefined('LOGICAL', 4, 'bool', Int32Array),
  INTEGER: predefined('INTEGER', 4, 'int', Int32Array),
  REAL: predefined('REAL', 4, 'float', Float32Array),
  DOUBLE_PRECISION: predefined('DOUBLE_PRECISION', 8, 'float', Float64Array),
  COMPLEX: predefined('COMPLEX', 8, 'complex'),
  DOUBLE_COMPLEX: predefined('DOUBLE_COMPLEX', 16, 'complex'),
  LOGICAL1: predefined('LOGICAL1', 1, 'bool', Int8Array),
  LOGICAL2: predefined('LOGICAL2', 2, 'bool', Int16Array),
  LOGICAL4: predefined('LOGICAL4', 4, 'bool', Int32Array),
  LOGICAL8: predefined('LOGICAL8', 8, 'bool', BigInt64Array),
  INTEGER1: predefined('INTEGER1', 1, 'int', Int8Array),
  INTEGER2: predefined('INTEGER2', 2, 'int', Int16Array),
  INTEGER4: predefined('INTEGER4', 4, 'int', Int32Array),
  INTEGER8: predefined('INTEGER8', 8, 'bigint', BigInt64Array),
  REAL4: predefined('REAL4', 4, 'float', Float32Array),
  REAL8: predefined('REAL8', 8, 'float', Float64Array),
  COMPLEX8: predefined('COMPLEX8', 8, 'complex'),
  COMPLEX16: predefined('COMPLEX16', 16, 'complex'),
} as const;

/**
 * mpi4py's other names of predefined datatypes: the same objects (as in
 * mpi4py, `MPI.SIGNED_INT === MPI.INT`).
 */
export const datatypeAliases = {
  SIGNED_SHORT: datatypes.SHORT,
  SIGNED_INT: datatypes.INT,
  SIGNED_LONG: datatypes.LONG,
  SIGNED_LONG_LONG: datatypes.LONG_LONG,
  UNSIGNED_INT: datatypes.UNSIGNED,
  BOOL: datatypes.C_BOOL,
  SINT8_T: datatypes.INT8_T,
  SINT16_T: datatypes.INT16_T,
  SINT32_T: datatypes.INT32_T,
  SINT64_T: datatypes.INT64_T,
  INT_INT: datatypes.TWOINT,
  C_FLOAT_COMPLEX: datatypes.C_COMPLEX,
  F_BOOL: datatypes.LOGICAL,
  F_INT: datatypes.INTEGER,
  F_FLOAT: datatypes.REAL,
  F_DOUBLE: datatypes.DOUBLE_PRECISION,
  F_COMPLEX: datatypes.COMPLEX,
  F_FLOAT_COMPLEX: datatypes.COMPLEX,
  F_DOUBLE_COMPLEX: datatypes.DOUBLE_COMPLEX,
} as const;

/**
 * `MPI.DATATYPE_NULL`: the null datatype handle. mpi4ts has no handle
 * objects to invalidate, so it is `null`, as `MPI.COMM_NULL` is.
 */
export const DATATYPE_NULL = null;

/**
 * `MPI.typedict`: the datatype each typed array class maps to, by class name
 * (mpi4py's `typedict`, keyed by NumPy type codes, is the model).
 *
 * @example
 * ```ts
 * MPI.typedict.Int32Array.Get_name(); // 'MPI_INT'
 * ```
 */
export const typedict: Readonly<Record<string, Datatype>> = Object.freeze({
  Int8Array: datatypes.SIGNED_CHAR,
  Uint8Array: datatypes.UNSIGNED_CHAR,
  Uint8ClampedArray: datatypes.UNSIGNED_CHAR,
  Int16Array: datatypes.SHORT,
  Uint16Array: datatypes.UNSIGNED_SHORT,
  Int32Array: datatypes.INT,
  Uint32Array: datatypes.UNSIGNED,
  Float32Array: datatypes.FLOAT,
  Float64Array: datatypes.DOUBLE,
  BigInt64Array: datatypes.INT64_T,
  BigUint64Array: datatypes.UINT64_T,
});
