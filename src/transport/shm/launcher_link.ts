/**
 * What a rank asks of the launcher that started it, and the answers: new
 * ranks for `Spawn` and `Spawn_multiple`, the word to run its script once it
 * has loaded (launcher/v8flags.ts), the notice of an `Abort`, the meeting of
 * an `Accept` and a `Connect` on one port, and the port names and the name
 * service of client/server connections (MPI-4.1 §11.9). Messages go over the
 * worker's `parentPort`; start-up and spawning are rare, so postMessage's
 * cost does not matter here. The name service's calls are local and
 * synchronous in MPI: the rank blocks its thread (Atomics.wait) until the
 * launcher's main thread has answered on a port of the request's own
 * (receiveMessageOnPort).
 *
 * @module
 */

import { MessageChannel, type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';

/** A rank asks for `maxprocs` new ranks running `command`. */
export interface SpawnRequest {
  readonly type: 'spawn';
  readonly id: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly maxprocs: number;
  /** World ranks of the spawning group, the children's remote group. */
  readonly parents: readonly number[];
  /** Context of the intercommunicator between parents and children. */
  readonly context: number;
  /** Context of the children's `COMM_WORLD`. */
  readonly childContext: number;
  /**
   * `Spawn_multiple`: the programs, started in this order (`maxprocs` is
   * their total); each child's `MPI_APPNUM` is its program's index.
   */
  readonly apps?: readonly { readonly command: string; readonly args: readonly string[]; readonly maxprocs: number }[];
}

/** The launcher's answer: the children's world ranks, or why there are none. */
export interface SpawnReply {
  readonly type: 'spawned';
  readonly id: number;
  readonly ranks?: readonly number[];
  readonly error?: string;
}

/** Message a rank posts before it ends the job with `Abort`. */
export interface AbortNotice {
  readonly type: 'abort';
  readonly code: number;
  readonly reason: string;
}

/** The root of an `Accept` or `Connect` group asks the launcher to meet the other side on `port`. */
export interface PortRequest {
  readonly type: 'port';
  readonly id: number;
  readonly op: 'accept' | 'connect';
  readonly port: string;
  /** World ranks of the group. */
  readonly group: readonly number[];
  /** The acceptor's offer: the context of the intercommunicator (0 from a connector). */
  readonly context: number;
}

/** The answer: the other group's world ranks and the context, or why they cannot meet. */
export interface PortReply {
  readonly type: 'port-met';
  readonly id: number;
  readonly group?: readonly number[];
  readonly context?: number;
  readonly error?: string;
}

/** A call of the port and name service (`Open_port`, ..., `Lookup_name`), answered on `reply`. */
export interface NameRequest {
  readonly type: 'names';
  readonly op: 'open' | 'close' | 'publish' | 'unpublish' | 'lookup';
  readonly service?: string;
  readonly port?: string;
  readonly reply: MessagePort;
  /** Set to 1 and notified once the answer is on `reply`. */
  readonly flag: Int32Array;
}

/** The answer: a port name, or an error of class `kind`. */
export interface NameReply {
  readonly value?: string;
  readonly error?: { readonly kind: 'port' | 'name' | 'service'; readonly text: string };
}

/** A rank has loaded the library and the hooks of the user's script, and waits to run the script. */
export interface LoadedNotice {
  readonly type: 'loaded';
}

/** The launcher's answer, once no rank of the job is loading: V8's compilers are on again (launcher/v8flags.ts), run. */
export interface RunNotice {
  readonly type: 'run';
}

/** Every message a rank posts to the launcher. */
export type RankMessage = SpawnRequest | AbortNotice | PortRequest | NameRequest | LoadedNotice;

let nextRequest = 1;

/** True when this rank runs under the mpi4ts launcher. */
export function hasLauncher(): boolean {
  return parentPort !== null;
}

/**
 * Posts `message` to the launcher; resolves with the first message back that
 * `isAnswer` takes. The port is listened to only until then, so that an idle
 * rank can still finish.
 */
function ask<T>(port: MessagePort, message: RankMessage, isAnswer: (reply: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (reply: T): void => {
      if (!isAnswer(reply)) return;
      port.off('message', listener);
      resolve(reply);
    };
    port.on('message', listener);
    port.postMessage(message);
  });
}

/** Asks the launcher for new ranks; resolves with their world ranks. */
export async function requestSpawn(request: Omit<SpawnRequest, 'type' | 'id'>): Promise<readonly number[]> {
  const id = nextRequest++;
  const reply = await ask<SpawnReply>(parentPort!, { type: 'spawn', id, ...request }, (r) => r?.type === 'spawned' && r.id === id);
  if (reply.ranks !== undefined) return reply.ranks;
  throw new Error(reply.error ?? 'the launcher could not start the ranks');
}

/** Tells the launcher, if there is one, that this rank has loaded; resolves when it says run. */
export async function notifyLoaded(): Promise<void> {
  if (parentPort === null) return;
  await ask<RunNotice>(parentPort, { type: 'loaded' }, (r) => r?.type === 'run');
}

/** Tells the launcher that this rank ends the job with `code`. */
export function notifyAbort(code: number, reason: string): void {
  const notice: AbortNotice = { type: 'abort', code, reason };
  parentPort?.postMessage(notice);
}

/**
 * Asks the launcher to meet the other side of an `Accept`/`Connect` on a
 * port; resolves with its group and the context, or rejects with the reason.
 */
export async function requestPort(request: Omit<PortRequest, 'type' | 'id'>): Promise<{ group: readonly number[]; context: number }> {
  const id = nextRequest++;
  const reply = await ask<PortReply>(parentPort!, { type: 'port', id, ...request }, (r) => r?.type === 'port-met' && r.id === id);
  if (reply.group !== undefined && reply.context !== undefined) return { group: reply.group, context: reply.context };
  throw new Error(reply.error ?? 'the launcher could not connect the groups');
}

/** How long a name-service call waits for the launcher before it gives up. */
const NAME_SERVICE_WAIT_MS = 30_000;

/** A call of the launcher's port and name service, answered synchronously. */
export function askNameService(request: Omit<NameRequest, 'type' | 'reply' | 'flag'>): NameReply {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const message: NameRequest = { type: 'names', ...request, reply: port2, flag };
  parentPort!.postMessage(message, [port2]);
  Atomics.wait(flag, 0, 0, NAME_SERVICE_WAIT_MS);
  const answer = receiveMessageOnPort(port1);
  port1.close();
  if (answer === undefined) return { error: { kind: 'port', text: 'the launcher did not answer' } };
  return answer.message as NameReply;
}
