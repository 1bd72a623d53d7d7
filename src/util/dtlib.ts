/**
 * `mpi4ts/util/dtlib`: the datatype of a typed array and the typed array of
 * a datatype, as `mpi4py.util.dtlib` (`from_numpy_dtype`, `to_numpy_dtype`)
 * does for NumPy dtypes.
 *
 * MPI-4.1 §3.2.2 (the predefined datatypes and the language types they
 * match), §5.1 (derived datatypes, whose elements' basic type is their
 * typed array's).
 *
 * Unfinished: no typed array stands for a struct of mixed basic types or
 * for the pair types (`MPI.DOUBLE_INT`, ...): mpi4py makes NumPy structured
 * dtypes of those, which typed arrays have no counterpart of.
 *
 * @module
 */

import { Datatype, type TypedArray, type TypedArrayConstructor, typedict } from '../datatype/index.js';
import { errors } from '../errors.js';

/**
 * The predefined datatype of a typed array or typed array class
 * (`from_numpy_dtype`): `MPI.DOUBLE` for `Float64Array`, `MPI.INT64_T` for
 * `BigInt64Array`; a Node `Buffer` is a `Uint8Array`.
 *
 * @example
 * ```ts
 * import { fromTypedArray } from 'mpi4ts/util/dtlib';
 * fromTypedArray(Float64Array) === MPI.DOUBLE;       // true
 * fromTypedArray(new Int32Array(4)) === MPI.INT;     // true
 * ```
 */
export function fromTypedArray(arrayOrClass: TypedArray | TypedArrayConstructor): Datatype {
  let proto: unknown = typeof arrayOrClass === 'function' ? arrayOrClass.prototype : Object.getPrototypeOf(arrayOrClass);
  while (proto !== null && proto !== undefined) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name;
    const found = name === undefined ? undefined : typedict[name];
    if (found !== undefined) return found;
    proto = Object.getPrototypeOf(proto);
  }
  throw errors.type('dtlib.fromTypedArray', `${String((arrayOrClass as { name?: string }).name ?? arrayOrClass)} is not a typed array (class)`);
}

/**
 * The typed array class whose elements are `datatype`'s (`to_numpy_dtype`):
 * for a derived datatype made of one basic type, that type's class (a
 * column of doubles gives `Float64Array`). `ERR_TYPE` for the pair types and
 * for structs of mixed basic types.
 *
 * @example
 * ```ts
 * import { toTypedArray } from 'mpi4ts/util/dtlib';
 * toTypedArray(MPI.FLOAT) === Float32Array;                        // true
 * toTypedArray(MPI.INT.Create_vector(2, 1, 3)) === Int32Array;    // true
 * ```
 */
export function toTypedArray(datatype: Datatype): TypedArrayConstructor {
  const call = 'dtlib.toTypedArray';
  if (!(datatype instanceof Datatype)) throw errors.type(call, `${String(datatype)} is not a datatype`);
  const arrayType = datatype.arrayType;
  if (arrayType === undefined || datatype.kind === 'pair') {
    throw errors.type(call, `${datatype.describe()} has no typed array: it is a pair or complex type, or mixes basic types`);
  }
  return arrayType;
}
