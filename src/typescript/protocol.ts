/**
 * The messages between a thread's module hooks and the job's transpile
 * service (`service.ts`), over the MessagePort the hooks get in
 * `module.register(..., { data })`. No MPI-4.1 section: launcher support.
 *
 * Unfinished: nothing.
 *
 * @module
 */

/** Hooks to service: compile this file. */
export interface TranspileRequest {
  readonly id: number;
  /** Absolute path of the TypeScript file. */
  readonly file: string;
}

/** Service to hooks: the JavaScript, or why there is none. */
export type TranspileReply =
  | { readonly id: number; readonly code: string }
  | { readonly id: number; readonly error: string };

/** What the hooks module gets as `data` from `module.register`. */
export interface HooksData {
  /** The job's transpile service; without one, the hooks compile in their own thread. */
  readonly port?: import('node:worker_threads').MessagePort | undefined;
}
