/**
 * Attribute caching on communicators.
 *
 * MPI-4.1 §7.7 (caching: `MPI_Comm_create_keyval`, `MPI_Comm_free_keyval`,
 * `MPI_Comm_set_attr`, `MPI_Comm_get_attr`, `MPI_Comm_delete_attr`; copy
 * callbacks run on `MPI_Comm_dup`, delete callbacks on `MPI_Comm_free`,
 * `MPI_Comm_delete_attr` and replacement), §7.7.2 and §11.10.1 (predefined
 * attributes of `MPI_COMM_WORLD`: `MPI_TAG_UB`, `MPI_HOST`, `MPI_IO`,
 * `MPI_WTIME_IS_GLOBAL`, `MPI_UNIVERSE_SIZE`, `MPI_APPNUM`,
 * `MPI_LASTUSEDCODE`).
 *
 * Values are any JS values, kept per communicator object in JS on both
 * transports. A copy callback returns the value for the new communicator, or
 * `undefined` to leave the attribute out (`copy_fn: true` copies the value
 * as it is, mpi4py's shorthand); without one, `Dup` does not copy it, as
 * with `MPI_COMM_NULL_COPY_FN`.
 *
 * `MPI.TAG_UB` is both the largest tag and, as in MPI, the key of the
 * attribute that holds it: `comm.Get_attr(MPI.TAG_UB)` returns `MPI.TAG_UB`.
 *
 * Unfinished: attributes on datatypes and windows (other helpers' objects).
 *
 * @module
 */

import { errors } from '../errors.js';

/** `MPI.KEYVAL_INVALID` (MPI-4.1 §7.7.2). */
export const KEYVAL_INVALID: -1 = -1;
/** Keys of the predefined attributes (MPI-4.1 §7.7.2, §11.10.1); `MPI.TAG_UB` is its own key. */
export const HOST = 1;
export const IO = 2;
export const WTIME_IS_GLOBAL = 3;
export const UNIVERSE_SIZE = 4;
export const APPNUM = 5;
export const LASTUSEDCODE = 6;

/** Copies an attribute on `Dup`: the new value, or undefined to leave it out. */
export type AttributeCopy<C> = (oldcomm: C, keyval: number, value: unknown) => unknown;
/** Runs when an attribute goes: `Free`, `Delete_attr`, or a `Set_attr` that replaces it. */
export type AttributeDelete<C> = (comm: C, keyval: number, value: unknown) => void;

interface Keyval {
  readonly copy: AttributeCopy<never> | true | undefined;
  readonly remove: AttributeDelete<never> | undefined;
  freed: boolean;
  /** Communicators that still hold it: a freed keyval lives until they let go (MPI-4.1 §7.7.2). */
  uses: number;
}

const keyvals = new Map<number, Keyval>();
let nextKeyval = 100;
const stores = new WeakMap<object, Map<number, unknown>>();

/** `MPI_Comm_create_keyval` (MPI-4.1 §7.7.2). */
export function createKeyval(copy: AttributeCopy<never> | true | undefined | null,
  remove: AttributeDelete<never> | undefined | null): number {
  if (copy !== undefined && copy !== null && copy !== true && typeof copy !== 'function') {
    throw errors.arg('Comm.Create_keyval', 'copy_fn must be a function, true or undefined');
  }
  if (remove !== undefined && remove !== null && typeof remove !== 'function') {
    throw errors.arg('Comm.Create_keyval', 'delete_fn must be a function or undefined');
  }
  const keyval = nextKeyval++;
  keyvals.set(keyval, { copy: copy ?? undefined, remove: remove ?? undefined, freed: false, uses: 0 });
  return keyval;
}

function userKeyval(keyval: number, call: string): Keyval {
  const entry = keyvals.get(keyval);
  if (entry === undefined || entry.freed) throw errors.keyval(call, `invalid keyval ${String(keyval)}`);
  return entry;
}

/** `MPI_Comm_free_keyval` (MPI-4.1 §7.7.2): returns `KEYVAL_INVALID` for the caller's variable. */
export function freeKeyval(keyval: number): number {
  const entry = userKeyval(keyval, 'Comm.Free_keyval');
  entry.freed = true;
  if (entry.uses === 0) keyvals.delete(keyval);
  return KEYVAL_INVALID;
}

function storeOf(comm: object): Map<number, unknown> {
  let store = stores.get(comm);
  if (store === undefined) {
    store = new Map();
    stores.set(comm, store);
  }
  return store;
}

/** `MPI_Comm_set_attr` (MPI-4.1 §7.7.2): a replaced value goes through the delete callback first. */
export function setAttr(comm: object, keyval: number, value: unknown): void {
  const entry = userKeyval(keyval, 'Comm.Set_attr');
  const store = storeOf(comm);
  if (store.has(keyval)) entry.remove?.(comm as never, keyval, store.get(keyval));
  else entry.uses++;
  store.set(keyval, value);
}

/** `MPI_Comm_get_attr` (MPI-4.1 §7.7.2) of a user keyval: the value, or undefined when unset. */
export function getAttr(comm: object, keyval: number): unknown {
  const entry = keyvals.get(keyval);
  if (entry === undefined) throw errors.keyval('Comm.Get_attr', `invalid keyval ${String(keyval)}`);
  return stores.get(comm)?.get(keyval);
}

/** Whether `keyval` is a keyval made by `createKeyval` (freed or not). */
export function isUserKeyval(keyval: number): boolean {
  return keyvals.has(keyval);
}

/** `MPI_Comm_delete_attr` (MPI-4.1 §7.7.2): runs the delete callback; `ERR_KEYVAL` when it is not set. */
export function deleteAttr(comm: object, keyval: number): void {
  const entry = keyvals.get(keyval);
  const store = stores.get(comm);
  if (entry === undefined || store === undefined || !store.has(keyval)) {
    throw errors.keyval('Comm.Delete_attr', `attribute ${String(keyval)} is not set on this communicator`);
  }
  entry.remove?.(comm as never, keyval, store.get(keyval));
  store.delete(keyval);
  release(keyval, entry);
}

function release(keyval: number, entry: Keyval): void {
  entry.uses--;
  if (entry.freed && entry.uses === 0) keyvals.delete(keyval);
}

/** On `Dup`: each attribute whose keyval copies goes to `to` (MPI-4.1 §7.7.2). */
export function copyAttributes(from: object, to: object): void {
  const store = stores.get(from);
  if (store === undefined) return;
  for (const [keyval, value] of store) {
    const entry = keyvals.get(keyval)!;
    if (entry.copy === undefined) continue;
    const copied = entry.copy === true ? value : entry.copy(from as never, keyval, value);
    if (copied === undefined) continue;
    storeOf(to).set(keyval, copied);
    entry.uses++;
  }
}

/** On `Free`: every attribute's delete callback runs, last set first (MPI-4.1 §7.7.2 leaves the order open). */
export function deleteAttributes(comm: object): void {
  const store = stores.get(comm);
  if (store === undefined) return;
  for (const [keyval, value] of [...store].reverse()) {
    const entry = keyvals.get(keyval)!;
    entry.remove?.(comm as never, keyval, value);
    release(keyval, entry);
  }
  stores.delete(comm);
}
