/**
 * `--trace trace.html`: the timeline of a job as one self-contained HTML
 * page (no network): ranks as lanes, MPI calls as boxes, messages as lines
 * from send to receive; the mouse wheel zooms around the pointer, dragging
 * pans, and hovering a box or line shows its details.
 *
 * The page draws an SVG from the trace's events (the same as the `.json`
 * trace, `observe/trace.ts`) with a small script of its own.
 *
 * Not an MPI-4.1 interface.
 *
 * Unfinished: very long traces (every call is an SVG element).
 *
 * @module
 */

import type { Trace } from './trace.js';

/** Background of even lanes; odd lanes are {@link LANE_COLOURS}[1]. Tests look for these colours. */
export const LANE_COLOURS = ['#dde7f5', '#f4f4f4'] as const;

const SCRIPT = String.raw`
const trace = JSON.parse(document.getElementById('trace').textContent);
const events = trace.traceEvents;
const names = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]));
const tids = [...names.keys()].sort((a, b) => a - b);
const lane = new Map(tids.map((t, i) => [t, i]));
const calls = events.filter((e) => e.ph === 'X');
const starts = events.filter((e) => e.ph === 's');
const ends = new Map(events.filter((e) => e.ph === 'f').map((e) => [e.id, e]));
const end = Math.max(1, ...calls.map((e) => e.ts + e.dur), ...events.filter((e) => e.ts !== undefined).map((e) => e.ts));
const LANE = 44, LEFT = 90, TOP = 24;
const svg = document.getElementById('timeline');
const NS = 'http://www.w3.org/2000/svg';
let from = 0, to = end;
const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const colourOf = new Map();
const colour = (name) => { if (!colourOf.has(name)) colourOf.set(name, palette[colourOf.size % palette.length]); return colourOf.get(name); };
function el(tag, attrs, parent, title) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (title !== undefined) { const t = document.createElementNS(NS, 'title'); t.textContent = title; node.appendChild(t); }
  parent.appendChild(node);
  return node;
}
const describe = (e) => e.name + ' (' + (e.dur / 1000).toFixed(3) + ' ms)' + Object.entries(e.args || {}).map(([k, v]) => '\n' + k + ': ' + v).join('');
function draw() {
  const width = Math.max(400, window.innerWidth - 20);
  const height = TOP + tids.length * LANE + 10;
  svg.setAttribute('width', width); svg.setAttribute('height', height);
  svg.replaceChildren();
  const x = (ts) => LEFT + (ts - from) / (to - from) * (width - LEFT - 10);
  tids.forEach((tid, i) => {
    el('rect', { x: 0, y: TOP + i * LANE, width, height: LANE, fill: ${JSON.stringify(LANE_COLOURS[0])} }, svg).setAttribute('fill', i % 2 === 0 ? ${JSON.stringify(LANE_COLOURS[0])} : ${JSON.stringify(LANE_COLOURS[1])});
    el('text', { x: 6, y: TOP + i * LANE + LANE / 2 + 4, 'font-size': 13, 'font-family': 'sans-serif' }, svg).textContent = names.get(tid);
  });
  for (let k = 0; k <= 10; k++) {
    const ts = from + (to - from) * k / 10;
    el('text', { x: x(ts), y: 14, 'font-size': 10, 'font-family': 'sans-serif', 'text-anchor': 'middle' }, svg).textContent = (ts / 1000).toFixed(2) + ' ms';
  }
  for (const e of calls) {
    const x0 = x(e.ts), x1 = x(e.ts + e.dur);
    if (x1 < LEFT || x0 > width) continue;
    const y = TOP + lane.get(e.tid) * LANE + 8;
    el('rect', { x: Math.max(x0, LEFT), y, width: Math.max(1.5, Math.min(x1, width) - Math.max(x0, LEFT)), height: LANE - 16,
      fill: colour(e.name), stroke: '#333', 'stroke-width': 0.5 }, svg, describe(e));
  }
  for (const s of starts) {
    const f = ends.get(s.id);
    if (f === undefined) continue;
    el('line', { x1: x(s.ts), y1: TOP + lane.get(s.tid) * LANE + LANE / 2, x2: x(f.ts), y2: TOP + lane.get(f.tid) * LANE + LANE / 2,
      stroke: '#111', 'stroke-width': 1.5, 'marker-end': 'url(#arrow)' }, svg,
      'message ' + names.get(s.tid) + ' -> ' + names.get(f.tid) + Object.entries(f.args || {}).map(([k, v]) => '\n' + k + ': ' + v).join(''));
  }
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#111' }, marker);
}
svg.addEventListener('wheel', (ev) => {
  ev.preventDefault();
  const width = svg.clientWidth - LEFT - 10;
  const at = from + (ev.offsetX - LEFT) / width * (to - from);
  const scale = ev.deltaY > 0 ? 1.25 : 0.8;
  from = Math.max(0, at - (at - from) * scale); to = Math.min(end, at + (to - at) * scale);
  draw();
});
let dragging;
svg.addEventListener('mousedown', (ev) => { dragging = { x: ev.clientX, from, to }; });
window.addEventListener('mouseup', () => { dragging = undefined; });
window.addEventListener('mousemove', (ev) => {
  if (dragging === undefined) return;
  const shift = (dragging.x - ev.clientX) / (svg.clientWidth - LEFT - 10) * (dragging.to - dragging.from);
  from = dragging.from + shift; to = dragging.to + shift;
  draw();
});
window.addEventListener('resize', draw);
draw();
`;

/** The page of a trace. */
export function traceHtml(trace: Trace): string {
  // The trace goes in a script element of type application/json: only "</" could end it early.
  const data = JSON.stringify(trace).replace(/<\//g, '<\\/');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mpi4ts trace</title>
<style>
  body { margin: 10px; font-family: sans-serif; background: #fff; }
  p { font-size: 12px; color: #555; margin: 0 0 6px 0; }
  svg { display: block; user-select: none; cursor: grab; }
</style>
</head>
<body>
<p>mpi4ts trace: wheel to zoom, drag to pan, hover a call or a message for its details.</p>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg"></svg>
<script type="application/json" id="trace">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
