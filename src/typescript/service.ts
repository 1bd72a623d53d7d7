/**
 * The transpile service of a job on the shm transport: the launcher's main
 * thread compiles TypeScript for every rank, spawned rank and pool worker of
 * the job, so that esbuild is loaded once per job (lazily: a job whose files
 * are all in the disk cache never loads it) and each file is compiled once
 * (an in-memory cache keyed by path, modification time and size, besides
 * the disk cache of `transpile.ts`). Each rank's module hooks ask over a
 * MessagePort of their own ({@link TranspileService.connect}). No MPI-4.1
 * section: launcher support.
 *
 * Unfinished: nothing.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { TranspileReply, TranspileRequest } from './protocol.js';
import { transpile } from './transpile.js';

/**
 * Compiles TypeScript files for the module hooks of a job's threads.
 *
 * @example
 * const service = new TranspileService();
 * const port = service.connect(); // hand it to a worker in workerData (and its transferList)
 */
export class TranspileService {
  private readonly cache = new Map<string, Promise<string>>();

  /** A new port for one thread's hooks; the service's end closes when the thread's does. */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (request: TranspileRequest) => { void this.answer(port1, request); });
    port1.unref();
    return port2;
  }

  private async answer(port: MessagePort, { id, file }: TranspileRequest): Promise<void> {
    let reply: TranspileReply;
    try {
      reply = { id, code: await this.compile(file) };
    } catch (error) {
      reply = { id, error: error instanceof Error ? error.message : String(error) };
    }
    try {
      port.postMessage(reply);
    } catch {
      // The thread is gone.
    }
  }

  private async compile(file: string): Promise<string> {
    const { mtimeMs, size } = await stat(file);
    const key = `${file}\0${mtimeMs}\0${size}`;
    let code = this.cache.get(key);
    if (code === undefined) {
      code = transpile(file);
      this.cache.set(key, code);
      code.catch(() => this.cache.delete(key));
    }
    return code;
  }
}
