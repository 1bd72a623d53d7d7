/**
 * Tests of the object codec (src/codec): round trips of every supported
 * kind, identity and cycles, registered classes, refusals with their paths,
 * garbage input, shared-memory input, a randomized round-trip test, and a
 * fast-check property test against structuredClone.
 *
 * Run: `node --import tsx --test test/codec.test.ts`
 *
 * @module
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { types } from 'node:util';
import vm from 'node:vm';
import { decode, encode, encodeForSend, encodeScratch, registerClass } from '../src/codec/index.js';
import { ErrorClass, MPIError } from '../src/errors.js';

const CALL = 'Comm.send';

function roundTrip<T>(value: T): T {
  return decode(encode(value, CALL), 'Comm.recv') as T;
}

/** Round trip through encodeScratch and a copy into shared memory, as the shm transport does. */
function roundTripShared<T>(value: T): T {
  const bytes = encodeScratch(value, CALL);
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length + 3), 3, bytes.length);
  shared.set(bytes);
  const out = decode(shared, 'Comm.recv') as T;
  shared.fill(0xee);
  return out;
}

/** Asserts `fn` throws an MPIError of class `errorClass` whose message matches every pattern. */
function assertMPIError(fn: () => unknown, errorClass: number, ...patterns: (string | RegExp)[]): MPIError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof MPIError, `expected an MPIError, got ${String(caught)}`);
  assert.equal(caught.error_class, errorClass, caught.message);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message "${caught.message}" lacks "${p}"`);
    else assert.match(caught.message, p);
  }
  return caught;
}

/**
 * Walks `a` (the original) and `b` (the decoded value) side by side and checks
 * that object identity maps one to one: an object shared or cyclic in `a` is
 * the same object at the same places in `b`, and distinct objects stay distinct.
 * Also checks that own keys come in the same order.
 */
function assertSameShape(a: unknown, b: unknown, there = new Map<object, object>(), back = new Map<object, object>()): void {
  if (typeof a !== 'object' || a === null) return;
  assert.ok(typeof b === 'object' && b !== null);
  const seen = there.get(a);
  if (seen !== undefined) {
    assert.equal(seen, b, 'a shared object did not arrive shared');
    return;
  }
  assert.equal(back.get(b), undefined, 'distinct objects arrived as one');
  there.set(a, b);
  back.set(b, a);
  if (a instanceof Map) {
    const ea = [...a];
    const eb = [...(b as Map<unknown, unknown>)];
    ea.forEach(([k, v], i) => {
      assertSameShape(k, eb[i]![0], there, back);
      assertSameShape(v, eb[i]![1], there, back);
    });
  } else if (a instanceof Set) {
    const eb = [...(b as Set<unknown>)];
    [...a].forEach((v, i) => assertSameShape(v, eb[i], there, back));
  } else if (!ArrayBuffer.isView(a)) {
    assert.deepEqual(Object.keys(b), Object.keys(a), 'keys differ or are out of order');
    for (const k of Object.keys(a)) {
      assertSameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], there, back);
    }
  }
}

describe('codec: primitives', () => {
  it('round-trips undefined, null, booleans', () => {
    for (const v of [undefined, null, true, false]) assert.equal(roundTrip(v), v);
  });

  it('round-trips numbers exactly, -0 and NaN included', () => {
    const numbers = [
      0, -0, 1, 7, 127, 128, 255, 256, -1, -127, -128, -129, 32767, -32768, 2 ** 31 - 1, -(2 ** 31), 2 ** 31,
      -(2 ** 31) - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1.5, 3.14, -2.5e-300, Number.MIN_VALUE, Number.MAX_VALUE,
      Number.EPSILON, NaN, Infinity, -Infinity,
    ];
    for (const v of numbers) assert.ok(Object.is(roundTrip(v), v), `number ${v}`);
  });

  it('round-trips bigints of any size and sign', () => {
    const bigints = [
      0n, 1n, -1n, 127n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, -(2n ** 64n) - 5n,
      2n ** 1000n + 12345n, -(3n ** 700n),
    ];
    for (const v of bigints) assert.equal(roundTrip(v), v);
  });

  it('round-trips strings: latin-1, unicode, long, and lone surrogates', () => {
    const strings = [
      '', 'a', 'hello', 'h\u00e9llo \u00ff\u0000', 'x'.repeat(64), 'y'.repeat(65), 'abcdefghij'.repeat(1000),
      '\u65e5\u672c\u8a9e', 'smile \u{1F600}', '\u00e9'.repeat(1000), 'ab\u0100', '\u0100'.repeat(70),
      '\ud800', 'a\udc00b', '\udc00\ud800', '\ud800'.repeat(100), `${'z'.repeat(100)}\ud83d`, `\u{1F600}${'\udfff'.repeat(20000)}`,
    ];
    for (const v of strings) {
      assert.equal(roundTrip(v), v);
      assert.equal(roundTripShared(v), v);
    }
  });

  it('keeps strings intact when the same short string repeats (decoder string cache)', () => {
    const v = ['key', 'key', 'kez', 'yek', 'key\u00e9', '', 'a'.repeat(32), 'a'.repeat(33)];
    assert.deepStrictEqual(roundTrip(v), v);
    assert.deepStrictEqual(roundTrip(v), v);
  });
});

describe('codec: objects and arrays', () => {
  it('round-trips the small dict', () => {
    const v = { a: 7, b: 3.14, c: [1, 2, 3], d: 'hello' };
    assert.deepStrictEqual(roundTrip(v), v);
    assert.deepStrictEqual(roundTripShared(v), v);
  });

  it('keeps key order, integer-like keys, and an own __proto__ key', () => {
    const v: Record<string, unknown> = { z: 1, 10: 'ten', a: 2, 2: 'two', 'a b': 3, '': 4, '-1': 5 };
    const out = roundTrip(v);
    assert.deepStrictEqual(out, v);
    assert.deepEqual(Object.keys(out), Object.keys(v));
    const proto = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as object;
    const back = roundTrip(proto);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepStrictEqual(back, proto);
    assert.ok(Object.hasOwn(back, '__proto__'));
  });

  it('round-trips objects with many keys (count longer than one byte)', () => {
    for (const n of [127, 128, 200, 20000]) {
      const v: Record<string, number> = {};
      for (let i = 0; i < n; i++) v[`k${i}`] = i;
      const nested = { before: 'x', inner: v, after: [v] };
      assert.deepStrictEqual(roundTrip(nested), nested);
    }
  });

  it('keeps a null prototype', () => {
    const v = Object.create(null) as Record<string, unknown>;
    v.a = 1;
    v.__proto__ = 'own';
    const out = roundTrip(v);
    assert.equal(Object.getPrototypeOf(out), null);
    assert.deepStrictEqual(out, v);
  });

  it('reads getters as values and leaves out symbol keys and non-enumerable properties', () => {
    const v = { get g() { return 42; }, [Symbol('s')]: 1 };
    Object.defineProperty(v, 'hidden', { value: 1, enumerable: false });
    assert.deepStrictEqual(roundTrip(v), { g: 42 });
  });

  it('refuses an object whose prototype is a plain object (it would arrive without it)', () => {
    const base = { inherited: 1 };
    const v = Object.create(base) as Record<string, unknown>;
    v.own = 2;
    assertMPIError(() => encode({ list: [v] }, CALL), ErrorClass.ERR_ARG, 'cannot send value.list[0]: ',
      'prototype is neither Object.prototype', '{ ...obj }');
    assert.deepStrictEqual(roundTrip({ ...v }), { own: 2 });
  });

  it('round-trips arrays, mixed and nested', () => {
    const v = [[], [1, 'a', null, undefined, true, [[2]]], { x: [1.5] }];
    assert.deepStrictEqual(roundTrip(v), v);
  });

  it('sends nesting 1000 levels deep, of every kind, and refuses 1001 at the sender (every receiver could decode it)', () => {
    const nest = (levels: number, kind: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) {
        const k = (i + kind) % 5;
        v = k === 0 ? [v] : k === 1 ? { v } : k === 2 ? new Map([['k', v]]) : k === 3 ? new Set([v]) : new Error('e', { cause: v });
      }
      return v;
    };
    for (const kind of [0, 1, 2, 3, 4]) {
      const deepest = nest(1000, kind);
      assert.deepStrictEqual(roundTrip(deepest), deepest);
      assert.throws(() => encode(nest(1001, kind), CALL), (e: MPIError) => e.error_class === ErrorClass.ERR_ARG &&
        /cannot send value: it is nested more than 1000 levels deep/.test(e.message));
    }
    // shared references and cycles do not count as depth
    const ring: unknown[] = [];
    let at: unknown[] = ring;
    for (let i = 0; i < 999; i++) at = (at[0] = []) as unknown[];
    at[0] = ring;
    assert.equal(roundTrip(ring).length, 1);
  });

  it('keeps holes, as structuredClone does', () => {
    // eslint-disable-next-line no-sparse-arrays
    const v = [1, , 3];
    const out = roundTrip(v);
    assert.equal(out.length, 3);
    assert.equal(1 in out, false);
    assert.deepStrictEqual(out, v);
    assert.deepStrictEqual(Object.keys(roundTripShared(v)), ['0', '2']);
    const trailing = [1, 2];
    trailing.length = 5;
    assert.deepStrictEqual(Object.keys(roundTrip(trailing)), ['0', '1']);
    assert.equal(roundTrip(trailing).length, 5);
    assert.equal(roundTrip(new Array(7)).length, 7);
    // Holes in an array of numbers (which would otherwise travel packed).
    const numbers = Array.from({ length: 40 }, (_, i) => i * 1.5);
    delete numbers[10];
    const outNumbers = roundTrip(numbers);
    assert.equal(10 in outNumbers, false);
    assert.deepStrictEqual(outNumbers, numbers);
  });

  it('finds holes and extra properties in long arrays too', () => {
    const numbers = Array.from({ length: 1000 }, (_, i) => i / 8);
    const generic = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `s${i}` : i));
    for (const base of [numbers, generic]) {
      const holey = base.slice();
      delete holey[999];
      const outHoley = roundTrip(holey);
      assert.equal(outHoley.length, 1000);
      assert.equal(999 in outHoley, false);
      assert.deepStrictEqual(outHoley, holey);
      const named = Object.assign(base.slice(), { name: 'n' });
      const outNamed = roundTrip(named);
      assert.equal(outNamed.name, 'n');
      assert.deepStrictEqual(Object.keys(outNamed), Object.keys(named));
      const symbolOnly = Object.assign(base.slice(), { [Symbol('s')]: 1 });
      assert.deepStrictEqual(roundTrip(symbolOnly), base);
    }
    const undefinedNotHole = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? undefined : i));
    const outUndefined = roundTrip(undefinedNotHole);
    assert.equal(0 in outUndefined, true);
    assert.deepStrictEqual(outUndefined, undefinedNotHole);
  });

  it('sends a huge sparse array by its elements, not its length', () => {
    const a: unknown[] = [];
    a[1e6] = 1;
    a[5] = 'five';
    const bytes = encode(a, CALL);
    assert.ok(bytes.length < 40, `${bytes.length} bytes`);
    const out = decode(bytes, 'Comm.recv') as unknown[];
    assert.equal(out.length, 1e6 + 1);
    assert.deepStrictEqual(Object.keys(out), ['5', '1000000']);
    assert.equal(out[1e6], 1);
    const longest: unknown[] = [];
    longest[2 ** 32 - 2] = 'last';
    const outLongest = roundTrip({ longest });
    assert.equal(outLongest.longest.length, 2 ** 32 - 1);
    assert.equal(outLongest.longest[2 ** 32 - 2], 'last');
    const fn: unknown[] = [];
    fn[1e9] = () => 1;
    assertMPIError(() => encode(fn, CALL), ErrorClass.ERR_ARG, 'cannot send value[1000000000]: ', 'function');
  });

  it('keeps extra own enumerable properties of arrays, after the elements, in order', () => {
    const a = Object.assign([1, 'two', { three: 3 }], { name: 'x', 4294967295: 'not an index', meta: { n: 1 } });
    const out = roundTrip(a);
    assert.deepStrictEqual(Object.keys(out), Object.keys(a));
    assert.deepStrictEqual(out, a);
    assert.ok(Array.isArray(out));
    const packed = Object.assign(Array.from({ length: 100 }, (_, i) => i / 4), { unit: 'm' });
    assert.deepStrictEqual(roundTrip(packed), packed);
    const empty = Object.assign([], { only: true });
    assert.deepStrictEqual(roundTrip(empty), empty);
    const holey = Object.assign([, 1], { tag: 't' }); // eslint-disable-line no-sparse-arrays
    const outHoley = roundTrip(holey);
    assert.deepStrictEqual(Object.keys(outHoley), ['1', 'tag']);
    const proto = Object.defineProperty([1], '__proto__', { value: 'own', enumerable: true });
    const outProto = roundTrip(proto);
    assert.equal(Object.getPrototypeOf(outProto), Array.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(outProto, '__proto__')?.value, 'own');
    const self = Object.assign([1], { self: null as unknown });
    self.self = self;
    const outSelf = roundTrip(self);
    assert.equal(outSelf.self, outSelf);
    const hidden = Object.defineProperty([1], 'hidden', { value: 2, enumerable: false });
    assert.deepStrictEqual(Object.keys(roundTrip(hidden)), ['0']);
  });

  it('round-trips arrays of numbers, packed or not, exactly', () => {
    const cases: number[][] = [
      Array.from({ length: 15 }, (_, i) => i),
      Array.from({ length: 16 }, (_, i) => i - 8),
      Array.from({ length: 1000 }, (_, i) => i * 1000003 - 2 ** 30),
      Array.from({ length: 100 }, (_, i) => i / 3),
      [...Array.from({ length: 20 }, (_, i) => i), -0],
      [...Array.from({ length: 20 }, (_, i) => i), NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53 + 2],
    ];
    for (const v of cases) {
      const out = roundTrip(v);
      assert.deepStrictEqual(out, v);
      assert.deepStrictEqual(roundTripShared(v), v);
      v.forEach((x, i) => assert.ok(Object.is(out[i], x)));
    }
    const mixed = [...Array.from({ length: 30 }, (_, i) => i), 'end'];
    assert.deepStrictEqual(roundTrip(mixed), mixed);
  });

  it('round-trips a 1M-element array of numbers compactly', () => {
    const v = Array.from({ length: 1_000_000 }, (_, i) => i * 0.5);
    const bytes = encode(v, CALL);
    assert.ok(bytes.length < 8_000_100, `${bytes.length} bytes`);
    assert.deepStrictEqual(decode(bytes, 'Comm.recv'), v);
    const ints = Array.from({ length: 1_000_000 }, (_, i) => i - 500_000);
    const intBytes = encode(ints, CALL);
    assert.ok(intBytes.length < 4_000_100, `${intBytes.length} bytes`);
    assert.deepStrictEqual(decode(intBytes, 'Comm.recv'), ints);
  });

  it('refuses an instance of an unregistered class, naming the class, the path, the call and the fix', () => {
    class Point {
      x = 1;
      y = [2];
      norm(): number { return this.x; }
    }
    const v = { shapes: [{ centre: new Point() }] };
    for (const fn of [() => encode(v, CALL), () => encodeScratch(v, CALL)]) {
      const e = assertMPIError(fn, ErrorClass.ERR_ARG, `${CALL}: cannot send value.shapes[0].centre: `,
        'an instance of class Point', 'not registered', 'call MPI.registerClass(Point) on every rank');
      assert.equal(e.call, CALL);
    }
    class Sub extends Point {}
    registerClass(Point, 'test.UnregisteredPoint');
    assert.ok(roundTrip(new Point()) instanceof Point);
    // A registered class does not cover its subclasses: Sub would arrive as a Point.
    assertMPIError(() => encode([new Sub()], CALL), ErrorClass.ERR_ARG, 'value[0]: ', 'class Sub', 'MPI.registerClass(Sub)');
    const anonymous = new (class { a = 1; })();
    assertMPIError(() => encode(anonymous, CALL), ErrorClass.ERR_ARG, 'MPI.registerClass(TheClass, \'a name\')');
  });

  it('refuses unregistered subclasses of built-ins, but sends subclasses of Error as their standard ancestor', () => {
    class Counts extends Map<string, number> {}
    class Row extends Array<number> {}
    class Bytes extends Uint8Array {}
    class Day extends Date {}
    const cases: [unknown, string, string][] = [
      [{ c: new Counts() }, 'value.c', 'class Counts (a subclass of Map)'],
      [[new Row()], 'value[0]', 'class Row (a subclass of Array)'],
      [new Bytes(2), 'value', 'class Bytes (a subclass of a typed array)'],
      [new Map([[1, new Day()]]), 'value (Map entry 0 value)', 'class Day (a subclass of Date)'],
    ];
    for (const [v, path, what] of cases) assertMPIError(() => encode(v, CALL), ErrorClass.ERR_ARG, `cannot send ${path}: `, what);
    assertMPIError(() => encode(Object.create(Map.prototype), CALL), ErrorClass.ERR_ARG, 'inherits from Map.prototype');
    class AppError extends Error {}
    const out = roundTrip(new AppError('x'));
    assert.equal(Object.getPrototypeOf(out), Error.prototype);
    assert.equal(out.message, 'x');
  });

  it('still sends plain objects, null-prototype objects and objects of another realm', () => {
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    const out = roundTrip({ plain: { a: 1 }, nullProto });
    assert.equal(Object.getPrototypeOf(out.plain), Object.prototype);
    assert.equal(Object.getPrototypeOf(out.nullProto), null);
    const foreign = vm.runInNewContext('({ a: 1, list: [1, 2], m: new Map([[1, { b: 2 }]]), d: new Date(5) })') as Record<string, unknown>;
    const back = roundTrip(foreign);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepStrictEqual(back, { a: 1, list: [1, 2], m: new Map([[1, { b: 2 }]]), d: new Date(5) });
    const foreignInstance = vm.runInNewContext('class Q { q = 1 }; ({ inner: new Q() })') as unknown;
    assertMPIError(() => encode(foreignInstance, CALL), ErrorClass.ERR_ARG, 'value.inner: ', 'class Q', 'MPI.registerClass(Q)');
    assertMPIError(() => encode(Object.create(nullProto) as object, CALL), ErrorClass.ERR_ARG, 'neither Object.prototype');
  });
});

describe('codec: built-ins', () => {
  it('round-trips every typed array class as the same class, in fresh non-shared memory', () => {
    const views = [
      new Int8Array([-128, 0, 127]), new Uint8Array([0, 1, 255]), new Uint8ClampedArray([0, 128, 255]),
      new Int16Array([-32768, 32767]), new Uint16Array([65535, 1]), new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([2 ** 32 - 1]), new Float32Array([1.5, -0, NaN]), new Float64Array([Math.PI, -0, NaN, Infinity]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), new BigUint64Array([2n ** 64n - 1n]),
      new Float64Array(0), new Uint8Array(10000).map((_, i) => i * 7),
    ];
    for (const v of views) {
      for (const out of [roundTrip(v), roundTripShared(v)]) {
        assert.equal(out.constructor, v.constructor);
        assert.deepStrictEqual(out, v);
        assert.ok(!types.isSharedArrayBuffer(out.buffer));
      }
    }
  });

  it('sends only the bytes of a view, not the rest of its buffer', () => {
    const whole = new Float64Array([1, 2, 3, 4, 5]);
    const part = whole.subarray(1, 3);
    const out = roundTrip(part);
    assert.deepStrictEqual(out, new Float64Array([2, 3]));
    assert.equal(out.byteOffset, 0);
    assert.equal(out.buffer.byteLength, 16);
  });

  it('round-trips views on shared memory as views on new shared memory holding a copy of their bytes', () => {
    const sab = new SharedArrayBuffer(24);
    const v = new Int32Array(sab, 4, 4);
    v.set([1, 2, 3, 4]);
    for (const out of [roundTrip(v), roundTripShared(v)]) {
      assert.ok(out instanceof Int32Array);
      assert.ok(types.isSharedArrayBuffer(out.buffer));
      assert.notEqual(out.buffer, sab);
      assert.equal(out.buffer.byteLength, 16);
      assert.deepEqual([...out], [1, 2, 3, 4]);
      v[0] = 99; // the copy does not follow the original
      assert.equal(out[0], 1);
      v[0] = 1;
    }
    const dv = roundTrip(new DataView(sab, 8, 2));
    assert.ok(dv instanceof DataView && types.isSharedArrayBuffer(dv.buffer));
    assert.equal(dv.getInt16(0, true), 2);
    const buf = roundTrip(Buffer.from(sab, 4, 4));
    assert.ok(Buffer.isBuffer(buf) && types.isSharedArrayBuffer(buf.buffer));
    assert.deepEqual([...buf], [1, 0, 0, 0]);
    // Two views on one shared buffer arrive on two buffers, as with non-shared memory.
    const pair = roundTrip([v, new Uint8Array(sab)]);
    assert.notEqual(pair[0]!.buffer, pair[1]!.buffer);
  });

  it('round-trips DataView, ArrayBuffer, and SharedArrayBuffer (as a new SharedArrayBuffer)', () => {
    const ab = new ArrayBuffer(8);
    new Uint8Array(ab).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const dv = new DataView(ab, 2, 4);
    const outDv = roundTrip(dv);
    assert.ok(outDv instanceof DataView);
    assert.deepEqual([...new Uint8Array(outDv.buffer, outDv.byteOffset, outDv.byteLength)], [3, 4, 5, 6]);
    const outAb = roundTrip(ab);
    assert.ok(outAb instanceof ArrayBuffer);
    assert.deepStrictEqual(outAb, ab);
    const sab = new SharedArrayBuffer(3);
    new Uint8Array(sab).set([9, 8, 7]);
    for (const outSab of [roundTrip(sab), roundTripShared(sab)]) {
      assert.ok(outSab instanceof SharedArrayBuffer);
      assert.notEqual(outSab, sab);
      assert.deepEqual([...new Uint8Array(outSab)], [9, 8, 7]);
    }
    const twice = roundTrip({ a: sab, b: sab });
    assert.equal(twice.a, twice.b);
    assert.ok(roundTrip(new SharedArrayBuffer(0)) instanceof SharedArrayBuffer);
  });

  it('round-trips a Node Buffer as a Buffer', () => {
    const v = Buffer.from('hello buffer');
    const out = roundTrip(v);
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.toString(), 'hello buffer');
  });

  it('round-trips Date, RegExp, Map, Set and boxed primitives', () => {
    const values: unknown[] = [
      new Date(1700000000123), /a+b?/gimsuy, new RegExp('\\d+[/]', 'd'),
      new Map<unknown, unknown>([[1, 'one'], ['two', { n: 2 }], [{ k: 1 }, [3]], [NaN, -0]]),
      new Set<unknown>([1, 'a', { b: 2 }, [3], undefined]), new Map(), new Set(),
      Object(5), Object(-0), Object('boxed'), Object(false), Object(10n),
    ];
    for (const v of values) assert.deepStrictEqual(roundTrip(v), v);
    // Node 20's deepStrictEqual calls two invalid dates different (NaN !== NaN).
    const invalid = roundTrip(new Date(NaN));
    assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()));
  });

  it('round-trips errors with their class, message, stack, cause and own properties', () => {
    const classes = [Error, TypeError, RangeError, EvalError, ReferenceError, SyntaxError, URIError];
    for (const C of classes) {
      const e = new C('boom', { cause: { why: 'because' } });
      const out = roundTrip(e);
      assert.equal(Object.getPrototypeOf(out), C.prototype);
      assert.ok(types.isNativeError(out));
      assert.equal(out.message, 'boom');
      assert.equal(out.stack, e.stack);
      assert.deepStrictEqual(out.cause, { why: 'because' });
      assert.equal(Object.getOwnPropertyDescriptor(out, 'message')?.enumerable, false);
    }
    const agg = new AggregateError([new Error('a'), 2], 'many');
    const outAgg = roundTrip(agg);
    assert.ok(outAgg instanceof AggregateError);
    assert.deepStrictEqual(outAgg.errors, agg.errors);

    class AppError extends RangeError {
      code = 'E_APP';
      constructor(message: string) {
        super(message);
        this.name = 'AppError';
      }
    }
    const app = roundTrip(new AppError('bad'));
    assert.equal(Object.getPrototypeOf(app), RangeError.prototype);
    assert.equal(app.name, 'AppError');
    assert.equal(app.code, 'E_APP');
    assert.equal(app.message, 'bad');

    class ProtoNamed extends Error {}
    ProtoNamed.prototype.name = 'ProtoNamed';
    assert.equal(roundTrip(new ProtoNamed('x')).name, 'ProtoNamed');

    const bare = new Error();
    delete (bare as { stack?: string }).stack;
    const outBare = roundTrip(bare);
    assert.ok(!Object.hasOwn(outBare, 'stack'));
    assert.ok(!Object.hasOwn(outBare, 'message'));

    const mpi = new MPIError(ErrorClass.ERR_RANK, 'Comm.Send', 'bad rank');
    const outMpi = roundTrip(mpi) as unknown as Record<string, unknown>;
    assert.equal(outMpi.error_class, ErrorClass.ERR_RANK);
    assert.equal(outMpi.name, 'MPIError');
  });
});

describe('codec: identity and cycles', () => {
  it('keeps shared references shared', () => {
    const a = { x: 1 };
    const out = roundTrip([a, a, { a }]);
    assert.equal(out[0], out[1]);
    assert.equal((out[2] as { a: unknown }).a, out[0]);
    assertSameShape([a, a, { a }], out);
  });

  it('keeps cycles', () => {
    const self: Record<string, unknown> = { name: 'self' };
    self.me = self;
    const outSelf = roundTrip(self);
    assert.equal(outSelf.me, outSelf);

    const arr: unknown[] = [1];
    arr.push(arr);
    const outArr = roundTrip(arr);
    assert.equal(outArr[1], outArr);

    const m = new Map<string, unknown>();
    m.set('m', m);
    const outMap = roundTrip(m);
    assert.equal(outMap.get('m'), outMap);

    const s = new Set<unknown>();
    s.add(s);
    const outSet = roundTrip(s);
    assert.ok(outSet.has(outSet));

    const e = new Error('loop') as Error & { self?: unknown };
    e.self = e;
    const outErr = roundTrip(e);
    assert.equal(outErr.self, outErr);
  });

  it('keeps shared typed arrays, dates and buffers shared', () => {
    const f = new Float64Array([1, 2]);
    const d = new Date(0);
    const ab = new ArrayBuffer(4);
    const out = roundTrip({ f1: f, f2: f, d1: d, d2: d, b1: ab, b2: ab });
    assert.equal(out.f1, out.f2);
    assert.equal(out.d1, out.d2);
    assert.equal(out.b1, out.b2);
  });

  it('keeps identity beyond the first few objects (Map-based tracking)', () => {
    const items = Array.from({ length: 200 }, (_, i) => ({ i }));
    const v = { items, again: items.slice().reverse(), pairs: items.map((x) => [x, x]) };
    const out = roundTrip(v);
    assertSameShape(v, out);
    assert.equal(out.again[0], out.items[199]);
  });
});

describe('codec: registered classes', () => {
  let constructed = 0;
  class Point {
    constructor(public x: number, public y: number) { constructed++; }
    norm(): number { return Math.hypot(this.x, this.y); }
  }
  class Tagged extends Map<string, number> {
    label = 'tagged';
    total(): number { let t = 0; for (const v of this.values()) t += v; return t; }
  }
  class Guarded {
    private store = 0;
    get value(): number { return this.store; }
    set value(v: number) { this.store = v * 1000; }
  }
  class Tags extends Array<string> {
    owner = '';
    joined(): string { return this.join(','); }
  }
  class Vec extends Float64Array {
    sum(): number { return this.reduce((a, b) => a + b, 0); }
  }
  class Failure extends TypeError {
    hint(): string { return `hint: ${this.message}`; }
  }
  registerClass(Point);
  registerClass(Tagged);
  registerClass(Guarded, 'test.Guarded');
  registerClass(Vec);
  registerClass(Tags);
  registerClass(Failure);

  it('restores the prototype without calling the constructor; methods work', () => {
    const p = new Point(3, 4);
    const value = { p, list: [p, new Point(1, 0)] };
    constructed = 0;
    const out = roundTrip(value);
    assert.equal(constructed, 0);
    assert.ok(out.p instanceof Point);
    assert.equal(out.p.norm(), 5);
    assert.equal(out.list[0], out.p);
    assert.equal(out.list[1]!.norm(), 1);
    assert.deepStrictEqual(out.p, p);
  });

  it('restores registered subclasses of built-ins with their contents', () => {
    const t = new Tagged([['a', 1], ['b', 2]]);
    const out = roundTrip(t);
    assert.ok(out instanceof Tagged);
    assert.equal(out.total(), 3);
    assert.equal(out.get('b'), 2);
    assert.equal(out.label, 'tagged');
    assert.deepStrictEqual(out, t);
    const inList = roundTrip([t, { again: t }]);
    assert.equal((inList[1] as { again: unknown }).again, inList[0]);
    t.label = (() => 'no') as unknown as string;
    assertMPIError(() => encode({ t }, CALL), ErrorClass.ERR_ARG, 'value.t.label');
    const tags = new Tags('x', 'y');
    tags.owner = 'me';
    const outTags = roundTrip(tags);
    assert.ok(outTags instanceof Tags);
    assert.deepEqual([...outTags], ['x', 'y']);
    assert.equal(outTags.owner, 'me');
    assert.equal(outTags.joined(), 'x,y');
    const v = Vec.from([1, 2, 3.5]) as Vec;
    const outVec = roundTrip(v);
    assert.ok(outVec instanceof Vec);
    assert.equal(outVec.sum(), 6.5);
    const f = roundTrip(new Failure('oops'));
    assert.ok(f instanceof Failure && f instanceof TypeError);
    assert.equal(f.hint(), 'hint: oops');
  });

  it('defines own properties without running prototype setters', () => {
    const g = new Guarded();
    Object.defineProperty(g, 'value', { value: 7, enumerable: true, writable: true, configurable: true });
    const out = roundTrip(g);
    assert.ok(out instanceof Guarded);
    assert.equal(Object.getOwnPropertyDescriptor(out, 'value')?.value, 7);
  });

  it('registers idempotently and refuses conflicts', () => {
    registerClass(Point);
    class Point2 {}
    Object.defineProperty(Point2, 'name', { value: 'Point' });
    assertMPIError(() => registerClass(Point2), ErrorClass.ERR_ARG, '"Point"');
    assertMPIError(() => registerClass(Point, 'OtherName'), ErrorClass.ERR_ARG, 'already registered');
    assertMPIError(() => registerClass(Map), ErrorClass.ERR_ARG, 'built-in');
    assertMPIError(() => registerClass(42 as unknown as typeof Point), ErrorClass.ERR_ARG);
    assertMPIError(() => registerClass((() => 1) as unknown as typeof Point), ErrorClass.ERR_ARG, 'prototype');
  });

  it('reports a class that is not registered on the receiving rank', () => {
    class Zed { z = 1; }
    registerClass(Zed, 'test.Zed');
    const bytes = encode(new Zed(), CALL);
    const at = Buffer.from(bytes).indexOf('test.Zed');
    bytes[at + 7] = 'q'.charCodeAt(0); // now names test.Zeq, which nobody registered
    assertMPIError(() => decode(bytes, 'Comm.recv'), ErrorClass.ERR_TYPE, '"test.Zeq"', 'not registered');
  });
});

describe('codec: refusals', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['a function at the top', () => () => 1, 'value', 'a function cannot be serialized'],
    ['a nested function', () => ({ a: 1, c: [0, 1, () => 2] }), 'value.c[2]', 'function'],
    ['a function in a task list', () => ({ tasks: [{}, {}, {}, { fn: function named() { /* */ } }] }), 'value.tasks[3].fn', 'function'],
    ['a class', () => ({ k: class {} }), 'value.k', 'function'],
    ['a symbol', () => ({ s: Symbol('x') }), 'value.s', 'a symbol cannot be serialized'],
    ['a symbol as a Map key', () => new Map<unknown, unknown>([[1, 2], [Symbol('k'), 3]]), 'value (Map entry 1 key)', 'symbol'],
    ['a function as a Map value', () => ({ m: new Map<number, unknown>([[1, 2], [2, () => 3]]) }), 'value.m (Map entry 1 value)', 'function'],
    ['a function in a Set', () => new Set([1, () => 1]), 'value (Set element 1)', 'function'],
    ['an odd key', () => ({ 'a b': { 0: Symbol('x') } }), 'value["a b"][0]', 'symbol'],
    ['a WeakMap', () => ({ w: new WeakMap() }), 'value.w', 'WeakMap'],
    ['a WeakSet', () => [new WeakSet()], 'value[0]', 'WeakSet'],
    ['a WeakRef', () => ({ r: new WeakRef({}) }), 'value.r', 'WeakRef'],
    ['a Promise', () => ({ p: Promise.resolve(1) }), 'value.p', 'Promise'],
    ['a Proxy', () => ({ p: new Proxy({}, {}) }), 'value.p', 'Proxy'],
    ['a Proxy of an array', () => [new Proxy([], {})], 'value[0]', 'Proxy'],
    ['an arguments object', function (this: unknown) { return { args: arguments }; }, 'value.args', 'arguments'],
    ['a generator', () => ({ g: (function* gen() { yield 1; })() }), 'value.g', 'generator'],
    ['an iterator', () => ({ it: new Map().entries() }), 'value.it', 'iterator'],
    ['an Intl object', () => ({ f: new Intl.NumberFormat() }), 'value.f', 'Intl.NumberFormat'],
    ['a Symbol object', () => ({ s: Object(Symbol('x')) as object }), 'value.s', 'Symbol object'],
    ['a function behind a getter in a registered class', () => {
      class Holder { get fn() { return () => 1; } }
      registerClass(Holder, 'test.Holder');
      return { h: Object.defineProperty(new Holder(), 'own', { get: () => Math.max, enumerable: true }) };
    }, 'value.h.own', 'function'],
    ['a function inside an error', () => Object.assign(new Error('x'), { cb: () => 1 }), 'value.cb', 'function'],
  ];
  for (const [name, make, path, why] of cases) {
    it(`refuses ${name}, naming ${path}`, () => {
      const v = make();
      const e = assertMPIError(() => encode(v, CALL), ErrorClass.ERR_ARG, `cannot send ${path}: `, why, CALL);
      assert.equal(e.call, CALL);
      assertMPIError(() => encodeScratch(v, CALL), ErrorClass.ERR_ARG, `cannot send ${path}: `);
    });
  }

  it('still works after a refusal', () => {
    assert.throws(() => encode({ a: [{}, {}, () => 1] }, CALL));
    const v = { a: [{ x: 1 }, { y: 2 }], s: 'ok' };
    assert.deepStrictEqual(roundTrip(v), v);
  });

  it('passes through an exception thrown by a getter', () => {
    const v = { get bad(): number { throw new Error('getter failed'); } };
    assert.throws(() => encode(v, CALL), /getter failed/);
    assert.deepStrictEqual(roundTrip({ ok: 1 }), { ok: 1 });
  });
});

describe('codec: garbage in', () => {
  it('rejects bytes that are not an object message with ERR_TYPE', () => {
    const garbage = [
      new Uint8Array(0), new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array(new Float64Array([1, 2, 3]).buffer),
      new TextEncoder().encode('{"a": 1}'),
    ];
    for (const g of garbage) assertMPIError(() => decode(g, 'Comm.recv'), ErrorClass.ERR_TYPE, 'not an object message', 'Comm.recv');
    assertMPIError(() => decode('nope' as unknown as Uint8Array, 'Comm.recv'), ErrorClass.ERR_TYPE);
  });

  it('rejects another format version', () => {
    const bytes = encode(1, CALL);
    bytes[2] = 99;
    assertMPIError(() => decode(bytes, 'Comm.recv'), ErrorClass.ERR_TYPE, 'version 99');
  });

  it('rejects every truncation of a valid message and trailing bytes', () => {
    const v = {
      a: 7, b: 3.14, c: [1, 2, 3], d: 'hello', e: new Map([[1, new Set(['x'])]]), f: new Float32Array([1, 2]),
      g: Array.from({ length: 20 }, (_, i) => i / 2), h: 2n ** 100n, i: new Error('e'), j: new Date(5), k: /re/g,
      l: '\u65e5\u672c', m: '\ud800', n: -5n,
    };
    const bytes = encode(v, CALL);
    for (let n = 0; n < bytes.length; n++) {
      assertMPIError(() => decode(bytes.subarray(0, n), 'Comm.recv'), ErrorClass.ERR_TYPE);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assertMPIError(() => decode(longer, 'Comm.recv'), ErrorClass.ERR_TYPE, 'follow the value');
  });

  it('rejects unknown tags, bad references and absurd lengths', () => {
    const head = [...encode(0, CALL).subarray(0, 3)];
    const bad = [
      [...head, 0x7f], // unknown tag
      [...head, 0x22, 2, 0x3f, 5, 0x80], // array holding a reference to object 5
      [...head, 0x22, 0xff, 0xff, 0xff, 0xff, 0x0f], // array of 4 billion elements
      [...head, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // varint too long
      [...head, 0x31, 99, 0], // unknown typed array kind
      [...head, 0x31, 6, 3, 1, 2, 3], // 3 bytes of Int32Array
      [...head, 0x20, 1, 0x80, 0x80], // property name that is not a string
      [...head, 0x2b, 2, 1, 0x10, 1, 0x35, 0x80], // array of length 2 with an element at index 5
      [...head, 0x2b, 1, 1, 0x10, 6, ...Buffer.from('length'), 0x80], // array property named length
      [...head, 0x2b, 0x80, 0x80, 0x80, 0x80, 0x10, 0], // array length 2^32
    ];
    for (const b of bad) assertMPIError(() => decode(new Uint8Array(b), 'Comm.recv'), ErrorClass.ERR_TYPE, 'malformed');
  });

  it('resolves a reference within its own message only, after short and long messages', () => {
    const head = [...encode(0, CALL).subarray(0, 3)];
    const referToObject1 = new Uint8Array([...head, 0x22, 2, 0x3f, 1, 0x80]); // an array (object 0) holding object 1
    for (const earlier of [[{}, {}, {}], Array.from({ length: 2000 }, (_, i) => ({ i }))]) {
      const back = roundTrip(earlier);
      assert.equal(back.length, earlier.length);
      assert.deepEqual(back.at(-1), earlier.at(-1));
      assertMPIError(() => decode(referToObject1, 'Comm.recv'), ErrorClass.ERR_TYPE,
        'reference to object 1, but only 1 seen');
    }
  });

  it('never throws anything but ERR_TYPE on corrupted messages', () => {
    const rand = prng(7);
    const v = { a: [1, 'two', { three: 3n }], b: new Map([['k', new Uint16Array([1, 2])]]), c: 'x'.repeat(80), d: new Error('e') };
    const bytes = encode(v, CALL);
    for (let i = 0; i < 3000; i++) {
      const c = bytes.slice();
      const flips = 1 + Math.floor(rand() * 3);
      for (let f = 0; f < flips; f++) c[3 + Math.floor(rand() * (c.length - 3))] = Math.floor(rand() * 256);
      try {
        decode(c, 'Comm.recv');
      } catch (e) {
        assert.ok(e instanceof MPIError && e.error_class === ErrorClass.ERR_TYPE, String(e));
      }
    }
  });
});

describe('codec: buffers', () => {
  it('decodes from shared memory that is overwritten afterwards', () => {
    const v = {
      s: 'a short one', long: 'L'.repeat(5000), u: '\u65e5\u672c'.repeat(100), f: new Float64Array([1, 2, 3]),
      n: Array.from({ length: 100 }, (_, i) => i + 0.5), i: Array.from({ length: 100 }, (_, i) => i), ab: new Uint8Array([5, 6]).buffer,
      big: 2n ** 200n, dv: new DataView(new Uint8Array([9, 9]).buffer),
    };
    const copy = roundTrip(v);
    const out = roundTripShared(v);
    assert.deepStrictEqual(out, copy);
    assert.deepStrictEqual(out, v);
  });

  it('decodes views at any alignment', () => {
    const v = [Array.from({ length: 50 }, (_, i) => i * 1.25), Array.from({ length: 50 }, (_, i) => i)];
    const bytes = encode(v, CALL);
    for (let offset = 0; offset < 8; offset++) {
      const host = new Uint8Array(bytes.length + 8);
      host.set(bytes, offset);
      assert.deepStrictEqual(decode(host.subarray(offset, offset + bytes.length), 'Comm.recv'), v);
    }
  });

  it('encodeScratch reuses its buffer; encode returns bytes the caller owns', () => {
    const owned = encode({ first: 1 }, CALL);
    const scratch = encodeScratch({ second: 2 }, CALL);
    assert.deepStrictEqual(decode(scratch, 'Comm.recv'), { second: 2 });
    encodeScratch({ third: 'x'.repeat(100) }, CALL);
    assert.deepStrictEqual(decode(owned, 'Comm.recv'), { first: 1 });
  });

  it('encodeForSend leaves a message of up to the copied length in the scratch and gives a longer one its own bytes', () => {
    const short = encodeForSend({ short: 1 }, CALL, 1024);
    const long = encodeForSend({ long: 'y'.repeat(2000) }, CALL, 1024);
    assert.equal(short.buffer, encodeScratch({ next: 0 }, CALL).buffer, 'the short message stayed in the scratch');
    encodeScratch({ overwrite: 'z'.repeat(3000) }, CALL);
    assert.deepStrictEqual(decode(long, 'Comm.recv'), { long: 'y'.repeat(2000) });
  });

  it('survives an encode called from a getter during an encode', () => {
    let inner: Uint8Array | undefined;
    const v = { a: 1, get b() { inner = encode({ nested: [1, 2] }, CALL); return 2; }, c: 'three' };
    assert.deepStrictEqual(decode(encodeScratch(v, CALL), 'Comm.recv'), { a: 1, b: 2, c: 'three' });
    assert.deepStrictEqual(decode(inner!, 'Comm.recv'), { nested: [1, 2] });
  });

  it('grows the scratch for large values and shrinks it back', () => {
    const big = new Uint8Array(70 << 20).fill(3);
    const out = roundTrip({ big, after: 'x' });
    assert.equal(out.big.length, big.length);
    assert.equal(out.big[123456], 3);
    assert.deepStrictEqual(roundTrip({ small: true }), { small: true });
  });
});

// ---------------------------------------------------------------------------
// Randomized property test

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(rand: () => number, depth: number, pool: object[]): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (n: number): number => Math.floor(rand() * n);
  const str = (): string => {
    const alphabets = ['abc', 'xyz\u00e9\u00ff', '\u65e5\u672c\u{1F600}', '\ud800\udc00\udfff', 'k'];
    const a = [...pick(alphabets)];
    const n = pick([0, 1, 3, 8, 33, 70, 300]);
    let s = '';
    for (let i = 0; i < n; i++) s += pick(a);
    return s;
  };
  const leaf = (): unknown => pick<() => unknown>([
    () => undefined, () => null, () => rand() < 0.5, () => int(300) - 150, () => (rand() - 0.5) * 1e6,
    () => pick([-0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 53)]), () => BigInt(int(1000)) - 500n,
    () => BigInt.asIntN(200, BigInt(Math.floor(rand() * 2 ** 50)) << 150n), str, str,
  ])();
  if (depth <= 0 || rand() < 0.3) return leaf();
  if (pool.length > 0 && rand() < 0.1) return pick(pool); // a shared reference (or a cycle)
  let made: object;
  switch (int(9)) {
    case 0:
    case 1: {
      const o: Record<string, unknown> = {};
      pool.push(o);
      for (let i = int(6); i > 0; i--) o[pick(['a', 'b', 'key', '0', '17', str()])] = randomValue(rand, depth - 1, pool);
      made = o;
      break;
    }
    case 2:
    case 3: {
      const a: unknown[] = [];
      pool.push(a);
      for (let i = int(6); i > 0; i--) a.push(randomValue(rand, depth - 1, pool));
      made = a;
      break;
    }
    case 4: made = Array.from({ length: 16 + int(40) }, () => (rand() < 0.5 ? int(1000) : rand() * 10)); pool.push(made); break;
    case 5: {
      const m = new Map<unknown, unknown>();
      pool.push(m);
      for (let i = int(4); i > 0; i--) m.set(randomValue(rand, depth - 1, pool), randomValue(rand, depth - 1, pool));
      made = m;
      break;
    }
    case 6: {
      const s = new Set<unknown>();
      pool.push(s);
      for (let i = int(4); i > 0; i--) s.add(randomValue(rand, depth - 1, pool));
      made = s;
      break;
    }
    case 7: made = pick<() => object>([
      () => new Date(int(2e12)), () => new Float64Array([rand(), -0]), () => new Int16Array([int(60000) - 30000]),
      () => new Uint8Array(int(20)).map(() => int(256)), () => /x+/giu, () => new RangeError(str()),
      () => Object.create(null) as object, () => new BigUint64Array([BigInt(int(1e9))]),
    ])(); pool.push(made); break;
    default: return leaf();
  }
  return made;
}

describe('codec: randomized round trips', () => {
  it('round-trips a few thousand random nested values exactly', () => {
    const rand = prng(20240601);
    for (let i = 0; i < 3000; i++) {
      const v = randomValue(rand, 4, []);
      let out: unknown;
      try {
        out = i % 2 === 0 ? roundTrip(v) : roundTripShared(v);
        assert.deepStrictEqual(out, v);
        assertSameShape(v, out);
      } catch (e) {
        throw new Error(`random value #${i} failed: ${String(e)}`, { cause: e });
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Property test against structuredClone (fast-check)

/**
 * Walks the decoded value `ours`, structuredClone's copy `clone` and the
 * original `orig` side by side, and fails at the first difference: type,
 * prototype, own property names and their order and enumerability (so holes
 * and extra array properties), -0 versus 0, NaN, Map and Set order, dates,
 * RegExp source and flags, boxed values, typed array classes and bytes, and
 * identity: an object met twice in one is met twice, at the same places, in
 * the other, and distinct objects stay distinct (so cycles are checked too).
 *
 * Where the codec differs from structuredClone on purpose, the original
 * decides: a null-prototype object keeps its null prototype (structuredClone
 * gives it Object.prototype), and a SharedArrayBuffer arrives as a new one
 * holding a copy (structuredClone shares the memory).
 */
function assertSameAsClone(ours: unknown, clone: unknown, orig: unknown, path = 'value',
  there = new Map<object, object>(), back = new Map<object, object>()): void {
  const fail = (what: string): never => assert.fail(`${path}: ${what}`);
  if (typeof ours !== typeof clone) fail(`type ${typeof ours}, structuredClone gives ${typeof clone}`);
  if (typeof ours !== 'object' || ours === null || clone === null) {
    if (!Object.is(ours, clone)) fail(`${String(ours)} instead of ${String(clone)}`);
    return;
  }
  const o = ours;
  const c = clone as object;
  const v = orig as object;
  const seen = there.get(c);
  if (seen !== undefined) {
    if (seen !== o) fail('an object met twice arrived as two objects');
    return;
  }
  if (back.has(o)) fail('two distinct objects arrived as one');
  there.set(c, o);
  back.set(o, c);
  const proto = Object.getPrototypeOf(o) as object | null;
  const expectedProto = Object.getPrototypeOf(v) === null ? null : Object.getPrototypeOf(c) as object | null;
  if (proto !== expectedProto) fail(`prototype ${String(proto?.constructor?.name)}, expected ${String(expectedProto?.constructor?.name)}`);
  const names = Object.getOwnPropertyNames(o);
  const expectedNames = Object.getOwnPropertyNames(c);
  if (names.join('\0') !== expectedNames.join('\0')) fail(`own names [${names.join(', ')}], expected [${expectedNames.join(', ')}]`);
  const at = (k: string): string => `${path}[${JSON.stringify(k)}]`;
  if (types.isAnyArrayBuffer(o) || ArrayBuffer.isView(o)) {
    const bytes = (x: object): Uint8Array => ArrayBuffer.isView(x)
      ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(x as ArrayBufferLike);
    if (types.isSharedArrayBuffer(ArrayBuffer.isView(o) ? o.buffer : o) !==
      types.isSharedArrayBuffer(ArrayBuffer.isView(c) ? (c as ArrayBufferView).buffer : c)) fail('shared versus not shared memory');
    if (!Buffer.from(bytes(o)).equals(bytes(c))) fail('different bytes');
    return; // the elements of a view are its bytes, compared above
  }
  if (types.isDate(o) && !Object.is((o as Date).getTime(), (c as Date).getTime())) fail('different time');
  if (types.isRegExp(o) && ((o as RegExp).source !== (c as RegExp).source || (o as RegExp).flags !== (c as RegExp).flags)) fail('different RegExp');
  if (types.isBoxedPrimitive(o) && !Object.is((o as { valueOf(): unknown }).valueOf(), (c as { valueOf(): unknown }).valueOf())) fail('different boxed value');
  if (types.isMap(o)) {
    const eo = [...(o as Map<unknown, unknown>)];
    const ec = [...(c as Map<unknown, unknown>)];
    const ev = [...(v as Map<unknown, unknown>)];
    if (eo.length !== ec.length) fail(`Map of ${eo.length} entries, expected ${ec.length}`);
    eo.forEach(([k, x], i) => {
      assertSameAsClone(k, ec[i]![0], ev[i]![0], `${path} (Map key ${i})`, there, back);
      assertSameAsClone(x, ec[i]![1], ev[i]![1], `${path} (Map value ${i})`, there, back);
    });
  }
  if (types.isSet(o)) {
    const eo = [...(o as Set<unknown>)];
    const ec = [...(c as Set<unknown>)];
    const ev = [...(v as Set<unknown>)];
    if (eo.length !== ec.length) fail(`Set of ${eo.length} elements, expected ${ec.length}`);
    eo.forEach((x, i) => assertSameAsClone(x, ec[i], ev[i], `${path} (Set element ${i})`, there, back));
  }
  for (const k of names) {
    const d = Object.getOwnPropertyDescriptor(o, k)!;
    const dc = Object.getOwnPropertyDescriptor(c, k)!;
    if (d.enumerable !== dc.enumerable) fail(`${at(k)} enumerable ${String(d.enumerable)}`);
    if (!('value' in d)) fail(`${at(k)} is an accessor`);
    assertSameAsClone(d.value, dc.value, (v as Record<string, unknown>)[k], at(k), there, back);
  }
}

/** Every object (container) inside `v`, for wiring shared references and cycles into it. */
function containers(v: unknown, out: object[] = [], seen = new Set<object>()): object[] {
  if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v) || types.isAnyArrayBuffer(v)) return out;
  seen.add(v);
  if (types.isDate(v) || types.isBoxedPrimitive(v)) return out;
  out.push(v);
  if (types.isMap(v)) for (const [k, x] of v as Map<unknown, unknown>) { containers(k, out, seen); containers(x, out, seen); }
  else if (types.isSet(v)) for (const x of v as Set<unknown>) containers(x, out, seen);
  else for (const k of Object.keys(v)) containers((v as Record<string, unknown>)[k], out, seen);
  return out;
}

/**
 * A copy of a value made by fast-check, to wire references into: mutating
 * fast-check's own values would corrupt its shrinking. Keeps holes, key
 * order, prototypes and identity; buffers and views are shared, being never
 * mutated.
 */
function deepCopy(v: unknown, memo = new Map<object, object>()): unknown {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || types.isAnyArrayBuffer(v)) return v;
  const known = memo.get(v);
  if (known !== undefined) return known;
  if (types.isDate(v)) return new Date((v as Date).getTime());
  if (types.isBoxedPrimitive(v)) return Object((v as { valueOf(): unknown }).valueOf()) as object;
  if (types.isMap(v)) {
    const m = new Map<unknown, unknown>();
    memo.set(v, m);
    for (const [k, x] of v as Map<unknown, unknown>) m.set(deepCopy(k, memo), deepCopy(x, memo));
    return m;
  }
  if (types.isSet(v)) {
    const set = new Set<unknown>();
    memo.set(v, set);
    for (const x of v as Set<unknown>) set.add(deepCopy(x, memo));
    return set;
  }
  const out = Array.isArray(v) ? new Array<unknown>(v.length) : Object.create(Object.getPrototypeOf(v) as object | null) as object;
  memo.set(v, out);
  for (const k of Object.keys(v)) define(out, k, deepCopy((v as Record<string, unknown>)[k], memo));
  return out;
}

/** Defines an own enumerable data property (assignment would run the `__proto__` setter); not an array's length. */
function define(o: object, key: string, value: unknown): void {
  if (Array.isArray(o) && key === 'length') return;
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

describe('codec: property test against structuredClone (fast-check)', () => {
  const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', '0', '7', '4294967295', 'length', 'constructor'));
  const strings = fc.oneof(
    fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii', maxLength: 100 }),
    // Lone surrogates, which only the UTF-16 form of the format carries.
    fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }),
  );
  const sharedBytes = fc.uint8Array({ maxLength: 16 }).map((bytes) => {
    const sab = new SharedArrayBuffer(bytes.length);
    new Uint8Array(sab).set(bytes);
    return sab;
  });
  const leaves = [
    fc.boolean(), fc.integer(), fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1),
    strings, fc.constant(null), fc.constant(undefined), fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }),
    // Arrays long enough to travel packed, sometimes with a -0 or a hole in them.
    fc.array(fc.oneof(fc.integer(), fc.double()), { minLength: 16, maxLength: 40 }),
    sharedBytes, sharedBytes.map((sab) => new Uint8Array(sab)),
    // Arrays long enough for the encoder's other way of finding holes and extra properties.
    fc.array(fc.oneof(fc.integer(), strings, fc.constant(undefined)), { minLength: 128, maxLength: 160 }),
    fc.sparseArray(fc.oneof(fc.integer(), fc.double(), strings), { maxLength: 300 }),
    fc.sparseArray(fc.double(), { minNumElements: 150, maxLength: 160 }),
  ];
  const anything = fc.anything({
    values: leaves, key, maxDepth: 4, maxKeys: 6,
    withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true,
    withNullPrototype: true, withSparseArray: true, withTypedArray: true, withObjectString: true,
  });
  /** An array with extra own properties, as `Object.assign(array, props)` but without the `__proto__` setter. */
  const arrayWithProps = fc.tuple(
    fc.oneof(fc.array(anything, { maxLength: 5 }), fc.array(fc.double(), { minLength: 128, maxLength: 140 })),
    fc.dictionary(key, anything, { maxKeys: 3 }))
    .map(([items, props]) => {
      const a = deepCopy(items) as unknown[];
      for (const k of Object.keys(props)) define(a, k, deepCopy(props[k]));
      return a;
    });
  /** A value with some of its containers wired to others: shared references, and cycles when one points up. */
  const linked = fc.tuple(fc.oneof(anything, arrayWithProps), fc.array(fc.tuple(fc.nat(), fc.nat(), key), { maxLength: 4 }))
    .map(([original, links]) => {
      const value = deepCopy(original);
      const objs = containers(value);
      for (const [i, j, k] of links) {
        if (objs.length === 0) break;
        const from = objs[i % objs.length]!;
        const to = objs[j % objs.length]!;
        if (types.isMap(from)) (from as Map<unknown, unknown>).set(k, to);
        else if (types.isSet(from)) (from as Set<unknown>).add(to);
        else define(from, k, to);
      }
      return value;
    });

  it('differs from structuredClone only where documented', () => {
    // A null prototype stays null (structuredClone gives Object.prototype).
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    assert.equal(Object.getPrototypeOf(structuredClone(nullProto)), Object.prototype);
    assert.equal(Object.getPrototypeOf(roundTrip(nullProto)), null);
    // Shared memory arrives as new shared memory holding a copy (structuredClone shares it, within one process).
    const sab = new SharedArrayBuffer(1);
    const cloned = structuredClone(new Uint8Array(sab));
    const ours = roundTrip(new Uint8Array(sab));
    new Uint8Array(sab)[0] = 7;
    assert.equal(cloned[0], 7);
    assert.equal(ours[0], 0);
    // Only the bytes of a view travel (structuredClone copies its whole buffer and keeps the offset).
    const part = new Uint8Array([1, 2, 3, 4]).subarray(1, 2);
    assert.equal(structuredClone(part).buffer.byteLength, 4);
    assert.equal(roundTrip(part).buffer.byteLength, 1);
    // A Node Buffer arrives as a Buffer (structuredClone gives a plain Uint8Array).
    assert.ok(!Buffer.isBuffer(structuredClone(Buffer.from('x'))));
    assert.ok(Buffer.isBuffer(roundTrip(Buffer.from('x'))));
    // Instances of classes: refused unless registered (structuredClone gives a plain object).
    class Loose { x = 1; }
    assert.equal(Object.getPrototypeOf(structuredClone(new Loose())), Object.prototype);
    assertMPIError(() => encode(new Loose(), CALL), ErrorClass.ERR_ARG, 'class Loose');
  });

  // Left out of the property, as the codec differs there on purpose (tested just above): class
  // instances (registered or not), Node Buffers, views on part of a buffer, and errors (tested
  // with the built-ins). Null prototypes and shared memory are in, with the comparison above
  // expecting the codec's behaviour.
  it('decodes what it encodes as structuredClone copies it (3000 runs, fixed seed)', () => {
    let n = 0;
    fc.assert(fc.property(fc.oneof(anything, arrayWithProps, linked), (value) => {
      const expected = structuredClone(value);
      const out = n++ % 2 === 0 ? roundTrip(value) : roundTripShared(value);
      assertSameAsClone(out, expected, value);
    }), { seed: 0x6d70_6934, numRuns: 3000 });
  });
});
