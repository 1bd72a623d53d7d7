// The table that maps each typed array class to its MPI datatype: what a
// buffer method uses when you pass a bare typed array (MPI.typedict, like
// mpi4py's typedict for NumPy dtypes).
// Run: npx mpi4ts -n 1 examples/typedict.ts
import { MPI } from 'mpi4ts';

// The names under which MPI exports a datatype (several names can share one).
function namesOf(datatype: unknown): string[] {
  return Object.keys(MPI).filter((key) => !key.startsWith('COMM_') && (MPI as Record<string, unknown>)[key] === datatype);
}

for (const arrayType of Object.keys(MPI.typedict).sort()) {
  const datatype = MPI.typedict[arrayType];
  console.log(`${arrayType.padEnd(18)} ${namesOf(datatype).map((name) => `MPI.${name}`).join(' ')} (${datatype.Get_size()} byte${datatype.Get_size() === 1 ? '' : 's'})`);
}
