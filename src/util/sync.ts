/**
 * `mpi4ts/util/sync`: synchronization utilities over one-sided communication,
 * as mpi4py's `mpi4py.util.sync`: {@link Sequential}, {@link Counter},
 * {@link Mutex}, {@link Condition} and {@link Semaphore}.
 *
 * MPI-4.1 §12 (one-sided communication: every object but `Sequential` keeps a
 * window in a passive-target epoch, `Win.Lock_all`, for its whole life, and
 * works with `Fetch_and_op`, `Compare_and_swap` and `Accumulate`, flushed at
 * once), §3 (waiting ranks block in a `Recv` for the message that hands
 * them the lock or wakes them, never spinning).
 *
 * Each object is created collectively over a communicator (`MPI.COMM_SELF`
 * by default), which it duplicates, and freed collectively with `free()`;
 * `await using` frees it at the end of a block (`Symbol.asyncDispose`), and a
 * held `Mutex` or `Sequential` section is left the same way.
 *
 * - `Mutex` is the MCS queue lock: a waiting rank appends itself to the queue
 *   with one `Fetch_and_op(REPLACE)` on the tail word at rank 0, tells its
 *   predecessor, and waits in `Recv` until the predecessor hands the lock over.
 * - `Condition` keeps one ticket word per rank at rank 0: a waiter takes a
 *   ticket (from a counter) under the mutex, then waits in `Recv`; `notify(n)`
 *   wakes the `n` earliest tickets.
 * - `Semaphore` is a value at rank 0 under a `Mutex` and a `Condition`.
 *
 * Unfinished: mpi4py's `typechar` (counters hold 64-bit integers, returned
 * as numbers) and `info`; `Mutex.acquire` with a timeout.
 *
 * @module
 */

import { type Intracomm, MPI, type Win } from '../index.js';

type Options = { comm?: Intracomm | null };

const EMPTY = new Uint8Array(0);
const NULL = -1;
const TAG = 0;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function duplicate(comm: Intracomm | null | undefined): Promise<Intracomm> {
  return (comm ?? MPI.COMM_SELF).Dup();
}

/** A window of `ints` 64-bit integers at `root` (none elsewhere) in a Lock_all epoch, set to `initial`. */
async function sharedWords(comm: Intracomm, ints: number, initial: bigint, root = 0): Promise<Win> {
  const mine = comm.rank === root ? ints : 0;
  const win = await MPI.Win.Allocate(8 * mine, 8, null, comm);
  const memory = win.tomemory();
  new BigInt64Array(memory.buffer, memory.byteOffset, mine).fill(initial);
  await comm.Barrier();
  await win.Lock_all();
  return win;
}

async function release(win: Win, comm: Intracomm): Promise<void> {
  await win.Unlock_all();
  await win.Free();
  comm.Free();
}

/**
 * A section that the ranks of a communicator run one after another, in rank
 * order (mpi4py's `Sequential`): `begin()` waits for the rank before, `end()`
 * lets the next one in.
 *
 * @example
 * ```ts
 * import { Sequential } from 'mpi4ts/util/sync';
 * await using section = await new Sequential(comm).begin();
 * console.log(`rank ${comm.rank} in turn`);
 * ```
 */
export class Sequential {
  private inside = false;

  /** @param comm - the ranks that take turns (their messages use `tag`) */
  constructor(private readonly comm: Intracomm, private readonly tag = 0) {}

  /** Waits for the rank before to finish its turn. */
  async begin(): Promise<this> {
    if (this.comm.rank > 0) await this.comm.Recv(EMPTY, this.comm.rank - 1, this.tag);
    this.inside = true;
    return this;
  }

  /** Ends this rank's turn: the next rank may begin. */
  async end(): Promise<void> {
    if (!this.inside) return;
    this.inside = false;
    if (this.comm.rank < this.comm.size - 1) await this.comm.Send(EMPTY, this.comm.rank + 1, this.tag);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.end();
  }
}

/**
 * What `Counter`, `Mutex`, `Condition` and `Semaphore` share: a window (MPI-4.1
 * §12) over a communicator of their own, freed once, collectively, by
 * `free()` or at the end of an `await using` block.
 *
 * @example
 * ```ts
 * import { Counter } from 'mpi4ts/util/sync';
 * const counter = await Counter.create({ comm });
 * await counter.free();          // a second free() does nothing
 * ```
 */
export abstract class SyncObject {
  protected freed = false;

  protected constructor(protected readonly comm: Intracomm, protected readonly win: Win) {}

  /** Collective: frees the object (its window and communicator, then what it made). */
  async free(): Promise<void> {
    if (this.freed) return;
    this.freed = true;
    await release(this.win, this.comm);
    await this.freeOwned();
  }

  /** What a subclass frees after its window: nothing by default. */
  protected async freeOwned(): Promise<void> {
    // nothing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.free();
  }
}

/**
 * A global counter (mpi4py's `Counter`): `next()` returns the current value
 * and adds `step`, atomically, whichever rank asks. Asynchronously iterable.
 *
 * @example
 * ```ts
 * import { Counter } from 'mpi4ts/util/sync';
 * await using counter = await Counter.create({ comm });
 * for (let task = await counter.next(); task < tasks.length; task = await counter.next()) run(tasks[task]);
 * ```
 */
export class Counter extends SyncObject {
  private readonly increment = new BigInt64Array(1);
  private readonly result = new BigInt64Array(1);

  private constructor(comm: Intracomm, win: Win, private readonly root: number, private readonly step: number) {
    super(comm, win);
  }

  /** Collective over `comm` (default `MPI.COMM_SELF`): a counter held at `root`, starting at `start`. */
  static async create(options: Options & { start?: number; step?: number; root?: number } = {}): Promise<Counter> {
    const comm = await duplicate(options.comm);
    const root = options.root ?? 0;
    const win = await sharedWords(comm, 1, BigInt(options.start ?? 0), root);
    return new Counter(comm, win, root, options.step ?? 1);
  }

  /** The current value; the counter grows by `incr` (default: the step). */
  async next(incr: number = this.step): Promise<number> {
    if (this.freed) throw new RangeError('Counter.next: the counter has been freed');
    this.increment[0] = BigInt(incr);
    this.win.Fetch_and_op(this.increment, this.result, this.root, 0, MPI.SUM);
    await this.win.Flush(this.root);
    return Number(this.result[0]);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<number, void, undefined> {
    for (;;) yield await this.next();
  }

}

/**
 * A lock that one rank of a communicator holds at a time (mpi4py's `Mutex`),
 * optionally recursive. Waiting ranks queue and block in a receive.
 *
 * @example
 * ```ts
 * import { Mutex } from 'mpi4ts/util/sync';
 * await using mutex = await Mutex.create({ comm });
 * await mutex.acquire();
 * try { ... } finally { await mutex.release(); }
 * ```
 */
export class Mutex extends SyncObject {
  private depth = 0;
  private readonly me: BigInt64Array;
  private readonly nobody = BigInt64Array.of(BigInt(NULL));
  private readonly result = new BigInt64Array(1);

  /** Words at rank 0: 0 the queue's tail, 1 + r rank r's successor (-1: none). */
  private constructor(comm: Intracomm, win: Win, readonly recursive: boolean) {
    super(comm, win);
    this.me = BigInt64Array.of(BigInt(comm.rank));
  }

  /** Collective over `comm` (default `MPI.COMM_SELF`). */
  static async create(options: Options & { recursive?: boolean } = {}): Promise<Mutex> {
    const comm = await duplicate(options.comm);
    const win = await sharedWords(comm, 1 + comm.size, BigInt(NULL));
    return new Mutex(comm, win, options.recursive ?? false);
  }

  private check(call: string): void {
    if (this.freed) throw new RangeError(`Mutex.${call}: the mutex has been freed`);
  }

  /**
   * Takes the lock, waiting for it when `blocking` (default); without
   * blocking, takes it only if it is free. True once held.
   */
  async acquire(blocking = true): Promise<boolean> {
    this.check('acquire');
    if (this.depth > 0) {
      if (!this.recursive) throw new RangeError('Mutex.acquire: this rank already holds the mutex (not recursive)');
      this.depth++;
      return true;
    }
    if (!blocking) {
      this.win.Compare_and_swap(this.me, this.nobody, this.result, 0, 0);
      await this.win.Flush(0);
      if (Number(this.result[0]) !== NULL) return false;
    } else {
      this.win.Fetch_and_op(this.me, this.result, 0, 0, MPI.REPLACE);
      await this.win.Flush(0);
      const previous = Number(this.result[0]);
      if (previous !== NULL) {
        this.win.Accumulate(this.me, 0, [1 + previous, 1, MPI.INT64_T], MPI.REPLACE);
        await this.win.Flush(0);
        await this.comm.Recv(EMPTY, previous, TAG);
      }
    }
    this.depth = 1;
    return true;
  }

  /** Releases the lock (one level of a recursive one), handing it to the next rank in the queue. */
  async release(): Promise<void> {
    this.check('release');
    if (this.depth === 0) throw new RangeError('Mutex.release: this rank does not hold the mutex');
    if (--this.depth > 0) return;
    const rank = this.comm.rank;
    this.win.Compare_and_swap(this.nobody, this.me, this.result, 0, 0);
    await this.win.Flush(0);
    if (Number(this.result[0]) === rank) return; // nobody queued behind
    // A successor swapped itself in: wait until it has told us who it is, then hand over.
    let next = NULL;
    for (;;) {
      this.win.Fetch_and_op(null, this.result, 0, 1 + rank, MPI.NO_OP);
      await this.win.Flush(0);
      next = Number(this.result[0]);
      if (next !== NULL) break;
      await yieldToLoop();
    }
    this.win.Accumulate(this.nobody, 0, [1 + rank, 1, MPI.INT64_T], MPI.REPLACE);
    await this.win.Flush(0);
    await this.comm.Send(EMPTY, next, TAG);
  }

  /** Whether this rank holds the lock. */
  locked(): boolean {
    return this.depth > 0;
  }

  /** How many times this rank holds the lock (recursive mutexes). */
  count(): number {
    return this.depth;
  }

}

/**
 * A condition variable over a {@link Mutex} (mpi4py's `Condition`): `wait()`
 * releases the mutex and sleeps until another rank's `notify`.
 *
 * @example
 * ```ts
 * import { Condition } from 'mpi4ts/util/sync';
 * const cond = await Condition.create({ comm });
 * await cond.acquire();
 * await cond.wait_for(async () => ready());
 * await cond.release();
 * ```
 */
export class Condition extends SyncObject {
  private readonly one = BigInt64Array.of(1n);
  private readonly result = new BigInt64Array(1);

  /** Window words at rank 0: 0 the ticket counter, 1 + r rank r's ticket (0: not waiting). */
  private constructor(comm: Intracomm, win: Win, readonly mutex: Mutex, private readonly ownsMutex: boolean) {
    super(comm, win);
  }

  /** Collective over `comm` (default `MPI.COMM_SELF`): over `mutex`, or a new recursive one. */
  static async create(options: Options & { mutex?: Mutex; recursive?: boolean } = {}): Promise<Condition> {
    const comm = await duplicate(options.comm);
    const mutex = options.mutex ?? await Mutex.create({ comm, recursive: options.recursive ?? true });
    const win = await sharedWords(comm, 1 + comm.size, 0n);
    return new Condition(comm, win, mutex, options.mutex === undefined);
  }

  acquire(blocking = true): Promise<boolean> {
    return this.mutex.acquire(blocking);
  }

  release(): Promise<void> {
    return this.mutex.release();
  }

  /** Releases the mutex, waits for a notification, and takes the mutex again. Call it holding the mutex. */
  async wait(): Promise<true> {
    if (!this.mutex.locked()) throw new RangeError('Condition.wait: the mutex is not held');
    this.win.Fetch_and_op(this.one, this.result, 0, 0, MPI.SUM);
    await this.win.Flush(0);
    const ticket = BigInt64Array.of(this.result[0]! + 1n);
    this.win.Accumulate(ticket, 0, [1 + this.comm.rank, 1, MPI.INT64_T], MPI.REPLACE);
    await this.win.Flush(0);
    const depth = this.mutex.count();
    for (let i = 0; i < depth; i++) await this.mutex.release();
    await this.comm.Recv(EMPTY, MPI.ANY_SOURCE, TAG);
    for (let i = 0; i < depth; i++) await this.mutex.acquire();
    return true;
  }

  /** Waits until `predicate()` holds (checked holding the mutex); returns its last value. */
  async wait_for<T>(predicate: () => T | Promise<T>): Promise<T> {
    let value = await predicate();
    while (!value) {
      await this.wait();
      value = await predicate();
    }
    return value;
  }

  /** Wakes up to `n` waiting ranks, earliest first. Call it holding the mutex. */
  async notify(n = 1): Promise<void> {
    if (!this.mutex.locked()) throw new RangeError('Condition.notify: the mutex is not held');
    const size = this.comm.size;
    const tickets = new BigInt64Array(size);
    this.win.Get_accumulate(null, tickets, 0, [1, size, MPI.INT64_T], MPI.NO_OP);
    await this.win.Flush(0);
    const waiting = Array.from(tickets.keys()).filter((r) => tickets[r] !== 0n)
      .sort((a, b) => Number(tickets[a]! - tickets[b]!)).slice(0, n);
    const zero = new BigInt64Array(1);
    for (const rank of waiting) {
      this.win.Accumulate(zero, 0, [1 + rank, 1, MPI.INT64_T], MPI.REPLACE);
      await this.win.Flush(0);
      await this.comm.Send(EMPTY, rank, TAG);
    }
  }

  /** Wakes every waiting rank. */
  notify_all(): Promise<void> {
    return this.notify(this.comm.size);
  }

  /** After the window: the mutex it made. */
  protected override async freeOwned(): Promise<void> {
    if (this.ownsMutex) await this.mutex.free();
  }
}

/**
 * A counting semaphore shared by the ranks of a communicator (mpi4py's
 * `Semaphore`): `acquire` takes one unit, waiting while there is none;
 * `release(n)` gives `n` back (beyond the initial value only if not `bounded`).
 *
 * @example
 * ```ts
 * import { Semaphore } from 'mpi4ts/util/sync';
 * await using slots = await Semaphore.create({ value: 2, comm });
 * await slots.acquire();
 * try { ... } finally { await slots.release(); }
 * ```
 */
export class Semaphore extends SyncObject {
  private readonly result = new BigInt64Array(1);

  private constructor(comm: Intracomm, win: Win, private readonly condition: Condition, private readonly initial: number,
    readonly bounded: boolean) {
    super(comm, win);
  }

  /** Collective over `comm` (default `MPI.COMM_SELF`). */
  static async create(options: Options & { value?: number; bounded?: boolean } = {}): Promise<Semaphore> {
    const value = options.value ?? 1;
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`Semaphore: invalid initial value ${value}`);
    const comm = await duplicate(options.comm);
    const condition = await Condition.create({ comm });
    const win = await sharedWords(comm, 1, BigInt(value));
    return new Semaphore(comm, win, condition, value, options.bounded ?? true);
  }

  private async value(): Promise<number> {
    this.win.Fetch_and_op(null, this.result, 0, 0, MPI.NO_OP);
    await this.win.Flush(0);
    return Number(this.result[0]);
  }

  private async add(n: number): Promise<void> {
    this.win.Accumulate(BigInt64Array.of(BigInt(n)), 0, [0, 1, MPI.INT64_T], MPI.SUM);
    await this.win.Flush(0);
  }

  /** Takes one unit, waiting for one when `blocking` (default); true once taken. */
  async acquire(blocking = true): Promise<boolean> {
    if (this.freed) throw new RangeError('Semaphore.acquire: the semaphore has been freed');
    await this.condition.acquire();
    try {
      while ((await this.value()) === 0) {
        if (!blocking) return false;
        await this.condition.wait();
      }
      await this.add(-1);
      return true;
    } finally {
      await this.condition.release();
    }
  }

  /** Gives back `n` units and wakes as many waiters. */
  async release(n = 1): Promise<void> {
    if (this.freed) throw new RangeError('Semaphore.release: the semaphore has been freed');
    await this.condition.acquire();
    try {
      if (this.bounded && (await this.value()) + n > this.initial) {
        throw new RangeError('Semaphore.release: released too many times (bounded semaphore)');
      }
      await this.add(n);
      await this.condition.notify(n);
    } finally {
      await this.condition.release();
    }
  }

  /** After the window: the condition it made. */
  protected override async freeOwned(): Promise<void> {
    await this.condition.free();
  }
}
