/**
 * The worker side of a pool: serves the tasks of one manager rank over a
 * communicator, following the protocol of `protocol.ts`.
 *
 * Tasks of a batch run one after the other, each awaited only when it
 * returns a thenable, so synchronous tasks cost no Promise hop; the results
 * of a batch go back in one message. The manager keeps several batches in
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
import { type Boot, Outcome, type Ready, Tag, TaskKind, describeError } from './protocol.js';

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

/** Runs one task; the value is awaited only if the function returned a thenable. */
function run(fn: TaskFunction, kind: number, args: unknown[]): unknown {
  if (kind === TaskKind.CALL) return fn(...args);
  const results: unknown[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const value = fn(...(args[i] as unknown[]));
    if (isThenable(value)) return chunkRest(fn, args, results, i, value);
    results[i] = value;
  }
  return results;
}

/** The rest of a chunk once one of its calls returned a thenable. */
async function chunkRest(fn: TaskFunction, args: unknown[], results: unknown[], at: number, first: PromiseLike<unknown>): Promise<unknown[]> {
  results[at] = await first;
  for (let i = at + 1; i < args.length; i++) results[i] = await fn(...(args[i] as unknown[]));
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
 * Runs one batch `[id, kind, name, args, ...]` and returns its reply
 * `[elapsedMs, id, outcome, value, ...]`.
 */
async function runBatch(tasks: TaskModule, url: string, batch: unknown[]): Promise<unknown[]> {
  const started = performance.now();
  const reply: unknown[] = new Array(1 + (batch.length / 4) * 3);
  let at = 1;
  for (let i = 0; i < batch.length; i += 4) {
    reply[at++] = batch[i];
    try {
      let value = run(lookup(tasks, batch[i + 2] as string, url), batch[i + 1] as number, batch[i + 3] as unknown[]);
      if (isThenable(value)) value = await value;
      reply[at++] = Outcome.OK;
      reply[at++] = value;
    } catch (error) {
      reply[at++] = Outcome.ERROR;
      reply[at++] = describeError(error);
    }
  }
  reply[0] = performance.now() - started;
  return reply;
}

/** Replaces the results that cannot be sent by the error that says why. */
function sendable(reply: unknown[]): unknown[] {
  for (let i = 1; i < reply.length; i += 3) {
    if (reply[i + 1] !== Outcome.OK) continue;
    const problem = checkTravels(reply[i + 2]);
    if (problem !== undefined) {
      reply[i + 1] = Outcome.ERROR;
      reply[i + 2] = describeError(problem);
    }
  }
  return reply;
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
