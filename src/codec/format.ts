/**
 * The wire format of the object codec (the "pickle" of mpi4ts): tag bytes,
 * kind codes and the layout each tag is followed by.
 *
 * A message is a 3-byte header (`MAGIC0 MAGIC1 VERSION`) and exactly one
 * value; nothing may follow it. A value is one tag byte and its payload:
 *
 * | tag                  | payload                                                          |
 * |----------------------|------------------------------------------------------------------|
 * | `0x80..0xFF`         | none: the integer `tag - 0x80` (0..127)                          |
 * | `UNDEFINED` ... `TRUE` | none                                                           |
 * | `INT8`               | 1 byte, signed                                                   |
 * | `INT32`              | 4 bytes, signed, little-endian                                   |
 * | `FLOAT64`            | 8 bytes, IEEE 754, little-endian (keeps -0 and NaN)              |
 * | `BIGINT64`           | 8 bytes, signed, little-endian                                   |
 * | `BIGINT_HEX`         | sign byte (0 or 1), varint n, n ASCII hex digits of the magnitude|
 * | `STR_LATIN1`         | varint n, n bytes (code units 0..255)                            |
 * | `STR_UTF8`           | varint n, n bytes of UTF-8 (from a well-formed string)           |
 * | `STR_UTF16`          | varint n, n code units of 2 bytes, little-endian (any string, also lone surrogates) |
 * | `OBJECT`, `OBJECT_NULL` | varint n, n × (key, value); a key is a string value           |
 * | `ARRAY`              | varint n, n values                                               |
 * | `ARRAY_KEYED`        | varint length, varint n, n × (key string, value): the own enumerable properties of an array with holes or extra properties, in their order (indices as decimal strings) |
 * | `ARRAY_I32`          | varint n, zero padding to a multiple of 4, n × int32             |
 * | `ARRAY_F64`          | varint n, zero padding to a multiple of 8, n × float64           |
 * | `MAP`                | u32 n, n × (key value, value)                                    |
 * | `SET`                | u32 n, n values                                                  |
 * | `DATE`               | 8-byte float64 time value                                        |
 * | `REGEXP`             | source string value, flags string value                          |
 * | `ERROR`              | error-class byte, varint n, n × (key string, flags byte, value)  |
 * | `BOXED`              | the primitive value (number, string, boolean or bigint)          |
 * | `ARRAY_BUFFER`       | varint n, n bytes                                                |
 * | `TYPED`              | view-kind byte, varint byte length, the bytes                    |
 * | `SHARED_BUFFER`      | varint n, n bytes: a `SharedArrayBuffer`, rebuilt as a new one holding a copy |
 * | `TYPED_SHARED`       | as `TYPED`, for a view on shared memory: rebuilt on a new `SharedArrayBuffer` of its bytes |
 * | `CLASS`              | class-name string value, varint n, n × (key, value)              |
 * | `CLASS_WRAP`         | class-name string value, one value (a built-in: Map, Array, ...), varint n, n × (key, value) of its other own properties |
 * | `REF`                | varint index of an object seen earlier in this message           |
 *
 * Varints are unsigned LEB128, at most 8 bytes; the length of a long string
 * is written padded to 5 bytes (0x80 continuation bytes), since it is known
 * only after the string. Padding is relative to the start of the message, so
 * that the encoder can write packed numbers through aligned views. Scalars
 * and packed arrays are little-endian (a big-endian encoder writes arrays
 * element by element instead of packed); typed arrays are their raw bytes,
 * in machine order, as MPI moves them.
 *
 * Identity: every object (anything that is not a primitive) is numbered in
 * the order its tag is written, from 0; `REF i` stands for object number i.
 * The decoder numbers objects in the same order, at creation, before reading
 * their contents, so shared references and cycles come back as they were.
 * `CLASS_WRAP` does not number its own: the wrapped built-in is the object.
 *
 * @module
 */

/** First byte of every message (not ASCII, so a text payload is never mistaken for one). */
export const MAGIC0 = 0xd4;
/** Second byte of every message. */
export const MAGIC1 = 0x54;
/** Format version; a decoder rejects any other. */
export const VERSION = 1;
/** Header length in bytes. */
export const HEADER_BYTES = 3;

/** Tags at or above this encode the small integer `tag - SMALL_INT`. */
export const SMALL_INT = 0x80;

export const T_UNDEFINED = 0x01;
export const T_NULL = 0x02;
export const T_FALSE = 0x03;
export const T_TRUE = 0x04;
export const T_INT8 = 0x05;
export const T_INT32 = 0x06;
export const T_FLOAT64 = 0x07;
export const T_BIGINT64 = 0x08;
export const T_BIGINT_HEX = 0x09;

export const T_STR_LATIN1 = 0x10;
export const T_STR_UTF8 = 0x11;
export const T_STR_UTF16 = 0x12;

export const T_OBJECT = 0x20;
export const T_OBJECT_NULL = 0x21;
export const T_ARRAY = 0x22;
export const T_ARRAY_I32 = 0x23;
export const T_ARRAY_F64 = 0x24;
export const T_MAP = 0x25;
export const T_SET = 0x26;
export const T_DATE = 0x27;
export const T_REGEXP = 0x28;
export const T_ERROR = 0x29;
export const T_BOXED = 0x2a;
export const T_ARRAY_KEYED = 0x2b;
export const T_ARRAY_BUFFER = 0x30;
export const T_TYPED = 0x31;
export const T_SHARED_BUFFER = 0x32;
export const T_TYPED_SHARED = 0x33;
export const T_CLASS = 0x38;
export const T_CLASS_WRAP = 0x39;
export const T_REF = 0x3f;

/** Strings up to this many code units are written by a JavaScript loop; longer ones natively. */
export const SHORT_STRING = 64;
/** Arrays of numbers at least this long are written packed (`ARRAY_I32` / `ARRAY_F64`). */
export const PACKED_MIN = 16;

/** Flag bit of an `ERROR` entry: the property is enumerable. */
export const ERROR_ENTRY_ENUMERABLE = 1;

/** Error classes an `ERROR` value can be rebuilt as, by their byte. */
export const ERROR_CLASSES: readonly ErrorConstructor[] = [
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
  AggregateError as unknown as ErrorConstructor,
];

/** Constructor of a view that a `TYPED` value can be rebuilt as. */
export type ViewConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor | DataViewConstructor;

/** `Float16Array` where the runtime has it (Node 24+ or behind a flag). */
const float16 = (globalThis as { Float16Array?: unknown }).Float16Array as ViewConstructor | undefined;

/**
 * View kinds of `TYPED`, by their byte (0 unused). `Buffer` is rebuilt as a
 * Node `Buffer`. Kind 14, `Float16Array`, exists only where the runtime has it.
 */
export const VIEW_KINDS: readonly (ViewConstructor | BufferConstructor | undefined)[] = [
  undefined,
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  DataView, // 12
  Buffer, // 13
  float16, // 14
];
/** View-kind byte of `DataView`. */
export const VIEW_DATAVIEW = 12;
/** View-kind byte of Node's `Buffer`. */
export const VIEW_BUFFER = 13;
