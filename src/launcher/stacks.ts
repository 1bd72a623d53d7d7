/**
 * The JS stacks of ranks that are computing, on the shm transport: the
 * launcher's thread holds an inspector session (`node:inspector`) with
 * `NodeWorker.enable`, which attaches a session to each rank's worker thread
 * (named `rank N`); `Debugger.pause` stops a busy worker at its next
 * statement, its call frames are read, and it resumes at once.
 *
 * A rank that waits in the event loop runs no statement to pause at: its
 * stack is not asked for (the frames of the MPI call it is in are shown
 * instead), and a pause that finds nothing to stop within the time given
 * is withdrawn.
 *
 * Not an MPI-4.1 interface.
 *
 * @module
 */

import { Session } from 'node:inspector';
import { userFrames } from '../observe/frames.js';

interface CallFrame {
  readonly callFrameId: string;
}

interface Attached {
  readonly sessionId: string;
  nextId: number;
  onPaused?: (frames: readonly CallFrame[]) => void;
  /** Answers awaited, by message id. */
  readonly replies: Map<number, (result: unknown) => void>;
}


/** Sessions to the ranks' worker threads, by thread name. */
export class WorkerStacks {
  private readonly session = new Session();
  private readonly workers = new Map<string, Attached>();
  private readonly bySession = new Map<string, Attached>();
  /** After {@link close}: a stack request's timer may still fire, and must not post to the closed session. */
  private closed = false;

  constructor() {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (message) => {
      const { sessionId, workerInfo } = message.params as { sessionId: string; workerInfo: { title: string } };
      const name = workerInfo.title.replace(/^\[worker \d+\] /, '');
      const attached: Attached = { sessionId, nextId: 1, replies: new Map() };
      this.workers.set(name, attached);
      this.bySession.set(sessionId, attached);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (message) => {
      const { sessionId, message: text } = message.params as { sessionId: string; message: string };
      const attached = this.bySession.get(sessionId);
      if (attached === undefined) return;
      const parsed = JSON.parse(text) as { id?: number; result?: unknown; method?: string; params?: { callFrames: CallFrame[] } };
      if (parsed.id !== undefined) {
        attached.replies.get(parsed.id)?.(parsed.result);
        attached.replies.delete(parsed.id);
      } else if (parsed.method === 'Debugger.paused') {
        if (attached.onPaused === undefined) this.send(attached, 'Debugger.resume');
        else attached.onPaused(parsed.params!.callFrames);
      }
    });
    this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  private send(attached: Attached, method: string, params: object = {}, reply?: (result: unknown) => void): void {
    if (this.closed) return;
    const id = attached.nextId++;
    if (reply !== undefined) attached.replies.set(id, reply);
    this.session.post('NodeWorker.sendMessageToWorker', { sessionId: attached.sessionId, message: JSON.stringify({ id, method, params }) });
  }

  /** The user's frames of the worker named `name` (`fn (file:line)`), or undefined if it did not pause in `timeoutMs`. */
  stack(name: string, timeoutMs: number): Promise<string[] | undefined> {
    const attached = this.workers.get(name);
    if (attached === undefined) return Promise.resolve(undefined);
    return new Promise((resolveStack) => {
      const timer = setTimeout(() => {
        attached.onPaused = undefined;
        this.send(attached, 'Debugger.disable');
        resolveStack(undefined);
      }, timeoutMs);
      attached.onPaused = (frames) => {
        clearTimeout(timer);
        attached.onPaused = undefined;
        // The stack as the thread itself sees it: through its source maps (TypeScript lines).
        this.send(attached, 'Debugger.evaluateOnCallFrame', { callFrameId: frames[0]!.callFrameId, expression: 'new Error().stack' }, (result) => {
          this.send(attached, 'Debugger.resume');
          this.send(attached, 'Debugger.disable');
          const stack = (result as { result?: { value?: unknown } } | undefined)?.result?.value;
          resolveStack(typeof stack === 'string' ? userFrames(stack, 12) : undefined);
        });
      };
      this.send(attached, 'Debugger.enable');
      this.send(attached, 'Debugger.pause');
    });
  }

  close(): void {
    this.closed = true;
    this.session.disconnect();
  }
}
