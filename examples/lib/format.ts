// Printing arrays and matrices the way the seed's NumPy output reads, one
// string per call: output is forwarded line by line, so a rank that prints a
// whole matrix with one console.log keeps its lines together and in order.

/** `[0, 1, 2]` for any array of numbers or bigints. */
export function formatArray(values: ArrayLike<number | bigint>): string {
  return `[${Array.from(values, String).join(', ')}]`;
}

/** A `rows` x `cols` row-major matrix, one row per line. */
export function formatMatrix(values: ArrayLike<number | bigint>, rows: number, cols: number): string {
  const cells = Array.from(values, String);
  const width = Math.max(...cells.map((c) => c.length));
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row = cells.slice(i * cols, (i + 1) * cols).map((c) => c.padStart(width));
    lines.push(`${i === 0 ? '[' : ' '}[${row.join(' ')}]${i === rows - 1 ? ']' : ''}`);
  }
  return lines.join('\n');
}
