/**
 * Two-phase collective I/O: the `_all` calls of `MPI.File` move data between
 * the ranks first, so that a few aggregator ranks each read or write one
 * large contiguous run of the file, as ROMIO's collective buffering does.
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

/** The domains over every rank's file ranges, or undefined when no rank accesses anything. */
async function domains(comm: Intracomm, segments: Segments): Promise<Domains | undefined> {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < segments.offsets.length; i++) {
    low = Math.min(low, segments.offsets[i]!);
    high = Math.max(high, segments.offsets[i]! + segments.lengths[i]!);
  }
  const bounds = await comm.allgather([low === Infinity ? -1 : low, high === -Infinity ? -1 : high]);
  let start = Infinity;
  let end = -Infinity;
  for (const [l, h] of bounds) {
    if (l! < 0) continue;
    start = Math.min(start, l!);
    end = Math.max(end, h!);
  }
  if (!(end > start)) return undefined;
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
 * ranges `segments` of descriptor `fd`. `io` runs a system call and turns its
 * failure into the caller's MPIError.
 */
export async function writeAll(comm: Intracomm, fd: number, segments: Segments, data: Uint8Array,
  io: <T>(run: () => T) => T): Promise<void> {
  const plan = await domains(comm, segments);
  if (plan === undefined) return;
  const pieces = split(comm, segments, plan);
  const places = await comm.alltoall(pieces.map((list): Places => [list.map((p) => p.offset), list.map((p) => p.length)]));
  const send = layout(pieces.map((list) => list.map((p) => p.length)));
  const outgoing = new Uint8Array(send.total);
  let at = 0;
  for (const list of pieces) {
    for (const piece of list) {
      outgoing.set(data.subarray(piece.data, piece.data + piece.length), at);
      at += piece.length;
    }
  }
  const receive = layout(places.map(([, lengths]) => lengths));
  const incoming = new Uint8Array(receive.total);
  await comm.Alltoallv([outgoing, [send.counts, send.displs], datatypes.BYTE],
    [incoming, [receive.counts, receive.displs], datatypes.BYTE]);
  if (receive.total === 0) return;
  const runs = coveredRuns(places);
  const base = runs[0]![0];
  const buffer = new Uint8Array(runs[runs.length - 1]![1] - base);
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
}

/**
 * A collective read into `data` (this rank's bytes, in view order) from the
 * file ranges `segments`; the bytes read before the end of the file.
 */
export async function readAll(comm: Intracomm, fd: number, segments: Segments, data: Uint8Array,
  io: <T>(run: () => T) => T): Promise<number> {
  const plan = await domains(comm, segments);
  if (plan === undefined) return 0;
  const pieces = split(comm, segments, plan);
  const places = await comm.alltoall(pieces.map((list): Places => [list.map((p) => p.offset), list.map((p) => p.length)]));
  const eof = io(() => fs.fstatSync(fd).size);
  // As the aggregator: read the covered runs, then send each rank its pieces in its order.
  const runs = coveredRuns(places);
  const base = runs.length > 0 ? runs[0]![0] : 0;
  const buffer = new Uint8Array(runs.length > 0 ? runs[runs.length - 1]![1] - base : 0);
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
  const outgoing = new Uint8Array(send.total);
  let at = 0;
  for (const [offsets, lengths] of places) {
    for (let i = 0; i < offsets.length; i++) {
      outgoing.set(buffer.subarray(offsets[i]! - base, offsets[i]! - base + lengths[i]!), at);
      at += lengths[i]!;
    }
  }
  const receive = layout(pieces.map((list) => list.map((p) => p.length)));
  const incoming = new Uint8Array(receive.total);
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
