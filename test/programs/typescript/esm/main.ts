// The TypeScript loader's ES-module route: .js -> .ts, a directory import, tsconfig paths, an enum, class
// fields per tsconfig (useDefineForClassFields false: a field without initializer is no own property),
// an error at a known line.
import { MPI } from 'mpi4ts';
import { Colour, describe } from './lib/y.js';
// @ts-expect-error a directory import, which tsx (and this loader) resolve to lib/index.ts
import { fromIndex } from './lib';

// @ts-expect-error a tsconfig paths mapping (of esm/tsconfig.json, which the type check does not read)
import { Colour as Mapped } from '@fixture/y.js';

class Fields {
  declared?: number;
  assigned = 7;
}

const rank = MPI.COMM_WORLD.rank;
const ranks = await MPI.COMM_WORLD.allgather(rank);
const fields = new Fields();
const semantics = 'declared' in fields ? 'define' : 'assign';
console.log(`rank ${rank}: ${describe(Colour.Green)} ${fromIndex} fields=${semantics},${fields.assigned} paths=${Mapped.Red} ranks=${ranks.join('')}`);
if (process.argv[2] === 'throw' && rank === 1) {
  throw new Error('thrown on purpose');
}
