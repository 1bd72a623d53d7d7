/**
 * The arithmetic of a file view: which bytes of a file a range of a view's
 * data covers.
 *
 * MPI-4.1 §14.3 (file views: a displacement, an etype and a filetype that is
 * tiled from the displacement on), §14.4.1 (offsets in etypes relative to the
 * view), §14.4.3 (`MPI_File_get_byte_offset`). A view's data is the
 * concatenation of the filetype's bytes in type order, tile after tile: data
 * byte `d` lies in tile `floor(d / size)` at `disp + tile * extent` plus the
 * place of byte `d % size` in the filetype's typemap (`Typemap.runOffsets`,
 * `runLengths`). Pure functions of the typemap: the File class
 * (`api/file.ts`) turns their segments into positional reads and writes.
 *
 * MPI requires a filetype's displacements to be non-negative and
 * nondecreasing (§14.3); {@link backwardsDisplacement} says
 * where one is not, and `File.Set_view` refuses it on both transports.
 *
 * @module
 */

import type { Datatype } from '../datatype/index.js';

/**
 * Why `filetype` cannot be a view's filetype: a displacement of its typemap
 * that is negative or below the one before it, in type order; undefined
 * when there is none.
 */
export function backwardsDisplacement(filetype: Datatype): string | undefined {
  const { blockDisps, blockCounts, blockTypes } = filetype.typemap;
  if (blockDisps.length === 0) return undefined;
  if (blockDisps[0]! < 0) return `has a negative displacement (${blockDisps[0]}), which a filetype may not have`;
  let last = 0;
  for (let b = 0; b < blockDisps.length; b++) {
    if (blockDisps[b]! < last) {
      return `has its displacements out of order (${blockDisps[b]} after ${last}): a filetype's must not decrease`;
    }
    last = blockDisps[b]! + (blockCounts[b]! - 1) * blockTypes[b]!.size;
  }
  return undefined;
}

/** File byte ranges: `offsets[i]`, `lengths[i]` bytes, in data order, adjacent ranges merged. */
export interface Segments {
  readonly offsets: number[];
  readonly lengths: number[];
}

/**
 * One file view (MPI-4.1 §14.3): where the data of the view lies in the file.
 *
 * @example
 * ```ts
 * const view = new FileView(0, MPI.DOUBLE, MPI.DOUBLE.Create_vector(2, 1, 4).Commit());
 * view.segments(0, 16); // { offsets: [0, 32], lengths: [8, 8] }
 * ```
 */
export class FileView {
  /** Data bytes per tile. */
  private readonly size: number;
  /** Bytes from one tile to the next. */
  private readonly extent: number;
  private readonly runOffsets: readonly number[];
  private readonly runLengths: readonly number[];
  /** Data bytes of the tile before run `i`. */
  private readonly runStarts: number[];
  /** One run from the start of the tile that fills it: the file is contiguous from `disp` on. */
  readonly contiguous: boolean;

  constructor(readonly disp: number, readonly etype: Datatype, readonly filetype: Datatype) {
    const map = filetype.typemap;
    this.size = map.size;
    this.extent = map.extent;
    this.runOffsets = map.runOffsets;
    this.runLengths = map.runLengths;
    this.runStarts = [];
    let start = 0;
    for (const length of this.runLengths) {
      this.runStarts.push(start);
      start += length;
    }
    this.contiguous = this.runOffsets.length === 1 && this.runOffsets[0] === 0 && this.runLengths[0] === this.extent;
  }

  /** The file ranges of `length` data bytes from data byte `start` on. */
  segments(start: number, length: number): Segments {
    const offsets: number[] = [];
    const lengths: number[] = [];
    if (length <= 0) return { offsets, lengths };
    if (this.contiguous) return { offsets: [this.disp + start], lengths: [length] };
    if (this.size === 0) return { offsets, lengths };
    let tile = Math.floor(start / this.size);
    let within = start - tile * this.size;
    let run = this.runOf(within);
    let left = length;
    while (left > 0) {
      const into = within - this.runStarts[run]!;
      const take = Math.min(this.runLengths[run]! - into, left);
      const offset = this.disp + tile * this.extent + this.runOffsets[run]! + into;
      const last = offsets.length - 1;
      if (last >= 0 && offsets[last]! + lengths[last]! === offset) lengths[last]! += take;
      else {
        offsets.push(offset);
        lengths.push(take);
      }
      left -= take;
      within += take;
      if (++run === this.runLengths.length || within >= this.size) {
        run = 0;
        within = 0;
        tile++;
      }
    }
    return { offsets, lengths };
  }

  /** The run of the filetype that holds data byte `within` of a tile. */
  private runOf(within: number): number {
    let low = 0;
    let high = this.runStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.runStarts[middle]! <= within) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The file byte of data byte `start` (`MPI_File_get_byte_offset`). */
  byteOffset(start: number): number {
    if (this.contiguous) return this.disp + start;
    if (this.size === 0) return this.disp;
    const tile = Math.floor(start / this.size);
    const within = start - tile * this.size;
    const run = this.runOf(within);
    return this.disp + tile * this.extent + this.runOffsets[run]! + within - this.runStarts[run]!;
  }

  /** Data bytes of the view that lie before file byte `fileBytes` (the end of the file for `SEEK_END`). */
  dataBefore(fileBytes: number): number {
    const relative = fileBytes - this.disp;
    if (relative <= 0) return 0;
    if (this.contiguous) return relative;
    if (this.extent <= 0) return 0;
    const tile = Math.floor(relative / this.extent);
    const within = relative - tile * this.extent;
    let data = tile * this.size;
    for (let run = 0; run < this.runOffsets.length; run++) {
      data += Math.max(0, Math.min(within - this.runOffsets[run]!, this.runLengths[run]!));
    }
    return data;
  }
}
