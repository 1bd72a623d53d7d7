/**
 * Forwarding a rank's output whole line by whole line, so that lines of
 * different ranks never mix mid-line.
 *
 * @module
 */

import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Copies `input` to `output` a complete line at a time, each behind `prefix`. */
export class LineForwarder {
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');
  /** Settles once the input has ended and everything has been written. */
  readonly done: Promise<void>;

  constructor(input: Readable, private readonly output: Writable, private readonly prefix: string) {
    this.done = new Promise((resolve) => {
      input.on('data', (chunk: Buffer) => this.push(this.decoder.write(chunk)));
      input.on('end', () => {
        this.push(this.decoder.end());
        this.flush();
        resolve();
      });
    });
  }

  private push(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop()!;
    if (lines.length > 0) this.output.write(lines.map((line) => this.prefix + line + '\n').join(''));
  }

  /** Writes out a last line that had no newline. */
  flush(): void {
    if (this.pending.length > 0) {
      this.output.write(this.prefix + this.pending + '\n');
      this.pending = '';
    }
  }
}
