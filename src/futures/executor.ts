/**
 * `MPIPoolExecutor` and `MPICommExecutor`: a pool of worker ranks that run
 * the exported functions of a module, as `mpi4py.futures` does for Python
 * (MPI-4.1 §11.8.2 `MPI_Comm_spawn` for the workers it starts, §7.4 `Dup`
 * for the communicator of an `MPICommExecutor`).
 *
 * Functions cannot travel between ranks, so a task names its function: the
 * pool's module (a URL or path every worker can import) and an export name;
 * with the module's type as the type argument, names, arguments and results
 * are checked by TypeScript.
 *
 * Where the workers come from: ranks spawned with `Comm.Spawn` (the
 * default); the other ranks of the world in a job started with
 * `mpi4ts -m futures`; or the other ranks of a communicator with
 * `MPICommExecutor(comm, root)`.
 *
 * Speed: tasks go to workers in batches, and each worker has several in
 * flight, about {@link TARGET_FLIGHT_MS} of work as measured per export (at
 * least two tasks, so it never waits for the next one, and no more, so the
 * tail of a map stays balanced); an export not measured yet counts as a
 * whole target, so a map of long tasks after many tiny ones still goes out
 * two tasks per worker at a time. A worker answers each batch with one
 * message, so a task that shared a batch with a slower one completes with
 * it. Per task the manager makes one object (the Future, which is also the
 * queue's entry): a `map` item travels as itself, in a batch that is one
 * list per export, and its result comes back in one list per batch.
 *
 * Long tasks (measured at {@link PACE_MIN_MS} or more) go out three per
 * worker while the queue holds three for every worker (two at the end of a
 * map, so that its tail stays short). While every worker holds work beyond
 * the task it runs (of exports measured twice) and tasks wait in the queue,
 * the manager does not keep a receive posted: it sleeps on a timer for half
 * of the least such work and then takes every answer there is. A posted
 * receive would take a core from the workers (the mpi transport's progress
 * engine polls while one is pending; on shm every answer would wake the
 * manager); with more ranks than cores a manager that waits for a core
 * still finds the workers busy. `MPI4TS_FUTURES_PACE=0` turns this off, to
 * compare. Measured with the timelines of
 * `bench/futures/timeline/` (the CPU-bound map of the futures benchmark).
 *
 * A pool left open when the program's event loop runs dry is shut down
 * then (`beforeExit`), so that its workers do not wait forever.
 *
 * Unfinished: a worker that dies goes on being served around only on shm
 * (the launcher says so); under mpiexec a spawned worker that exits or
 * throws tells its pool first, but then the MPI job ends, and one killed by
 * a signal is named by mpiexec alone. The launcher's notices are heard only
 * while the pool has tasks out (a listener would keep the thread alive); if
 * every worker dies, the pool's last receive stays posted. A pool cannot
 * grow or replace a dead worker. `map` takes the whole iterable at once. A
 * batch's time is shared out evenly over its tasks, so a batch that mixes
 * exports measures them as one. Pacing trusts those measurements: a long
 * task followed by much shorter ones of the same export can leave a worker
 * idle until the manager's timer (at most half the work it was thought to
 * hold).
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import type { Comm } from '../api/comm.js';
import type { Intracomm } from '../api/intracomm.js';
import { Status } from '../api/status.js';
import { encode } from '../codec/index.js';
import { ANY_SOURCE, ANY_TAG } from '../constants.js';
import { MPI } from '../mpi.js';
import { type CompletedFuture, Future, TimeoutError, as_completed } from './future.js';
import {
  type Boot, type DeathNotice, type Ready, type RemoteErrorInfo, Tag, TaskKind, type WorkerExitNotice, rebuildError,
} from './protocol.js';
import { serve } from './server.js';
import { claimWorld } from './world.js';
import type { WorkerSource, Workers } from './workers.js';

/** Work a worker should hold at once, in milliseconds of measured task time. */
const TARGET_FLIGHT_MS = 2;
/** Tasks in flight per worker at least (an export not measured yet: exactly). */
const MIN_FLIGHT = 2;
/** Tasks in flight per worker at most. */
const MAX_FLIGHT = 4096;
/** Tasks in one message at most. */
const MAX_BATCH = 512;
/**
 * Work, in ms, that every worker must hold beyond the batch it runs before the
 * manager paces its receives (sleeps on a timer and takes the answers there
 * are, see `receive`): tasks of a few milliseconds and more.
 */
const PACE_MIN_MS = 4;
/** `MPI4TS_FUTURES_PACE=0` turns pacing off (to compare; see `receive`). */
const PACING = process.env['MPI4TS_FUTURES_PACE'] !== '0';
/**
 * Tasks in flight per worker at least when they are long (an estimate of
 * {@link PACE_MIN_MS} or more) and pacing is on: two queued behind the one
 * that runs, so that a manager that gets its core late (more ranks than
 * cores) still finds work queued; {@link MIN_FLIGHT} once the queue holds
 * less than that many for every worker.
 */
const PACED_FLIGHT = PACING ? 3 : MIN_FLIGHT;

/** Any function, whatever its parameters. */
type AnyFunction = (...args: never) => unknown;

/** The names of the functions a task module `M` exports. */
export type TaskName<M> = { [K in keyof M]-?: M[K] extends AnyFunction ? K : never }[keyof M] & string;
/** The parameters of export `K` of `M`. */
export type TaskArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A : never;
/** What a task of export `K` of `M` resolves to. */
export type TaskResult<M, K extends keyof M> = M[K] extends (...args: never) => infer R ? Awaited<R> : never;
/** A task module of unknown type: any name, any arguments. */
export type UntypedTasks = Record<string, (...args: unknown[]) => unknown>;

/** How to make a pool. */
export interface PoolOptions<M> {
  /** The module whose exports are the tasks: `new URL('./tasks.ts', import.meta.url)` or an absolute path. */
  readonly module: URL | string;
  /** Workers to spawn (default: the machine's cores). Ignored by `MPICommExecutor` and `-m futures`. */
  readonly maxWorkers?: number;
  /** An export each worker calls once, with {@link initargs}, before its first task. */
  readonly initializer?: TaskName<M>;
  readonly initargs?: readonly unknown[];
}

/** Options of `map` and `starmap`. */
export interface MapOptions {
  /** Items per task (default 1): larger chunks cost fewer messages. */
  readonly chunksize?: number;
  /** Yield results as they complete rather than in the order of the input. */
  readonly unordered?: boolean;
  /** Seconds, from the call, after which iterating throws `TimeoutError`. */
  readonly timeout?: number;
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Wait until every submitted task is done and the workers have stopped (default true). */
  readonly wait?: boolean;
  /** Cancel the tasks no worker has started yet (default false). */
  readonly cancelFutures?: boolean;
}

/**
 * The pool cannot run tasks: its workers could not start, or every one of
 * them died; also the error of a task whose worker died while it held it
 * (`concurrent.futures.BrokenExecutor`).
 */
export class BrokenExecutor extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokenExecutor';
  }
}

/**
 * A task, which is its own Future: one object per task in the queue and in
 * flight. `entry` is what the batch carries for it (protocol.ts `TaskKind`).
 */
class Task extends Future<unknown> {
  constructor(readonly id: number, readonly kind: number, readonly name: string, readonly entry: unknown,
    /** Calls of the export it makes: 1, or a chunk's length. */
    readonly calls: number) {
    super();
  }
}

/** Tasks sent to a worker in one message, answered by one message. */
interface Batch {
  readonly tasks: Task[];
  /** The work it was estimated at when sent, in ms. */
  readonly ms: number;
}

interface Worker {
  /** Its rank on the pool's communicator (remote rank on an intercommunicator). */
  readonly rank: number;
  /** How errors name it. */
  readonly label: string;
  /** World rank, to match the launcher's notices. */
  readonly slot: number;
  /** Its batches in flight, oldest first: the order of its answers. */
  readonly batches: Batch[];
  /** Tasks in {@link batches}. */
  count: number;
  /** Estimated ms of work in {@link batches}. */
  load: number;
  alive: boolean;
}

const spawnedEntry = fileURLToPath(new URL('./spawned.js', import.meta.url));

/** Spawns `maxWorkers` ranks running the worker loop. */
const spawnWorkers: WorkerSource = async ({ maxWorkers }) => {
  const comm = await MPI.COMM_SELF.Spawn(spawnedEntry, [], maxWorkers);
  const slots = comm.Get_remote_group().members;
  const ranks = Array.from({ length: comm.remote_size }, (_, r) => r);
  return {
    comm, ranks, slots, deathNotices: parentPort !== null,
    labels: ranks.map((r) => `worker ${r} (spawned rank ${r})`),
    release: () => comm.Disconnect(),
  };
};

/** The other ranks of `comm` as workers, `root` being the manager. */
function commWorkers(comm: Intracomm, root: number, release: () => Promise<void>): Workers {
  const ranks = Array.from({ length: comm.size }, (_, r) => r).filter((r) => r !== root);
  const members = comm.Get_group().members;
  return {
    comm, ranks, slots: ranks.map((r) => members[r]!), deathNotices: false,
    labels: ranks.map((r) => `worker at rank ${r} of ${comm.Get_name()}`),
    release,
  };
}

function moduleUrl(module: URL | string): string {
  if (module instanceof URL) return module.href;
  return /^(file|data|https?):/.test(module) ? module : pathToFileURL(module).href;
}

/**
 * A pool of MPI ranks running the exported functions of one module
 * (`mpi4py.futures.MPIPoolExecutor`). Workers start at the first `submit`
 * (or `bootup`); `shutdown` (or `await using`) stops them.
 *
 * @example
 * ```ts
 * import { MPIPoolExecutor } from 'mpi4ts/futures';
 * await using pool = new MPIPoolExecutor<typeof import('./tasks.ts')>({
 *   module: new URL('./tasks.ts', import.meta.url), maxWorkers: 4 });
 * const fib30 = await pool.submit('fib', 30);                  // a number
 * for await (const y of pool.map('square', [1, 2, 3])) console.log(y);
 * ```
 */
export class MPIPoolExecutor<M extends object = UntypedTasks> implements AsyncDisposable {
  private readonly url: string;
  private readonly maxWorkers: number;
  private readonly source: WorkerSource;
  private started: Promise<void> | undefined;
  private workers: Worker[] = [];
  private byRank = new Map<number, Worker>();
  private comm: Comm | undefined;
  private release: (() => Promise<void>) | undefined;
  /** Submitted tasks no worker has yet; `head` is the next to send. */
  private queue: Task[] = [];
  private head = 0;
  private nextId = 1;
  /** Batches sent and not answered yet, over all workers. */
  private outstanding = 0;
  /** Measured ms per call, by export. */
  private readonly msPerCall = new Map<string, number>();
  /**
   * The last batch's ms per call, by export: with {@link msPerCall}, the
   * lower of the two is what pacing counts on (a first call that compiled
   * the function took much longer than the next ones will).
   */
  private readonly lastMsPerCall = new Map<string, number>();
  /** Batches measured, by export. */
  private readonly measuredBatches = new Map<string, number>();
  private flushQueued = false;
  private receiving = false;
  /** Where the workers answer: {@link Workers.replies}, or the workers' communicator. */
  private replies: Comm | undefined;
  private broken: BrokenExecutor | undefined;
  private shutdownRequested = false;
  private stopped: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private deathNotices = false;
  private readonly onExit = (): void => { void this.shutdown(); };
  private readonly onNotice = (notice: WorkerExitNotice): void => {
    if (notice?.type !== 'pool-worker-exit') return;
    const worker = this.workers.find((w) => w.slot === notice.slot);
    if (worker !== undefined) this.died(worker, notice.reason);
  };

  /**
   * @param source - where the workers come from; for `MPICommExecutor` and
   *   `-m futures` (by default the pool spawns them, or takes the world's in
   *   a `-m futures` job)
   */
  constructor(private readonly options: PoolOptions<M>, source?: WorkerSource) {
    this.url = moduleUrl(options.module);
    this.maxWorkers = options.maxWorkers ?? availableParallelism();
    if (!Number.isInteger(this.maxWorkers) || this.maxWorkers < 1) {
      throw new RangeError(`MPIPoolExecutor: maxWorkers must be a positive integer, got ${String(options.maxWorkers)}`);
    }
    this.source = source ?? claimWorld(this, commWorkers) ?? spawnWorkers;
  }

  /** Workers the pool has, or will have once started. */
  get numWorkers(): number {
    return this.comm === undefined ? this.maxWorkers : this.workers.filter((w) => w.alive).length;
  }

  /** Starts the workers now rather than at the first task; resolves once they are ready. */
  async bootup(): Promise<this> {
    await this.start();
    if (this.broken !== undefined) throw this.broken;
    return this;
  }

  /**
   * Runs export `name` with `args` on a worker.
   *
   * @throws Error after `shutdown`; BrokenExecutor if the pool is broken
   */
  submit<K extends TaskName<M>>(name: K, ...args: TaskArgs<M, K>): Future<TaskResult<M, K>> {
    const task = args.length === 1 ? this.enqueue(TaskKind.ONE, name, args[0], 1, 'submit') : this.enqueue(TaskKind.ARGS, name, args, 1, 'submit');
    return task as Future<TaskResult<M, K>>;
  }

  /**
   * `name(item)` for every item, as an async iterable of the results in
   * input order (or completion order with `unordered`). Every task is
   * submitted at once; leaving the loop early cancels those not started.
   */
  map<K extends TaskName<M>>(name: K, iterable: Iterable<TaskArgs<M, K>[0]>, options: MapOptions = {}): AsyncIterableIterator<TaskResult<M, K>> {
    return this.mapEntries(name, iterable, false, options, 'map') as AsyncIterableIterator<TaskResult<M, K>>;
  }

  /** `name(...args)` for every argument list, as {@link map} does. */
  starmap<K extends TaskName<M>>(name: K, iterable: Iterable<TaskArgs<M, K>>, options: MapOptions = {}): AsyncIterableIterator<TaskResult<M, K>> {
    return this.mapEntries(name, iterable, true, options, 'starmap') as AsyncIterableIterator<TaskResult<M, K>>;
  }

  /**
   * Stops accepting tasks; the workers stop once every submitted task is done
   * (cancelled ones aside). With `wait` (default) resolves then.
   */
  shutdown({ wait = true, cancelFutures = false }: ShutdownOptions = {}): Promise<void> {
    this.shutdownRequested = true;
    if (cancelFutures) for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.cancel();
    this.stopped ??= this.stop();
    return wait ? this.stopped : Promise.resolve();
  }

  /** `await using pool = new MPIPoolExecutor(...)` shuts the pool down at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // ------------------------------------------------------------ internals

  private enqueue(kind: number, name: string, entry: unknown, calls: number, call: string): Task {
    if (this.shutdownRequested) throw new Error(`MPIPoolExecutor.${call}: cannot submit after shutdown`);
    if (this.broken !== undefined) throw this.broken;
    const task = new Task(this.nextId++, kind, name, entry, calls);
    this.queue.push(task);
    if (this.started === undefined) void this.start();
    else this.scheduleFlush();
    return task;
  }

  /** The tasks of a map (`spread`: of a starmap), one per item or per chunk of `chunksize` items. */
  private mapEntries(name: string, iterable: Iterable<unknown>, spread: boolean, options: MapOptions, call: string): AsyncIterableIterator<unknown> {
    const chunksize = options.chunksize ?? 1;
    if (!Number.isInteger(chunksize) || chunksize < 1) {
      throw new RangeError(`MPIPoolExecutor.${call}: chunksize must be a positive integer, got ${String(chunksize)}`);
    }
    const futures: Future<unknown>[] = [];
    if (chunksize === 1) {
      const kind = spread ? TaskKind.ARGS : TaskKind.ONE;
      for (const entry of iterable) futures.push(this.enqueue(kind, name, entry, 1, call));
    } else {
      const kind = spread ? TaskKind.TUPLES : TaskKind.ITEMS;
      let chunk: unknown[] = [];
      for (const entry of iterable) {
        chunk.push(entry);
        if (chunk.length === chunksize) {
          futures.push(this.enqueue(kind, name, chunk, chunksize, call));
          chunk = [];
        }
      }
      if (chunk.length > 0) futures.push(this.enqueue(kind, name, chunk, chunk.length, call));
    }
    return new MapResults(futures, chunksize > 1, options.unordered ?? false, options.timeout, call);
  }

  private start(): Promise<void> {
    this.started ??= this.boot();
    return this.started;
  }

  /** Finds the workers, sends them the module, and waits until each is ready. */
  private async boot(): Promise<void> {
    let workers: Workers;
    try {
      workers = await this.source({ maxWorkers: this.maxWorkers });
    } catch (error) {
      this.breakPool(new BrokenExecutor(`MPIPoolExecutor: could not start the workers: ${describe(error)}`));
      return;
    }
    const { comm } = workers;
    this.comm = comm;
    this.replies = workers.replies ?? comm;
    const replies = this.replies;
    this.release = workers.release;
    this.workers = workers.ranks.map((rank, i) => ({
      rank, label: workers.labels[i]!, slot: workers.slots[i]!, batches: [], count: 0, load: 0, alive: true,
    }));
    for (const w of this.workers) this.byRank.set(w.rank, w);
    this.deathNotices = workers.deathNotices;
    // A pool left open when the program is over would keep its workers waiting: stop them then.
    process.once('beforeExit', this.onExit);
    const boot: Boot = { module: this.url, initializer: this.options.initializer, initargs: this.options.initargs ?? [] };
    const status = new Status();
    await Promise.all(this.workers.map((w) => comm.send(boot, w.rank, Tag.BOOT)));
    const failures: string[] = [];
    // On shm the launcher reports a worker that dies while it starts: the wait for its answer ends then.
    let wake: (() => void) | undefined;
    /** The workers whose answer is still awaited. */
    const pending = new Set(this.workers.map((w) => w.rank));
    const onBootNotice = (notice: WorkerExitNotice): void => {
      if (notice?.type !== 'pool-worker-exit') return;
      const w = this.workers.find((x) => x.slot === notice.slot);
      if (w === undefined || !w.alive) return;
      if (!pending.has(w.rank)) {
        this.died(w, notice.reason);
        return;
      }
      w.alive = false;
      pending.delete(w.rank);
      failures.push(`${w.label}: died (${notice.reason})`);
      wake?.();
    };
    if (this.deathNotices) parentPort?.on('message', onBootNotice);
    while (pending.size > 0) {
      let ready: Ready | DeathNotice | undefined;
      if (this.deathNotices) {
        const request = replies.irecv<Ready | DeathNotice>(ANY_SOURCE, ANY_TAG);
        const died = new Promise<undefined>((resolveDied) => { wake = () => resolveDied(undefined); });
        ready = await Promise.race([request.wait(status), died]);
        wake = undefined;
        if (ready === undefined) {
          const [done, value] = request.test(status);
          if (!done) {
            request.Cancel();
            continue;
          }
          ready = value!;
        }
      } else {
        ready = await replies.recv(ANY_SOURCE, ANY_TAG, status) as Ready | DeathNotice;
      }
      pending.delete(status.Get_source());
      if (status.Get_tag() === Tag.DEATH) {
        // On the mpi transport: a worker whose module or initializer ended its process.
        const w = this.byRank.get(status.Get_source())!;
        this.deathNotice(w, ready as DeathNotice);
        failures.push(`${w.label}: died (${(ready as DeathNotice).reason})`);
        continue;
      }
      if (status.Get_tag() !== Tag.READY) continue;
      const error = (ready as Ready).error;
      if (error !== undefined) {
        failures.push(`${this.byRank.get(status.Get_source())!.label}: ${rebuildError(error, 'boot').message} (${error.name})`);
      }
    }
    if (this.deathNotices) parentPort?.off('message', onBootNotice);
    if (failures.length > 0) {
      this.breakPool(new BrokenExecutor(`MPIPoolExecutor: workers could not start: ${failures.join('; ')}`));
      return;
    }
    this.flush();
  }

  private breakPool(error: BrokenExecutor): void {
    this.broken = error;
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.setException(error);
    this.head = this.queue.length;
    this.compact();
    this.wakeIdle();
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.comm === undefined) return;
    this.flushQueued = true;
    // Submissions made in the same turn go out together.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.broken !== undefined) return;
    for (const w of this.workers) this.refill(w);
    this.compact();
    this.wakeIdle();
  }

  /** What `task` is estimated to cost, in ms: a whole {@link TARGET_FLIGHT_MS} while its export is not measured. */
  private estimate(task: Task): number {
    const ms = this.msPerCall.get(task.name);
    return ms === undefined ? TARGET_FLIGHT_MS : ms * task.calls;
  }

  /**
   * Tops up `w`'s work in flight from the queue, in batches: to about
   * {@link TARGET_FLIGHT_MS} (at least {@link MIN_FLIGHT} tasks, or
   * {@link PACED_FLIGHT} long ones), each batch at most half of that (so
   * that the worker runs one while the answer to another travels), and at
   * most a fair share of what is left, so that the last tasks spread over
   * every worker.
   */
  private refill(w: Worker): void {
    if (!w.alive) return;
    const live = this.workers.reduce((n, x) => n + (x.alive ? 1 : 0), 0);
    const fair = Math.min(MAX_FLIGHT, w.count + Math.ceil((this.queue.length - this.head) / live));
    // Long tasks go PACED_FLIGHT per worker only while the queue holds a round of them for every worker: at the
    // end of a map, a worker that took a third task early would finish that much after the others.
    const longFlight = this.queue.length - this.head >= live * PACED_FLIGHT ? PACED_FLIGHT : MIN_FLIGHT;
    const queue = this.queue;
    while (this.head < queue.length && w.count < fair) {
      const tasks: Task[] = [];
      let ms = 0;
      while (this.head < queue.length && tasks.length < MAX_BATCH && w.count + tasks.length < fair) {
        const task = queue[this.head]!;
        if (task.done()) {
          // Cancelled while queued.
          this.head++;
          continue;
        }
        const cost = this.estimate(task);
        if (w.count + tasks.length >= (cost >= PACE_MIN_MS ? longFlight : MIN_FLIGHT) && w.load + ms + cost > TARGET_FLIGHT_MS) break;
        if (tasks.length > 0 && ms + cost > TARGET_FLIGHT_MS / 2) break;
        this.head++;
        task.setRunning();
        tasks.push(task);
        ms += cost;
      }
      // The worker holds its fill, or the queue is empty.
      if (tasks.length === 0) break;
      this.send(w, tasks, ms);
    }
    if (this.outstanding > 0 && !this.receiving) void this.receive();
  }

  /** The message of a batch: groups of consecutive tasks of one kind and export (protocol.ts). */
  private static wire(tasks: Task[]): unknown[] {
    const message: unknown[] = [];
    let kind = -1;
    let name = '';
    let payload: unknown[] = [];
    for (const task of tasks) {
      if (task.kind !== kind || task.name !== name) {
        kind = task.kind;
        name = task.name;
        payload = [];
        message.push(kind, name, payload);
      }
      payload.push(task.entry);
    }
    return message;
  }

  private send(w: Worker, tasks: Task[], ms: number): void {
    let sending: Promise<void>;
    try {
      // isend, whose encoding error is thrown here (send's would come as a rejection, as if the worker were gone).
      sending = this.comm!.isend(MPIPoolExecutor.wire(tasks), w.rank, Tag.TASKS).wait();
    } catch (error) {
      // Some task's arguments cannot travel: fail those, send the others.
      const good = tasks.filter((task) => {
        try {
          encode(task.entry, 'MPIPoolExecutor.submit');
          return true;
        } catch (problem) {
          task.setException(problem);
          return false;
        }
      });
      if (good.length === tasks.length) throw error;
      if (good.length > 0) this.send(w, good, good.reduce((sum, task) => sum + this.estimate(task), 0));
      return;
    }
    w.batches.push({ tasks, ms });
    w.count += tasks.length;
    w.load += ms;
    this.outstanding++;
    sending.catch((error: unknown) => this.died(w, `the batch could not be sent: ${describe(error)}`));
  }

  /**
   * Takes result batches while some are out; stops when none is, so an idle
   * pool holds nothing open. While every worker has a batch queued behind the
   * one it runs and tasks wait in the queue (long tasks: see {@link pause}),
   * the manager sleeps on a timer and then takes every answer that is there,
   * rather than waiting for each answer as it comes: no worker can run dry
   * before it looks again, and a wait would cost the workers a core (the mpi
   * transport's progress engine polls while a receive is pending; on shm
   * each answer would wake the manager, which then takes a core from a
   * worker for every task).
   */
  private async receive(): Promise<void> {
    this.receiving = true;
    // The launcher's notices are listened to only while tasks are out: a listener would keep the thread alive.
    if (this.deathNotices) parentPort?.on('message', this.onNotice);
    const status = new Status();
    const replies = this.replies!;
    while (this.outstanding > 0) {
      const pause = this.pause();
      if (pause > 0) {
        await new Promise<void>((resolve) => setTimeout(resolve, pause));
        while (this.outstanding > 0 && replies.Iprobe(ANY_SOURCE, ANY_TAG, status)) {
          this.take(await replies.recv(status.Get_source(), status.Get_tag(), status), status);
        }
        continue;
      }
      this.take(await replies.recv(ANY_SOURCE, ANY_TAG, status), status);
    }
    if (this.deathNotices) parentPort?.off('message', this.onNotice);
    this.receiving = false;
  }

  /** Handles one message of a worker: an answer (then tops the worker up) or a death notice. */
  private take(reply: unknown, status: Status): void {
    const w = this.byRank.get(status.Get_source())!;
    if (status.Get_tag() === Tag.DEATH) {
      this.deathNotice(w, reply as DeathNotice);
      return;
    }
    this.complete(w, reply as unknown[]);
    this.refill(w);
    this.compact();
    this.wakeIdle();
  }

  /**
   * Milliseconds the manager may sleep before it looks for answers, or 0 when
   * it should wait for the next answer instead: half of the least work any
   * worker holds beyond the batch it runs (at least {@link PACE_MIN_MS}, so
   * only long, measured tasks are paced), while tasks wait in the queue. With
   * the queue empty there is nothing to send: answers are taken as they come.
   */
  private pause(): number {
    if (!PACING || this.head >= this.queue.length) return 0;
    let slack = Infinity;
    for (const w of this.workers) {
      if (!w.alive) continue;
      let ms = 0;
      // The batch it runs may be about done: only those behind it count.
      for (let b = 1; b < w.batches.length; b++) {
        const tasks = w.batches[b]!.tasks;
        // A long task travels alone (refill); a batch of several holds short ones: no pacing then.
        if (tasks.length !== 1) return 0;
        const task = tasks[0]!;
        const average = this.msPerCall.get(task.name);
        // One measurement is not enough: the first call compiled the function.
        if (average === undefined || (this.measuredBatches.get(task.name) ?? 0) < 2) return 0;
        ms += Math.min(average, this.lastMsPerCall.get(task.name)!) * task.calls;
      }
      if (ms < PACE_MIN_MS) return 0;
      slack = Math.min(slack, ms);
    }
    return slack === Infinity ? 0 : slack / 2;
  }

  /** Settles the futures of `w`'s oldest batch from its answer `[elapsedMs, values, errors]`. */
  private complete(w: Worker, reply: unknown[]): void {
    const batch = w.batches.shift();
    if (batch === undefined) return;
    const { tasks } = batch;
    w.count -= tasks.length;
    w.load -= batch.ms;
    this.outstanding--;
    const values = reply[1] as unknown[];
    const errors = reply[2] as unknown[] | null;
    if (tasks.length > 0) this.measure(tasks, reply[0] as number);
    let e = 0;
    for (let i = 0; i < tasks.length; i++) {
      if (errors !== null && e < errors.length && errors[e] === i) {
        tasks[i]!.setException(rebuildError(errors[e + 1] as RemoteErrorInfo, w.label));
        e += 2;
      } else {
        tasks[i]!.setResult(values[i]);
      }
    }
  }

  /** Updates the measured ms per call of the exports of a batch that took `elapsed` ms. */
  private measure(tasks: Task[], elapsed: number): void {
    let calls = 0;
    for (const task of tasks) calls += task.calls;
    const ms = elapsed / Math.max(1, calls);
    let last = '';
    for (const task of tasks) {
      if (task.name === last) continue;
      last = task.name;
      const before = this.msPerCall.get(last);
      this.msPerCall.set(last, before === undefined ? ms : 0.7 * before + 0.3 * ms);
      this.lastMsPerCall.set(last, ms);
      this.measuredBatches.set(last, (this.measuredBatches.get(last) ?? 0) + 1);
    }
  }

  /**
   * A spawned worker on the mpi transport says it dies: its tasks fail at
   * once, and the answer that lets it exit goes a little later, so that the
   * script can see the failures before Open MPI ends the job.
   */
  private deathNotice(w: Worker, notice: DeathNotice): void {
    process.stderr.write(`mpi4ts/futures: ${w.label} died (${notice.reason}); without fault tolerance ` +
      `the MPI library ends the job once it has exited\n`);
    this.died(w, notice.reason);
    setTimeout(() => { void this.comm!.send(null, w.rank, Tag.DEATH_ACK).catch(() => undefined); }, 200);
  }

  /** A worker is gone: its tasks fail; the pool goes on with the others, or is broken without any. */
  private died(w: Worker, reason: string): void {
    if (!w.alive) return;
    w.alive = false;
    for (const batch of w.batches) {
      for (const task of batch.tasks) {
        task.setException(new BrokenExecutor(`${w.label} died (${reason}) while it held this task ` +
          `(${task.name}, task ${task.id})`));
      }
    }
    this.outstanding -= w.batches.length;
    w.batches.length = 0;
    w.count = 0;
    w.load = 0;
    const other = this.workers.find((x) => x.alive);
    if (other === undefined) {
      this.breakPool(new BrokenExecutor(`MPIPoolExecutor: every worker died; the last, ${w.label}: ${reason}`));
      return;
    }
    // The pending receive must end for the pool to go idle: an empty batch brings an empty answer.
    if (this.receiving && this.outstanding === 0) this.send(other, [], 0);
    else this.flush();
  }

  /** Drops the sent part of the queue once it is large, so a long-lived pool does not keep it. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private idle(): boolean {
    return this.outstanding === 0 && this.head >= this.queue.length;
  }

  private wakeIdle(): void {
    if (!this.idle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until every submitted task is done, then stops the workers. */
  private async stop(): Promise<void> {
    if (this.started === undefined) return;
    await this.started;
    if (!this.idle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    while (this.receiving) await new Promise<void>((resolve) => setImmediate(resolve));
    process.off('beforeExit', this.onExit);
    const comm = this.comm;
    if (comm === undefined) return;
    await Promise.all(this.workers.filter((w) => w.alive).map((w) => comm.send(null, w.rank, Tag.STOP)));
    await this.release?.();
  }
}

/**
 * The results of a map's futures, in order or as completed; leaving early
 * (`return`, or an error) cancels what has not started. A plain iterator
 * rather than an async generator: the items of a chunk already at hand go
 * out at the cost of one resolved Promise each, which matters at 100k items
 * per second.
 */
class MapResults implements AsyncIterableIterator<unknown> {
  private next_ = 0;
  private chunk: unknown[] = [];
  private inChunk = 0;
  private readonly completed: AsyncIterableIterator<CompletedFuture<unknown>> | undefined;
  private readonly deadline: number | undefined;

  constructor(private readonly futures: Future<unknown>[], private readonly chunked: boolean, unordered: boolean,
    private readonly timeout: number | undefined, private readonly call: string) {
    this.deadline = timeout === undefined ? undefined : Date.now() + timeout * 1000;
    this.completed = unordered ? as_completed(futures, this.remaining()) : undefined;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.inChunk < this.chunk.length) return Promise.resolve({ value: this.chunk[this.inChunk++], done: false });
    if (this.completed === undefined && this.deadline === undefined) {
      // In order without a timeout, the common case: one Promise per item, made by the Future's own callback.
      if (this.next_ === this.futures.length) return Promise.resolve({ value: undefined, done: true });
      const future = this.futures[this.next_++]!;
      return new Promise((resolve, reject) => {
        future.observe((failed, value) => {
          if (failed) {
            this.cancelRest();
            reject(value);
          } else if (!this.chunked) {
            resolve({ value, done: false });
          } else {
            this.chunk = value as unknown[];
            this.inChunk = 0;
            resolve(this.next());
          }
        });
      });
    }
    return this.take().then((step) => {
      if (step.done === true) return step;
      if (!this.chunked) return step;
      this.chunk = step.value as unknown[];
      this.inChunk = 0;
      return this.next();
    }, (error: unknown) => {
      this.cancelRest();
      throw error;
    });
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.cancelRest();
    await this.completed?.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next future's value (a chunk's list when chunked). */
  private async take(): Promise<IteratorResult<unknown>> {
    if (this.completed !== undefined) {
      const step = await this.completed.next();
      return step.done === true ? step : { value: await step.value.result(), done: false };
    }
    if (this.next_ === this.futures.length) return { value: undefined, done: true };
    const future = this.futures[this.next_++]!;
    return { value: await withDeadline(future, this.remaining(), this.call, this.timeout), done: false };
  }

  private remaining(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - Date.now()) / 1000;
  }

  private cancelRest(): void {
    for (const future of this.futures) future.cancel();
  }
}

/** The future's value, or `TimeoutError` (naming the map's own timeout) once `seconds` are left. */
function withDeadline(future: Future<unknown>, seconds: number | undefined, call: string, timeout: number | undefined): Promise<unknown> {
  if (seconds === undefined || future.done()) return future.result();
  return future.result(seconds).catch((error: unknown) => {
    if (error instanceof TimeoutError && !future.done()) throw new TimeoutError(`MPIPoolExecutor.${call}: not done after ${timeout} s`);
    throw error;
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * An executor on the ranks of `comm` (`mpi4py.futures.MPICommExecutor`):
 * collective over `comm`. At `root` it resolves to a pool whose workers are
 * the other ranks; on those ranks it serves tasks until the root shuts the
 * pool down, then resolves to null. On a communicator of one rank, the root
 * runs the tasks itself, between its own awaits (as mpi4py runs them in a
 * thread of the root).
 *
 * @example
 * ```ts
 * const pool = await MPICommExecutor<typeof import('./tasks.ts')>(MPI.COMM_WORLD, 0, { module });
 * if (pool !== null) {
 *   console.log(await pool.submit('fib', 20));
 *   await pool.shutdown();
 * }
 * ```
 */
export async function MPICommExecutor<M extends object = UntypedTasks>(comm: Intracomm, root = 0,
  options: PoolOptions<M>): Promise<MPIPoolExecutor<M> | null> {
  const own = await comm.Dup();
  own.Set_name(`${comm.Get_name()} (MPICommExecutor)`);
  if (own.rank !== root) {
    await serve(own, root);
    own.Free();
    return null;
  }
  if (own.size < 2) {
    // The root is its own worker: it serves on `own` and answers on a duplicate.
    const replies = await own.Dup();
    const served = serve(own, root, false, replies);
    const release = async (): Promise<void> => {
      await served;
      replies.Free();
      own.Free();
    };
    const workers: Workers = { ...commWorkers(own, -1, release), replies,
      labels: [`the root itself (rank ${root} of ${comm.Get_name()}, of one rank)`] };
    const pool = new MPIPoolExecutor<M>(options, async () => workers);
    await pool.bootup().catch(() => undefined);
    return pool;
  }
  const workers = commWorkers(own, root, async () => own.Free());
  const pool = new MPIPoolExecutor<M>(options, async () => workers);
  // Ready when returned, as the other ranks are; a broken pool says so at its first submit.
  await pool.bootup().catch(() => undefined);
  return pool;
}
