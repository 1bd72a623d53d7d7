/**
 * Packing: copying the data of `count` elements of a datatype between a
 * user's buffer (laid out as the typemap says) and contiguous bytes (the
 * packed form that messages carry), in the machine's byte order or in
 * "external32" (big-endian).
 *
 * MPI-4.1 §5.2 (pack and unpack: the packed form is the elements' data in
 * type order), §5.2.2 (canonical `MPI_Pack_external`, "external32": §14.5.2,
 * big-endian, IEEE formats, the sizes of table 14.2, which for every
 * datatype mpi4ts has are its machine sizes).
 *
 * `user` is a byte view in which the buffer address of MPI is byte
 * `origin` (element `i` starts at `origin + i * extent`); callers check the
 * bounds first.
 *
 * Unfinished: the pair types (`MPI.DOUBLE_INT`, ...) and the complex types in external32.
 *
 * @module
 */

import type { BasicType, Typemap } from './typemap.js';

/** True on a little-endian machine, where external32 swaps bytes. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function copy(target: Uint8Array, targetOffset: number, source: Uint8Array, sourceOffset: number, length: number): void {
  if (length <= 16) {
    for (let k = 0; k < length; k++) target[targetOffset + k] = source[sourceOffset + k]!;
  } else target.set(source.subarray(sourceOffset, sourceOffset + length), targetOffset);
}

/**
 * Packs `count` elements of `map` from `user` into `packed` at `position`;
 * returns the position after them.
 */
export function pack(map: Typemap, count: number, user: Uint8Array, origin: number, packed: Uint8Array,
  position: number): number {
  const { runOffsets, runLengths } = map;
  const extent = map.extent;
  if (map.contiguous) {
    const bytes = count * map.size;
    packed.set(user.subarray(origin, origin + bytes), position);
    return position + bytes;
  }
  for (let i = 0; i < count; i++) {
    const base = origin + i * extent;
    for (let r = 0; r < runOffsets.length; r++) {
      copy(packed, position, user, base + runOffsets[r]!, runLengths[r]!);
      position += runLengths[r]!;
    }
  }
  return position;
}

/**
 * Unpacks packed bytes `packed[position, position + length)` into the
 * elements of `map` in `user`, in type order, stopping when they run out
 * (a message shorter than the receive buffer fills its first elements);
 * returns the position after them.
 */
export function unpack(map: Typemap, user: Uint8Array, origin: number, packed: Uint8Array, position: number,
  length: number): number {
  const end = position + length;
  if (map.contiguous) {
    user.set(packed.subarray(position, end), origin);
    return end;
  }
  const { runOffsets, runLengths } = map;
  const extent = map.extent;
  for (let i = 0; position < end; i++) {
    const base = origin + i * extent;
    for (let r = 0; r < runOffsets.length && position < end; r++) {
      const length = Math.min(runLengths[r]!, end - position);
      copy(user, base + runOffsets[r]!, packed, position, length);
      position += length;
    }
  }
  return position;
}

/** Reverses the bytes of each `unit`-byte element of `bytes[from, from + length)`. */
function swap(bytes: Uint8Array, from: number, length: number, unit: number): void {
  if (unit === 1) return;
  for (let e = from; e < from + length; e += unit) {
    for (let a = e, b = e + unit - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Puts the packed bytes of `count` elements of `map` at `packed[position...]`
 * into external32 byte order, or back: the same swap both ways.
 */
export function toExternal32(map: Typemap<BasicType>, count: number, packed: Uint8Array, position: number): void {
  if (!LITTLE_ENDIAN) return;
  for (let i = 0; i < count; i++) {
    for (let b = 0; b < map.blockCounts.length; b++) {
      const unit = map.blockTypes[b]!.size;
      const length = map.blockCounts[b]! * unit;
      swap(packed, position, length, unit);
      position += length;
    }
  }
}
