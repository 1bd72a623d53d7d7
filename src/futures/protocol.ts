/**
 * The wire protocol between a pool's manager and its workers.
 *
 * Every message is an object message (the lower-case calls) on a
 * communicator of the pool's own: the intercommunicator of `Spawn`, or a
 * duplicate of the communicator an `MPICommExecutor` runs on, so no task
 * message can match a receive of the user's program. The manager is one
 * rank; each worker is another. A session runs:
 *
 * 1. `BOOT` (manager to each worker): the task module and the initializer;
 *    the worker answers `READY` (or the error that stopped it).
 * 2. `TASKS` (manager to a worker, several in flight at once): a batch of
 *    tasks as groups of tasks that call the same export the same way,
 *    `[kind, name, payload, kind, name, payload, ...]`, where `payload` has
 *    one entry per task (see {@link TaskKind}): a task of one argument is
 *    that argument, so a batch of `map`'s tasks over numbers is one packed
 *    array of numbers, with no object per task. The worker runs the tasks
 *    one after the other and answers each batch with one `RESULTS` message,
 *    `[elapsedMs, values, errors]`: `values` has one entry per task in the
 *    batch's order (a chunk's entry is its list of results, a failed task's
 *    `null`), `errors` is null or `[index, RemoteErrorInfo, ...]`. Tasks
 *    carry no ids: a worker answers its batches in the order it got them,
 *    and messages between two ranks do not overtake one another, so the
 *    manager matches each answer to the oldest batch it has out there.
 * 3. `STOP` ends the session; in a job started with `-m futures`, `EXIT`
 *    also ends the worker's wait for the next session.
 * 4. `DEATH` (a spawned worker on the mpi transport, as it dies): the
 *    manager fails the worker's tasks and answers `DEATH_ACK`, after which
 *    the worker exits (and Open MPI ends the job).
 *
 * Errors travel as {@link RemoteErrorInfo}, so that the error's class name,
 * message and the worker's stack survive whatever the error held.
 *
 * @module
 */

/** Message tags of the protocol. */
export const Tag = {
  BOOT: 1,
  READY: 2,
  TASKS: 3,
  RESULTS: 4,
  STOP: 5,
  EXIT: 6,
  /** Worker to manager, from a worker that is dying: a {@link DeathNotice}. */
  DEATH: 7,
  /** Manager to a dying worker: the notice is taken, its tasks failed. */
  DEATH_ACK: 8,
} as const;

/**
 * What a spawned worker on the mpi transport sends its manager when it is
 * about to die (a non-zero exit or an uncaught error): Open MPI then ends
 * the whole job, so this is the pool's one chance to say which worker.
 */
export interface DeathNotice {
  /** Why it dies: the exit code or the uncaught error. */
  readonly reason: string;
}

/** How the entries of a group's payload call the group's export. */
export const TaskKind = {
  /** `fn(arg)`: the entry is the one argument (`submit` of one argument, `map` with chunksize 1). */
  ONE: 0,
  /** `fn(...args)`: the entry is the argument list. */
  ARGS: 1,
  /** A chunk of `map`: the entry is a list of items, the result the list of `fn(item)`. */
  ITEMS: 2,
  /** A chunk of `starmap`: the entry is a list of argument lists, the result the list of `fn(...args)`. */
  TUPLES: 3,
} as const;

/** What a worker needs before its first task. */
export interface Boot {
  /** URL of the module whose exports are the tasks. */
  readonly module: string;
  /** Export to call once before the first task, if any. */
  readonly initializer: string | undefined;
  readonly initargs: readonly unknown[];
}

/** A worker's answer to {@link Boot}. */
export interface Ready {
  readonly error: RemoteErrorInfo | undefined;
}

/** An error thrown on a worker, as it travels back to the manager. */
export interface RemoteErrorInfo {
  /** The error's class name (`TypeError`, or the user's own class). */
  readonly name: string;
  readonly message: string;
  /** The worker's stack, when the thrown value had one. */
  readonly stack: string | undefined;
  /** A thrown value that was not an Error, as it was thrown (when it can travel). */
  readonly value?: unknown;
  /** An Error's own enumerable properties of primitive values (`code`, `errno`, `path`, ...), and a primitive `cause`. */
  readonly props?: Readonly<Record<string, string | number | boolean | bigint | null | undefined>>;
}

/** Whether `value` travels as it is whatever else the error holds: a primitive. */
function isPrimitive(value: unknown): value is string | number | boolean | bigint | null | undefined {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}

/** Describes a thrown value for the trip back to the manager. */
export function describeError(thrown: unknown): RemoteErrorInfo {
  if (thrown instanceof Error) {
    // A class that does not set `name` still has its constructor's name.
    const className = thrown.name === 'Error' && thrown.constructor?.name ? thrown.constructor.name : thrown.name;
    // The stack's first line names the class as `name` did: say the class.
    const stack = thrown.stack?.startsWith(`${thrown.name}:`) ? className + thrown.stack.slice(thrown.name.length) : thrown.stack;
    // Only primitives: a property that could not travel must not cost the task's result its trip.
    const props: Record<string, string | number | boolean | bigint | null | undefined> = {};
    for (const [key, value] of Object.entries(thrown)) if (isPrimitive(value)) props[key] = value;
    if (isPrimitive(thrown.cause) && 'cause' in thrown) props['cause'] = thrown.cause;
    return { name: className, message: thrown.message, stack, props };
  }
  return { name: 'Error', message: String(thrown), stack: undefined, value: thrown };
}

const standardErrors: Record<string, ErrorConstructor> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

/**
 * Rebuilds an error that a worker threw: the standard class when its name is
 * one, else an `Error` with the worker's class name, with the primitive
 * properties it had (`code`, ...); the stack is the worker's, followed by
 * `where` (which worker ran the task). A thrown value that was not an Error
 * is the rebuilt error's `cause`.
 */
export function rebuildError(info: RemoteErrorInfo, where: string): Error {
  const ErrorClass = standardErrors[info.name] ?? Error;
  const error = 'value' in info ? new ErrorClass(info.message, { cause: info.value }) : new ErrorClass(info.message);
  for (const [key, value] of Object.entries(info.props ?? {})) {
    if (key === 'cause') Object.defineProperty(error, 'cause', { value, configurable: true, writable: true });
    else if (key !== 'name' && key !== 'message' && key !== 'stack') (error as unknown as Record<string, unknown>)[key] = value;
  }
  if (error.name !== info.name) Object.defineProperty(error, 'name', { value: info.name, configurable: true, writable: true });
  const remoteStack = info.stack ?? `${info.name}: ${info.message}`;
  error.stack = `${remoteStack}\n    on ${where}`;
  return error;
}

/**
 * What the shm launcher posts to the rank that spawned a pool's workers when
 * one of them ends abnormally: the pool fails that worker's tasks instead of
 * the launcher ending the job.
 */
export interface WorkerExitNotice {
  readonly type: 'pool-worker-exit';
  /** The worker's world rank (its slot in the job). */
  readonly slot: number;
  /** Why it ended: the exit code or the uncaught error. */
  readonly reason: string;
}
