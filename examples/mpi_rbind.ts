// Row-binding one vector per rank into a matrix, two ways: the object
// allgather (easy, any value, serialized) then stacking the rows, and the
// buffer Allgather straight into the matrix (no serialization). Both must agree.
// Run: npx mpi4ts -n 4 examples/mpi_rbind.ts
import assert from 'node:assert/strict';
import { MPI, type Intracomm } from 'mpi4ts';
import { formatMatrix } from './lib/format.js';

/** Stacks every rank's row, gathered as objects. */
async function rbind(comm: Intracomm, x: Int32Array): Promise<Int32Array> {
  const rows = await comm.allgather(x);
  const m = new Int32Array(rows.length * x.length);
  rows.forEach((row, i) => m.set(row, i * x.length));
  return m;
}

/** The same with the buffer collective: each row lands in place. */
async function rbind2(comm: Intracomm, x: Int32Array): Promise<Int32Array> {
  const m = new Int32Array(comm.size * x.length);
  await comm.Allgather([x, MPI.INT], [m, MPI.INT]);
  return m;
}

const comm = MPI.COMM_WORLD;
const { rank } = comm;
const x = Int32Array.from({ length: 4 }, (_, i) => i * rank);

const a = await rbind(comm, x);
if (rank === 0) console.log(formatMatrix(a, comm.size, x.length));
const b = await rbind2(comm, x);
if (rank === 0) console.log(formatMatrix(b, comm.size, x.length));

assert.deepEqual(a, b);
console.log(`rank ${rank}: rbind and rbind2 agree`);
