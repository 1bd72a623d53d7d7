/**
 * Shapes the algorithms share: binomial trees over ranks relative to a root,
 * the split of a vector into blocks, and packages of several ranks' blocks
 * in one message.
 *
 * The binomial tree is MPICH's: relative rank `v` has parent `v` without its
 * lowest set bit, and children `v + m` for the powers of two `m` below that
 * bit; the subtree of `v` is the contiguous range `[v, v + lowbit(v))`, so a
 * subtree's blocks of a vector in relative rank order are contiguous bytes.
 *
 * @module
 */

import { allocateBytes, type Bytes, bytesIn, copyBytes } from '../buffer.js';

/** `rank` relative to `root`. */
export function relative(rank: number, root: number, size: number): number {
  return (rank - root + size) % size;
}

/** The rank at relative position `v` from `root`. */
export function absolute(v: number, root: number, size: number): number {
  return (v + root) % size;
}

/** The smallest power of two at least `n`. */
export function ceilPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The largest power of two at most `n` (n ≥ 1). */
export function floorPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** Parent of relative rank `v > 0`. */
export function parentOf(v: number): number {
  return v & (v - 1);
}

/** One past the last relative rank of the subtree of `v`. */
export function subtreeEnd(v: number, size: number): number {
  return v === 0 ? size : Math.min(v + (v & -v), size);
}

/** Children of relative rank `v`, largest subtree first. */
export function childrenOf(v: number, size: number): number[] {
  const children: number[] = [];
  let mask = v === 0 ? ceilPowerOfTwo(size) : v & -v;
  for (mask >>= 1; mask > 0; mask >>= 1) if (v + mask < size) children.push(v + mask);
  return children;
}

/**
 * Byte offsets of `parts` blocks of a vector of `count` elements of `unit`
 * bytes, split as evenly as whole elements allow: block `k` is
 * `[offsets[k], offsets[k + 1])`.
 */
export function evenBlocks(count: number, parts: number, unit: number): number[] {
  const q = Math.floor(count / parts);
  const r = count % parts;
  const offsets = new Array<number>(parts + 1);
  for (let k = 0; k <= parts; k++) offsets[k] = (k * q + Math.min(k, r)) * unit;
  return offsets;
}

/** Byte offsets of blocks of `counts[k]` elements laid end to end. */
export function packedBlocks(counts: readonly number[], unit: number): number[] {
  const offsets = new Array<number>(counts.length + 1);
  offsets[0] = 0;
  for (let k = 0; k < counts.length; k++) offsets[k + 1] = offsets[k]! + counts[k]! * unit;
  return offsets;
}

/** One rank's value in a package of the object collectives, of any length. */
export interface WideEntry {
  readonly rank: number;
  readonly bytes: Bytes;
}

/**
 * Packs values of several ranks into one message for the object
 * collectives: `u32 n, n × (u32 rank, u32 length low, u32 length high), the
 * values`, little-endian; past the longest byte view, segmented.
 */
export function packWide(entries: readonly WideEntry[]): Bytes {
  const count = entries.length;
  const head = 4 + 12 * count;
  let length = head;
  for (let i = 0; i < count; i++) length += entries[i]!.bytes.byteLength;
  const out = allocateBytes(length);
  // A view of the header straight over the package's buffer (no subarray made for it).
  const view = new DataView(out.buffer, out.byteOffset, head);
  view.setUint32(0, count, true);
  let at = head;
  for (let i = 0; i < count; i++) {
    const bytes = entries[i]!.bytes;
    const n = bytes.byteLength;
    view.setUint32(4 + 12 * i, entries[i]!.rank, true);
    view.setUint32(8 + 12 * i, n >>> 0, true);
    view.setUint32(12 + 12 * i, n > 0xffffffff ? Math.floor(n / 2 ** 32) : 0, true);
    if (out instanceof Uint8Array && bytes instanceof Uint8Array) out.set(bytes, at);
    else copyBytes(out, at, bytes, 0, n);
    at += n;
  }
  return out;
}

/** The entries of a {@link packWide} package (views into it), or a string saying why it is not one. */
export function unpackWide(message: Bytes, size: number): WideEntry[] | string {
  const length = message.byteLength;
  if (length < 4) return `${length}-byte message is no package`;
  const single = message instanceof Uint8Array;
  // A package in one view is read through one DataView of it; a segmented one through a view of its header.
  let view = new DataView(message.buffer, message.byteOffset, single ? length : 4);
  const n = view.getUint32(0, true);
  const head = 4 + 12 * n;
  if (n > size || head > length) return `package claims ${n} blocks`;
  if (!single) view = new DataView(message.buffer, message.byteOffset, head);
  const entries: WideEntry[] = [];
  let at = head;
  for (let i = 0; i < n; i++) {
    const rank = view.getUint32(4 + 12 * i, true);
    const bytes = view.getUint32(8 + 12 * i, true) + view.getUint32(12 + 12 * i, true) * 2 ** 32;
    if (rank >= size || at + bytes > length) return `package block ${i} is out of bounds`;
    entries.push({ rank, bytes: single ? message.subarray(at, at + bytes)
      : bytesIn(message.buffer, message.byteOffset + at, bytes) });
    at += bytes;
  }
  if (at !== length) return 'package has trailing bytes';
  return entries;
}

/** One rank's block in a package. */
export interface Entry {
  readonly rank: number;
  readonly bytes: Uint8Array;
}

/**
 * Packs blocks of several ranks into one message:
 * `u32 n, n × (u32 rank, u32 length), the blocks`, little-endian.
 */
export function pack(entries: readonly Entry[]): Uint8Array {
  let length = 4 + 8 * entries.length;
  for (const e of entries) length += e.bytes.byteLength;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, entries.length, true);
  let at = 4 + 8 * entries.length;
  entries.forEach((e, i) => {
    view.setUint32(4 + 8 * i, e.rank, true);
    view.setUint32(8 + 8 * i, e.bytes.byteLength, true);
    out.set(e.bytes, at);
    at += e.bytes.byteLength;
  });
  return out;
}

/** The entries of a package (views into it), or a string saying why it is not one. */
export function unpack(message: Uint8Array, size: number): Entry[] | string {
  if (message.byteLength < 4) return `${message.byteLength}-byte message is no package`;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const n = view.getUint32(0, true);
  if (n > size || 4 + 8 * n > message.byteLength) return `package claims ${n} blocks`;
  const entries: Entry[] = [];
  let at = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const rank = view.getUint32(4 + 8 * i, true);
    const length = view.getUint32(8 + 8 * i, true);
    if (rank >= size || at + length > message.byteLength) return `package block ${i} is out of bounds`;
    entries.push({ rank, bytes: message.subarray(at, at + length) });
    at += length;
  }
  if (at !== message.byteLength) return 'package has trailing bytes';
  return entries;
}
