/**
 * The Chrome/Perfetto trace of a job (the JSON trace event format) from the
 * parts its ranks wrote: one track per rank named by its label
 * (`thread_name` metadata), a complete event (`"ph": "X"`) per MPI call with
 * its arguments, and a flow (`"s"` at the send, `"f"` at the receive) from
 * each message's send to its receive.
 *
 * Messages are matched after the run, not by an id carried in the envelope:
 * MPI's messages do not overtake (MPI-4.1 §3.5), so on one communicator the
 * k-th message a rank sends to another with a given tag is the k-th that
 * the other rank receives from it with that tag (counting receives in the
 * order they were posted, with the source and tag their status reported).
 * This costs nothing on the message path and is the same on both transports.
 *
 * Unfinished: communicators are told apart by name only (two communicators
 * of one name, such as a `Dup` of `COMM_WORLD`, share their counts, which
 * is still right when they are not used at once); ranks started by `Spawn`
 * get tracks but no flows; clocks of ranks on different hosts are not
 * aligned (ranks on one host share its clock).
 *
 * @module
 */

import type { MessageRecord, RankPart } from './events.js';

/** One event of the JSON trace event format. */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 's' | 'f';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: 'e';
  readonly args?: Readonly<Record<string, string | number>>;
}

/** A trace as Perfetto and chrome://tracing open it. */
export interface Trace {
  readonly traceEvents: TraceEvent[];
  readonly displayTimeUnit: 'ms';
}

/** A send matched to its receive: the sending part, the receiving part and their records. */
export interface Flow {
  readonly from: RankPart;
  readonly send: MessageRecord;
  readonly to: RankPart;
  readonly receive: MessageRecord;
}

/** Pairs each received message with its send (see the module's comment). */
export function matchMessages(parts: readonly RankPart[]): Flow[] {
  const byRank = new Map<number, RankPart>();
  for (const part of parts) if (part.rank >= 0 && !byRank.has(part.rank)) byRank.set(part.rank, part);
  const key = (comm: string, src: number, dst: number, tag: number): string => `${comm}\u0000${src}\u0000${dst}\u0000${tag}`;
  const sends = new Map<string, MessageRecord[]>();
  for (const part of byRank.values()) {
    for (const send of part.sends) {
      const k = key(send.comm, part.rank, send.peer, send.tag);
      let list = sends.get(k);
      if (list === undefined) sends.set(k, list = []);
      list.push(send);
    }
  }
  for (const list of sends.values()) list.sort((a, b) => a.order - b.order);
  const flows: Flow[] = [];
  for (const to of byRank.values()) {
    const receives = [...to.receives].sort((a, b) => a.order - b.order);
    const taken = new Map<string, number>();
    for (const receive of receives) {
      const from = byRank.get(receive.peer);
      if (from === undefined) continue;
      const k = key(receive.comm, receive.peer, to.rank, receive.tag);
      const index = taken.get(k) ?? 0;
      const send = sends.get(k)?.[index];
      if (send === undefined) continue;
      taken.set(k, index + 1);
      flows.push({ from, send, to, receive });
    }
  }
  return flows;
}

/** The trace of a job's parts; timestamps count from the earliest start. */
export function buildTrace(parts: readonly RankPart[]): Trace {
  const ordered = [...parts].sort((a, b) => (a.rank - b.rank) || a.label.localeCompare(b.label));
  const origin = Math.min(...ordered.map((p) => p.start));
  const tid = new Map<RankPart, number>(ordered.map((p, i) => [p, i]));
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: 0, tid: 0, args: { name: 'mpi4ts job' } }];
  for (const part of ordered) {
    events.push({ name: 'thread_name', ph: 'M', pid: 0, tid: tid.get(part)!, args: { name: part.label } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: 0, tid: tid.get(part)!, args: { sort_index: tid.get(part)! } });
  }
  for (const part of ordered) {
    for (const call of part.calls) {
      const args: Record<string, string | number> = {};
      if (call.comm !== undefined) args.comm = call.comm;
      if (call.peer !== undefined) args.peer = call.peer;
      if (call.tag !== undefined) args.tag = call.tag;
      if (call.bytes !== undefined) args.bytes = call.bytes;
      if (call.site !== undefined) args.site = call.site;
      events.push({ name: call.name, cat: 'mpi', ph: 'X', pid: 0, tid: tid.get(part)!, ts: call.start - origin,
        dur: Math.max(call.end - call.start, 0.001), args });
    }
  }
  matchMessages(ordered).forEach((flow, id) => {
    const args = { comm: flow.send.comm, tag: flow.send.tag, bytes: flow.receive.bytes };
    events.push({ name: 'message', cat: 'message', ph: 's', id, pid: 0, tid: tid.get(flow.from)!, ts: flow.send.at - origin, args });
    events.push({ name: 'message', cat: 'message', ph: 'f', bp: 'e', id, pid: 0, tid: tid.get(flow.to)!, ts: flow.receive.at - origin, args });
  });
  return { traceEvents: events, displayTimeUnit: 'ms' };
}
