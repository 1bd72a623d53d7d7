/**
 * Scratch memory for collective algorithms, shared by every communicator of
 * a rank: a call takes buffers while it runs and gives them back when it is
 * done, so that the memory in use is what the running calls need, not a
 * buffer kept per communicator.
 *
 * MPI-4.1 §6 leaves internal buffering to the implementation. Buffers come
 * from the allocator the composition root hands in (`src/environment.ts`:
 * the transport's `alloc`, the shared heap on shm, from which a large send
 * leaves with no staging copy), else from plain memory when it refuses, so
 * user messages are never refused for the collectives' sake. A few buffers
 * are kept for the next calls; larger or further ones go back to the heap
 * when garbage-collected.
 *
 * @module
 */

/** Buffers kept between calls, and the largest one kept. */
const KEEP = 6;
const KEEP_BYTES = 64 * 1024 * 1024;

/** The scratch buffers of one rank. */
export class ScratchPool {
  private readonly pool: Uint8Array[] = [];

  /** @param allocate - memory the transport moves with fewest copies; may throw when it has none left */
  constructor(private readonly allocate: (bytes: number) => Uint8Array) {}

  /** A buffer of at least `bytes` bytes (a power of two, at least 4 KiB), 64-byte aligned. */
  take(bytes: number): Uint8Array {
    const pool = this.pool;
    let best = -1;
    for (let i = 0; i < pool.length; i++) {
      if (pool[i]!.byteLength >= bytes && (best < 0 || pool[i]!.byteLength < pool[best]!.byteLength)) best = i;
    }
    if (best >= 0) return pool.splice(best, 1)[0]!;
    let size = 4096;
    while (size < bytes) size *= 2;
    try {
      return this.allocate(size);
    } catch {
      return new Uint8Array(size);
    }
  }

  /** Gives a buffer from {@link take} back. */
  give(buffer: Uint8Array): void {
    if (buffer.byteLength > KEEP_BYTES) return;
    const pool = this.pool;
    pool.push(buffer);
    if (pool.length > KEEP) {
      pool.sort((a, b) => b.byteLength - a.byteLength);
      pool.shift();
    }
  }
}
