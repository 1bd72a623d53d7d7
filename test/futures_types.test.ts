// The types a program sees through mpi4ts/futures and mpi4ts/util/pool: with
// the task module's type as the type argument, task names, arguments and
// results are checked by TypeScript (each `@ts-expect-error` line must be an
// error, or the compiler reports the directive as unused). Checked with the
// compiler on a program held in memory, as test/types.test.ts does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { typesOfProgram } from './helpers/types.js';

/** Each declaration of the program and the type its value should have. */
const expected: Record<string, string> = {
  future: 'Future<number>',
  fib: 'number',
  upper: 'string',
  squares: 'AsyncIterableIterator<number>',
  sums: 'AsyncIterableIterator<number>',
  applied: 'number',
  mapped: 'number[]',
  untyped: 'Future<unknown>',
};

const program = `import { MPI } from 'mpi4ts';
import { MPICommExecutor, MPIPoolExecutor } from 'mpi4ts/futures';
import { Pool } from 'mpi4ts/util/pool';
type Tasks = typeof import('./programs/futures/tasks.ts');
const module = new URL('./programs/futures/tasks.ts', import.meta.url);
await using pool = new MPIPoolExecutor<Tasks>({ module, maxWorkers: 2, initializer: 'init', initargs: ['x'] });
export const future = pool.submit('fib', 30);
export const fib = await future;
export const upper = await pool.submit('later', 'abc', 5);
export const squares = pool.map('square', [1, 2, 3], { chunksize: 2 });
export const sums = pool.starmap('add', [[1, 2], [3, 4]]);
// @ts-expect-error: fib takes a number
pool.submit('fib', 'thirty');
// @ts-expect-error: the module exports no such function
pool.submit('nope', 1);
// @ts-expect-error: add takes two numbers
pool.submit('add', 1);
// @ts-expect-error: a map's items are the argument of its function
pool.map('square', ['a']);
// @ts-expect-error: a starmap's items are argument lists
pool.starmap('add', [[1, 'b']]);
// @ts-expect-error: ParityError is an export, but not a function
pool.submit('ParityError');
// @ts-expect-error: the initializer is an export of the module too
new MPIPoolExecutor<Tasks>({ module, initializer: 'nope' });
const root = await MPICommExecutor<Tasks>(MPI.COMM_WORLD, 0, { module });
if (root !== null) {
  // @ts-expect-error: the pool of MPICommExecutor is typed the same way
  root.submit('square', 'x');
}
await using workers = new Pool<Tasks>({ module, processes: 2 });
export const applied = await workers.apply('add', [1, 2]);
export const mapped = await workers.map('square', [1, 2, 3]);
// @ts-expect-error: apply takes the argument list of the function
workers.apply('add', [1]);
const anything = new MPIPoolExecutor({ module });
export const untyped = anything.submit('whatever', 1, 'two');
`;

describe('types of mpi4ts/futures', () => {
  it('task names, arguments and results follow the task module\'s type', () => {
    const { problems, types } = typesOfProgram('futures_types_program.ts', program);
    assert.deepEqual(problems, []);
    const found = Object.fromEntries(Object.entries(types).filter(([name]) => name in expected));
    assert.deepEqual(found, expected);
  });
});
