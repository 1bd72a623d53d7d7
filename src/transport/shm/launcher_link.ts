/**
 * What a rank asks of the launcher that started it, and the answers: new
 * ranks for `Spawn`, and the notice of an `Abort`. Messages go over the
 * worker's `parentPort`; start-up and spawning are rare, so postMessage's
 * cost does not matter here.
 *
 * @module
 */

import { parentPort } from 'node:worker_threads';

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

/** Every message a rank posts to the launcher. */
export type RankMessage = SpawnRequest | AbortNotice;

let nextRequest = 1;

/** True when this rank runs under the mpi4ts launcher. */
export function hasLauncher(): boolean {
  return parentPort !== null;
}

/**
 * Asks the launcher for new ranks; resolves with their world ranks. The
 * port is listened to only while a request is out, so that an idle rank
 * can still finish.
 */
export function requestSpawn(request: Omit<SpawnRequest, 'type' | 'id'>): Promise<readonly number[]> {
  const port = parentPort!;
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    const listener = (reply: SpawnReply): void => {
      if (reply?.type !== 'spawned' || reply.id !== id) return;
      port.off('message', listener);
      if (reply.ranks !== undefined) resolve(reply.ranks);
      else reject(new Error(reply.error ?? 'the launcher could not start the ranks'));
    };
    port.on('message', listener);
    const message: SpawnRequest = { type: 'spawn', id, ...request };
    port.postMessage(message);
  });
}

/** Tells the launcher that this rank ends the job with `code`. */
export function notifyAbort(code: number, reason: string): void {
  const notice: AbortNotice = { type: 'abort', code, reason };
  parentPort?.postMessage(notice);
}
