/**
 * The `mpi` transport: ranks are processes started by `mpiexec`/`srun`, and
 * messages, matching and collectives are a real MPI library's (Open MPI or
 * MPICH) through the native binding in native/mpi4ts_native.c.
 *
 * MPI-4.1 §11.2 (initialization: MPI_Init_thread when the binding loads, at
 * MPI_THREAD_FUNNELED unless `MPI4TS_THREAD_LEVEL` says otherwise, since only
 * the JS main thread calls MPI), §11.2.2 (MPI_Finalize at process exit),
 * §11.3 / §9.5 (MPI_Abort), §9.1 (MPI_Get_processor_name,
 * MPI_Get_library_version, MPI_Get_version), §9.6 (MPI_Wtime, MPI_Wtick),
 * §9.3 (MPI_ERRORS_RETURN on every communicator: errors become MPIErrors).
 *
 * At exit with code 0 the process finalizes MPI. At a non-zero exit (an
 * uncaught exception, `process.exit(1)`) it calls MPI_Abort instead, so that
 * the launcher ends the whole job at once rather than every other rank
 * hanging in a message from this one (or this one hanging in MPI_Finalize).
 *
 * Dynamic processes (§11.8): `parent` is MPI_Comm_get_parent's
 * intercommunicator; endpoints spawn with MPI_Comm_spawn and
 * MPI_Comm_spawn_multiple, accept and connect with MPI_Comm_accept and
 * MPI_Comm_connect (§11.9); ports, names and MPI_Comm_join are ports.ts's.
 *
 * Deadlocks are reported as on the shm transport (watchdog.ts), after
 * `MPI4TS_DEADLOCK_TIMEOUT` seconds (default 1; 0 turns the watch off).
 * `MPI4TS_VERBOSE=1` makes rank 0 say on stderr that the job runs here.
 *
 * Open MPI's `op/avx` reduction component is left out (`OMPI_MCA_op=^avx`
 * unless the user set `OMPI_MCA_op`): in Open MPI 4.1 it saturates 8-bit
 * integer sums where MPI's C semantics wrap them, as the shm transport does.
 *
 * Unfinished: memory from MPI_Alloc_mem
 * (`alloc` returns plain memory, which MPI moves without copies anyway).
 *
 * @module
 */

import type { TypedArray } from '../../datatype/index.js';
import { setErrorRank } from '../../errors.js';
import { monotonicMicros } from '../../observe/clock.js';
import { CLOCK_SYNC_ENV, DEADLOCK_EXIT_CODE, type Endpoint, type Transport } from '../transport.js';
import { blockingBarrier } from './collectives.js';
import { BlockingCalls, type MpiContext } from './context.js';
import { MpiEndpoint, MpiInterEndpoint } from './endpoint.js';
import { deleteMpiFile } from './file.js';
import { loadNative, type NativeMPI } from './native.js';
import { envNumber, Progress } from './progress.js';
import { MpiPortService } from './ports.js';
import { DeadlockWatch } from './watchdog.js';

/** MPI's thread support levels by number (MPI-4.1 §11.2.1). */
const threadLevelNames = ['MPI_THREAD_SINGLE', 'MPI_THREAD_FUNNELED', 'MPI_THREAD_SERIALIZED', 'MPI_THREAD_MULTIPLE'];

/** The transport over a native MPI library. Create it with {@link createMpiTransport}. */
export class MpiTransport implements Transport {
  readonly name = 'mpi' as const;
  readonly worldRank: number;
  readonly worldSize: number;
  readonly world: MpiEndpoint;
  readonly self: MpiEndpoint;
  /** The intercommunicator to the job that spawned this one (`MPI_Comm_get_parent`), if any. */
  readonly parent: MpiInterEndpoint | undefined;
  /** The binding itself, for diagnostics and benchmarks. */
  readonly native: NativeMPI;
  /** The progress engine that waits for pending requests. */
  readonly progress: Progress;
  readonly clockOffset: number;
  /** Port names, the name service and `MPI_Comm_join` (ports.ts). */
  readonly ports: MpiPortService;

  constructor(native: NativeMPI) {
    this.native = native;
    this.progress = new Progress(native);
    const [worldRank, worldSize] = native.commRankSize(0);
    const ctx: MpiContext = {
      native, progress: this.progress, status: native.statusBuffer, worldSize, blocking: new BlockingCalls(),
    };
    this.world = MpiEndpoint.create(ctx, 0, 'COMM_WORLD');
    this.self = MpiEndpoint.create(ctx, 1, 'COMM_SELF');
    this.ports = new MpiPortService(ctx, this.self);
    this.worldRank = worldRank;
    this.worldSize = worldSize;
    this.clockOffset = process.env[CLOCK_SYNC_ENV] === '1' ? estimateClockOffset(native, worldRank, worldSize) : 0;
    const parent = native.commGetParent();
    this.parent = parent < 0 ? undefined : MpiInterEndpoint.create(ctx, parent, 'parent', this.world);
    // A spawned job may wait for its parent, which the watch cannot see (see watchdog.ts).
    if (this.parent === undefined) {
      // Made whatever the timeout, so that ranks given different environments still agree on MPI_Comm_dup.
      const watchComm = native.commDup(0);
      const timeout = envNumber('MPI4TS_DEADLOCK_TIMEOUT', 1);
      if (timeout > 0) {
        this.progress.watch = new DeadlockWatch(native, watchComm, worldRank, worldSize, timeout * 1000, (report) => {
          process.stderr.write(`mpi4ts: ${report}\n`);
          this.abort(DEADLOCK_EXIT_CODE, 'deadlock');
        });
      }
    }
  }

  /** Plain memory: MPI reads and writes typed arrays in place, so any memory is as good. */
  alloc<T extends TypedArray>(arrayType: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
    readonly BYTES_PER_ELEMENT: number }, length: number): T {
    return new arrayType(new ArrayBuffer(length * arrayType.BYTES_PER_ELEMENT), 0, length);
  }

  /** `MPI_Get_address`: the real address of the view's first byte. */
  deleteFile(path: string, call: string): void {
    deleteMpiFile(this.native, path, call);
  }

  address(view: ArrayBufferView): number {
    const buffer = view.buffer;
    if (buffer.byteLength === 0) return 0;
    // A one-byte view at the same place (past the end: one byte before it, plus one).
    const at = Math.min(view.byteOffset, buffer.byteLength - 1);
    return this.native.address(new Uint8Array(buffer, at, 1)) + (view.byteOffset - at);
  }

  abort(code: number, reason: string): never {
    if (reason !== '') process.stderr.write(`mpi4ts: rank ${this.worldRank} aborts the job (code ${code}): ${reason}\n`);
    return this.native.abort(code);
  }

  processorName(): string {
    return this.native.processorName();
  }

  libraryVersion(): string {
    return this.native.libraryVersion();
  }

  wtick(): number {
    return this.native.wtick();
  }

  worldAttribute(name: string): number | undefined {
    return this.native.worldAttribute(name);
  }

  isThreadMain(): boolean {
    return this.native.isThreadMain();
  }

  /** `MPI_Wtime`: seconds since some time in the past. */
  wtime(): number {
    return this.native.wtime();
  }

  /** `MPI_Query_thread`: the thread level MPI granted (`MPI.THREAD_*`). */
  get threadLevel(): number {
    return this.native.threadProvided;
  }

  /** The name of {@link threadLevel}, such as `'MPI_THREAD_FUNNELED'`. */
  get threadLevelName(): string {
    return threadLevelNames[this.native.threadProvided] ?? `level ${this.native.threadProvided}`;
  }

  /** `MPI_TAG_UB` of the library: tags above it fail with `ERR_TAG`. */
  get tagUpperBound(): number {
    return this.native.tagUB;
  }

  /** `MPI_Get_version`: the MPI standard version the library implements. */
  get version(): readonly [number, number] {
    return this.native.version;
  }

  /** MPI_Finalize now (it also happens at exit); true if this call did it. */
  finalize(): boolean {
    return this.native.finalize();
  }
}

/** Barrier rounds of {@link estimateClockOffset}. */
const CLOCK_ROUNDS = 9;

/**
 * How far this rank's clock runs ahead of world rank 0's, in microseconds:
 * the ranks leave each of {@link CLOCK_ROUNDS} barriers (blocking
 * MPI_Allreduce calls on a communicator of their own) at nearly the same
 * moment and read their clocks; the median difference to rank 0's reading
 * is the estimate, good to a barrier's skew (microseconds on one network).
 * 0 for the ranks of rank 0's node (MPI_Comm_split_type SHARED), which read
 * its clock. Collective over `MPI_COMM_WORLD`; called where every rank starts MPI.
 */
function estimateClockOffset(native: NativeMPI, worldRank: number, worldSize: number): number {
  const comm = native.commDup(0);
  const mine = new Float64Array(CLOCK_ROUNDS);
  for (let round = 0; round < CLOCK_ROUNDS; round++) {
    blockingBarrier(native, comm, 'MPI_Init');
    mine[round] = monotonicMicros();
  }
  const all = new Float64Array(CLOCK_ROUNDS * worldSize);
  const bytes = CLOCK_ROUNDS * Float64Array.BYTES_PER_ELEMENT;
  native.allgatherv(comm, new Uint8Array(mine.buffer), new Uint8Array(all.buffer),
    Int32Array.from({ length: worldSize }, () => bytes), Int32Array.from({ length: worldSize }, (_, r) => r * bytes));
  native.commFree(comm);
  // Ranks that share memory with rank 0 share its clock: an estimate would only add the barrier's skew.
  const node = native.commSplitShared(0, worldRank);
  const withRankZero = native.commWorldRanks(node).includes(0);
  native.commFree(node);
  if (withRankZero) return 0;
  const differences = Array.from(mine, (time, round) => time - all[round]!).sort((a, b) => a - b);
  return differences[CLOCK_ROUNDS >> 1]!;
}

let transport: MpiTransport | undefined;

/**
 * The `mpi` transport of this process (created once): loads the binding,
 * which initialises MPI, and arranges MPI_Finalize (exit code 0) or
 * MPI_Abort (any other code) at exit.
 *
 * @throws MPIError when the binding is not built or cannot load; the message
 *   says how to build it (`npx mpi4ts build-mpi`).
 */
export function createMpiTransport(): MpiTransport {
  if (transport !== undefined) return transport;
  // Open MPI 4.1's AVX reduction kernels saturate 8-bit integer sums (100 + 100 gives 127) where C and every other
  // kernel wrap; MPI_Init, when the binding loads, reads its MCA parameters from the environment. The user's choice
  // of op components wins.
  process.env['OMPI_MCA_op'] ??= '^avx';
  const native = loadNative();
  const created = new MpiTransport(native);
  transport = created;
  setErrorRank(created.worldRank);
  if (process.env.MPI4TS_VERBOSE === '1' && created.worldRank === 0) {
    process.stderr.write(`mpi4ts: ${created.worldSize} rank${created.worldSize === 1 ? '' : 's'} on the mpi transport ` +
      `(${native.libraryVersion().split('\n')[0]!.split(',')[0]}, ${created.threadLevelName})\n`);
  }
  process.on('exit', (code) => {
    if (code === 0) {
      created.progress.watch?.finished();
      native.finalize();
    } else {
      // Only this rank knows it failed: end the job rather than let the others wait
      // for it. At C exit, so that Node prints the fatal error first.
      native.abortAtExit(code);
    }
  });
  return created;
}

/** The endpoint type of this transport, for code that needs the MPI-specific extras. */
export type { MpiEndpoint };
/** Re-exported for callers that only import the transport module. */
export type { Endpoint };
