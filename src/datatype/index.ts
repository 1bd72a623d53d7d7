/**
 * Datatypes: the class and the predefined types (`datatype.ts`), their
 * flattened layouts (`typemap.ts`) and packing (`pack.ts`).
 *
 * MPI-4.1 §3.2.2, §5.1, §5.2 (see the modules).
 *
 * Unfinished: see `datatype.ts`.
 *
 * @module
 */

export {
  arrayConstants, combiners, DATATYPE_NULL, Datatype, datatypeAliases, datatypes, type DecodedParams, type ElementKind, type TypedArray,
  type TypedArrayConstructor, typeclasses, typedict,
} from './datatype.js';
export { pack, toExternal32, unpack } from './pack.js';
export { type BasicType, type Piece, replicate, resized, Typemap } from './typemap.js';
