/**
 * Datatypes: the predefined MPI datatypes and how typed arrays map to them.
 *
 * MPI-4.1 §3.2.2 (message data, predefined datatypes), §5.1 (datatype size
 * and extent), §6.9.4 (the pair types of MINLOC and MAXLOC).
 *
 * Unfinished: derived datatypes (`Create_contiguous`, `Create_vector`,
 * `Create_struct`, ...); a buffer is always a contiguous run of elements.
 *
 * @module
 */

/** How the elements of a datatype combine in a reduction. */
export type ElementKind = 'int' | 'uint' | 'float' | 'bigint' | 'biguint' | 'bool' | 'byte' | 'pair';

/** A typed array class, such as `Float64Array`. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** A typed array: what a buffer method sends or receives. */
export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/**
 * An MPI datatype (MPI-4.1 §3.2.2): the type of each element of a buffer.
 *
 * @example
 * ```ts
 * MPI.DOUBLE.Get_size();                 // 8
 * MPI.typedict.Float64Array === MPI.DOUBLE // true
 * await comm.Send([buf, 30, MPI.DOUBLE], 1);
 * ```
 */
export class Datatype {
  /**
   * @param name - the MPI name without prefix, as `Get_name()` gives it (`'MPI_DOUBLE'`)
   * @param size - bytes of one element (`MPI_Type_size`)
   * @param kind - how elements combine in reductions
   * @param code - stable number of the datatype, shared with the native transport
   * @param arrayType - the typed array class whose elements are this type, if any
   */
  constructor(
    readonly name: string,
    readonly size: number,
    readonly kind: ElementKind,
    readonly code: number,
    readonly arrayType: TypedArrayConstructor | undefined,
  ) {
    Object.freeze(this);
  }

  /** `MPI_Type_size` (MPI-4.1 §5.1.5): bytes of one element. */
  Get_size(): number {
    return this.size;
  }

  /** `MPI_Type_get_extent` (MPI-4.1 §5.1.7): `[lower bound, extent]`. */
  Get_extent(): [number, number] {
    return [0, this.size];
  }

  /** `MPI_Type_get_name` (MPI-4.1 §7.8). */
  Get_name(): string {
    return this.name;
  }

  /** mpi4py's property spelling of {@link Get_size}. */
  get extent(): number {
    return this.size;
  }

  toString(): string {
    return this.name;
  }
}

let nextCode = 1;
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
} as const;

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
