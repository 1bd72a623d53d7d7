// The children of test/native/intercomm.ts's spawn: each receives a message
// from parent rank 0, answers with its rank and arguments, then joins the
// merged communicator and its Allreduce. Not a test to run on its own.
import assert from 'node:assert/strict';
import { datatypes } from '../../src/datatype.js';
import { done, predefined, transport } from './helpers.js';

const parent = transport.parent;
assert.ok(parent !== undefined, 'spawn_child.ts runs only as a child of test/native/intercomm.ts');
assert.equal(parent.size, transport.worldSize);
assert.equal(parent.rank, transport.worldRank);
const got = await done(parent.irecv(undefined, 0, 1));
const text = `${Buffer.from(got.data as Uint8Array).toString()} ${process.argv.slice(2).join(' ')}`;
await done(parent.isend(new Uint8Array(Buffer.from(`child ${parent.rank} of ${parent.size} got: ${text}`)), 0, 2, false));
const all = await parent.merge(true);
assert.equal(all.rank, all.size - parent.size + parent.rank);
const sum = new Float64Array(1);
await all.collectives.allreduce(Float64Array.of(1), sum, 1, datatypes.DOUBLE, predefined('MPI_SUM'));
assert.equal(sum[0], all.size);
all.free();
parent.free();
