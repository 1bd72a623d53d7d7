/**
 * Attribute caching: values that a program hangs on an MPI object under a
 * key of its own (a keyval), with callbacks that run when the object is
 * duplicated or freed.
 *
 * MPI-4.1 §7.7 (caching on communicators, §7.7.2), §7.7.3 (on windows),
 * §7.7.4 (on datatypes): `MPI_*_create_keyval`, `MPI_*_free_keyval`,
 * `MPI_*_set_attr`, `MPI_*_get_attr`, `MPI_*_delete_attr`; copy callbacks
 * run on `Dup`, delete callbacks on `Free`, `Delete_attr` and replacement.
 *
 * Values are any JS values, kept per object in JS on both transports. A copy
 * callback returns the value for the new object, or `undefined` to leave the
 * attribute out (`copy_fn: true` copies the value as it is, mpi4py's
 * shorthand); without one, `Dup` does not copy it (`MPI_*_NULL_COPY_FN`).
 * Each kind of object has its own keyvals: a communicator's keyval on a
 * datatype is `ERR_KEYVAL`, as in MPI.
 *
 * Unfinished: nothing known.
 *
 * @module
 */

import { errors } from './errors.js';

/** `MPI.KEYVAL_INVALID` (MPI-4.1 §7.7.2). */
export const KEYVAL_INVALID: -1 = -1;

/** Copies an attribute on `Dup`: the new value, or undefined to leave it out. */
export type AttributeCopy<O> = (oldobj: O, keyval: number, value: unknown) => unknown;
/** Runs when an attribute goes: `Free`, `Delete_attr`, or a `Set_attr` that replaces it. */
export type AttributeDelete<O> = (obj: O, keyval: number, value: unknown) => void;

interface Keyval<O> {
  readonly copy: AttributeCopy<O> | true | undefined;
  readonly remove: AttributeDelete<O> | undefined;
  freed: boolean;
  /** Objects that still hold it: a freed keyval lives until they let go (MPI-4.1 §7.7.2). */
  uses: number;
}

/** Keyvals are unique across kinds, so that one used on the wrong kind of object is caught. */
let nextKeyval = 100;

/**
 * The attributes of one kind of object: `kind` prefixes the calls' names in
 * errors (`'Comm'`, `'Datatype'`, `'Win'`), `noun` names the object.
 */
export class AttributeCache<O extends object> {
  private readonly keyvals = new Map<number, Keyval<O>>();
  private readonly stores = new WeakMap<O, Map<number, unknown>>();

  constructor(private readonly kind: string, private readonly noun: string) {}

  /** `MPI_*_create_keyval`. */
  createKeyval(copy: AttributeCopy<O> | true | undefined | null, remove: AttributeDelete<O> | undefined | null): number {
    const call = `${this.kind}.Create_keyval`;
    if (copy !== undefined && copy !== null && copy !== true && typeof copy !== 'function') {
      throw errors.arg(call, 'copy_fn must be a function, true or undefined');
    }
    if (remove !== undefined && remove !== null && typeof remove !== 'function') {
      throw errors.arg(call, 'delete_fn must be a function or undefined');
    }
    const keyval = nextKeyval++;
    this.keyvals.set(keyval, { copy: copy ?? undefined, remove: remove ?? undefined, freed: false, uses: 0 });
    return keyval;
  }

  /** `MPI_*_free_keyval`: returns `KEYVAL_INVALID` for the caller's variable. */
  freeKeyval(keyval: number): number {
    const entry = this.live(keyval, `${this.kind}.Free_keyval`);
    entry.freed = true;
    if (entry.uses === 0) this.keyvals.delete(keyval);
    return KEYVAL_INVALID;
  }

  /** Whether `keyval` is one of this kind's, freed or not. */
  has(keyval: number): boolean {
    return this.keyvals.has(keyval);
  }

  /** `MPI_*_set_attr`: a replaced value goes through the delete callback first. */
  set(obj: O, keyval: number, value: unknown): void {
    const entry = this.live(keyval, `${this.kind}.Set_attr`);
    const store = this.storeOf(obj);
    if (store.has(keyval)) entry.remove?.(obj, keyval, store.get(keyval));
    else entry.uses++;
    store.set(keyval, value);
  }

  /** `MPI_*_get_attr` of a user keyval: the value, or undefined when unset. */
  get(obj: O, keyval: number): unknown {
    if (!this.keyvals.has(keyval)) throw errors.keyval(`${this.kind}.Get_attr`, `invalid keyval ${String(keyval)}`);
    return this.stores.get(obj)?.get(keyval);
  }

  /** `MPI_*_delete_attr`: runs the delete callback; `ERR_KEYVAL` when it is not set. */
  delete(obj: O, keyval: number): void {
    const entry = this.keyvals.get(keyval);
    const store = this.stores.get(obj);
    if (entry === undefined || store === undefined || !store.has(keyval)) {
      throw errors.keyval(`${this.kind}.Delete_attr`, `attribute ${String(keyval)} is not set on this ${this.noun}`);
    }
    entry.remove?.(obj, keyval, store.get(keyval));
    store.delete(keyval);
    this.release(keyval, entry);
  }

  /** On `Dup`: each attribute whose keyval copies goes to `to`. */
  copyAll(from: O, to: O): void {
    const store = this.stores.get(from);
    if (store === undefined) return;
    for (const [keyval, value] of store) {
      const entry = this.keyvals.get(keyval)!;
      if (entry.copy === undefined) continue;
      const copied = entry.copy === true ? value : entry.copy(from, keyval, value);
      if (copied === undefined) continue;
      this.storeOf(to).set(keyval, copied);
      entry.uses++;
    }
  }

  /** On `Free`: every attribute's delete callback runs, last set first (MPI leaves the order open). */
  deleteAll(obj: O): void {
    const store = this.stores.get(obj);
    if (store === undefined) return;
    for (const [keyval, value] of [...store].reverse()) {
      const entry = this.keyvals.get(keyval)!;
      entry.remove?.(obj, keyval, value);
      this.release(keyval, entry);
    }
    this.stores.delete(obj);
  }

  private live(keyval: number, call: string): Keyval<O> {
    const entry = this.keyvals.get(keyval);
    if (entry === undefined || entry.freed) throw errors.keyval(call, `invalid keyval ${String(keyval)}`);
    return entry;
  }

  private storeOf(obj: O): Map<number, unknown> {
    let store = this.stores.get(obj);
    if (store === undefined) {
      store = new Map();
      this.stores.set(obj, store);
    }
    return store;
  }

  private release(keyval: number, entry: Keyval<O>): void {
    entry.uses--;
    if (entry.freed && entry.uses === 0) this.keyvals.delete(keyval);
  }
}
