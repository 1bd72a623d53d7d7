/**
 * Two-phase collective I/O: the `_all` calls of `MPI.File` move data between
 * the ranks first, so that a few aggregator ranks each read or write one
 * large contiguous run of the file, as ROMIO's collective buffering does;
 * by default only when the ranks' file ranges are small (see `Aggregation`:
 * on a local file system, large ranges go faster written by their own ranks).
 *
 * MPI-4.1 §14.4.3 and §14.6 (collective data access; the standard leaves the
 * method to the implementation). The accessed part of the file, from the
 * lowest to the highest byte any rank touches, is cut into one domain per
 * aggregator. Every rank splits its file ranges (`FileView.segments`) at the
 * domain boundaries and sends each piece's place (an object `alltoall`) and,
 * for a write, its data (`Alltoallv` of bytes) to the domain's aggregator,
 * which copies the pieces into a buffer of its domain and writes each
 * covered run with one positional write (holes stay as they are in the
 * file). A read goes the other way: the aggregator reads the covered runs of
 * its domain, and `Alltoallv` takes every piece back to the rank that asked.
 *
 * The exchange buffers are scratch memory kept between calls (see
 * `scratchBytes`): up to three times a domain's bytes per rank stay allocated.
 *
 * Unfinished: the number of aggregators is the number of ranks up to 8, with
 * no `cb_nodes` or `cb_buffer_size` hints; a domain is buffered whole.
 *
 * @module
 */

import * as fs from 'node:fs';
import { datatypes } from '../datatype/index.js';
import type { Segments } from './file_view.js';
import type { Intracomm } from './intracomm.js';

/** Most aggregator ranks a collective access uses. */
const MAX_AGGREGATORS = 8;

/**
 * Scratch memory of the exchanges, kept from call to call and grown only: the
 * first touch of fresh memory costs far more than a copy (a page fault per
 * page), so a collective access that allocated its buffers anew would spend
 * most of its time there.
 */
const scratch: Uint8Array[] = [];

/** `bytes` bytes of scratch buffer `slot` (0: outgoing, 1: incoming, 2: domain). */
function scratchBytes(slot: number, bytes: number): Uint8Array {
  let buffer = scratch[slot];
  if (buffer === undefined || buffer.byteLength < bytes) {
    buffer = new Uint8Array(Math.max(bytes, Math.ceil((buffer?.byteLength ?? 0) * 1.5)));
    scratch[slot] = buffer;
  }
  return buffer.subarray(0, bytes);
}

/** Where pieces of the file lie: offsets and lengths, by rank. */
type Places = [number[], number[]];

/** One piece of a rank's data: a file range inside one domain, and where its bytes are in the rank's data. */
interface Piece {
  readonly offset: number;
  readonly length: number;
  readonly data: number;
}

/** The domains of a collective access: aggregator ranks and the file range of each. */
interface Domains {
  readonly aggregators: number[];
  readonly start: number;
  readonly size: number;
  readonly end: number;
}

/**
 * Whether a collective access aggregates (`hint`: the file's `romio_cb_write`
 * or `romio_cb_read` info value): `'enable'` always, `'disable'` never,
 * otherwise (`'automatic'`) when the ranges average less than
 * {@link SMALL_RANGE} bytes, where one positional call per range would cost
 * more than moving the data between the ranks first.
 */
export type Aggregation = 'enable' | 'disable' | 'automatic';

/** Mean range length below which `'automatic'` aggregates. */
export const SMALL_RANGE = 16384;

/**
 * The domains over every rank's file ranges; undefined when no rank accesses
 * anything or the access does not aggregate. Collective: every rank gets the
 * same answer.
 */
async function domains(comm: Intracomm, segments: Segments, hint: Aggregation): Promise<Domains | undefined> {
  let low = Infinity;
  let high = -Infinity;
  let bytes = 0;
  for (let i = 0; i < segments.offsets.length; i++) {
    low = Math.min(low, segments.offsets[i]!);
    high = Math.max(high, segments.offsets[i]! + segments.lengths[i]!);
    bytes += segments.lengths[i]!;
  }
  const all = await comm.allgather([low === Infinity ? -1 : low, high === -Infinity ? -1 : high,
    segments.offsets.length, bytes]);
  let start = Infinity;
  let end = -Infinity;
  let ranges = 0;
  let total = 0;
  for (const [l, h, n, b] of all) {
    ranges += n!;
    total += b!;
    if (l! < 0) continue;
    start = Math.min(start, l!);
    end = Math.max(end, h!);
  }
  if (!(end > start) || hint === 'disable' || (hint !== 'enable' && total >= SMALL_RANGE * ranges)) return undefined;
  const count = Math.min(comm.size, MAX_AGGREGATORS);
  const aggregators = Array.from({ length: count }, (_, k) => Math.floor((k * comm.size) / count));
  return { aggregators, start, end, size: Math.ceil((end - start) / count) };
}

/** This rank's pieces, by destination rank, in data order. */
function split(comm: Intracomm, segments: Segments, plan: Domains): Piece[][] {
  const byRank: Piece[][] = Array.from({ length: comm.size }, () => []);
  let data = 0;
  for (let i = 0; i < segments.offsets.length; i++) {
    let offset = segments.offsets[i]!;
    let left = segments.lengths[i]!;
    while (left > 0) {
      const domain = Math.floor((offset - plan.start) / plan.size);
      const take = Math.min(left, plan.start + (domain + 1) * plan.size - offset);
      byRank[plan.aggregators[domain]!]!.push({ offset, length: take, data });
      offset += take;
      data += take;
      left -= take;
    }
  }
  return byRank;
}

/** Byte counts and displacements of blocks of `lengths` each. */
function layout(blocks: readonly (readonly number[])[]): { counts: number[]; displs: number[]; total: number } {
  const counts = blocks.map((lengths) => lengths.reduce((a, b) => a + b, 0));
  const displs: number[] = [];
  let total = 0;
  for (const count of counts) {
    displs.push(total);
    total += count;
  }
  return { counts, displs, total };
}

/** The runs of a domain that pieces cover, merged, as [start, end) pairs relative to the file. */
function coveredRuns(places: readonly Places[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const [offsets, lengths] of places) {
    for (let i = 0; i < offsets.length; i++) ranges.push([offsets[i]!, offsets[i]! + lengths[i]!]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const runs: [number, number][] = [];
  for (const range of ranges) {
    const last = runs[runs.length - 1];
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else runs.push([range[0], range[1]]);
  }
  return runs;
}

/**
 * A collective write of `data` (this rank's bytes, in view order) to the file
 * ranges `segments` of descriptor `fd`, if it aggregates (see
 * {@link Aggregation}): false when it did not, and the caller writes its own
 * ranges. `io` runs a system call and turns its failure into the caller's MPIError.
 */
export async function writeAll(comm: Intracomm, fd: number, segments: Segments, data: Uint8Array,
  io: <T>(run: () => T) => T, hint: Aggregation): Promise<boolean> {
  const plan = await domains(comm, segments, hint);
  if (plan === undefined) return false;
  const pieces = split(comm, segments, plan);
  const places = await comm.alltoall(pieces.map((list): Places => [list.map((p) => p.offset), list.map((p) => p.length)]));
  const send = layout(pieces.map((list) => list.map((p) => p.length)));
  const outgoing = scratchBytes(0, send.total);
  let at = 0;
  for (const list of pieces) {
    for (const piece of list) {
      outgoing.set(data.subarray(piece.data, piece.data + piece.length), at);
      at += piece.length;
    }
  }
  const receive = layout(places.map(([, lengths]) => lengths));
  const incoming = scratchBytes(1, receive.total);
  await comm.Alltoallv([outgoing, [send.counts, send.displs], datatypes.BYTE],
    [incoming, [receive.counts, receive.displs], datatypes.BYTE]);
  if (receive.total === 0) return true;
  const runs = coveredRuns(places);
  const base = runs[0]![0];
  const buffer = scratchBytes(2, runs[runs.length - 1]![1] - base);
  let from = 0;
  for (const [offsets, lengths] of places) {
    for (let i = 0; i < offsets.length; i++) {
      buffer.set(incoming.subarray(from, from + lengths[i]!), offsets[i]! - base);
      from += lengths[i]!;
    }
  }
  io(() => {
    for (const [start, end] of runs) {
      let done = 0;
      while (done < end - start) done += fs.writeSync(fd, buffer, start - base + done, end - start - done, start + done);
    }
  });
  return true;
}

/**
 * A collective read into `data` (this rank's bytes, in view order) from the
 * file ranges `segments`: the bytes read before the end of the file, or
 * undefined when it does not aggregate (the caller reads its own ranges).
 */
export async function readAll(comm: Intracomm, fd: number, segments: Segments, data: Uint8Array,
  io: <T>(run: () => T) => T, hint: Aggregation): Promise<number | undefined> {
  const plan = await domains(comm, segments, hint);
  if (plan === undefined) return undefined;
  const pieces = split(comm, segments, plan);
  const places = await comm.alltoall(pieces.map((list): Places => [list.map((p) => p.offset), list.map((p) => p.length)]));
  const eof = io(() => fs.fstatSync(fd).size);
  // As the aggregator: read the covered runs, then send each rank its pieces in its order.
  const runs = coveredRuns(places);
  const base = runs.length > 0 ? runs[0]![0] : 0;
  const buffer = scratchBytes(2, runs.length > 0 ? runs[runs.length - 1]![1] - base : 0);
  io(() => {
    for (const [start, end] of runs) {
      let done = 0;
      while (done < end - start) {
        const read = fs.readSync(fd, buffer, start - base + done, end - start - done, start + done);
        if (read === 0) break;
        done += read;
      }
    }
  });
  const send = layout(places.map(([, lengths]) => lengths));
  const outgoing = scratchBytes(0, send.total);
  let at = 0;
  for (const [offsets, lengths] of places) {
    for (let i = 0; i < offsets.length; i++) {
      outgoing.set(buffer.subarray(offsets[i]! - base, offsets[i]! - base + lengths[i]!), at);
      at += lengths[i]!;
    }
  }
  const receive = layout(pieces.map((list) => list.map((p) => p.length)));
  const incoming = scratchBytes(1, receive.total);
  await comm.Alltoallv([outgoing, [send.counts, send.displs], datatypes.BYTE],
    [incoming, [receive.counts, receive.displs], datatypes.BYTE]);
  // Pieces back into data order (bytes past the end of the file are left as they were); the count
  // stops at the first byte past the end.
  let from = 0;
  const ordered: Piece[] = [];
  for (const list of pieces) {
    for (const piece of list) {
      const inFile = Math.max(0, Math.min(piece.length, eof - piece.offset));
      data.set(incoming.subarray(from, from + inFile), piece.data);
      from += piece.length;
      ordered.push(piece);
    }
  }
  ordered.sort((a, b) => a.data - b.data);
  let moved = 0;
  for (const piece of ordered) {
    const inFile = Math.max(0, Math.min(piece.length, eof - piece.offset));
    moved += inFile;
    if (inFile < piece.length) break;
  }
  return moved;
}
