// Shared pieces of the native `mpi` transport tests. Each test is an SPMD
// script run under a real launcher:
//   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
//     mpiexec --oversubscribe -n 4 node --import tsx test/native/<name>.ts
// It prints "native <name> ok (rank r of n)" per rank and exits 0; the first
// failed check prints the error and exits 1, which aborts the job (MPI_Abort).
import assert from 'node:assert/strict';
import { MPIError } from '../../src/errors.js';
import { Op } from '../../src/op/op.js';
import { createMpiTransport, type MpiTransport } from '../../src/transport/mpi/transport.js';
import type { Operation } from '../../src/transport/transport.js';

/** The transport under test (loads the addon, initialises MPI). */
export const transport: MpiTransport = createMpiTransport();

/** A predefined op by MPI name; the transport maps it by name, so the functions are never called. */
export function predefined(name: string): Op {
  const never = (): never => {
    throw new Error(`${name} should run inside MPI`);
  };
  return new Op(name, true, never, never);
}

/** Waits for an operation and fails on its error. */
export async function done(op: Operation): Promise<Operation> {
  await op.wait();
  if (op.error !== undefined) throw op.error;
  return op;
}

/** Waits for every operation. */
export async function all(ops: readonly Operation[]): Promise<void> {
  for (const op of ops) await done(op);
}

/** Asserts that `value` is an MPIError of class `errorClass` whose message matches `pattern`. */
export function isMPIError(value: unknown, errorClass: number, pattern?: RegExp): void {
  assert.ok(value instanceof MPIError, `expected an MPIError, got ${String(value)}`);
  assert.equal(value.error_class, errorClass, `error class of: ${value.message}`);
  if (pattern !== undefined) assert.match(value.message, pattern);
}

/** `n` bytes whose values depend on `seed`. */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the test body; prints the verdict. A failure exits 1, and the
 * transport's exit hook turns that into MPI_Abort for the whole job.
 */
export async function run(name: string, minRanks: number, body: () => Promise<void>): Promise<void> {
  const { worldRank, worldSize } = transport;
  if (worldSize < minRanks) {
    if (worldRank === 0) console.log(`native ${name} skipped: needs ${minRanks} ranks, got ${worldSize}`);
    return;
  }
  try {
    await body();
    await transport.world.collectives.barrier();
    console.log(`native ${name} ok (rank ${worldRank} of ${worldSize})`);
  } catch (e) {
    console.error(`native ${name} FAILED on rank ${worldRank} of ${worldSize}:`, e);
    process.exit(1);
  }
}
