// --trace trace.html opened in a real headless Chromium (Debian's chromium package, installed by
// .ci/run): the screenshot must show a lane per rank in the page's lane colours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { LANE_COLOURS } from '../src/observe/html.js';
import { launch } from './helpers/launch.js';

const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-observe-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const chromium = ['chromium', 'chromium-browser'].find((name) => spawnSync(name, ['--version']).status === 0);

/** Decodes an 8-bit RGB or RGBA PNG (non-interlaced) into rows of [r, g, b]. */
function decodePng(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => [number, number, number] } {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  let offset = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const value = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= channels ? out[y * stride + i - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * stride + i - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      out[y * stride + i] = (value + predictor) & 0xff;
    }
  }
  return { width, height, pixel: (x, y) => [out[y * stride + x * channels]!, out[y * stride + x * channels + 1]!, out[y * stride + x * channels + 2]!] };
}

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

describe('--trace trace.html in headless Chromium', { skip: chromium === undefined ? 'chromium is not installed (apt-get install chromium)' : false }, () => {
  it('draws a lane per rank of examples/ring4.ts', async () => {
    const page = join(dir, 'ring.html');
    const result = await launch('examples/ring4.ts', 4, ['100'], { launcherArgs: ['--trace', page] });
    assert.equal(result.code, 0, result.stderr);
    const html = readFileSync(page, 'utf8');
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'nothing loaded from the network');
    const png = join(dir, 'ring.png');
    const shot = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1000,260',
      `--screenshot=${png}`, `file://${page}`], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(shot.status, 0, shot.stderr);
    const image = decodePng(readFileSync(png));
    // Down a column left of the lane names: the bands of lane colour, alternating, one per rank.
    const [even, odd] = LANE_COLOURS.map(rgb);
    const bands: { which: string; top: number }[] = [];
    for (let y = 0; y < image.height; y++) {
      const [r, g, b] = image.pixel(12, y);
      const which = r === even![0] && g === even![1] && b === even![2] ? 'even' : r === odd![0] && g === odd![1] && b === odd![2] ? 'odd' : 'other';
      if (bands.at(-1)?.which !== which) bands.push({ which, top: y });
    }
    const lanes = bands.filter((b) => b.which !== 'other');
    assert.deepEqual(lanes.map((b) => b.which), ['even', 'odd', 'even', 'odd']);
    // The calls are drawn over the lanes: across the middle of rank 0's lane, some pixels are neither lane colour nor white.
    let boxes = 0;
    for (let x = 120; x < image.width; x++) {
      const [r, g, b] = image.pixel(x, lanes[0]!.top + 22);
      if (!(r === even![0] && g === even![1] && b === even![2]) && !(r > 240 && g > 240 && b > 240)) boxes++;
    }
    assert.ok(boxes > 0, 'rank 0\'s Sendrecv box is drawn');
  });
});
