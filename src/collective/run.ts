/**
 * Running collective algorithms: a collective is a generator that yields the
 * operations it waits for, and a {@link CollectiveRun} drives it.
 *
 * MPI-4.1 §6.12 (nonblocking collectives: progress, and matching in call
 * order), §6.1 (blocking collectives may complete as soon as the caller's
 * part is done).
 *
 * The driver runs a collective synchronously for as long as the operations
 * it waits for complete, spinning briefly in `Operation.wait` (the engine's
 * spin) before it parks: a `Barrier` whose peers are already there completes
 * without a Promise or a trip through the event loop. When it must park, it
 * resumes from the operation's Promise, so a pending collective progresses
 * whenever the event loop runs, whether anyone waits for it or not.
 *
 * A failed operation, or a wait that turns out to be a mismatch
 * (`Call.stalled`), is thrown into the algorithm at the `yield` that waits
 * for it: an algorithm that does not catch it fails the call, and one that
 * does can still tell its peers (the intercommunicator collectives' leaders,
 * `inter.ts`).
 *
 * A {@link Sequencer} per collective channel runs the calls of a
 * communicator one after another, in call order, so that a receive from a
 * peer always sees the next collective message of that peer (what the tag
 * check of `call.ts` relies on) and nonblocking collectives never take each
 * other's messages.
 *
 * @module
 */

// The global `performance` is an accessor property in Node: each read of it calls a getter.
import { performance } from 'node:perf_hooks';
import type { Envelope, Operation, PointToPoint } from '../transport/transport.js';
import { Call, type CallHost } from './call.js';
import type { ScratchPool } from './scratch.js';
import { codeName, type Signature } from './signature.js';

/**
 * How a fast path that could not finish hands over: the operation it waits
 * for, with the Promise that `Operation.wait` gave (the spin is spent
 * already), and the algorithm that finishes the call once that operation is
 * complete (none when nothing else is left: then no generator is made).
 * Without an operation, the algorithm runs at once (a fast path that found
 * it must go another way, such as an object too large for the shared area).
 */
export interface Detour<T = void> {
  readonly rest: Algorithm<T> | undefined;
  readonly parkedOn: Operation | undefined;
  readonly pending: Promise<void> | undefined;
}

/**
 * Where a fast path that finishes a call with a value leaves it, for
 * {@link Sequencer.startFast} to take (one slot: the synchronous parts of
 * calls never overlap). A fast path of a call without a value leaves it
 * undefined.
 *
 * Its field holds a small integer once before it holds anything else: V8
 * gives a field the representation of the values stored so far, and a field
 * that had only held objects took the first small integer (an integral sum
 * from an object `allreduce` of doubles, once V8 had optimized the op) with
 * a deoptimization of every function that stores or reads it.
 */
export const fastResult: { value: unknown } = { value: 0 };
fastResult.value = undefined;

/** What an algorithm waits for before it goes on: one operation, or all of several. */
export type Waitable = Operation | readonly Operation[];

/** A collective algorithm: yields what it waits for, returns its result. */
export type Algorithm<T> = Generator<Waitable, T, void>;

/**
 * `Generator.prototype.next`, called as a function: `generator.next()`
 * compiles against the generator functions (the algorithms) it has seen, and
 * the first call of another algorithm deoptimized {@link CollectiveRun}'s
 * `advance` ("wrong map") and what inlined it.
 */
const generatorPrototype = (Object.getPrototypeOf(function* () {}) as { prototype: Generator<unknown> }).prototype;
const generatorNext = generatorPrototype.next;
/** `Generator.prototype.throw`, called as a function for the same reason. */
const generatorThrow = generatorPrototype.throw;

const RESOLVED: Promise<void> = Promise.resolve();
/** Polls of {@link spinUntil} before its first look at the clock; each stretch after doubles, up to {@link MAX_POLLS_PER_CLOCK}. */
const POLLS_PER_CLOCK = 16;
/** The most polls of {@link spinUntil} between two looks at the clock. */
const MAX_POLLS_PER_CLOCK = 128;

/**
 * Polls `op` synchronously for up to `micros` microseconds; true once it is
 * complete. What a fast path does before it falls back to a Promise: most
 * peers of a blocking collective arrive within microseconds, and a poll is a
 * load from shared memory (or a look at a ring), where a Promise, its
 * continuation and the transport's spin in microtasks cost far more. A
 * budget of 0 polls once. The stretches of polls between looks at the clock
 * double (`performance.now()` allocates a number each call: a look every 16
 * polls made a 20 us spin allocate about 1 KB). With `yieldCore` (ranks
 * outnumber cores, `SharedArea.yieldCore`), it gives the core away
 * between looks instead of polling on. The usual case, `op` complete at the
 * first look, returns at the function's end (see docs/ARCHITECTURE.md, "Code
 * shaped for V8's tier-up": V8 optimizes a function whose calls return near
 * its start only after hundreds of them).
 */
export function spinUntil(op: Operation, micros: number, yieldCore?: () => unknown): boolean {
  return op.test() || (micros > 0 && spinLonger(op, micros, yieldCore));
}

/**
 * {@link spinUntil} after its first look. The deadline comes by a
 * multiplication: a quotient, integral while every budget was whole
 * milliseconds, was optimized as an integer, and the first budget of 20 us
 * deoptimized it ("lost precision"); V8 compiled it again, a 1.3 ms stall,
 * in the middle of the user's loop.
 */
function spinLonger(op: Operation, micros: number, yieldCore: (() => unknown) | undefined): boolean {
  const end = performance.now() + micros * 1e-3;
  if (yieldCore !== undefined) {
    do {
      yieldCore();
      if (op.test()) return true;
    } while (performance.now() < end);
    return false;
  }
  for (let polls = POLLS_PER_CLOCK; ; polls = Math.min(MAX_POLLS_PER_CLOCK, polls * 2)) {
    for (let i = 0; i < polls; i++) if (op.test()) return true;
    if (performance.now() >= end) return op.test();
  }
}

/** Remembered signatures of past calls, for mismatch errors. */
const HISTORY = 128;
/** Milliseconds between looks, while parked, at whether the awaited rank is in another call. */
const STALL_CHECK_MS = 50;
/** An algorithm with nothing left to do (a finished generator stays finished, so one serves every call). */
const NOTHING_LEFT: Algorithm<void> = (function* (): Algorithm<void> {})();

/** The collective calls of one channel (one communicator), run in call order. */
export class Sequencer implements CallHost {
  /** Set by the API layer (`Intracomm`): the name deadlock reports give the communicator. */
  communicatorName: string | undefined = undefined;
  private prefix = 'Comm';
  private calls = 0;
  private readonly history: (Signature | undefined)[] = new Array<Signature | undefined>(HISTORY);
  private running: CollectiveRun<unknown> | undefined;
  /** A call that its fast path finished and nothing holds: the next call's object (see {@link open}). */
  private spare: Call | undefined;
  private readonly queue: CollectiveRun<unknown>[] = [];
  /** {@link callName}'s answers by signature code: made once, not at every call that may need one. */
  private readonly names = new Map<number, string>();

  constructor(readonly channel: PointToPoint, readonly scratchPool: ScratchPool) {}

  /**
   * Starts a call (or queues it behind the running one). It runs
   * synchronously as far as it can before this returns.
   */
  start<T>(sig: Signature, algorithm: (call: Call) => Algorithm<T>): CollectiveRun<T> {
    const run = new CollectiveRun(this, this.open(sig), algorithm);
    if (this.running === undefined) {
      this.running = run;
      run.begin();
    } else {
      this.queue.push(run);
    }
    // A Free of the communicator meanwhile leaves the channel to the call until it is over (MPI-4.1 §7.4.3).
    if (!run.done) this.channel.keepFor?.(run.whenDone());
    return run;
  }

  /**
   * Starts a call that has a synchronous fast path: when no call is running,
   * `fast` runs at once and returns undefined (done; a value it has is in
   * {@link fastResult}), an Error (failed), or a {@link Detour}: the
   * algorithm that finishes the call and the operation it is parked on.
   * Otherwise the call queues as with {@link start}. Both paths get the
   * call's arguments `a` to `d` passed on, so that a caller needs no closure
   * per call (one is made only when the call queues).
   */
  startFast<T, A, B, C, D>(sig: Signature, fast: (call: Call, a: A, b: B, c: C, d: D) => Detour<T> | Error | undefined,
    algorithm: (call: Call, a: A, b: B, c: C, d: D) => Algorithm<T>, a: A, b: B, c: C, d: D): Promise<T> {
    if (this.running !== undefined) return this.startWith(sig, algorithm, a, b, c, d);
    const call = this.open(sig);
    const outcome = fast(call, a, b, c, d);
    const value = fastResult.value as T;
    fastResult.value = undefined;
    // Done on its fast path, the call serves the next one (see `open`).
    this.spare = outcome === undefined && !call.holdsScratch ? call : undefined;
    // Done, the usual case, returns at the end (see docs/ARCHITECTURE.md, "Code shaped for V8's tier-up").
    return outcome !== undefined ? this.finishFast(call, outcome)
      : value === undefined ? RESOLVED as Promise<T> : Promise.resolve(value);
  }

  /**
   * Starts a call of `algorithm` with these arguments ({@link start}) and
   * gives its result: what {@link startFast} does behind a running call, and
   * its callers where no fast path applies (no shared area, or one not
   * attached yet). Their closure is made
   * here: a function that makes a closure allocates the context of the
   * variables it captures at each call, whether or not it makes the closure
   * then, so the hot paths make none.
   */
  startWith<T, A, B, C, D>(sig: Signature, algorithm: (call: Call, a: A, b: B, c: C, d: D) => Algorithm<T>,
    a: A, b: B, c: C, d: D): Promise<T> {
    return this.start(sig, (call) => algorithm(call, a, b, c, d)).result();
  }

  /** The rest of a {@link startFast} call whose fast path failed or had to wait. */
  private finishFast<T>(call: Call, outcome: Detour<T> | Error): Promise<T> {
    if (outcome instanceof Error) return Promise.reject(outcome);
    const rest = outcome.rest ?? (NOTHING_LEFT as Algorithm<T>);
    const run = new CollectiveRun<T>(this, call, () => rest);
    this.running = run;
    run.begin(outcome.parkedOn, outcome.pending);
    if (!run.done) this.channel.keepFor?.(run.whenDone());
    return run.result();
  }

  /** Numbers a new call and remembers its signature; in the call object that the last call's fast path finished, if any. */
  private open(sig: Signature): Call {
    const seq = this.calls++;
    this.history[seq % HISTORY] = sig;
    const spare = this.spare;
    this.spare = undefined;
    const call = spare === undefined ? new Call(this.channel, sig, seq, this) : spare.renumber(sig, seq);
    this.channel.announce?.(call.tag, seq);
    return call;
  }

  /** Called by a run when it is done: starts the next one. */
  finished(run: CollectiveRun<unknown>): void {
    if (this.running !== run) return;
    this.running = this.queue.shift();
    this.running?.begin();
  }

  /** Settles once every call started so far is done (they run in order: once the last is); undefined if none is left. */
  idle(): Promise<void> | undefined {
    return (this.queue.at(-1) ?? this.running)?.whenDone();
  }

  /** Drives the running call; `spin` lets it spin before parking (a waiter is there). */
  progress(spin: boolean): void {
    this.running?.drive(spin);
  }

  signatureAt(seq: number): Signature | undefined {
    return seq >= 0 && seq < this.calls && this.calls - seq <= HISTORY ? this.history[seq % HISTORY] : undefined;
  }

  /** Errors name `<prefix>.X`: `Comm.X` unless the intercommunicator collectives make it `Intercomm`. */
  useCallPrefix(prefix: string): void {
    this.prefix = prefix;
    this.names.clear();
  }

  /** The API call of a signature code, for errors: `Comm.Bcast`, `Intercomm.Bcast`. */
  callName(code: number): string {
    let name = this.names.get(code);
    if (name === undefined) this.names.set(code, name = `${this.prefix}.${codeName(code)}`);
    return name;
  }
}

const sequencers = new WeakMap<PointToPoint, Sequencer>();

/**
 * The sequencer of a collective channel, shared by the buffer and object
 * collectives on it; made on first use, with `scratchPool` for its calls.
 */
export function sequencerOf(channel: PointToPoint, scratchPool: ScratchPool): Sequencer {
  let sequencer = sequencers.get(channel);
  if (sequencer === undefined) sequencers.set(channel, sequencer = new Sequencer(channel, scratchPool));
  return sequencer;
}

/**
 * One collective call in progress. It is an {@link Operation} too: `test`
 * makes progress without waiting, `wait` resolves once it is done, and a
 * failure is in {@link error}.
 */
export class CollectiveRun<T> implements Operation {
  done = false;
  error: Error | undefined = undefined;
  value: T | undefined = undefined;
  readonly envelope: Envelope | undefined = undefined;
  readonly data: Uint8Array | undefined = undefined;
  private generator: Algorithm<T> | undefined;
  private pending: Waitable | undefined;
  private index = 0;
  private blocker: Operation | undefined;
  /** The operation whose Promise will resume this run, while there is one. */
  private parked: Operation | undefined;
  private settled: Promise<void> | undefined;
  private settle: (() => void) | undefined;
  /** What {@link result} returned while the run was not done, and how to settle it. */
  private outcome: Promise<T> | undefined;
  private settleOutcome: (() => void) | undefined;
  private resumer: (() => void) | undefined;
  /** An error to throw into the algorithm at its next step, instead of going on. */
  private thrown: Error | undefined = undefined;
  /** Neighbours in the list of parked runs ({@link parkedRuns}); `watched` while in it. */
  watched = false;
  previousParked: CollectiveRun<unknown> | undefined = undefined;
  nextParked: CollectiveRun<unknown> | undefined = undefined;

  constructor(private readonly sequencer: Sequencer, readonly call: Call,
    private readonly algorithm: (call: Call) => Algorithm<T>) {
    // A small integer first, for the field's representation (see fastResult): a number result no longer deoptimizes
    // advance().
    this.value = 0 as T;
    this.value = undefined;
  }

  /**
   * Starts the algorithm (the sequencer calls this when the call's turn
   * comes); a fast path that already waited passes what it is parked on.
   */
  begin(parkedOn?: Operation, pending?: Promise<void>): void {
    this.generator = this.algorithm(this.call);
    if (parkedOn !== undefined && pending !== undefined) {
      parkedOn.within = this.call;
      // Tested (and its error checked) before the algorithm goes on, as if the algorithm had yielded it.
      this.pending = parkedOn;
      this.index = 0;
      this.park(parkedOn, pending);
    }
    this.pump();
  }

  /** Advances as far as possible; with `spin`, spins before parking. */
  drive(spin: boolean): void {
    if (this.generator === undefined) {
      this.sequencer.progress(spin);
      return;
    }
    if (spin) this.pump();
    else this.advance();
  }

  test(): boolean {
    if (!this.done) this.drive(false);
    return this.done;
  }

  wait(): Promise<void> {
    if (!this.done) this.drive(true);
    return this.whenDone();
  }

  /** Settles once the run is done, failed or not; unlike {@link wait}, does not drive it. */
  whenDone(): Promise<void> {
    if (this.done) return RESOLVED;
    this.settled ??= new Promise<void>((resolve) => { this.settle = resolve; });
    return this.settled;
  }

  /**
   * The outcome as the API returns it: the value, or a rejection with the
   * error. A pending run settles this Promise itself when it finishes (no
   * Promise chained behind {@link wait}'s).
   */
  result(): Promise<T> {
    if (!this.done) this.drive(true);
    if (!this.done) {
      this.outcome ??= new Promise<T>((resolve, reject) => {
        this.settleOutcome = () => {
          if (this.error !== undefined) reject(this.error);
          else resolve(this.value as T);
        };
      });
      return this.outcome;
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    return (this.value === undefined ? RESOLVED : Promise.resolve(this.value)) as Promise<T>;
  }

  describe(): string {
    return this.blocker === undefined || this.done ? this.call.sig.text : this.blocker.describe();
  }

  /**
   * Runs until done or until an operation is incomplete after the engine's
   * spin; then parks on that operation's Promise.
   */
  private pump(): void {
    while (!this.done) {
      if (this.advance()) return;
      if (this.parked !== undefined) return;
      const blocker = this.blocker!;
      // A wait may end in the transport's deadlock report, which then names this call.
      blocker.within = this.call;
      const pending = blocker.wait();
      if (blocker.test()) continue;
      if (this.park(blocker, pending)) return;
    }
  }

  /**
   * Resumes once `pending` (the Promise of `blocker.wait()`) settles; false,
   * without parking, when the wait is a mismatch, which the algorithm's next
   * step then throws.
   */
  private park(blocker: Operation, pending: Promise<void>): boolean {
    const mismatch = this.call.stalled(blocker);
    if (mismatch !== undefined) {
      blocker.abandon?.();
      this.raise(mismatch);
      return false;
    }
    this.parked = blocker;
    // The peer may show that it is in another call only later (waits return at once and do not spin first):
    // look again while parked.
    watchForStalls(this);
    void pending.then(this.resumer ??= this.resumption());
    return true;
  }

  /** What a park resumes with; one serves every park of the run but those that a stall abandoned. */
  private resumption(): () => void {
    const resume = (): void => {
      // A park that checkStall abandoned: the run went on without it.
      if (this.resumer !== resume) return;
      unwatch(this);
      this.parked = undefined;
      this.pump();
    };
    return resume;
  }

  /** While parked: if the awaited rank has turned out to be in another call, throws the mismatch into the algorithm. */
  checkStall(): void {
    const blocker = this.parked;
    if (blocker === undefined || this.done) return;
    const mismatch = this.call.stalled(blocker);
    if (mismatch === undefined) return;
    // The operation may still complete one day: its Promise must not resume the run then, and its wait must not keep
    // this rank alive or in a deadlock report.
    this.resumer = undefined;
    blocker.abandon?.();
    unwatch(this);
    this.parked = undefined;
    this.raise(mismatch);
    this.pump();
  }

  /** Makes the algorithm's next step throw `error` at the `yield` where it waits. */
  private raise(error: Error): void {
    this.thrown = error;
    this.pending = undefined;
  }

  /** Advances without waiting; true once done. */
  private advance(): boolean {
    const generator = this.generator!;
    for (;;) {
      const pending = this.pending;
      if (pending !== undefined) {
        if (isList(pending)) {
          for (; this.index < pending.length; this.index++) {
            const op = pending[this.index]!;
            if (!op.test()) {
              this.blocker = op;
              return false;
            }
            if (op.error !== undefined) {
              this.thrown = op.error;
              break;
            }
          }
        } else {
          if (!pending.test()) {
            this.blocker = pending;
            return false;
          }
          if (pending.error !== undefined) this.thrown = pending.error;
        }
        this.pending = undefined;
      }
      const thrown = this.thrown;
      let step: IteratorResult<Waitable, T>;
      try {
        if (thrown === undefined) {
          step = generatorNext.call(generator) as IteratorResult<Waitable, T>;
        } else {
          this.thrown = undefined;
          step = generatorThrow.call(generator, thrown) as IteratorResult<Waitable, T>;
        }
      } catch (error) {
        return this.fail(error);
      }
      if (step.done === true) {
        this.value = step.value;
        return this.finish();
      }
      this.pending = step.value;
      this.index = 0;
    }
  }

  private fail(error: unknown): true {
    this.error = error instanceof Error ? error : new Error(String(error));
    try {
      this.generator!.return(undefined as T);
    } catch {
      // The algorithm's cleanup failed too; the first error is the one to report.
    }
    return this.finish();
  }

  private finish(): true {
    this.done = true;
    // After a failure, sends may still read scratch memory: it is left to the garbage collector.
    if (this.error === undefined) this.call.release();
    this.blocker = undefined;
    this.pending = undefined;
    unwatch(this);
    this.settle?.();
    this.settleOutcome?.();
    this.sequencer.finished(this);
    return true;
  }
}

/**
 * The runs parked on an operation, which one timer looks at every
 * {@link STALL_CHECK_MS}: a timer per park cost more than a small collective
 * whose peer is not there yet. Unreferenced, the timer neither keeps the rank
 * alive nor hides a deadlock. A list through the runs themselves, so that
 * parking allocates nothing: a Set gets a new backing table whenever it
 * empties, at almost every park, in the old generation (fresh pages, page
 * faults) since the Set lives long.
 */
let parkedRuns: CollectiveRun<unknown> | undefined;
let stallTimer: NodeJS.Timeout | undefined;

function watchForStalls(run: CollectiveRun<unknown>): void {
  if (!run.watched) {
    run.watched = true;
    run.previousParked = undefined;
    run.nextParked = parkedRuns;
    if (parkedRuns !== undefined) parkedRuns.previousParked = run;
    parkedRuns = run;
  }
  stallTimer ??= setTimeout(checkStalls, STALL_CHECK_MS).unref();
}

function unwatch(run: CollectiveRun<unknown>): void {
  if (!run.watched) return;
  run.watched = false;
  const { previousParked: previous, nextParked: next } = run;
  if (previous === undefined) parkedRuns = next;
  else previous.nextParked = next;
  if (next !== undefined) next.previousParked = previous;
  run.previousParked = run.nextParked = undefined;
}

function checkStalls(): void {
  stallTimer = undefined;
  for (let run = parkedRuns; run !== undefined;) {
    // A stalled run fails and leaves the list: take its successor first.
    const next = run.nextParked;
    run.checkStall();
    run = next;
  }
  if (parkedRuns !== undefined) stallTimer = setTimeout(checkStalls, STALL_CHECK_MS).unref();
}

function isList(waitable: Waitable): waitable is readonly Operation[] {
  return Array.isArray(waitable);
}
