/**
 * The profile table `--profile` prints at a job's end, in the manner of
 * mpiP: per MPI call its count, total and mean time, bytes and share of
 * the ranks' wall time; per rank its time in MPI; and the call sites of the
 * user's code that waited longest.
 *
 * Not an MPI-4.1 interface (the profiling interface of MPI-4.1 §15.3 is what
 * tools of C programs build such tables on).
 *
 * Unfinished: per-communicator breakdown; message-size histograms.
 *
 * @module
 */

import { type CallRecord, EXACT_SITES, type RankPart, SITE_SAMPLING } from './events.js';

/** The totals of one call (or one call site) over the ranks. */
export interface CallTotals {
  readonly name: string;
  count: number;
  /** Microseconds. */
  time: number;
  bytes: number;
}

/** What the table shows, as numbers (for tests and tools). */
export interface Profile {
  readonly ranks: number;
  /** Sum of the ranks' wall times, microseconds. */
  readonly wall: number;
  /** Per call name, most time first. */
  readonly calls: CallTotals[];
  /** Per rank: label, time in MPI and wall time (µs). */
  readonly perRank: { readonly label: string; readonly mpi: number; readonly wall: number }[];
  /** Per call site (`Comm.Recv at file:line`), most time first. */
  readonly sites: CallTotals[];
  /** Whether the sites' counts and times are estimates (some calls' sites were sampled). */
  readonly sampled: boolean;
}

/** Adds a call to its row, as `weight` calls (a sampled call site stands for that many). */
function add(table: Map<string, CallTotals>, name: string, call: CallRecord, weight = 1): void {
  let entry = table.get(name);
  if (entry === undefined) table.set(name, entry = { name, count: 0, time: 0, bytes: 0 });
  entry.count += weight;
  entry.time += weight * (call.end - call.start);
  entry.bytes += weight * (call.bytes ?? 0);
}

/** Adds up the parts' calls. */
export function profileOf(parts: readonly RankPart[]): Profile {
  const calls = new Map<string, CallTotals>();
  const sites = new Map<string, CallTotals>();
  let sampled = false;
  const perRank = [...parts].sort((a, b) => a.rank - b.rank).map((part) => {
    let mpi = 0;
    for (const call of part.calls) {
      add(calls, call.name, call);
      if (call.site !== undefined) add(sites, `${call.name} at ${call.site}`, call, call.weight ?? 1);
      if ((call.weight ?? 1) > 1) sampled = true;
      mpi += call.end - call.start;
    }
    return { label: part.label, mpi, wall: part.end - part.start };
  });
  const byTime = (a: CallTotals, b: CallTotals): number => b.time - a.time || a.name.localeCompare(b.name);
  return {
    ranks: parts.length, wall: perRank.reduce((sum, r) => sum + r.wall, 0),
    calls: [...calls.values()].sort(byTime), perRank, sites: [...sites.values()].sort(byTime), sampled,
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const ms = (us: number): string => (us / 1000).toFixed(3);
const percent = (part: number, whole: number): string => (whole > 0 ? (100 * part / whole).toFixed(1) : '0.0');

/** The profile as text, `top` call sites at most. */
export function formatProfile(profile: Profile, top = 10): string {
  const out = [`mpi4ts profile: ${profile.ranks} rank${profile.ranks === 1 ? '' : 's'}, ` +
    `${ms(profile.wall / Math.max(profile.ranks, 1))} ms wall time per rank`, ''];
  out.push(table(['Call', 'Count', 'Total ms', 'Mean us', 'Bytes', '% wall'], profile.calls.map((c) => [
    c.name, String(c.count), ms(c.time), (c.time / c.count).toFixed(1), String(c.bytes), percent(c.time, profile.wall),
  ])));
  out.push('');
  out.push(table(['Rank', 'MPI ms', 'Wall ms', '% wall'], profile.perRank.map((r) => [r.label, ms(r.mpi), ms(r.wall), percent(r.mpi, r.wall)])));
  if (profile.sites.length > 0) {
    out.push('', profile.sampled
      ? `Top waiting call sites (estimated: past its first ${EXACT_SITES} calls, one call of a kind in ${SITE_SAMPLING} records its site):`
      : 'Top waiting call sites:');
    out.push(table(['Site', 'Count', 'Total ms', 'Mean us'], profile.sites.slice(0, top).map((s) => [
      s.name, String(s.count), ms(s.time), (s.time / s.count).toFixed(1),
    ])));
  }
  return `${out.join('\n')}\n`;
}
