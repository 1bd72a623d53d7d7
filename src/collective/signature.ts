/**
 * Signatures of collective calls, carried in the tag of every message, so
 * that ranks which call different collectives get an error naming both calls
 * instead of a hang or garbage.
 *
 * MPI-4.1 §6.1 (all ranks of a communicator must call the same collectives
 * in the same order, with matching roots and type signatures). Checking this
 * is the job of tools such as MUST; here it costs nothing: the tag of a
 * collective message is
 *
 * | bits  | field                                                        |
 * |-------|--------------------------------------------------------------|
 * | 29-23 | call number on the communicator, modulo 128                  |
 * | 22-18 | which collective ({@link Code})                              |
 * | 17-10 | root, modulo 256 (0 for collectives without a root)          |
 * | 9-0   | hash of what every rank must agree on: byte counts, datatype and op |
 *
 * Receives on the collective channel use `ANY_TAG` from a known source, and
 * every rank runs its collectives on a communicator one after another, so a
 * receive always sees the next collective message that peer sent it; the
 * receiver compares the tag with its own and reports a mismatch. The tag
 * stays below `2^30`, within `MPI.TAG_UB`, so the object collectives can use
 * it over a native MPI too.
 *
 * Where no message of one call reaches a rank of the other, each call also
 * announces its tag (`PointToPoint.announce`, shm only), and a wait that has
 * to park compares it with the awaited rank's (`Call.stalled`): two ranks that
 * both think they are the root of a `Reduce` wait for each other, and learn.
 *
 * Unfinished: a mismatch in which no rank waits for the other (two roots of
 * a `Bcast` both only send) is found only by the next collective on that
 * communicator, or not at all.
 *
 * @module
 */

import type { Op } from '../op/op.js';

/** The collectives, as numbered in tags. Buffer forms are Capitalized, object forms lower-case. */
export const Code = {
  Barrier: 1,
  Bcast: 2,
  Gather: 3,
  Scatter: 4,
  Allgather: 5,
  Alltoall: 6,
  Reduce: 7,
  Allreduce: 8,
  Reduce_scatter: 9,
  Scan: 10,
  Exscan: 11,
  bcast: 17,
  scatter: 18,
  gather: 19,
  allgather: 20,
  alltoall: 21,
  reduce: 22,
  allreduce: 23,
  scan: 24,
  exscan: 25,
} as const;

/** One of the values of {@link Code}. */
export type CodeValue = (typeof Code)[keyof typeof Code];

const names = new Map<number, string>(Object.entries(Code).map(([name, code]) => [code, name]));
const rooted = new Set<number>([Code.Bcast, Code.Gather, Code.Scatter, Code.Reduce, Code.bcast, Code.scatter,
  Code.gather, Code.reduce]);

/** What one rank called: the collective, its root and a hash of what every rank must agree on. */
export interface Signature {
  readonly code: CodeValue;
  /** The root, or -1. */
  readonly root: number;
  /** 10-bit hash of counts, datatype and op. */
  readonly detail: number;
  /** How the call reads in an error: `Bcast(root=0, 800 bytes)`. */
  readonly text: string;
}

/** A signature whose text is made only when an error needs it. */
class LazySignature implements Signature {
  private made: string | undefined;

  constructor(readonly code: CodeValue, readonly root: number, readonly detail: number,
    private readonly describe: string | (() => string)) {}

  get text(): string {
    if (typeof this.describe === 'string') return this.describe;
    this.made ??= this.describe();
    return this.made;
  }
}

/** A multiplicative hash of the numbers (each as two 32-bit words), folded to 10 bits. */
function hash(parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h = Math.imul(h ^ (Math.floor(part / 2 ** 32) >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  return ((h >>> 20) ^ (h >>> 10) ^ h) & 0x3ff;
}

/**
 * The signature of a call.
 *
 * @param agreed - what every rank must pass alike (byte counts, datatype code, op code)
 * @param text - the call as an error names it, or a function that makes it
 */
export function signature(code: CodeValue, root: number, agreed: readonly number[], text: string | (() => string)): Signature {
  return new LazySignature(code, root, hash(agreed), text);
}

const opCodes: Readonly<Record<string, number>> = Object.fromEntries(
  ['SUM', 'PROD', 'MAX', 'MIN', 'LAND', 'LOR', 'LXOR', 'BAND', 'BOR', 'BXOR', 'MAXLOC', 'MINLOC'].map((n, i) => [n, i + 1]));

/**
 * A number for an op in signatures: the predefined ops by name; user ops
 * all 0, since ranks may create them in any order.
 */
export function opCode(op: Op): number {
  return op.predefined === undefined ? 0 : opCodes[op.predefined] ?? 0;
}

/** The name of a collective code, such as `Bcast`. */
export function codeName(code: number): string {
  return names.get(code) ?? `collective #${code}`;
}

/** The tag of every message of call number `seq` with this signature. */
export function tagOf(sig: Signature, seq: number): number {
  return ((seq & 0x7f) << 23) | (sig.code << 18) | ((Math.max(sig.root, 0) & 0xff) << 10) | sig.detail;
}

/** The fields of a tag. */
export interface TagFields {
  readonly seq: number;
  readonly code: number;
  readonly root: number;
  readonly detail: number;
}

/** Splits a tag into its fields; `seq` is modulo 128. */
export function fieldsOf(tag: number): TagFields {
  return { seq: (tag >>> 23) & 0x7f, code: (tag >>> 18) & 0x1f, root: (tag >>> 10) & 0xff, detail: tag & 0x3ff };
}

/**
 * How the call behind a peer's tag reads, as far as the tag tells: the
 * collective, its root, and whether counts, datatype or op differ from
 * `mine` (the call this rank made with the same call number).
 */
export function describePeer(peer: TagFields, mine: Signature | undefined, size: number): string {
  const name = codeName(peer.code);
  const differs = mine !== undefined && mine.code === peer.code && (Math.max(mine.root, 0) & 0xff) === peer.root &&
    mine.detail !== peer.detail;
  if (rooted.has(peer.code)) {
    const root = `(root=${size <= 256 ? peer.root : `${peer.root} modulo 256`})`;
    return differs ? `${name}${root} with different counts, datatype or op` : `${name}${root}`;
  }
  return differs ? `${name} with different counts, datatype or op` : `${name}()`;
}
