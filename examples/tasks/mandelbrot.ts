// Task functions of examples/futures_mandelbrot.ts: each computes one row of
// the picture on a worker of the pool.

/** The region of the complex plane a picture shows, and its size in pixels. */
export interface View {
  readonly width: number;
  readonly height: number;
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
  readonly maxIterations: number;
}

/** Iterations before z -> z^2 + c leaves the disc of radius 2 (maxIterations if it never does). */
export function escapeTime(cx: number, cy: number, maxIterations: number): number {
  let x = 0;
  let y = 0;
  let i = 0;
  while (i < maxIterations && x * x + y * y <= 4) {
    const xt = x * x - y * y + cx;
    y = 2 * x * y + cy;
    x = xt;
    i++;
  }
  return i;
}

/** Row `row` of the picture, one grey level per pixel: black inside the set. */
export function mandelbrotRow(view: View, row: number): Uint8Array {
  const pixels = new Uint8Array(view.width);
  const cy = view.yMax - (row * (view.yMax - view.yMin)) / (view.height - 1);
  for (let col = 0; col < view.width; col++) {
    const cx = view.xMin + (col * (view.xMax - view.xMin)) / (view.width - 1);
    const n = escapeTime(cx, cy, view.maxIterations);
    pixels[col] = n === view.maxIterations ? 0 : 255 - Math.floor((255 * n) / view.maxIterations);
  }
  return pixels;
}
