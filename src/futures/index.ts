/**
 * `mpi4ts/futures`: pools of MPI ranks that run tasks, after
 * `mpi4py.futures` and Python's `concurrent.futures`.
 *
 * @example
 * ```ts
 * import { MPIPoolExecutor } from 'mpi4ts/futures';
 * await using pool = new MPIPoolExecutor<typeof import('./tasks.ts')>({ module: new URL('./tasks.ts', import.meta.url) });
 * console.log(await pool.submit('fib', 30));
 * ```
 *
 * @packageDocumentation
 */

export {
  BrokenExecutor, MPICommExecutor, MPIPoolExecutor, type MapOptions, type PoolOptions, type ShutdownOptions,
  type TaskArgs, type TaskName, type TaskResult, type UntypedTasks,
} from './executor.js';
export {
  ALL_COMPLETED, CancelledError, type DoneAndNotDone, FIRST_COMPLETED, FIRST_EXCEPTION, Future, type ReturnWhen,
  TimeoutError, as_completed, type CompletedFuture, wait,
} from './future.js';
