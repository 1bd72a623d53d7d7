/**
 * Info objects: string keys to string values, handed to calls as hints.
 *
 * MPI-4.1 §10 (the info object: `MPI_Info_create`, `_dup`, `_free`, `_set`,
 * `_get_string`, `_delete`, `_get_nkeys`, `_get_nthkey`; `MPI_INFO_NULL`,
 * `MPI_INFO_ENV` §11.2.2), §7.4.4 (communicator info: `MPI_Comm_set_info`,
 * `MPI_Comm_get_info`, `MPI_Comm_dup_with_info`).
 *
 * An `Info` is Map-like, as mpi4py's: `Get`/`Set`/`Delete`, `get`, `keys`,
 * `values`, `items`, `update`, `pop`, `copy`, `clear`, iteration and `size`.
 * It lives in JS on both transports: no call of mpi4ts passes hints to an
 * MPI library yet, so a communicator's info is what the program set, kept
 * by key as MPI-4.1 §7.4.4 allows (an implementation may ignore hints; it
 * returns the ones it honours, and mpi4ts returns the ones it was given).
 *
 * Unfinished: hints are not passed to the MPI library on the mpi transport.
 *
 * @module
 */

import { errors } from '../errors.js';

/** Longest key, as `MPI_MAX_INFO_KEY` (MPI-4.1 §10). */
export const MAX_INFO_KEY = 255;
/** Longest value, as `MPI_MAX_INFO_VAL` (MPI-4.1 §10). */
export const MAX_INFO_VAL = 1024;

/**
 * An info object (MPI-4.1 §10).
 *
 * @example
 * ```ts
 * const info = MPI.Info.Create();
 * info.Set('mpi_assert_no_any_tag', 'true');
 * info.Get('mpi_assert_no_any_tag'); // 'true'
 * const dup = await comm.Dup_with_info(info);
 * ```
 */
export class Info implements Iterable<string> {
  private readonly entries = new Map<string, string>();
  private freed = false;

  private constructor(private readonly kind: 'user' | 'null' | 'env') {}

  /** `MPI_Info_create` (MPI-4.1 §10): a new, empty info object. */
  static Create(items?: Iterable<[string, string]> | Record<string, string>): Info {
    const info = new Info('user');
    if (items !== undefined) info.update(items);
    return info;
  }

  /** @internal `MPI.INFO_NULL` and `MPI.INFO_ENV`. */
  static predefined(kind: 'null' | 'env', entries: Record<string, string> = {}): Info {
    const info = new Info(kind);
    for (const [k, v] of Object.entries(entries)) info.entries.set(k, v);
    return info;
  }

  private live(call: string, writing = false): Map<string, string> {
    if (this.kind === 'null') throw errors.info(call, 'MPI.INFO_NULL is not an info object to use');
    if (this.freed) throw errors.info(call, 'the info object has been freed');
    if (writing && this.kind !== 'user') throw errors.info(call, 'MPI.INFO_ENV cannot be changed');
    return this.entries;
  }

  private static key(key: unknown, call: string): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_INFO_KEY) {
      throw errors.infoKey(call, `invalid key ${JSON.stringify(key)}: a string of 1 to ${MAX_INFO_KEY} characters`);
    }
    return key;
  }

  /** False for `MPI.INFO_NULL` and a freed info (mpi4py's `bool(info)`). */
  get isLive(): boolean {
    return this.kind !== 'null' && !this.freed;
  }

  /** `MPI_Info_dup` (MPI-4.1 §10): a copy. */
  Dup(): Info {
    const copy = new Info('user');
    for (const [k, v] of this.live('Info.Dup')) copy.entries.set(k, v);
    return copy;
  }

  /** `MPI_Info_free` (MPI-4.1 §10): any later use throws `ERR_INFO`. Predefined ones cannot be freed. */
  Free(): void {
    this.live('Info.Free');
    if (this.kind !== 'user') throw errors.info('Info.Free', 'a predefined info object cannot be freed');
    this.freed = true;
    this.entries.clear();
  }

  /** `MPI_Info_get_string` (MPI-4.1 §10): the value of `key`, or null when it is not set. */
  Get(key: string, maxlen = -1): string | null {
    const value = this.live('Info.Get').get(Info.key(key, 'Info.Get'));
    if (value === undefined) return null;
    return maxlen >= 0 ? value.slice(0, maxlen) : value;
  }

  /** `MPI_Info_set` (MPI-4.1 §10). */
  Set(key: string, value: string): void {
    const entries = this.live('Info.Set', true);
    key = Info.key(key, 'Info.Set');
    if (typeof value !== 'string' || value.length > MAX_INFO_VAL) {
      throw errors.infoValue('Info.Set', `invalid value for ${key}: a string of at most ${MAX_INFO_VAL} characters`);
    }
    entries.set(key, value);
  }

  /** `MPI_Info_delete` (MPI-4.1 §10): `ERR_INFO_NOKEY` when `key` is not set. */
  Delete(key: string): void {
    const entries = this.live('Info.Delete', true);
    if (!entries.delete(Info.key(key, 'Info.Delete'))) throw errors.infoNoKey('Info.Delete', key);
  }

  /** `MPI_Info_get_nkeys` (MPI-4.1 §10). */
  Get_nkeys(): number {
    return this.live('Info.Get_nkeys').size;
  }

  /** `MPI_Info_get_nthkey` (MPI-4.1 §10): keys in the order they were set; `ERR_ARG` out of range. */
  Get_nthkey(n: number): string {
    const keys = [...this.live('Info.Get_nthkey').keys()];
    if (!Number.isInteger(n) || n < 0 || n >= keys.length) {
      throw errors.arg('Info.Get_nthkey', `invalid index ${String(n)}: must be an integer in [0, ${keys.length})`);
    }
    return keys[n]!;
  }

  /** Number of keys (mpi4py's `len(info)`). */
  get size(): number {
    return this.kind === 'null' || this.freed ? 0 : this.entries.size;
  }

  /** mpi4py's `info.get(key, default)`. */
  get(key: string, fallback: string | null = null): string | null {
    return this.Get(key) ?? fallback;
  }

  /** Whether `key` is set (mpi4py's `key in info`). */
  has(key: string): boolean {
    return this.live('Info.has').has(key);
  }

  keys(): string[] {
    return [...this.live('Info.keys').keys()];
  }

  values(): string[] {
    return [...this.live('Info.values').values()];
  }

  items(): [string, string][] {
    return [...this.live('Info.items').entries()];
  }

  /** Sets every pair of `other` (an Info, a Map, pairs or a plain object). */
  update(other: Info | Iterable<[string, string]> | Record<string, string>): void {
    const pairs: Iterable<[string, string]> = other instanceof Info ? other.items()
      : Symbol.iterator in Object(other) ? other as Iterable<[string, string]> : Object.entries(other);
    for (const [k, v] of pairs) this.Set(k, v);
  }

  /** Removes `key` and returns its value; `fallback` when unset, else `ERR_INFO_NOKEY`. */
  pop(key: string, fallback?: string): string {
    const value = this.Get(key);
    if (value === null) {
      if (fallback !== undefined) return fallback;
      throw errors.infoNoKey('Info.pop', key);
    }
    this.Delete(key);
    return value;
  }

  /** Removes and returns the last pair set; `ERR_INFO_NOKEY` when empty. */
  popitem(): [string, string] {
    const items = this.items();
    const last = items[items.length - 1];
    if (last === undefined) throw errors.infoNoKey('Info.popitem', '(any)');
    this.Delete(last[0]);
    return last;
  }

  /** The same as {@link Dup}. */
  copy(): Info {
    return this.Dup();
  }

  /** Removes every key. */
  clear(): void {
    this.live('Info.clear', true).clear();
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}

/** `MPI.INFO_NULL` (MPI-4.1 §10): no info. */
export const INFO_NULL: Info = Info.predefined('null');

/**
 * `MPI.INFO_ENV` (MPI-4.1 §11.2.2): how the job was started, as far as this
 * process knows: `command`, `argv`, `maxprocs`, `thread_level`, `host`.
 */
export function environmentInfo(values: Record<string, string>): Info {
  return Info.predefined('env', values);
}

/**
 * The hints an object keeps from `info` (a `Set_info` or constructor
 * argument, MPI-4.1 §10): a copy, or an empty Info for a freed one; ERR_INFO
 * when it is not an `MPI.Info`.
 */
export function hintsFrom(info: unknown, call: string): Info {
  if (!(info instanceof Info)) throw errors.info(call, `expected an MPI.Info, got ${String(info)}`);
  return info.isLive ? info.Dup() : Info.Create();
}
