/**
 * Micro-benchmark of the object codec against Node's v8.serialize /
 * v8.deserialize, in the same run: nanoseconds per encode and per decode
 * for a few typical payloads.
 *
 * Run: `node --import tsx bench/codec.bench.ts` (add `--expose-gc` for steadier numbers).
 *
 * @module
 */

import v8 from 'node:v8';
import { decode, encodeScratch } from '../src/codec/index.js';

interface Case {
  readonly name: string;
  readonly value: unknown;
}

const N = 1_000_000;
const cases: Case[] = [
  { name: 'small dict', value: { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' } },
  { name: '1M numbers (array)', value: Array.from({ length: N }, (_, i) => i * 0.5 + 0.25) },
  { name: '1M int32 (array)', value: Array.from({ length: N }, (_, i) => i) },
  { name: 'Float64Array 1M', value: Float64Array.from({ length: N }, (_, i) => i * 0.5) },
  {
    name: '100 small objects',
    value: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item${i}`, score: i * 1.5, ok: i % 2 === 0 })),
  },
  { name: 'string 10,000 chars', value: 'abcdefghij'.repeat(1000) },
];

let sink = 0;

/**
 * Nanoseconds per call of each function: rounds of ~20 ms alternate between
 * the functions (so that load on the machine hits all of them alike), and
 * the best round of each counts.
 */
function time(fns: readonly (() => unknown)[]): number[] {
  const iterations = fns.map((fn) => {
    let n = 1;
    for (;;) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      if (Number(process.hrtime.bigint() - t0) > 20e6) return n;
      n *= 2;
    }
  });
  const best = fns.map(() => Infinity);
  for (let round = 0; round < 9; round++) {
    fns.forEach((fn, f) => {
      (globalThis as { gc?: () => void }).gc?.();
      const n = iterations[f]!;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        if (fn() === sink) sink++;
      }
      best[f] = Math.min(best[f]!, Number(process.hrtime.bigint() - t0) / n);
    });
  }
  return best;
}

function format(ns: number): string {
  return ns < 10_000 ? `${ns.toFixed(0)} ns` : `${(ns / 1e6).toFixed(3)} ms`;
}

const rows: string[][] = [['case', 'bytes', 'encode', 'decode', 'v8 bytes', 'v8.serialize', 'v8.deserialize', 'speed-up (enc+dec)']];
for (const c of cases) {
  const ours = encodeScratch(c.value, 'bench').slice();
  const theirs = v8.serialize(c.value);
  const [enc, dec, venc, vdec] = time([
    () => encodeScratch(c.value, 'bench'), () => decode(ours, 'bench'),
    () => v8.serialize(c.value), () => v8.deserialize(theirs),
  ]) as [number, number, number, number];
  rows.push([
    c.name, String(ours.length), format(enc), format(dec), String(theirs.length), format(venc), format(vdec),
    `${((venc + vdec) / (enc + dec)).toFixed(1)}x`,
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
if (sink < 0) console.log(sink);
