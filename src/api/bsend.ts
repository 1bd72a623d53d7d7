/**
 * The buffer of buffered-mode sends (`Bsend`, `Ibsend`, `Bsend_init`).
 *
 * MPI-4.1 §3.6 (buffer allocation and usage: `MPI_Buffer_attach`,
 * `MPI_Buffer_detach`, `MPI_BSEND_OVERHEAD`), §3.4 (buffered mode: the send
 * completes once the message is copied, whether or not a receive matched).
 *
 * mpi4ts copies a buffered message into memory of its own and sends the copy
 * with a standard send that runs in the background; the attached buffer is
 * the budget that MPI would carve those copies from: each pending message
 * takes its length plus `BSEND_OVERHEAD` bytes of it until it is delivered,
 * and a message that does not fit rejects with `ERR_BUFFER`, as MPI says.
 * Detaching waits until every buffered message has been delivered.
 *
 * Unfinished: communicator-level buffers (MPI-4.1's `MPI_Comm_attach_buffer`).
 *
 * @module
 */

import { type Bytes, allocateBytes, copyBytes } from '../buffer.js';
import { isTypedArray } from '../buffer.js';
import { errors } from '../errors.js';
import type { TypedArray } from '../datatype/index.js';
import type { Operation } from '../transport/transport.js';

/** Bytes of bookkeeping each buffered message takes in the attached buffer (`MPI.BSEND_OVERHEAD`). */
export const BSEND_OVERHEAD = 128;

let attached: TypedArray | ArrayBuffer | undefined;
let capacity = 0;
let used = 0;
const pending = new Set<Promise<void>>();

/** Byte length of what `Attach_buffer` may take: a typed array or an ArrayBuffer. */
function byteLengthOf(buf: unknown): number | undefined {
  if (isTypedArray(buf)) return buf.byteLength;
  if (buf instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer)) {
    return buf.byteLength;
  }
  return undefined;
}

/**
 * `MPI_Buffer_attach` (MPI-4.1 §3.6): the buffer that buffered sends may
 * use; `ERR_BUFFER` when one is attached already.
 */
export function attachBuffer(buf: TypedArray | ArrayBuffer): void {
  const length = byteLengthOf(buf);
  if (length === undefined) throw errors.buffer('MPI.Attach_buffer', 'expected a typed array or an ArrayBuffer');
  if (attached !== undefined) {
    throw errors.buffer('MPI.Attach_buffer', `a buffer of ${capacity} bytes is attached already: detach it first`);
  }
  attached = buf;
  capacity = length;
  used = 0;
}

/**
 * `MPI_Buffer_detach` (MPI-4.1 §3.6): waits until every buffered message has
 * been delivered, then resolves with the buffer; `ERR_BUFFER` when none is attached.
 */
export async function detachBuffer(): Promise<TypedArray | ArrayBuffer> {
  const buf = attached;
  if (buf === undefined) throw errors.buffer('MPI.Detach_buffer', 'no buffer is attached');
  await flushBuffer();
  attached = undefined;
  capacity = 0;
  used = 0;
  return buf;
}

/** Waits until every buffered message sent so far has been delivered (`MPI_Buffer_flush`). */
export async function flushBuffer(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

/**
 * Copies `bytes` and starts its standard send with `send`; the returned
 * operation is complete at once. `ERR_BUFFER` when no buffer is attached or the
 * message does not fit in what is left of it.
 */
export function bufferedSend(bytes: Bytes, call: string, send: (copy: Bytes) => Operation): Operation {
  const need = bytes.byteLength + BSEND_OVERHEAD;
  if (attached === undefined) {
    throw errors.buffer(call, 'no buffer is attached for buffered sends: call MPI.Attach_buffer first');
  }
  if (used + need > capacity) {
    throw errors.buffer(call, `the attached buffer of ${capacity} bytes has ${capacity - used} bytes free, ` +
      `and this message needs ${need} (${bytes.byteLength} + MPI.BSEND_OVERHEAD)`);
  }
  const copy = allocateBytes(bytes.byteLength);
  copyBytes(copy, 0, bytes, 0, bytes.byteLength);
  const op = send(copy);
  used += need;
  const delivered: Promise<void> = op.wait().then(() => {
    used -= need;
    pending.delete(delivered);
  });
  pending.add(delivered);
  return buffered;
}

/** A buffered send, complete once copied. */
const buffered: Operation = {
  test: () => true,
  wait: () => Promise.resolve(),
  envelope: undefined,
  data: undefined,
  error: undefined,
  describe: () => 'buffered send',
};
