/**
 * What a waiting rank's event loop holds besides the transport: a rank that
 * waits for messages while its script still has timers, sockets, files or
 * child processes pending may be waiting for those instead, so it neither
 * blocks its thread for long nor counts as deadlocked.
 *
 * @module
 */

/**
 * Whether Node's event loop has work of the script's own pending.
 *
 * @param idle - resources every rank has that never end a wait (stdio pipes, the worker's port)
 * @param ownTimers - the transport's own timers among the active ones (Node lists a timer whose callback runs)
 */
export function hasOtherWork(idle: ReadonlySet<string>, ownTimers: number): boolean {
  let timers = 0;
  for (const resource of process.getActiveResourcesInfo()) {
    if (resource === 'Timeout') timers++;
    else if (!idle.has(resource)) return true;
  }
  return timers > ownTimers;
}
