// The types a program sees through the built package: a received value is
// `unknown` unless the program names its type, which `recv`, `irecv`,
// `sendrecv` and `Request.wait` take as a type parameter, a user op is an
// `Op` of its operands, and a value reduction whose op is a function gives
// what the function returns. Checked with the compiler on a program held in memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { typesOfProgram } from './helpers/types.js';

/** Each declaration of the program and the type its value should have. */
const expected: Record<string, string> = {
  comm: 'Intracomm',
  untyped: 'unknown',
  numbers: 'number[]',
  pending: 'Request<{ step: number; }>',
  step: '{ step: number; }',
  answer: 'string',
  later: 'Map<string, number>',
  all: 'number[]',
  concat: 'Op<string>',
  absMax: 'Op<Float64Array<ArrayBufferLike>>',
  minloc: '[number, number]',
  longest: 'string | undefined',
  merged: 'Map<string, number>',
};

const program = `import { MPI } from 'mpi4ts';
const comm = MPI.COMM_WORLD;
export const untyped = await comm.recv(0);
export const numbers = await comm.recv<number[]>(0, 3);
export const pending = comm.irecv<{ step: number }>(0);
export const step = await pending.wait();
export const answer = await comm.sendrecv<string>('question', 1);
export const later = await comm.irecv(0).wait<Map<string, number>>();
export const all = await MPI.Request.waitall([comm.irecv<number>(0), comm.irecv<number>(1)]);
export const concat = MPI.Op.Create((a: string, b: string) => a + b);
export const absMax = MPI.Op.Create<Float64Array>((invec, inoutvec) => invec.map((x, i) => Math.max(x, inoutvec[i]!)));
export const minloc = await comm.allreduce<[number, number]>(1.5, MPI.MINLOC);
await comm.allreduce('x', concat);
export const longest = await comm.reduce('word', (a: string, b: string) => (b.length > a.length ? b : a), 0);
export const merged = await comm.allreduce(new Map<string, number>(), (a: Map<string, number>, b: Map<string, number>) => new Map([...a, ...b]));
await comm.Allreduce(new Float64Array(2), new Float64Array(2), absMax);
`;

describe('types of the public API', () => {
  it('received values take the type the program names, and user ops the type of their operands', () => {
    const { problems, types } = typesOfProgram('types_program.ts', program);
    assert.deepEqual(problems, []);
    assert.deepEqual(types, expected);
  });
});
