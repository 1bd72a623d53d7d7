/**
 * The worker side of a pool: serves the tasks of one manager rank over a
 * communicator, following the protocol of `protocol.ts`.
 *
 * Tasks of a batch run one after the other, each awaited only when it
 * returns a thenable, so synchronous tasks cost no Promise hop; the results
 * of a batch go back in one message, as one list (a list of numbers is
 * packed by the codec, with no object per result). The manager keeps several batches in
 * flight, so the next one is usually waiting in the worker's queue when the
 * last one is done.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from 'node:url';
import { prepareImport } from '../typescript/register.js';
import type { Comm } from '../api/comm.js';
import { encode } from '../codec/index.js';
import { Status } from '../api/status.js';
import { ANY_TAG } from '../constants.js';
import { type Boot, type Ready, Tag, TaskKind, describeError } from './protocol.js';

type TaskFunction = (...args: unknown[]) => unknown;
type TaskModule = Record<string, unknown>;

/**
 * Imports the task module; makes TypeScript loadable first when the module is
 * TypeScript (a failed import stays failed, so it cannot be tried first).
 */
async function importTasks(url: string): Promise<TaskModule> {
  const href = /^[a-z][a-z0-9+.-]*:/i.test(url) && !/^[a-z]:[\\/]/i.test(url) ? url : pathToFileURL(url).href;
  if (href.startsWith('file:')) await prepareImport(fileURLToPath(href));
  return await import(href) as TaskModule;
}

function lookup(tasks: TaskModule, name: string, url: string): TaskFunction {
  const fn = tasks[name];
  if (typeof fn !== 'function') {
    throw new TypeError(`${url} has no exported function ${JSON.stringify(name)}` +
      (name in tasks ? ` (it exports a ${typeof fn} by that name)` : ''));
  }
  return fn as TaskFunction;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    typeof (value as { then?: unknown }).then === 'function';
}

/** Runs one task of a group of `kind`; the value is awaited only if the function returned a thenable. */
function run(fn: TaskFunction, kind: number, entry: unknown): unknown {
  switch (kind) {
    case TaskKind.ONE:
      return fn(entry);
    case TaskKind.ARGS:
      return fn(...(entry as unknown[]));
    default: {
      const items = entry as unknown[];
      const spread = kind === TaskKind.TUPLES;
      const results: unknown[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const value = spread ? fn(...(items[i] as unknown[])) : fn(items[i]);
        if (isThenable(value)) return chunkRest(fn, spread, items, results, i, value);
        results[i] = value;
      }
      return results;
    }
  }
}

/** The rest of a chunk once one of its calls returned a thenable. */
async function chunkRest(fn: TaskFunction, spread: boolean, items: unknown[], results: unknown[], at: number,
  first: PromiseLike<unknown>): Promise<unknown[]> {
  results[at] = await first;
  for (let i = at + 1; i < items.length; i++) results[i] = await (spread ? fn(...(items[i] as unknown[])) : fn(items[i]));
  return results;
}

/** Whether `value` can travel back; a result that cannot becomes the task's error. */
function checkTravels(value: unknown): unknown {
  try {
    encode(value, 'futures result');
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Runs one batch `[kind, name, payload, ...]` and returns its reply
 * `[elapsedMs, values, errors]` (protocol.ts).
 */
async function runBatch(tasks: TaskModule, url: string, batch: unknown[]): Promise<unknown[]> {
  const started = performance.now();
  const values: unknown[] = [];
  let errors: unknown[] | null = null;
  for (let g = 0; g < batch.length; g += 3) {
    const kind = batch[g] as number;
    const payload = batch[g + 2] as unknown[];
    let fn: TaskFunction | undefined;
    let missing: unknown;
    try {
      fn = lookup(tasks, batch[g + 1] as string, url);
    } catch (error) {
      missing = error;
    }
    for (let i = 0; i < payload.length; i++) {
      try {
        if (fn === undefined) throw missing;
        let value = run(fn, kind, payload[i]);
        if (isThenable(value)) value = await value;
        values.push(value);
      } catch (error) {
        (errors ??= []).push(values.length, describeError(error));
        values.push(null);
      }
    }
  }
  return [performance.now() - started, values, errors];
}

/** Replaces the results that cannot be sent by the error that says why. */
function sendable(reply: unknown[]): unknown[] {
  const values = reply[1] as unknown[];
  const old = (reply[2] as unknown[] | null) ?? [];
  const errors: unknown[] = [];
  let e = 0;
  for (let i = 0; i < values.length; i++) {
    if (e < old.length && old[e] === i) {
      errors.push(i, old[e + 1]);
      e += 2;
      continue;
    }
    const problem = checkTravels(values[i]);
    if (problem !== undefined) {
      errors.push(i, describeError(problem));
      values[i] = null;
    }
  }
  return [reply[0], values, errors.length > 0 ? errors : null];
}

/**
 * Serves sessions of the manager at rank `manager` of `comm` until a `STOP`
 * (when `untilExit` is false) or an `EXIT`. Resolves once done. Answers go on
 * `replies` (a duplicate of `comm` when the manager is this very rank, so
 * that the loop does not take its own answers for orders).
 */
export async function serve(comm: Comm, manager: number, untilExit = false, replies: Comm = comm): Promise<void> {
  const status = new Status();
  let tasks: TaskModule = {};
  let url = '';
  for (;;) {
    const message = await comm.recv(manager, ANY_TAG, status);
    switch (status.Get_tag()) {
      case Tag.BOOT: {
        const boot = message as Boot;
        let ready: Ready = { error: undefined };
        try {
          url = boot.module;
          tasks = await importTasks(url);
          if (boot.initializer !== undefined) {
            const value = lookup(tasks, boot.initializer, url)(...boot.initargs);
            if (isThenable(value)) await value;
          }
        } catch (error) {
          ready = { error: describeError(error) };
        }
        await replies.send(ready, manager, Tag.READY);
        break;
      }
      case Tag.TASKS: {
        const reply = await runBatch(tasks, url, message as unknown[]);
        try {
          await replies.send(reply, manager, Tag.RESULTS);
        } catch {
          await replies.send(sendable(reply), manager, Tag.RESULTS);
        }
        break;
      }
      case Tag.STOP:
        if (!untilExit) return;
        break;
      case Tag.EXIT:
        return;
    }
  }
}
