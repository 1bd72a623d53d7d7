/**
 * The embedded shared-memory transport: ranks are worker threads of one
 * process, started by the launcher, or a single rank when a script runs
 * without it.
 *
 * MPI-4.1 §11.2 (start-up), §11.8 (spawned ranks and their parent), §9.5
 * (`MPI_Abort`), §9.6 (timers, processor name).
 *
 * @module
 */

import { hostname } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import type { TypedArray } from '../../datatype/index.js';
import { errors } from '../../errors.js';
import type { CollectivesFactory, Endpoint, InterEndpoint, Transport } from '../transport.js';
import { ShmEndpoint, ShmInterEndpoint } from './endpoint.js';
import { ShmEngine, type WaitTuning } from './engine.js';
import { Context, Global, type JobMemory } from './layout.js';
import { hasLauncher, notifyAbort } from './launcher_link.js';
import { ShmPortService } from './ports.js';
import { shmAddress } from './window.js';

/** A group of world ranks under one context. */
export interface GroupBoot {
  readonly context: number;
  readonly group: readonly number[];
}

/** What the launcher hands each rank in `workerData.mpi4ts`. */
export interface RankBoot {
  /** This rank's slot in the job's shared memory. */
  readonly rank: number;
  readonly memory: JobMemory;
  readonly tuning: WaitTuning;
  /** The ranks of this rank's `COMM_WORLD`. */
  readonly world: GroupBoot;
  /** For spawned ranks: the parents, remote group of `Get_parent()`. */
  readonly parent?: GroupBoot;
  /** Where the launcher posts the heaps of slots it adds to the universe (layout.ts). */
  readonly growth?: MessagePort;
  /** For ranks of `Spawn_multiple` (and `Spawn`): the index of their program, `MPI_APPNUM`. */
  readonly appnum?: number;
}

/** The shm transport of one rank. */
export class ShmTransport implements Transport {
  readonly name = 'shm';
  readonly worldRank: number;
  readonly worldSize: number;
  readonly world: Endpoint;
  readonly self: Endpoint;
  readonly parent: InterEndpoint | undefined;
  readonly engine: ShmEngine;
  /** Port names and the name service, through the launcher (ports.ts). */
  readonly ports = new ShmPortService();
  /** `MPI_APPNUM`: the index of this rank's program in a `Spawn_multiple` (0 otherwise). */
  private readonly appnum: number;
  private readonly allocations = new FinalizationRegistry<number>((offset) => this.engine.arena.release(offset));

  /** @param collectivesOf - the collectives over point-to-point that every communicator runs */
  constructor(boot: RankBoot, collectivesOf: CollectivesFactory) {
    this.engine = new ShmEngine(boot.rank, boot.memory, boot.tuning, boot.growth);
    // A rank that ends right after a call that did not wait (a Bcast's root) still tells a peer stalled in its own
    // call what this rank called there.
    process.once('exit', () => this.engine.publishAnnouncement());
    this.appnum = boot.appnum ?? 0;
    const worldGroup = Int32Array.from(boot.world.group);
    this.world = new ShmEndpoint(this.engine, boot.world.context, worldGroup, collectivesOf);
    this.worldRank = this.world.rank;
    this.worldSize = this.world.size;
    this.engine.prefaultRings(worldGroup);
    this.self = new ShmEndpoint(this.engine, Context.SELF, Int32Array.of(boot.rank), collectivesOf);
    this.parent = boot.parent === undefined ? undefined
      : new ShmInterEndpoint(this.engine, boot.parent.context, worldGroup, Int32Array.from(boot.parent.group),
        collectivesOf);
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

  /** Addresses of this rank's own address space (`window.ts`): a base per buffer plus the byte offset. */
  address(view: ArrayBufferView): number {
    return shmAddress(view);
  }

  abort(code: number, reason: string): never {
    if (hasLauncher()) notifyAbort(code, reason);
    else process.stderr.write(`mpi4ts: rank ${this.worldRank} called Abort(${code}): ${reason}\n`);
    process.exit(code === 0 ? 1 : code);
  }

  processorName(): string {
    return hostname();
  }

  libraryVersion(): string {
    return `mpi4ts shm transport (worker threads, SharedArrayBuffer), Node.js ${process.version}`;
  }

  /**
   * `'UNIVERSE_SIZE'`: the slots the job has now (its ranks, live spawned
   * ranks and free slots); it grows when a `Spawn` needs more. `'APPNUM'`:
   * the index of this rank's program in `Spawn_multiple`, else 0.
   */
  worldAttribute(name: string): number | undefined {
    if (name === 'APPNUM') return this.appnum;
    return name === 'UNIVERSE_SIZE' ? Atomics.load(this.engine.control, Global.UNIVERSE) : undefined;
  }

  wtick(): number {
    return 1e-9;
  }
}
