/**
 * Buffer collectives past what one call can take: a collective whose data is
 * longer than one `Uint8Array` can be (2^32 bytes on Node 20, see
 * `MAX_VIEW_BYTES` in `buffer.ts`), or than one call of the transport may
 * move or address (`Collectives.maxCallBytes`; mpi: 2^31-1 bytes, MPI's
 * counts being C ints), runs as several calls of the transport's
 * {@link Collectives}, each moving at most {@link roundBytes} bytes, its
 * counts and displacements within {@link callLimit}.
 *
 * MPI-4.1 §6.4 (broadcast), §6.5 / §6.6 (gather and scatter with equal
 * blocks), §6.7 (allgather, allgatherv), §6.8 (all-to-all with equal
 * blocks), §6.9 (reductions), §6.10 (reduce-scatter), §6.11 (scans): the
 * result is that of one call; MPI's collectives are elementwise or blockwise,
 * so splitting them is exact.
 *
 * How a call is split is computed by every rank from what all ranks know
 * (the byte length of a broadcast, the element count of a reduction, the
 * block counts of a gather with equal blocks or of an allgatherv), so all
 * ranks make the same calls in the same order:
 *
 * - Bcast: byte ranges; reductions and scans: element ranges.
 * - Gather, Scatter, Allgather(v): ranges of the blocks laid end to end in
 *   rank order; each round moves the parts of the blocks that fall in its
 *   range, straight into the receive buffer where they lie within one view,
 *   else through scratch memory of one round.
 * - Alltoall and Reduce_scatter(_block): each round moves the next piece of
 *   every block, packed into scratch memory.
 *
 * All rounds are started at once, at the call (their scratch memory too), so
 * that a program's next collectives keep their place in call order; the
 * returned Promise settles when every round has.
 *
 * Gatherv, Scatterv and Alltoallv past the limit do not come here: the
 * ranks off the root do not know every block's length, so cannot agree on
 * rounds; they move each long block as one point-to-point message instead
 * (`blockPath` in `api/arguments.ts`).
 *
 * Unfinished: the scratch memory of Alltoall and Reduce_scatter is as large
 * as the data.
 *
 * @module
 */

import { type Bytes, copyBytes, elementsIn, MAX_VIEW_BYTES, SEGMENT_BYTES } from '../buffer.js';
import type { Datatype, TypedArray } from '../datatype/index.js';
import type { Op } from '../op/op.js';
import type { Collectives } from '../transport/transport.js';

/**
 * The most bytes one round of a collective over point-to-point moves (a
 * multiple of 8, so that element ranges stay aligned); what
 * {@link roundBytes} is without a call limit.
 */
export const ROUND_BYTES = Math.max(8, Math.floor(Math.min(SEGMENT_BYTES, MAX_VIEW_BYTES) / 8) * 8);

/**
 * The most bytes one call of `collectives` moves or addresses on a rank: the
 * longest byte view, or the transport's call limit where lower (the same on
 * every rank, so that all split a call alike).
 */
export function callLimit(collectives: Collectives): number {
  return Math.min(MAX_VIEW_BYTES, collectives.maxCallBytes ?? MAX_VIEW_BYTES);
}

/** The most bytes one round on `collectives` moves (a multiple of 8, at most {@link callLimit}). */
export function roundBytes(collectives: Collectives): number {
  const limit = collectives.maxCallBytes;
  return limit === undefined || limit >= ROUND_BYTES ? ROUND_BYTES : Math.max(8, Math.floor(limit / 8) * 8);
}

const EMPTY = new Uint8Array(0);

function settled(rounds: Promise<void>[]): Promise<void> {
  return Promise.all(rounds).then(() => undefined);
}

/** `Bcast` of `bytes` in byte ranges. */
export function bcast(collectives: Collectives, bytes: Bytes, root: number): Promise<void> {
  const rounds: Promise<void>[] = [];
  const n = bytes.byteLength;
  const step = roundBytes(collectives);
  for (let at = 0; at < n; at += step) rounds.push(collectives.bcast(bytes.subarray(at, Math.min(at + step, n)), root));
  return settled(rounds);
}

/** Elements per round of a reduction of `datatype`. */
function elementsPerRound(collectives: Collectives, datatype: Datatype): number {
  return Math.max(1, Math.floor(roundBytes(collectives) / datatype.size));
}

/** `Reduce` in element ranges; `send` undefined: in place at the root; `recv` the root's. */
export function reduce(collectives: Collectives, send: Bytes | undefined, recv: Bytes | undefined, count: number,
  datatype: Datatype, op: Op, root: number): Promise<void> {
  const rounds: Promise<void>[] = [];
  const per = elementsPerRound(collectives, datatype);
  for (let lo = 0; lo < count; lo += per) {
    const hi = Math.min(lo + per, count);
    rounds.push(collectives.reduce(send && elementsIn(send, datatype, lo, hi), recv && elementsIn(recv, datatype, lo, hi),
      hi - lo, datatype, op, root));
  }
  return settled(rounds);
}

/** `Allreduce` (`scan` undefined), `Scan` and `Exscan` in element ranges; `send` undefined: in place. */
export function allreduce(collectives: Collectives, send: Bytes | undefined, recv: Bytes, count: number, datatype: Datatype,
  op: Op, scan: 'inclusive' | 'exclusive' | undefined): Promise<void> {
  const rounds: Promise<void>[] = [];
  const per = elementsPerRound(collectives, datatype);
  for (let lo = 0; lo < count; lo += per) {
    const hi = Math.min(lo + per, count);
    const s = send && elementsIn(send, datatype, lo, hi);
    const r = elementsIn(recv, datatype, lo, hi);
    rounds.push(scan === undefined ? collectives.allreduce(s, r, hi - lo, datatype, op)
      : collectives.scan(s, r, hi - lo, datatype, op, scan === 'exclusive'));
  }
  return settled(rounds);
}

/** The part of each block that falls in one round's range of the blocks laid end to end. */
interface Piece {
  /** Byte offset of the part within its block. */
  readonly from: number;
  readonly bytes: number;
}

/**
 * The rounds over blocks of `counts` bytes laid end to end in rank order:
 * each round's piece of every block. `inRounds` false: one round of all (a
 * call whose data fits one view, on a buffer that does not).
 */
function packedRounds(counts: readonly number[], inRounds: boolean, step: number): Piece[][] {
  let total = 0;
  for (const c of counts) total += c;
  if (!inRounds) return [counts.map((c) => ({ from: 0, bytes: c }))];
  const rounds: Piece[][] = [];
  for (let a = 0; a < total; a += step) {
    const b = Math.min(a + step, total);
    const pieces: Piece[] = [];
    let start = 0;
    for (const c of counts) {
      const lo = Math.max(a, start);
      const hi = Math.min(b, start + c);
      pieces.push(hi > lo ? { from: lo - start, bytes: hi - lo } : { from: 0, bytes: 0 });
      start += c;
    }
    rounds.push(pieces);
  }
  return rounds;
}

/**
 * Where one round's pieces lie in this rank's buffer of blocks at byte
 * offsets `displs`: one view of the buffer and the pieces' offsets in it when
 * they span at most `limit` bytes ({@link callLimit}), else `scratch`, fresh
 * memory with the pieces laid end to end (to be copied to or from the buffer).
 */
function placeOf(buffer: Bytes, displs: readonly number[], pieces: readonly Piece[], limit: number):
  { view: Uint8Array; displs: number[]; scratch: boolean } {
  let lo = Infinity;
  let hi = 0;
  pieces.forEach((p, i) => {
    if (p.bytes === 0) return;
    lo = Math.min(lo, displs[i]! + p.from);
    hi = Math.max(hi, displs[i]! + p.from + p.bytes);
  });
  if (hi <= lo) return { view: EMPTY, displs: pieces.map(() => 0), scratch: false };
  if (hi - lo <= limit) {
    return { view: buffer.subarray(lo, hi), displs: pieces.map((p, i) => (p.bytes === 0 ? 0 : displs[i]! + p.from - lo)), scratch: false };
  }
  const offsets: number[] = [];
  let at = 0;
  for (const p of pieces) {
    offsets.push(at);
    at += p.bytes;
  }
  return { view: new Uint8Array(at), displs: offsets, scratch: true };
}

/** Copies the pieces of a scratch place to (`out` true) or from the buffer. */
function copyPieces(buffer: Bytes, displs: readonly number[], pieces: readonly Piece[], place: { view: Uint8Array; displs: number[] },
  out: boolean): void {
  pieces.forEach((p, i) => {
    if (p.bytes === 0) return;
    if (out) copyBytes(buffer, displs[i]! + p.from, place.view, place.displs[i]!, p.bytes);
    else copyBytes(place.view, place.displs[i]!, buffer, displs[i]! + p.from, p.bytes);
  });
}

/** The piece of this rank's own block, as a view of `send` (which holds only that block). */
function ownPiece(send: Bytes, piece: Piece): Uint8Array {
  return piece.bytes === 0 ? EMPTY : send.subarray(piece.from, piece.from + piece.bytes);
}

/**
 * `Gather` of blocks of `counts` bytes (equal blocks, so every rank knows
 * them all). `send` undefined: in place at the root. `recv` and `displs`
 * (bytes) matter at the root only.
 */
export function gather(collectives: Collectives, rank: number, send: Bytes | undefined, recv: Bytes | undefined,
  counts: readonly number[], displs: readonly number[] | undefined, root: number, inRounds: boolean): Promise<void> {
  const rounds: Promise<void>[] = [];
  for (const pieces of packedRounds(counts, inRounds, roundBytes(collectives))) {
    if (rank !== root) {
      rounds.push(collectives.gatherv(ownPiece(send!, pieces[rank]!), undefined, undefined, undefined, root));
      continue;
    }
    const place = placeOf(recv!, displs!, pieces, callLimit(collectives));
    const sizes = pieces.map((p) => p.bytes);
    if (!place.scratch) {
      rounds.push(collectives.gatherv(send && ownPiece(send, pieces[rank]!), place.view, sizes, place.displs, root));
      continue;
    }
    // Through scratch, the root's own piece is sent from where it lies.
    const mine = send ?? recv!.subarray(displs![rank]!, displs![rank]! + counts[rank]!);
    rounds.push(collectives.gatherv(ownPiece(mine, pieces[rank]!), place.view, sizes, place.displs, root)
      .then(() => copyPieces(recv!, displs!, pieces, place, true)));
  }
  return settled(rounds);
}

/**
 * `Scatter` of blocks of `counts` bytes (equal blocks). `recv` undefined:
 * in place at the root. `send` and `displs` (bytes) matter at the root only.
 */
export function scatter(collectives: Collectives, rank: number, send: Bytes | undefined, counts: readonly number[],
  displs: readonly number[] | undefined, recv: Bytes | undefined, root: number, inRounds: boolean): Promise<void> {
  const rounds: Promise<void>[] = [];
  for (const pieces of packedRounds(counts, inRounds, roundBytes(collectives))) {
    if (rank !== root) {
      rounds.push(collectives.scatterv(undefined, undefined, undefined, ownPiece(recv!, pieces[rank]!), root));
      continue;
    }
    const place = placeOf(send!, displs!, pieces, callLimit(collectives));
    if (place.scratch) copyPieces(send!, displs!, pieces, place, false);
    const sizes = pieces.map((p) => p.bytes);
    // Through scratch, in place, the root's own piece is received back where it lies.
    const into = recv ?? (place.scratch ? send!.subarray(displs![rank]!, displs![rank]! + counts[rank]!) : undefined);
    rounds.push(collectives.scatterv(place.view, sizes, place.displs, into && ownPiece(into, pieces[rank]!), root));
  }
  return settled(rounds);
}

/** `Allgather(v)` of blocks of `counts` bytes at byte offsets `displs` of `recv`; `send` undefined: in place. */
export function allgatherv(collectives: Collectives, rank: number, send: Bytes | undefined, recv: Bytes,
  counts: readonly number[], displs: readonly number[], inRounds: boolean): Promise<void> {
  const rounds: Promise<void>[] = [];
  for (const pieces of packedRounds(counts, inRounds, roundBytes(collectives))) {
    const place = placeOf(recv, displs, pieces, callLimit(collectives));
    const sizes = pieces.map((p) => p.bytes);
    if (!place.scratch) {
      rounds.push(collectives.allgatherv(send && ownPiece(send, pieces[rank]!), place.view, sizes, place.displs));
      continue;
    }
    const mine = send ?? recv.subarray(displs[rank]!, displs[rank]! + counts[rank]!);
    rounds.push(collectives.allgatherv(ownPiece(mine, pieces[rank]!), place.view, sizes, place.displs)
      .then(() => copyPieces(recv, displs, pieces, place, true)));
  }
  return settled(rounds);
}

/**
 * `Alltoall` with blocks of `block` bytes, at byte offsets `sendDispls` of
 * `send` (undefined: in place, the data in `recv`) and `recvDispls` of `recv`.
 */
export function alltoall(collectives: Collectives, send: Bytes | undefined, sendDispls: readonly number[], recv: Bytes,
  recvDispls: readonly number[], block: number, inRounds: boolean): Promise<void> {
  const size = recvDispls.length;
  const per = inRounds ? Math.max(1, Math.floor(roundBytes(collectives) / size)) : Math.max(1, block);
  const source = send ?? recv;
  const sourceDispls = send === undefined ? recvDispls : sendDispls;
  const plan: { pieces: Piece[]; out: { view: Uint8Array; displs: number[] }; into: { view: Uint8Array; displs: number[] } }[] = [];
  // Every round's data is packed before any round starts: in place, the rounds overwrite it.
  for (let from = 0; from === 0 || from < block; from += per) {
    const bytes = Math.min(per, block - from);
    const pieces = Array.from({ length: size }, () => ({ from, bytes }));
    const displs = pieces.map((_, i) => i * bytes);
    const out = { view: new Uint8Array(size * bytes), displs };
    copyPieces(source, sourceDispls, pieces, out, false);
    plan.push({ pieces, out, into: { view: new Uint8Array(size * bytes), displs } });
  }
  return settled(plan.map(({ pieces, out, into }) => {
    const sizes = pieces.map((p) => p.bytes);
    return collectives.alltoallv(out.view, sizes, out.displs, into.view, sizes, into.displs)
      .then(() => copyPieces(recv, recvDispls, pieces, into, true));
  }));
}

/**
 * `Reduce_scatter` of blocks of `counts` elements: each round reduces the
 * next piece of every block, packed into scratch memory; this rank's piece
 * lands in `recv` at the piece's place. `send` undefined: in place (the
 * blocks laid end to end in `recv`, the result at its start).
 */
export function reduceScatter(collectives: Collectives, rank: number, send: Bytes | undefined, recv: Bytes,
  counts: readonly number[], datatype: Datatype, op: Op, inRounds: boolean): Promise<void> {
  const size = counts.length;
  const unit = datatype.size;
  const per = inRounds ? Math.max(1, Math.floor(roundBytes(collectives) / (unit * size))) : Math.max(1, ...counts);
  const source = send ?? recv;
  const starts: number[] = [];
  let longest = 0;
  let at = 0;
  for (const c of counts) {
    starts.push(at * unit);
    at += c;
    longest = Math.max(longest, c);
  }
  const plan: { sizes: number[]; data: TypedArray; from: number }[] = [];
  // Every round's data is packed before any round starts: in place, the rounds overwrite it.
  for (let from = 0; from === 0 || from < longest; from += per) {
    const sizes = counts.map((c) => Math.max(0, Math.min(per, c - from)));
    const pieces = sizes.map((s) => ({ from: from * unit, bytes: s * unit }));
    const total = sizes.reduce((a, b) => a + b, 0);
    const packed = new Uint8Array(total * unit);
    const displs: number[] = [];
    let offset = 0;
    for (const s of sizes) {
      displs.push(offset);
      offset += s * unit;
    }
    copyPieces(source, starts, pieces, { view: packed, displs }, false);
    plan.push({ sizes, data: elementsIn(packed, datatype, 0, total), from });
  }
  return settled(plan.map(({ sizes, data, from }) =>
    collectives.reduceScatter(data, sizes[rank] === 0 ? elementsIn(recv, datatype, 0, 0)
      : elementsIn(recv, datatype, from, from + sizes[rank]!), sizes, datatype, op)));
}
