/**
 * One collective call as its algorithm sees it: the channel, the call's tag,
 * sends and checked receives, and scratch memory.
 *
 * MPI-4.1 §6.1 (collectives match in call order), §6.14 (correctness: the
 * same collectives in the same order, with matching roots and sizes).
 *
 * Every receive takes `ANY_TAG` from a known source and checks the tag it
 * got against this call's (see `signature.ts`): a message of another
 * collective, of another root, or of another size becomes an `MPIError`
 * naming both calls.
 *
 * @module
 */

import type { Bytes } from '../buffer.js';
import { errors } from '../errors.js';
import type { Envelope, Operation, PointToPoint } from '../transport/transport.js';
import { describePeer, fieldsOf, type Signature, tagOf } from './signature.js';
import type { ScratchPool } from './scratch.js';
import { tuning } from './tuning.js';

const ANY_TAG = -1;

/** What a call asks of the sequencer it runs in. */
export interface CallHost {
  /** The signature this rank called with call number `seq`, while it is remembered. */
  signatureAt(seq: number): Signature | undefined;
  /** The communicator's name, for reports, once the API layer has told it. */
  readonly communicatorName: string | undefined;
  /** The API call of a signature code, for errors: `Comm.Bcast`, `Intercomm.Bcast`. */
  callName(code: number): string;
  /** Where the call's scratch buffers come from and go back to. */
  readonly scratchPool: ScratchPool;
}

/**
 * The context of one collective call. A call that its fast path finished,
 * which nothing holds then, serves the communicator's next call
 * ({@link renumber}, `Sequencer.open`): one object less in the rank's young
 * generation per call.
 */
export class Call {
  /** What this rank called, its number on the communicator and their tag: set anew by {@link renumber} alone. */
  sig: Signature;
  seq: number;
  tag: number;
  readonly rank: number;
  readonly size: number;
  /** Scratch buffers by slot, and ones a slot outgrew; made on first use. */
  private slots: (Uint8Array | undefined)[] | undefined;
  private retired: Uint8Array[] | undefined;

  constructor(readonly channel: PointToPoint, sig: Signature, seq: number, private readonly host: CallHost) {
    this.sig = sig;
    this.seq = seq;
    this.tag = tagOf(sig, seq);
    this.rank = channel.rank;
    this.size = channel.size;
  }

  /** Whether the call holds scratch buffers (see {@link scratch}): it cannot serve another call then. */
  get holdsScratch(): boolean {
    return this.slots !== undefined;
  }

  /** This finished call object, which nothing holds any more, as call number `seq` of `sig`. */
  renumber(sig: Signature, seq: number): Call {
    this.sig = sig;
    this.seq = seq;
    this.tag = tagOf(sig, seq);
    return this;
  }

  /** The API call, for errors: `Comm.Bcast`, `Intercomm.Bcast`. */
  get name(): string {
    return this.host.callName(this.sig.code);
  }

  /** How the call reads in a deadlock report: `Bcast(root=0, 4 bytes) on MPI_COMM_WORLD`. */
  get text(): string {
    const on = this.host.communicatorName;
    return on === undefined ? this.sig.text : `${this.sig.text} on ${on}`;
  }

  /**
   * Starts sending `data` to `dest`. Do not change `data` before the send
   * completes. Sends of `tuning.syncSendBytes` or more, and every send of
   * every `tuning.syncEveryCalls`-th call, are synchronous (complete once
   * matched): a rank that only sends in a collective (the root of a Bcast,
   * the leaves of a Reduce) cannot run more than that many calls ahead of its
   * receivers, whose queues of early messages stay short.
   */
  send(data: Bytes, dest: number): Operation {
    const sync = data.byteLength >= tuning.syncSendBytes || this.seq % tuning.syncEveryCalls === tuning.syncEveryCalls - 1;
    return this.channel.isend(data, dest, this.tag, sync);
  }

  /**
   * Starts a receive from `source`: into `into`, which the message must fill
   * exactly, or (without `into`) of any length, delivered as `data`.
   */
  recv(into: Bytes | undefined, source: number): Operation {
    return new CheckedReceive(this, this.channel.irecv(into, source, ANY_TAG), into === undefined ? -1 : into.byteLength,
      source);
  }

  /**
   * Checks a completed receive from `source` (posted with `ANY_TAG`): the
   * transport's error, or a mismatch when the tag is not this call's or the
   * length not `expected` (-1: any).
   */
  verify(op: Operation, expected: number, source: number): Error | undefined {
    const envelope = op.envelope;
    if (op.error !== undefined) {
      // Truncated: the message was consumed, and its envelope's tag says whose it was.
      return envelope === undefined ? op.error : this.mismatch(source, envelope.tag, envelope.byteLength, expected);
    }
    if (envelope === undefined) return undefined;
    if (envelope.tag !== this.tag || (expected >= 0 && envelope.byteLength !== expected)) {
      return this.mismatch(source, envelope.tag, envelope.byteLength, expected);
    }
    return undefined;
  }

  /**
   * When a wait for `op` has to park: the mismatch error if the rank it
   * waits for left a message of another call on this channel (it is not in
   * this one, or the receive would have taken it), or has announced another
   * collective as this call's number (see `PointToPoint.announce`). Two
   * ranks that both wait for the other, such as two roots of one `Reduce`,
   * learn so here: neither sends the message the other waits for.
   */
  stalled(op: Operation): Error | undefined {
    const peer = op.awaitedRank;
    if (peer === undefined) return undefined;
    // A message of this very call may wait for a transport that receives by probing (mpi) to take it.
    const queued = this.channel.iprobe(peer, ANY_TAG);
    // The probe read what has arrived: the awaited message may have come with the peer's next call right behind it.
    if (op.test()) return undefined;
    if (queued !== undefined && queued.tag !== this.tag) return this.mismatch(peer, queued.tag, queued.byteLength, -1);
    const theirs = this.channel.peerCall?.(peer, this.seq);
    if (theirs === undefined || theirs === this.tag) return undefined;
    return this.mismatch(peer, theirs, -1, -1);
  }

  /**
   * Wraps a receive posted with `ANY_TAG` from `source` so that its `error`
   * checks it: {@link verify}'s verdict, or `verdict`'s (a caller with its
   * own rule for the message's length) on the completed receive.
   */
  checked(op: Operation, expected: number, source: number,
    verdict?: (inner: Operation) => Error | undefined): Operation {
    return new CheckedReceive(this, op, expected, source, verdict);
  }

  /**
   * Scratch memory for this call; slots keep apart buffers used together.
   * A slot asked for again keeps its buffer when it is large enough.
   */
  scratch(slot: number, bytes: number): Uint8Array {
    this.slots ??= [];
    let memory = this.slots[slot];
    if (memory === undefined || memory.byteLength < bytes) {
      if (memory !== undefined) (this.retired ??= []).push(memory);
      memory = this.host.scratchPool.take(bytes);
      this.slots[slot] = memory;
    }
    return memory.subarray(0, bytes);
  }

  /** Gives the call's scratch buffers back, once it is done and no send reads them. */
  release(): void {
    if (this.slots === undefined) return;
    for (const buffer of [...this.slots, ...(this.retired ?? [])]) if (buffer !== undefined) this.host.scratchPool.give(buffer);
    this.slots = undefined;
    this.retired = undefined;
  }

  /**
   * The error for a message from `peer` that does not belong to this call:
   * `tag` tells what the peer called, `bytes` how much it sent where this
   * rank expected `expected` (-1: any length).
   */
  mismatch(peer: number, tag: number, bytes: number, expected: number): Error {
    const fields = fieldsOf(tag);
    const mine = this.sig;
    if (fields.seq === (this.seq & 0x7f)) {
      let theirs = describePeer(fields, mine, this.size);
      if (tag === this.tag) {
        theirs = `${mine.text.replace(/\(.*$/, '')}(...) with other counts: it sent ${bytes} bytes where this rank ` +
          `expects ${expected}`;
      }
      return errors.collectiveMismatch(this.name, mine.text, theirs, peer);
    }
    const delta = ((fields.seq - this.seq + 64) & 0x7f) - 64;
    const peerSeq = this.seq + delta;
    const then = this.host.signatureAt(peerSeq);
    const theirs = `${describePeer(fields, then, this.size)} as its collective call #${peerSeq + 1}` +
      (then !== undefined && delta < 0 ? ` (this rank's call #${peerSeq + 1} was ${then.text})` : '');
    return errors.collectiveMismatch(this.name, `${mine.text} as its collective call #${this.seq + 1}`, theirs, peer);
  }

  /** The error for a message whose content does not fit this call (a package of the wrong shape). */
  malformed(peer: number, detail: string): Error {
    return errors.collectiveMismatch(this.name, this.sig.text, `a collective whose data does not fit it (${detail})`,
      peer);
  }
}

/**
 * An operation that passes every member on to the one it wraps; wrappers
 * override what they change.
 */
export class WrappedOperation implements Operation {
  constructor(protected readonly inner: Operation) {}

  /** Passed on to the transport's operation, which is what a waiting rank waits for. */
  get within(): { readonly text: string } | undefined {
    return this.inner.within;
  }

  set within(call: { readonly text: string } | undefined) {
    this.inner.within = call;
  }

  test(): boolean {
    return this.inner.test();
  }

  wait(): Promise<void> {
    return this.inner.wait();
  }

  get envelope(): Envelope | undefined {
    return this.inner.envelope;
  }

  get data(): Bytes | undefined {
    return this.inner.data;
  }

  get error(): Error | undefined {
    return this.inner.error;
  }

  describe(): string {
    return this.inner.describe();
  }
}

/** A receive whose completion checks the sender's tag and the message's length. */
class CheckedReceive extends WrappedOperation {
  private verdict: Error | undefined;
  private checked = false;

  constructor(private readonly call: Call, inner: Operation, private readonly expected: number,
    private readonly source: number, private readonly verdictOf?: (inner: Operation) => Error | undefined) {
    super(inner);
  }

  get awaitedRank(): number {
    return this.source;
  }

  /** Read once complete: the transport's error, or a mismatch (or what `verdictOf` says). */
  override get error(): Error | undefined {
    if (!this.checked) {
      this.checked = true;
      this.verdict = this.verdictOf !== undefined ? this.verdictOf(this.inner)
        : this.call.verify(this.inner, this.expected, this.source);
    }
    return this.verdict;
  }

  override describe(): string {
    return `${this.call.sig.text}: ${this.inner.describe()}`;
  }
}
