/**
 * `mpi4ts/util/pool`: `Pool`, the interface of Python's
 * `multiprocessing.Pool` (as `mpi4py.util.pool` offers it) on an
 * `MPIPoolExecutor`, so its workers are MPI ranks.
 *
 * As in `mpi4ts/futures`, a task names an export of the pool's module; the
 * calls that block in Python return Promises (`apply`, `map`, `starmap`,
 * `AsyncResult.get`) or async iterables (`imap`, `imap_unordered`).
 * Timeouts are in seconds.
 *
 * Unfinished: `maxtasksperchild`, and `terminate` cannot stop a task a
 * worker has already started (it cancels the others and waits for those).
 *
 * @module
 */

import {
  MPIPoolExecutor, type PoolOptions, type TaskArgs, type TaskName, type TaskResult, type UntypedTasks,
} from '../futures/executor.js';
import type { Future } from '../futures/future.js';

/** How to make a {@link Pool}. */
export interface PoolConfig<M> extends Omit<PoolOptions<M>, 'maxWorkers'> {
  /** Workers (default: the machine's cores), Python's `processes`. */
  readonly processes?: number;
}

/** The result of `apply_async` (`multiprocessing.pool.AsyncResult`). */
export class AsyncResult<T> {
  constructor(private readonly future: Future<T>) {}

  /** The result; rejects with the task's error, or `TimeoutError` after `timeout` seconds. */
  get(timeout?: number): Promise<T> {
    return this.future.result(timeout);
  }

  /** Resolves once the task is done (or after `timeout` seconds), whatever its outcome. */
  async wait(timeout?: number): Promise<void> {
    await this.future.exception(timeout).catch(() => undefined);
  }

  ready(): boolean {
    return this.future.done();
  }

  /**
   * Whether the task succeeded.
   *
   * @throws Error while it is not done, as Python's ValueError
   */
  successful(): boolean {
    if (!this.future.done()) throw new Error('AsyncResult.successful: the task is not done yet');
    return this.succeeded;
  }

  private succeeded = false;

  /** Records the outcome for {@link successful}; called once the Future is done. */
  settle(succeeded: boolean): void {
    this.succeeded = succeeded;
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/**
 * A pool of MPI ranks with `multiprocessing.Pool`'s methods.
 *
 * @example
 * ```ts
 * import { Pool } from 'mpi4ts/util/pool';
 * await using pool = new Pool<typeof import('./tasks.ts')>({ module: new URL('./tasks.ts', import.meta.url), processes: 4 });
 * console.log(await pool.map('square', [1, 2, 3]));       // [1, 4, 9]
 * console.log(await pool.apply('add', [2, 3]));           // 5
 * ```
 */
export class Pool<M extends object = UntypedTasks> implements AsyncDisposable {
  private readonly executor: MPIPoolExecutor<M>;
  private closed = false;

  constructor(config: PoolConfig<M>) {
    const { processes, ...options } = config;
    this.executor = new MPIPoolExecutor<M>({ ...options, ...(processes === undefined ? {} : { maxWorkers: processes }) });
  }

  /** `name(...args)` on a worker; resolves with its result. */
  apply<K extends TaskName<M>>(name: K, args: TaskArgs<M, K>): Promise<TaskResult<M, K>> {
    return this.apply_async(name, args).get();
  }

  /** `name(...args)` on a worker; `callback` gets the result, `error_callback` the error. */
  apply_async<K extends TaskName<M>>(name: K, args: TaskArgs<M, K>, callback?: (result: TaskResult<M, K>) => void,
    error_callback?: (error: unknown) => void): AsyncResult<TaskResult<M, K>> {
    this.check('apply_async');
    const future = this.executor.submit(name, ...args);
    const result = new AsyncResult(future);
    future.then((value) => {
      result.settle(true);
      callback?.(value);
    }, (error: unknown) => {
      result.settle(false);
      error_callback?.(error);
    });
    return result;
  }

  /** `name(item)` for every item; resolves with the results in order. */
  map<K extends TaskName<M>>(name: K, iterable: Iterable<TaskArgs<M, K>[0]>, chunksize?: number): Promise<TaskResult<M, K>[]> {
    return collect(this.imap(name, iterable, chunksize));
  }

  /** `name(...args)` for every argument list; resolves with the results in order. */
  starmap<K extends TaskName<M>>(name: K, iterable: Iterable<TaskArgs<M, K>>, chunksize?: number): Promise<TaskResult<M, K>[]> {
    this.check('starmap');
    return collect(this.executor.starmap(name, iterable, { chunksize }));
  }

  /** The results of `name(item)` as an async iterable, in order. */
  imap<K extends TaskName<M>>(name: K, iterable: Iterable<TaskArgs<M, K>[0]>, chunksize = 1): AsyncIterableIterator<TaskResult<M, K>> {
    this.check('imap');
    return this.executor.map(name, iterable, { chunksize });
  }

  /** The results of `name(item)` as an async iterable, as they complete. */
  imap_unordered<K extends TaskName<M>>(name: K, iterable: Iterable<TaskArgs<M, K>[0]>, chunksize = 1): AsyncIterableIterator<TaskResult<M, K>> {
    this.check('imap_unordered');
    return this.executor.map(name, iterable, { chunksize, unordered: true });
  }

  /** No more tasks; the workers stop once the submitted ones are done (see {@link join}). */
  close(): void {
    this.closed = true;
    void this.executor.shutdown({ wait: false });
  }

  /** Cancels the tasks not started and stops the workers once those started are done. */
  async terminate(): Promise<void> {
    this.closed = true;
    await this.executor.shutdown({ cancelFutures: true });
  }

  /** Resolves once the workers have stopped; call {@link close} or {@link terminate} first. */
  async join(): Promise<void> {
    if (!this.closed) throw new Error('Pool.join: close() or terminate() the pool first');
    await this.executor.shutdown();
  }

  /** `await using pool = new Pool(...)`: terminates the pool at the end of the block, as Python's `with` does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  private check(call: string): void {
    if (this.closed) throw new Error(`Pool.${call}: the pool is closed`);
  }
}
