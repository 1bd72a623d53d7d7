/**
 * Standard input on shm, as `mpiexec` gives it: the script's `process.stdin`
 * on rank 0 of the job's world reads the launcher's standard input; the
 * other ranks, and ranks that `Spawn` starts, read an empty stream (Open
 * MPI's default: stdin goes to rank 0 alone).
 *
 * Rank 0 asks the launcher for one chunk at a time, and the launcher reads
 * its own stdin only when asked: a job that never reads it leaves it as it
 * was (a terminal's typing included). Rank 0's thread is held alive only
 * while a read waits for data. Node's own stdin of a worker thread
 * (`stdin: true`) holds the thread from its first read to the end of the
 * input, so a script that read one line of a pipe holding more never ended;
 * hence a stream of our own. No MPI-4.1 section: launcher support (MPI
 * leaves standard input to the implementation).
 *
 * Unfinished: no other rank can be chosen (Open MPI's `--stdin rank`).
 *
 * @module
 */

import { Readable } from 'node:stream';
import { type MessagePort, workerData } from 'node:worker_threads';

/** The key of `workerData` under which rank 0 finds its end of the stdin channel. */
export const STDIN_KEY = 'mpi4tsStdin';

/** Rank 0 to the launcher: one more chunk, please. */
interface StdinRequest {
  readonly type: 'stdin-read';
}

/** The launcher's answer: a chunk of its stdin, or its end (`chunk` undefined). */
interface StdinChunk {
  readonly type: 'stdin-chunk';
  readonly chunk?: Uint8Array | undefined;
}

/**
 * The launcher's side: answers each request from `port` with the next chunk
 * of `input` (the launcher's `process.stdin`, which it first touches at the
 * first request), or its end.
 *
 * @example
 * ```ts
 * const { port1, port2 } = new MessageChannel();
 * const forwarder = new StdinForwarder(port1, () => process.stdin);
 * // port2 goes to rank 0 (rankStdin); when the job ends:
 * forwarder.close();
 * ```
 */
export class StdinForwarder {
  private stream: Readable | undefined;
  private chunks: AsyncIterator<unknown> | undefined;
  private closed = false;

  constructor(private readonly port: MessagePort, private readonly input: () => Readable) {
    port.on('message', (message: StdinRequest) => {
      if (message?.type === 'stdin-read') void this.answer();
    });
    // The ranks hold the job; this port must not hold the launcher once they are done.
    port.unref();
  }

  private async answer(): Promise<void> {
    let chunk: Uint8Array | undefined;
    try {
      this.stream ??= this.input();
      this.chunks ??= this.stream[Symbol.asyncIterator]();
      const next = await this.chunks.next();
      if (!next.done) chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value as Uint8Array;
    } catch {
      // An input that fails (a closed descriptor) ends there, as a failed read ends a process's stdin.
    }
    if (this.closed) return;
    const answer: StdinChunk = { type: 'stdin-chunk', chunk };
    this.port.postMessage(answer);
  }

  /**
   * Stops reading: the launcher's stdin, if it was read, is closed so that
   * the launcher can exit (a read still waiting for a pipe's writer or a
   * terminal's typing would hold it).
   */
  close(): void {
    this.closed = true;
    this.port.close();
    this.stream?.destroy();
  }
}

/**
 * Makes `process.stdin` of this rank the launcher's stdin, if the launcher
 * gave it the channel ({@link STDIN_KEY}: rank 0 of the world); other ranks
 * keep Node's empty stdin of a worker thread.
 */
export function installRankStdin(): void {
  const port = (workerData as Record<string, unknown> | null | undefined)?.[STDIN_KEY] as MessagePort | undefined;
  if (port !== undefined) Object.defineProperty(process, 'stdin', { value: rankStdin(port), configurable: true, enumerable: true });
}

/**
 * Rank 0's side: a stream that asks `port` for a chunk whenever its reader
 * wants more, and holds the thread alive only while it waits for one and
 * is not paused.
 *
 * @example
 * ```ts
 * Object.defineProperty(process, 'stdin', { value: rankStdin(port), configurable: true });
 * ```
 */
export function rankStdin(port: MessagePort): Readable {
  let waiting = false;
  const request: StdinRequest = { type: 'stdin-read' };
  const stream = new Readable({
    read() {
      if (waiting) return;
      waiting = true;
      port.ref();
      port.postMessage(request);
    },
    destroy(error, callback) {
      port.close();
      callback(error);
    },
  });
  // As a process's stdin: a paused stream (readline pauses its input when it closes) holds nothing.
  stream.on('pause', () => port.unref());
  stream.on('resume', () => {
    if (waiting) port.ref();
  });
  port.on('message', (message: StdinChunk) => {
    if (message?.type !== 'stdin-chunk') return;
    waiting = false;
    port.unref();
    stream.push(message.chunk === undefined ? null : Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
  });
  port.unref();
  return stream;
}
