// Reduce: combine one value from every rank with an operation; only the root
// gets the answer. The sum of the ranks first, then every predefined
// operation on a small value per rank, so you can see what each one does.
// Run: npx mpi4ts -n 4 examples/reduce.ts
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank } = comm;

const total = await comm.reduce(rank, MPI.SUM, 0);
console.log(`rank ${rank}: reduce gave ${String(total)}`);

// A number and a boolean per rank, and the list of them on the root, for the table.
const value = (3 * rank + 2) % 7;
const flag = rank !== 1;
const values = await comm.gather(value, 0);
const flags = await comm.gather(flag, 0);

// MAXLOC and MINLOC reduce [value, index] pairs; a bare value counts as [value, rank].
const onNumbers = { MAX: MPI.MAX, MIN: MPI.MIN, SUM: MPI.SUM, PROD: MPI.PROD, BAND: MPI.BAND, BOR: MPI.BOR,
  BXOR: MPI.BXOR, MAXLOC: MPI.MAXLOC, MINLOC: MPI.MINLOC };
const onBooleans = { LAND: MPI.LAND, LOR: MPI.LOR, LXOR: MPI.LXOR };
const lines: string[] = [];
for (const [name, op] of Object.entries(onNumbers)) {
  const result = await comm.reduce(value, op, 0);
  lines.push(`MPI.${name} of ${JSON.stringify(values)} = ${JSON.stringify(result)}`);
}
for (const [name, op] of Object.entries(onBooleans)) {
  const result = await comm.reduce(flag, op, 0);
  lines.push(`MPI.${name} of ${JSON.stringify(flags)} = ${JSON.stringify(result)}`);
}
if (rank === 0) console.log(lines.join('\n'));
