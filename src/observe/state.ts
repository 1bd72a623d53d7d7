/**
 * A rank's current MPI call in shared memory, for the watchdog
 * (`--watchdog`): the rank writes it as it enters and leaves each call, and
 * another thread (the shm launcher, or the rank's own watchdog thread under
 * mpiexec) reads it even while the rank is busy computing.
 *
 * Layout of one rank's {@link STATE_BYTES} bytes: float64 0: when the current
 * call began (ms since the epoch, 0 outside a call); float64 1: when the last
 * call ended (0 before the first call); int32 4: text length; bytes from
 * {@link TEXT_OFFSET}: the call with its arguments, then the user's frames
 * that made it, one a line.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: calls made inside other calls are not shown (the outer one is).
 *
 * @module
 */

/** Bytes of one rank's state. */
export const STATE_BYTES = 4096;
const TEXT_OFFSET = 32;

/** One rank's state, as the watchdog reads it. */
export interface CallState {
  /** The call and its arguments, or undefined outside a call. */
  readonly call: string | undefined;
  /** Milliseconds since the epoch at which the current call began. */
  readonly since: number;
  /** When the last call ended (0 before the first call). */
  readonly lastEnded: number;
  /** The user's frames of the current (or the last) call, innermost first. */
  readonly frames: readonly string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A view of the state of rank `index` in `buffer` (a SharedArrayBuffer of `n * STATE_BYTES`). */
export class StateSlot {
  private readonly numbers: Float64Array;
  private readonly words: Int32Array;
  private readonly text: Uint8Array;

  constructor(buffer: SharedArrayBuffer, index: number) {
    this.numbers = new Float64Array(buffer, index * STATE_BYTES, 2);
    this.words = new Int32Array(buffer, index * STATE_BYTES, TEXT_OFFSET / 4);
    this.text = new Uint8Array(buffer, index * STATE_BYTES + TEXT_OFFSET, STATE_BYTES - TEXT_OFFSET);
  }

  /** Entering `call` (text: the call, then its frames, a line each). */
  enter(text: string, now: number): void {
    const { written } = encoder.encodeInto(text, this.text);
    Atomics.store(this.words, 4, written);
    this.numbers[0] = now;
    // The watchdog counts a rank from its first call (MPI_Init, before it, may take long under mpiexec).
    if (this.numbers[1] === 0) this.numbers[1] = now;
  }

  /** Leaving the current call. */
  leave(now: number): void {
    this.numbers[0] = 0;
    this.numbers[1] = now;
  }

  read(): CallState {
    const length = Atomics.load(this.words, 4);
    const [call, ...frames] = decoder.decode(this.text.slice(0, length)).split('\n');
    const since = this.numbers[0]!;
    return { call: since === 0 ? undefined : call, since, lastEnded: this.numbers[1]!, frames: frames.filter((f) => f !== '') };
  }
}

/** The slot this process's rank publishes its calls in under mpiexec with `--watchdog` (see {@link ownCallFrames}). */
let ownSlot: StateSlot | undefined;

/** Called by the recorder (`instrument.ts`) of a rank under mpiexec that runs a watchdog. */
export function publishOwnState(slot: StateSlot): void {
  ownSlot = slot;
}

/**
 * The user's frames of this rank's current MPI call, innermost first: what
 * the mpi transport's deadlock report shows under each blocked rank (the shm
 * launcher reads every rank's slot itself). Empty without `--watchdog`, which
 * is what records them.
 */
export function ownCallFrames(): readonly string[] {
  return ownSlot?.read().frames ?? [];
}

/** Watchdog options: seconds, whether one rank stuck in one call is enough, whether to end the job. */
export interface WatchdogOptions {
  readonly seconds: number;
  readonly any: boolean;
  readonly abort: boolean;
}

/** The environment through which the launcher hands the watchdog to ranks under mpiexec. */
export const WATCHDOG_ENV = 'MPI4TS_WATCHDOG';
export const WATCHDOG_ANY_ENV = 'MPI4TS_WATCHDOG_ANY';
export const WATCHDOG_ABORT_ENV = 'MPI4TS_WATCHDOG_ABORT';

/** The watchdog options in the environment, if any. */
export function watchdogFromEnv(env: NodeJS.ProcessEnv): WatchdogOptions | undefined {
  const seconds = Number(env[WATCHDOG_ENV]);
  if (!(seconds > 0)) return undefined;
  return { seconds, any: env[WATCHDOG_ANY_ENV] === '1', abort: env[WATCHDOG_ABORT_ENV] === '1' };
}

/**
 * Whether the watchdog fires: no rank has ended a call for `seconds` (the
 * default), or, with `any`, one rank has been in one call that long. Ranks
 * that have published nothing yet are left out.
 */
export function watchdogFires(states: readonly CallState[], now: number, options: WatchdogOptions): boolean {
  const limit = options.seconds * 1000;
  // A rank that has not loaded mpi4ts yet has published nothing: it does not count.
  const started = states.filter((s) => s.lastEnded > 0 || s.call !== undefined);
  if (started.length === 0) return false;
  if (options.any) return started.some((s) => s.call !== undefined && now - s.since >= limit);
  const lastEnd = Math.max(...started.map((s) => s.lastEnded));
  return now - lastEnd >= limit;
}

/**
 * One rank's line of the roll-call, and its frames below it: `stack` is the
 * live stack when one could be read (the rank may be computing), else the
 * frames of the call it is in.
 */
export function rollCallEntry(label: string, state: CallState, now: number, stack?: readonly string[]): string {
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  const head = state.call !== undefined
    ? `  ${label}: in ${state.call} for ${seconds(now - state.since)} s`
    : state.lastEnded === 0
      ? `  ${label}: not in an MPI call (it has made none yet: still starting, or running JavaScript)`
      : `  ${label}: not in an MPI call (running JavaScript for ${seconds(now - state.lastEnded)} s since its last call ended)`;
  if (stack !== undefined) return [head, ...stack.map((f) => `      at ${f}`)].join('\n');
  if (state.call !== undefined) return [head, ...state.frames.map((f) => `      at ${f}`)].join('\n');
  if (state.frames.length === 0) return head;
  return [head, '    its last MPI call was made', ...state.frames.map((f) => `      at ${f}`)].join('\n');
}
