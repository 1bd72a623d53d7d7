/**
 * The embedded shared-memory transport: ranks are worker threads of one
 * process, started by the launcher, or a single rank when a script runs
 * without it.
 *
 * MPI-4.1 §11.2 (start-up), §9.5 (`MPI_Abort`), §9.6 (timers, processor name).
 *
 * @module
 */

import { hostname } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { TypedArray } from '../../datatype.js';
import { errors } from '../../errors.js';
import type { Endpoint, Transport } from '../transport.js';
import { ShmEndpoint } from './endpoint.js';
import { ShmEngine, type WaitTuning } from './engine.js';
import { Context, type JobMemory } from './layout.js';

/** What the launcher hands each rank in `workerData.mpi4ts`. */
export interface RankBoot {
  readonly rank: number;
  readonly memory: JobMemory;
  readonly tuning: WaitTuning;
}

/** Message a rank posts to the launcher before it ends the job with `Abort`. */
export interface AbortNotice {
  readonly type: 'abort';
  readonly code: number;
  readonly reason: string;
}

/** The shm transport of one rank. */
export class ShmTransport implements Transport {
  readonly name = 'shm';
  readonly worldRank: number;
  readonly worldSize: number;
  readonly world: Endpoint;
  readonly self: Endpoint;
  readonly engine: ShmEngine;
  private readonly allocations = new FinalizationRegistry<number>((offset) => this.engine.arena.release(offset));

  constructor(boot: RankBoot) {
    this.engine = new ShmEngine(boot.rank, boot.memory, boot.tuning);
    this.worldRank = boot.rank;
    this.worldSize = boot.memory.size;
    this.world = new ShmEndpoint(this.engine, Context.WORLD, Int32Array.from({ length: this.worldSize }, (_, r) => r));
    this.self = new ShmEndpoint(this.engine, Context.SELF, Int32Array.of(boot.rank));
  }

  alloc<T extends TypedArray>(arrayType: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
    readonly BYTES_PER_ELEMENT: number }, length: number): T {
    const offset = this.engine.arena.allocate(length * arrayType.BYTES_PER_ELEMENT);
    if (offset < 0) {
      throw errors.noMem('MPI.alloc', `${length * arrayType.BYTES_PER_ELEMENT} bytes do not fit this rank's shared heap;` +
        ' start the job with a larger --heap-size');
    }
    const array = new arrayType(this.engine.arena.buffer, offset, length);
    this.allocations.register(array, offset);
    return array;
  }

  abort(code: number, reason: string): never {
    if (parentPort !== null) {
      const notice: AbortNotice = { type: 'abort', code, reason };
      parentPort.postMessage(notice);
    } else {
      process.stderr.write(`mpi4ts: rank ${this.worldRank} called Abort(${code}): ${reason}\n`);
    }
    process.exit(code === 0 ? 1 : code);
  }

  processorName(): string {
    return hostname();
  }

  libraryVersion(): string {
    return `mpi4ts shm transport (worker threads, SharedArrayBuffer), Node.js ${process.version}`;
  }

  wtick(): number {
    return 1e-9;
  }
}
