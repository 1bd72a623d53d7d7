// The element-wise reduction kernels (src/op/kernels.ts): their values on both of their loops, and
// the priming calls each new kernel gets on arrays of its own, whatever the class it was made for;
// and Reduction.apply (src/op/reduction.ts), whose memo of element views must never give a stale one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datatypes } from '../src/datatype/index.js';
import { elementKernel } from '../src/op/kernels.js';
import { ops } from '../src/op/op.js';
import { Reduction } from '../src/op/reduction.js';

describe('reduction kernels', () => {
  it('reduce the unrolled part and the remainder of a vector, and leave the view they were made for alone', () => {
    const n = 8192 + 5;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => 0.5 * i);
    const before = Float64Array.from(y);
    const max = elementKernel('MAX', y);
    assert.deepEqual(y, before, 'making (and priming) the kernel wrote into the view it was made for');
    elementKernel('SUM', y)(x, y, n);
    for (const i of [0, 15, 16, 8191, 8192, n - 1]) assert.equal(y[i], 1.5 * i, `element ${i}`);
    max(Float64Array.of(1, -1, 7), y, 3);
    assert.deepEqual(Array.from(y.subarray(0, 4)), [1, 1.5, 7, 4.5]);
  });

  it('are made for every typed array class of this runtime (Float16Array where it has one), and sum each', () => {
    const names = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
      'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array'];
    const classes = names.map((name) => (globalThis as Record<string, unknown>)[name])
      .filter((c): c is new (values: number[]) => Float64Array => typeof c === 'function');
    assert.ok(classes.length >= 9);
    for (const Class of classes) {
      const y = new Class([1, 2, 3]);
      elementKernel('SUM', y)(new Class([4, 5, 6]), y, 3);
      assert.deepEqual(Array.from(y), [5, 7, 9], Class.name);
    }
  });

  it('are made for a Node Buffer without its deprecated constructor, and wrap as bytes', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const y = Buffer.from([0xff, 1, 2]);
    elementKernel('SUM', y)(Buffer.from([1, 1, 1]), y, 3);
    assert.deepEqual([...y], [0, 2, 3]);
    const big = BigInt64Array.of(2n ** 62n, 5n);
    elementKernel('SUM', big)(BigInt64Array.of(2n ** 62n, -7n), big, 2);
    assert.deepEqual([...big], [-(2n ** 63n), -2n]);
    // Node emits a warning on the next tick.
    return new Promise<void>((resolve) => setImmediate(() => {
      process.off('warning', onWarning);
      assert.deepEqual(warnings, []);
      resolve();
    }));
  });
});

describe('Reduction.apply', () => {
  it('reads each byte view as it is now: views that come back, and views that share a place in its memo', () => {
    const reduction = new Reduction(ops.SUM, datatypes.DOUBLE);
    // Sixteen 8-byte blocks 64 bytes apart, as a short reduction's blocks come back call after call.
    const memory = new Float64Array(16 * 8);
    const blocks = Array.from({ length: 16 }, (_, k) => new Uint8Array(memory.buffer, k * 64, 8));
    // Another buffer's view at the same offset as the first block: the same place in the memo.
    const other = new Float64Array(8);
    const twin = new Uint8Array(other.buffer, 0, 8);
    const acc = new Float64Array(1);
    const accBytes = new Uint8Array(acc.buffer);
    let expected = 0;
    for (let round = 1; round <= 3; round++) {
      for (let k = 0; k < 16; k++) {
        memory[k * 8] = round * 100 + k;
        reduction.apply(blocks[k]!, accBytes);
        expected += round * 100 + k;
        other[0] = -round;
        reduction.apply(twin, accBytes);
        expected -= round;
      }
      assert.equal(acc[0], expected, `round ${round}`);
    }
  });
});
