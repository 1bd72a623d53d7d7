/**
 * Waiting for MPI requests without blocking Node's event loop.
 *
 * MPI-4.1 §3.7.3 (completion: MPI_Test), §3.7.5 (multiple completions:
 * MPI_Testsome), §3.8.1 (probing), §11.7 (progress: MPI only moves a message
 * when the process calls into MPI, so somebody must keep calling).
 *
 * Strategy (chosen by measurements on 2 cores with Open MPI 4.1;
 * `bench/native_pingpong.ts` and `npm run bench` measure it, BENCHMARKS.md
 * has the results):
 *
 * 1. The fast path is in the caller: start the operation and test it once;
 *    complete, `wait()` returns an already-resolved Promise. Else `wait()`
 *    returns its Promise and, in a microtask (never before the caller's
 *    synchronous code has run, which may be the send this receive waits
 *    for), spins in C (`testSpin`) for {@link spinMicroseconds}. An 8-byte
 *    ping-pong completes there.
 * 2. Still pending: the operation joins this engine. Each tick is one call into
 *    C that repeats MPI_Testsome over all pending requests for up to
 *    {@link tickMicroseconds} or until one completes (Open MPI drives the
 *    nonblocking collectives only on every 8th progress call, and long
 *    transfers need many calls, so one MPI call per event-loop turn is far too
 *    few). Ticks follow each other on `setImmediate`: the event loop keeps
 *    running, the core stays busy.
 * 3. After {@link activeMilliseconds} without a completion, plus 1 ms per MB
 *    still in flight (a 16 MiB transfer has no completion for over a
 *    millisecond, and must not fall asleep half way), ticks run on 1 ms timers:
 *    the core sleeps, at the price of up to 1 ms of extra latency on long waits.
 *    Any completion or new request goes back to step 2.
 * 4. When ranks outnumber cores, idle passes call sched_yield() so that the
 *    peer we wait for gets the core. (Shortening the spin and the active
 *    window there was tried and made small ping-pongs of 4 ranks on 2 cores
 *    an order of magnitude slower.)
 *
 * A waiter thread that blocks in MPI_Wait was not chosen: MPI_Wait in Open MPI
 * and MPICH polls too (it burns the core just the same), it needs
 * MPI_THREAD_MULTIPLE, which slows every small message even in C, and waking
 * the event loop from a thread costs more than a small message.
 *
 * Unfinished: the constants are fixed (environment overrides only).
 *
 * @module
 */

import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ownCallFrames } from '../../observe/state.js';
import { hasOtherWork } from '../event_loop.js';
import type { NativeMPI } from './native.js';
import type { DeadlockWatch } from './watchdog.js';

/** A pending request: `finish` runs after `native.test(id)` completed it (status in the status block). */
export interface PendingRequest {
  readonly id: number;
  /** Bytes it moves, if known: keeps the engine awake while they are in flight. */
  readonly bytes?: number;
  finish(): void;
  /** What it waits for, for a deadlock report: `Send(dest=1, tag=0, 8000000 bytes)`. */
  describe(): string;
}

/** Something polled every tick that is not an MPI request (probes); returns true once done. */
export interface Poller {
  poll(): boolean;
  /** What it waits for, for a deadlock report. */
  describe(): string;
}

/** A non-negative number from the environment variable `name`, else `dflt`. */
export function envNumber(name: string, dflt: number): number {
  const raw = process.env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(v) && v >= 0 ? v : dflt;
}

/** Processes of this job on this node, from the launcher's environment. */
function localProcesses(): number {
  const env = process.env;
  for (const key of ['OMPI_COMM_WORLD_LOCAL_SIZE', 'MPI_LOCALNRANKS', 'PMI_LOCAL_SIZE', 'SLURM_NTASKS_PER_NODE']) {
    const n = Number(env[key]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return 1;
}

/**
 * True when this node runs more ranks than it has cores. (The node's CPUs, not
 * `availableParallelism()`: mpiexec binds each rank to one core, and that one
 * core is all the affinity mask shows.)
 */
export const oversubscribed: boolean = localProcesses() > Math.max(1, cpus().length);

/** Microseconds `wait()` spins in C before handing over to the engine (`MPI4TS_SPIN_US`). */
export const spinMicroseconds: number = envNumber('MPI4TS_SPIN_US', 50);

/**
 * Microseconds `wait()` spins in C for a request that moves `bytes`: the
 * short spin, or about as long as the bytes take at 4 GB/s, up to 2 ms. A
 * 4 MiB transfer then completes in one call instead of dozens of event-loop
 * ticks, at the bandwidth of C's MPI_Send/MPI_Recv (BENCHMARKS.md).
 */
export function spinFor(bytes: number): number {
  return Math.min(2000, Math.max(spinMicroseconds, bytes / 4000));
}

/** Microseconds one engine tick may spin in C while nothing completes (`MPI4TS_TICK_US`). */
export const tickMicroseconds: number = envNumber('MPI4TS_TICK_US', 20);

/** Milliseconds of busy ticks without any completion before ticks slow to timers (`MPI4TS_ACTIVE_MS`). */
export const activeMilliseconds: number = envNumber('MPI4TS_ACTIVE_MS', 10);

/** Milliseconds between ticks once idle (`MPI4TS_IDLE_MS`). */
export const idleMilliseconds: number = envNumber('MPI4TS_IDLE_MS', 1);

/** How often, at most, a tick looks at the deadlock watch (milliseconds). */
const WATCH_INTERVAL_MS = 100;
/** Bytes per millisecond a pending transfer is granted on top of the deadlock timeout (50 MB/s). */
const SLOWEST_BYTES_PER_MS = 50_000;

/** The one progress engine of a process. */
export class Progress {
  private readonly requests = new Map<number, PendingRequest>();
  private readonly pollers = new Set<Poller>();
  /** Pollers nobody waits for (a value receive not waited for yet): they do not keep the process alive. */
  private readonly background = new Set<Poller>();
  private ids = new Int32Array(64);
  private scheduled = false;
  /** The next tick, while one is scheduled. */
  private next: NodeJS.Immediate | NodeJS.Timeout | undefined = undefined;
  /** The tick that runs was started by a timer (not setImmediate). */
  private onTimer = false;
  private lastProgress = 0;
  private pendingBytes = 0;
  /** The deadlock watch, when the job has one (see watchdog.ts). */
  watch: DeadlockWatch | undefined = undefined;
  private lastWatch = 0;

  constructor(private readonly native: NativeMPI) {}

  /** Adds a pending request; it is tested every tick until it completes. */
  addRequest(r: PendingRequest): void {
    this.requests.set(r.id, r);
    this.pendingBytes += r.bytes ?? 0;
    this.touch();
  }

  /** Forgets a request that completed (here, or elsewhere such as in `Operation.test()`). */
  removeRequest(id: number): void {
    const r = this.requests.get(id);
    if (r === undefined) return;
    this.requests.delete(id);
    this.pendingBytes -= r.bytes ?? 0;
    this.lastProgress = performance.now();
    this.watch?.moved();
  }

  /**
   * Adds a poller; it is polled every tick until it returns true. A
   * `background` one (nobody waits for it yet) does not keep the process
   * alive: a program may end with a receive pending, as under MPI_Finalize
   * (MPI-4.1 §11.2.2) and on shm. Added again without `background`, it does.
   */
  addPoller(p: Poller, background = false): void {
    if (background && !this.pollers.has(p)) this.background.add(p);
    else if (!background) this.background.delete(p);
    this.pollers.add(p);
    this.touch();
  }

  /** Removes a poller that finished elsewhere. */
  removePoller(p: Poller): void {
    this.background.delete(p);
    if (this.pollers.delete(p)) this.watch?.moved();
  }

  /** Number of pending requests and pollers. */
  get pending(): number {
    return this.requests.size + this.pollers.size;
  }

  private touch(): void {
    this.lastProgress = performance.now();
    this.watch?.moved();
    if (!this.scheduled) {
      this.scheduled = true;
      this.onTimer = false;
      this.next = setImmediate(this.tick);
    }
    this.keepAlive();
  }

  /** Lets the scheduled tick keep the process alive only while something is waited for. */
  private keepAlive(): void {
    if (this.requests.size > 0 || this.pollers.size > this.background.size) this.next?.ref();
    else this.next?.unref();
  }

  private readonly tick = (): void => {
    this.scheduled = false;
    this.next = undefined;
    const now = performance.now();
    const busy = now - this.lastProgress < activeMilliseconds + this.pendingBytes / 1e6;
    let progressed = false;
    try {
      // Probes have no request to test, so with probes pending the C spin is short.
      progressed = this.testRequests(busy && this.pollers.size === 0 ? tickMicroseconds : 0);
      for (const p of this.pollers) {
        if (p.poll()) {
          this.removePoller(p);
          progressed = true;
        }
      }
      // A tick that completed something is not blocked, however long the event loop stood still before it.
      if (this.watch !== undefined && now - this.lastWatch >= WATCH_INTERVAL_MS) {
        this.lastWatch = now;
        this.watch.check(!progressed && this.blocked(now) ? this.describe() : undefined);
      }
    } finally {
      if (this.requests.size + this.pollers.size > 0) {
        this.scheduled = true;
        if (progressed) this.lastProgress = performance.now();
        this.onTimer = !(progressed || busy);
        this.next = this.onTimer ? setTimeout(this.tick, idleMilliseconds) : setImmediate(this.tick);
        this.keepAlive();
      }
    }
  };

  /**
   * Blocked, for the deadlock watch: requests pending, something waited for
   * (a rank with only background pollers waits for nothing of ours), nothing
   * completed or started for the timeout (longer while many bytes are in
   * flight), and nothing else for the event loop to do.
   */
  private blocked(now: number): boolean {
    const quiet = now - this.lastProgress;
    if (this.requests.size === 0 && this.pollers.size === this.background.size) return false;
    if (quiet < this.watch!.timeoutMs + this.pendingBytes / SLOWEST_BYTES_PER_MS) return false;
    return !hasOtherWork(IDLE_RESOURCES, this.onTimer ? 1 : 0);
  }

  /** The pending operations, for a deadlock report, and under them the user's frames of the call (with --watchdog). */
  private describe(): string {
    const all = [...this.requests.values(), ...this.pollers];
    return all.slice(0, 4).map((w) => w.describe()).join('; ') + (all.length > 4 ? `; and ${all.length - 4} more` : '') +
      ownCallFrames().map((frame) => `\n      at ${frame}`).join('');
  }

  /** MPI_Testsome over every pending request (spinning up to `microseconds`); finishes the completed ones. */
  private testRequests(microseconds: number): boolean {
    const n = this.requests.size;
    if (n === 0) return false;
    if (this.ids.length < n) this.ids = new Int32Array(n * 2);
    const ids = this.ids;
    let i = 0;
    for (const id of this.requests.keys()) ids[i++] = id;
    const done = this.native.testsome(ids, n, microseconds, oversubscribed ? 1 : 0);
    for (let k = 0; k < done; k++) {
      const id = ids[k]!;
      const r = this.requests.get(id);
      if (r === undefined) continue;
      this.removeRequest(id);
      this.native.test(id); // writes its status and releases the id
      r.finish();
    }
    return done > 0;
  }
}

/** Resources every rank has that never end a wait: stdio pipes and TTYs. */
const IDLE_RESOURCES: ReadonlySet<string> = new Set(['PipeWrap', 'TTYWrap']);
