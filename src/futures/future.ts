/**
 * `Future`, the result of a task submitted to a pool, and the functions that
 * wait on many (`wait`, `as_completed`), as in Python's `concurrent.futures`
 * (which `mpi4py.futures` follows).
 *
 * A Future is a thenable: `await pool.submit('fib', 30)` gives the result or
 * throws the task's error. JavaScript cannot block, so the calls that block
 * in Python (`result`, `exception`, `wait`) return Promises here; timeouts
 * are in seconds, as there.
 *
 * @module
 */

/** A Future's life: waiting in the pool's queue, sent to a worker, cancelled, or done. */
type State = 'pending' | 'running' | 'cancelled' | 'finished';

/** The Future was cancelled before it ran (`concurrent.futures.CancelledError`). */
export class CancelledError extends Error {
  constructor(message = 'the future was cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** A wait ran out of time (`concurrent.futures.TimeoutError`). */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/**
 * The eventual result of one task (`concurrent.futures.Future`).
 *
 * @example
 * ```ts
 * const future = pool.submit('fib', 30);
 * future.add_done_callback((f) => console.log('done', f.done()));
 * console.log(await future);                // or: await future.result(10), a 10 s timeout
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  private state: State = 'pending';
  private value: T | undefined;
  private error: unknown;
  private failed = false;
  private callbacks: ((future: Future<T>) => void)[] | undefined;
  private settled: Promise<T> | undefined;

  /** True once the task finished, failed or was cancelled. */
  done(): boolean {
    return this.state === 'cancelled' || this.state === 'finished';
  }

  /** True while a worker has the task. */
  running(): boolean {
    return this.state === 'running';
  }

  cancelled(): boolean {
    return this.state === 'cancelled';
  }

  /**
   * Cancels the task if no worker has it yet; true if it is (now) cancelled.
   * A task already sent to a worker runs to its end.
   */
  cancel(): boolean {
    if (this.state === 'running' || this.state === 'finished') return false;
    if (this.state === 'pending') {
      this.state = 'cancelled';
      this.error = new CancelledError();
      this.failed = true;
      this.notify();
    }
    return true;
  }

  /** The task's result; rejects with its error, `CancelledError`, or `TimeoutError` after `timeout` seconds. */
  result(timeout?: number): Promise<T> {
    return withTimeout(this.promise(), timeout, 'Future.result');
  }

  /** The task's error, or undefined if it succeeded; rejects with `CancelledError` or `TimeoutError`. */
  async exception(timeout?: number): Promise<unknown> {
    try {
      await this.result(timeout);
      return undefined;
    } catch (error) {
      if (error instanceof CancelledError || (error instanceof TimeoutError && !this.done())) throw error;
      return error;
    }
  }

  /** Calls `fn(this)` once the Future is done (at once if it is). */
  add_done_callback(fn: (future: Future<T>) => void): void {
    if (this.done()) {
      fn(this);
      return;
    }
    (this.callbacks ??= []).push(fn);
  }

  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.promise().then(onfulfilled, onrejected);
  }

  /** Marks the task as sent to a worker; false if it was cancelled meanwhile (then it must not run). */
  setRunning(): boolean {
    if (this.state !== 'pending') return false;
    this.state = 'running';
    return true;
  }

  setResult(value: T): void {
    if (this.done()) return;
    this.state = 'finished';
    this.value = value;
    this.notify();
  }

  setException(error: unknown): void {
    if (this.done()) return;
    this.state = 'finished';
    this.error = error;
    this.failed = true;
    this.notify();
  }

  /**
   * @internal For the pool's own iterators: calls `fn(failed, valueOrError)`
   * once the Future is done (at once if it is), with no Promise made.
   */
  observe(fn: (failed: boolean, valueOrError: unknown) => void): void {
    if (this.done()) fn(this.failed, this.failed ? this.error : this.value);
    else (this.callbacks ??= []).push(() => fn(this.failed, this.failed ? this.error : this.value));
  }

  /** The outcome as a Promise, made on first use: most Futures of a large map never need one. */
  private promise(): Promise<T> {
    this.settled ??= new Promise<T>((resolve, reject) => {
      this.add_done_callback(() => (this.failed ? reject(this.error) : resolve(this.value as T)));
    });
    return this.settled;
  }

  private notify(): void {
    const callbacks = this.callbacks;
    this.callbacks = undefined;
    if (callbacks === undefined) return;
    for (const fn of callbacks) {
      try {
        fn(this);
      } catch (error) {
        // As an event listener's would, a callback's error surfaces as an uncaught exception, not lost.
        setImmediate(() => { throw error; });
      }
    }
  }
}

/** Races `promise` against `timeout` seconds (none when undefined). */
export function withTimeout<T>(promise: Promise<T>, timeout: number | undefined, call: string): Promise<T> {
  if (timeout === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${call}: not done after ${timeout} s`)), Math.max(0, timeout * 1000));
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error: unknown) => { clearTimeout(timer); reject(error); });
  });
}

/** `wait` returns when any Future is done. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait` returns when any Future fails, or all are done. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `wait` returns when every Future is done. */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/** When {@link wait} returns. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** What {@link wait} returns: the Futures that are done and those that are not. */
export interface DoneAndNotDone<T> {
  readonly done: Set<Future<T>>;
  readonly not_done: Set<Future<T>>;
}

function failedOrCancelled<T>(future: Future<T>, errors: Set<Future<T>>): boolean {
  return future.cancelled() || errors.has(future);
}

/**
 * Waits for `futures` (`concurrent.futures.wait`): until the first is done,
 * the first fails, or all are done (`returnWhen`), or `timeout` seconds
 * passed; never rejects.
 */
export function wait<T>(futures: Iterable<Future<T>>,
  { timeout, returnWhen = ALL_COMPLETED }: { timeout?: number; returnWhen?: ReturnWhen } = {}): Promise<DoneAndNotDone<T>> {
  const all = [...new Set(futures)];
  const failed = new Set<Future<T>>();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ done: new Set(all.filter((f) => f.done())), not_done: new Set(all.filter((f) => !f.done())) });
    };
    const check = (): void => {
      const doneCount = all.filter((f) => f.done()).length;
      if (doneCount === all.length) finish();
      else if (returnWhen === FIRST_COMPLETED && doneCount > 0) finish();
      else if (returnWhen === FIRST_EXCEPTION && all.some((f) => f.done() && failedOrCancelled(f, failed))) finish();
    };
    if (timeout !== undefined) timer = setTimeout(finish, Math.max(0, timeout * 1000));
    for (const future of all) {
      future.add_done_callback(() => {
        // Only a failure needs the outcome: look at it through the Future's own Promise.
        void future.then(check, () => { failed.add(future); check(); });
      });
    }
    check();
  });
}

/**
 * The `futures` themselves, in the order they complete
 * (`concurrent.futures.as_completed`), each done when it comes: read its
 * result with `result()` (or `exception()`), so that one failure does not end
 * the loop. Throws `TimeoutError` if some are not done after `timeout`
 * seconds. Not an async generator, which would await each thenable Future
 * and yield its result instead; for the same reason the items are typed as
 * {@link CompletedFuture} (a Future seen without `then`), since TypeScript
 * types a `for await` variable as what awaiting the item would give.
 *
 * @example
 * ```ts
 * for await (const future of as_completed(futures)) console.log(await future.result());
 * ```
 */
export function as_completed<T>(futures: Iterable<Future<T>>, timeout?: number): AsyncIterableIterator<CompletedFuture<T>> {
  return new AsCompleted([...new Set(futures)], timeout);
}

/**
 * A Future that {@link as_completed} yields: the Future itself (`===` one of
 * those passed in, `instanceof Future`), typed without `then` so that
 * `for await` keeps it a Future; read it with `result()` or `exception()`.
 */
export type CompletedFuture<T> = Omit<Future<T>, 'then'>;

/** The iterator of {@link as_completed}. */
class AsCompleted<T> implements AsyncIterableIterator<CompletedFuture<T>> {
  private readonly ready: Future<T>[] = [];
  private wake: (() => void) | undefined;
  private next_ = 0;
  private finished = false;
  private readonly deadline: number | undefined;

  constructor(private readonly all: Future<T>[], private readonly timeout: number | undefined) {
    for (const future of all) {
      future.add_done_callback((f) => {
        this.ready.push(f);
        this.wake?.();
      });
    }
    this.deadline = timeout === undefined ? undefined : Date.now() + timeout * 1000;
  }

  async next(): Promise<IteratorResult<CompletedFuture<T>, undefined>> {
    if (this.finished || this.next_ === this.all.length) {
      this.finished = true;
      return { value: undefined, done: true };
    }
    if (this.next_ === this.ready.length) {
      const { all, next_: next, timeout, deadline } = this;
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        this.wake = () => { clearTimeout(timer); this.wake = undefined; resolve(); };
        if (deadline !== undefined) {
          timer = setTimeout(() => {
            this.wake = undefined;
            this.finished = true;
            reject(new TimeoutError(`as_completed: ${all.length - next} of ${all.length} futures not done after ${timeout} s`));
          }, Math.max(0, deadline - Date.now()));
        }
      });
    }
    return { value: this.ready[this.next_++]!, done: false };
  }

  async return(): Promise<IteratorResult<CompletedFuture<T>, undefined>> {
    this.finished = true;
    this.wake = undefined;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
