/**
 * Buffer specs cut into one block per peer: the arguments of the
 * neighbourhood collectives and of `Alltoallw`.
 *
 * MPI-4.1 §6.8 (`MPI_Alltoallw`: counts, byte displacements and a datatype
 * per rank), §8.6 (neighbourhood collectives: a block per neighbour, in the
 * order of the topology's neighbour lists).
 *
 * A "W" spec, as in mpi4py, is `[buf, [counts, displs], datatypes]` or
 * `[buf, counts, displs, datatypes]`: `counts[i]` elements of
 * `datatypes[i]` starting `displs[i]` BYTES into `buf`.
 *
 * A W spec whose datatypes all lay their elements out contiguously moves
 * its blocks in place; one with any other datatype (gaps, a vector, a
 * struct's holes) moves packed: its blocks are packed back to back into a
 * staging buffer, and a receive buffer is unpacked from its staging buffer
 * once the data is there, so that the gaps of its layout keep their bytes.
 *
 * Buffers and blocks may be longer than the longest byte view (segmented
 * bytes, Node 20): the exchange under these calls moves each block as one
 * point-to-point message of any length.
 *
 * Unfinished: a W spec with a non-contiguous datatype in a buffer longer than
 * the longest byte view (packing reads one view).
 *
 * @module
 */

import {
  type BufferSpec, type Bytes, bytesIn, describe, parseBuffer, parseWideBuffer, parseWideVectorBuffer, singleView, sliceBytes,
  type VectorBufferSpec, type VectorMessage, type WideVectorMessage,
} from '../buffer.js';
import { Datatype, pack, type TypedArray, unpack } from '../datatype/index.js';
import { errors } from '../errors.js';

/**
 * A buffer spec with a datatype per block and displacements in bytes (MPI-4.1
 * §6.8 `MPI_Alltoallw`): `[buf, [counts, displs], datatypes]` or
 * `[buf, counts, displs, datatypes]`.
 */
export type WBufferSpec =
  | readonly [TypedArray, readonly [readonly number[], readonly number[]], readonly Datatype[]]
  | readonly [TypedArray, readonly number[], readonly number[], readonly Datatype[]];

/** The blocks of a parsed vector message, as byte views (segmented past the longest view). */
export function blocksOfVector(v: VectorMessage | WideVectorMessage): Bytes[] {
  const size = v.datatype.size;
  return v.counts.map((count, i) => sliceBytes(v.bytes, v.displs[i]! * size, (v.displs[i]! + count) * size));
}

/** The blocks of a v-spec, and for a derived datatype the copy of received blocks into the user's layout. */
export interface Blocks {
  readonly blocks: Bytes[];
  /** Unpacks the blocks into the buffer (a non-contiguous derived datatype), once they have arrived. */
  readonly unpack: (() => void) | undefined;
}

/**
 * `n` blocks of a v-spec (counts per block); with `uniform`, all blocks must
 * have one size (the non-v collectives).
 */
export function vectorBlocks(spec: VectorBufferSpec, n: number, uniform: boolean, what: string, call: string): Blocks {
  if (spec === null || spec === undefined) throw errors.buffer(call, `the ${what} buffer is missing`);
  if (n === 0) {
    parseBuffer(Array.isArray(spec) ? spec[0] : spec, call);
    return { blocks: [], unpack: undefined };
  }
  const message = parseWideVectorBuffer(spec, n, call);
  const blocks = blocksOfVector(message);
  if (uniform && blocks.some((b) => b.byteLength !== blocks[0]!.byteLength)) {
    throw errors.count(call, `the ${what} buffer must hold ${n} equal blocks, got blocks of [${blocks.map((b) => b.byteLength).join(', ')}] bytes`);
  }
  return { blocks, unpack: 'unpack' in message ? message.unpack : undefined };
}

/** The one block of a plain buffer spec. */
export function singleBlock(spec: BufferSpec, what: string, call: string): Bytes {
  if (spec === null || spec === undefined) throw errors.buffer(call, `the ${what} buffer is missing`);
  return parseWideBuffer(spec, call).bytes;
}

function numberList(value: unknown, n: number, what: string, call: string): number[] {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw errors.count(call, `${what} must be an array of ${n} numbers, got ${describe(value)}`);
  const list = Array.from(value as ArrayLike<number>, Number);
  if (list.length !== n || list.some((c) => !Number.isInteger(c) || c < 0)) {
    throw errors.count(call, `${what} must be ${n} non-negative integers, got [${list.join(', ')}]`);
  }
  return list;
}

/**
 * A W spec read: the bytes to move, each block's byte count and byte
 * displacement in them, and for a spec that moves packed (see the module
 * comment) the copy of received blocks into the user's buffer.
 */
export interface WLayout {
  readonly bytes: Bytes;
  readonly counts: readonly number[];
  readonly displs: readonly number[];
  readonly unpack: (() => void) | undefined;
}

/**
 * Reads a W spec of `n` blocks (see the module comment); checks that each
 * lies inside the buffer. `fill`: a spec that moves packed is packed now (a
 * send buffer, or a receive buffer that sends in place).
 */
export function wLayout(spec: WBufferSpec, n: number, what: string, call: string, fill: boolean): WLayout {
  if (!Array.isArray(spec) || (spec.length !== 3 && spec.length !== 4) || !ArrayBuffer.isView(spec[0])) {
    throw errors.buffer(call, `the ${what} buffer must be [buf, [counts, displs], datatypes] or [buf, counts, displs, datatypes], got ${describe(spec)}`);
  }
  const buf = spec[0] as TypedArray;
  const [countSpec, displSpec, typeSpec] = spec.length === 3
    ? [(spec[1] as readonly unknown[])[0], (spec[1] as readonly unknown[])[1], spec[2]]
    : [spec[1], spec[2], spec[3]];
  const counts = numberList(countSpec, n, `${what} counts`, call);
  const displs = numberList(displSpec, n, `${what} displacements`, call);
  if (!Array.isArray(typeSpec) || typeSpec.length !== n) throw errors.type(call, `expected ${n} ${what} datatypes, got ${describe(typeSpec)}`);
  const bytes = bytesIn(buf.buffer, buf.byteOffset, buf.byteLength);
  const types = counts.map((count, i) => {
    const datatype = typeSpec[i] as unknown;
    if (!(datatype instanceof Datatype)) {
      throw errors.type(call, `${what} datatypes[${i}] is ${describe(datatype)}, not a datatype`);
    }
    datatype.checkUsable(call);
    const outside = datatype.outOfBounds(count, bytes.byteLength, displs[i]);
    if (outside !== undefined) throw errors.count(call, `${what} block ${i}: ${outside}`);
    return datatype;
  });
  const byteCounts = counts.map((count, i) => count * types[i]!.size);
  if (types.every((t) => t.typemap.contiguous)) return { bytes, counts: byteCounts, displs, unpack: undefined };
  const user = singleView(bytes, call);
  let packedBytes = 0;
  const packedDispls = byteCounts.map((count) => (packedBytes += count) - count);
  const staging = new Uint8Array(packedBytes);
  if (fill) types.forEach((t, i) => pack(t.typemap, counts[i]!, user, displs[i]!, staging, packedDispls[i]!));
  const unpackAll = (): void => {
    types.forEach((t, i) => unpack(t.typemap, user, displs[i]!, staging, packedDispls[i]!, byteCounts[i]!));
  };
  return { bytes: staging, counts: byteCounts, displs: packedDispls, unpack: unpackAll };
}

/** `n` blocks of a W spec, as byte views (segmented past the longest view); `fill` as for {@link wLayout}. */
export function wBlocks(spec: WBufferSpec, n: number, what: string, call: string, fill: boolean): Blocks {
  const layout = wLayout(spec, n, what, call, fill);
  return {
    blocks: layout.counts.map((count, i) => sliceBytes(layout.bytes, layout.displs[i]!, layout.displs[i]! + count)),
    unpack: layout.unpack,
  };
}
