/**
 * One rank's arena of the shared heap: memory that every rank of the job has
 * mapped, so a receiver can copy a large message straight out of it.
 *
 * Only the owning rank allocates and frees, so no locking is needed. First
 * fit over an offset-ordered free list, blocks aligned to 64 bytes; freed
 * neighbours merge. `MPI.alloc` takes its memory here, and so does rendezvous
 * staging of send buffers that live elsewhere.
 *
 * @module
 */

const ALIGN = 64;

interface FreeBlock {
  offset: number;
  bytes: number;
}

/** The owner's allocator over its arena. */
export class HeapArena {
  private readonly free: FreeBlock[];
  private readonly sizes = new Map<number, number>();

  constructor(readonly buffer: SharedArrayBuffer) {
    this.free = [{ offset: 0, bytes: buffer.byteLength }];
  }

  /** Offset of a block of at least `bytes` bytes, or -1 when the arena is full. */
  allocate(bytes: number): number {
    const want = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      if (block.bytes < want) continue;
      const offset = block.offset;
      if (block.bytes === want) this.free.splice(i, 1);
      else {
        block.offset += want;
        block.bytes -= want;
      }
      this.sizes.set(offset, want);
      return offset;
    }
    return -1;
  }

  /** Returns a block from {@link allocate} to the arena. Unknown offsets are ignored. */
  release(offset: number): void {
    const bytes = this.sizes.get(offset);
    if (bytes === undefined) return;
    this.sizes.delete(offset);
    let i = 0;
    while (i < this.free.length && this.free[i]!.offset < offset) i++;
    this.free.splice(i, 0, { offset, bytes });
    const next = this.free[i + 1];
    if (next !== undefined && offset + bytes === next.offset) {
      this.free[i]!.bytes += next.bytes;
      this.free.splice(i + 1, 1);
    }
    const previous = this.free[i - 1];
    if (previous !== undefined && previous.offset + previous.bytes === offset) {
      previous.bytes += this.free[i]!.bytes;
      this.free.splice(i, 1);
    }
  }
}
