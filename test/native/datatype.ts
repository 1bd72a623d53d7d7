// mpi4ts's derived datatypes against the MPI library's: each type's typemap
// built in MPI (src/transport/mpi/datatypes.ts, native/datatype.c) must have
// the size and true extent mpi4ts computes, and MPI_Pack, MPI_Unpack and
// MPI_Pack_external("external32") must give the bytes that mpi4ts's Pack,
// Unpack and Pack_external give, for every constructor. The same for the
// compact types of file views (native/file.c fileTypeCreate: hvector,
// hindexed or struct). 1 or more ranks.
import assert from 'node:assert/strict';
import { datatypes, Datatype } from '../../src/datatype/index.js';
import { NativeDatatypes } from '../../src/transport/mpi/datatypes.js';
import { run, transport } from './helpers.js';

const { DOUBLE, INT, CHAR, FLOAT, SHORT } = datatypes;
const native = transport.native;
const types = new NativeDatatypes(native);

/** The standard's oldtype of MPI-4.1 §5.1.2: {(double, 0), (char, 8)}, extent 16. */
const old = Datatype.Create_struct([1, 1], [0, 8], [DOUBLE, CHAR]).Create_resized(0, 16);

/** [name, type, overlapping (no unpack check)] */
const cases: [string, Datatype, boolean][] = [
  ['contiguous', old.Create_contiguous(3), false],
  ['vector', old.Create_vector(2, 3, 4), false],
  ['column', DOUBLE.Create_vector(5, 1, 5), false],
  ['hvector overlapping', DOUBLE.Create_hvector(2, 3, 4), true],
  ['indexed', old.Create_indexed([3, 1], [4, 0]), false],
  ['hindexed', INT.Create_hindexed([2, 1], [8, 0]), false],
  ['indexed_block', INT.Create_indexed_block(2, [0, 5]), false],
  ['hindexed_block', SHORT.Create_hindexed_block(1, [6, 2]), false],
  ['struct', Datatype.Create_struct([2, 1, 3], [0, 16, 26], [FLOAT, old, CHAR]), false],
  ['struct padded', Datatype.Create_struct([1, 1], [0, 8], [DOUBLE, INT]).Create_resized(0, 16), false],
  ['subarray C', DOUBLE.Create_subarray([4, 6], [2, 3], [1, 2]), false],
  ['subarray Fortran', DOUBLE.Create_subarray([4, 6], [2, 3], [1, 2], 1), false],
  ['subarray 3D', INT.Create_subarray([3, 4, 5], [2, 2, 3], [1, 0, 2]), false],
  ['darray block', INT.Create_darray(4, 3, [4, 6], [0, 0], [-1, -1], [2, 2]), false],
  ['darray cyclic', INT.Create_darray(2, 1, [10], [1], [2], [2]), false],
  ['darray Fortran', DOUBLE.Create_darray(6, 4, [5, 7], [1, 0], [2, -1], [3, 2], 1), false],
  ['one basic element', INT.Create_contiguous(1), false],
  ['vector of vectors', DOUBLE.Create_vector(3, 1, 4).Create_resized(0, 8).Create_vector(2, 2, 5), false],
];

await run('datatype', 1, async () => {
  let checked = 0;
  for (const [view, [typeName, t, overlapping]] of [false, true].flatMap((v) => cases.map((c) => [v, c] as const))) {
    const name = view ? `${typeName} (file view)` : typeName;
    t.Commit();
    const handle = view ? types.build(t, 'test', true) : types.handle(t, 'test');
    const [size, lb, extent, trueLb, trueExtent] = native.typeInfo(handle);
    assert.deepEqual([size, lb, extent, trueLb, trueExtent], [t.size, t.lb, t.extent, t.true_lb, t.true_extent], name);
    const count = 3;
    const span = t.true_ub + (count - 1) * t.extent;
    const user = Uint8Array.from({ length: span + 8 }, (_, i) => (i * 37 + 11) & 0xff);
    const mine = new Uint8Array(t.Pack_size(count, null));
    const theirs = new Uint8Array(mine.length);
    assert.equal(t.Pack([user, count], mine, 0), mine.length, name);
    assert.equal(native.typePack(handle, count, user, theirs, false), mine.length, name);
    assert.deepEqual(mine, theirs, `${name}: MPI_Pack`);
    const extMine = new Uint8Array(t.Pack_external_size('external32', count));
    const extTheirs = new Uint8Array(extMine.length);
    t.Pack_external('external32', [user, count], extMine, 0);
    assert.equal(native.typePack(handle, count, user, extTheirs, true), extMine.length, name);
    assert.deepEqual(extMine, extTheirs, `${name}: MPI_Pack_external`);
    if (!overlapping) {
      const intoMine = new Uint8Array(user.length);
      const intoTheirs = new Uint8Array(user.length);
      t.Unpack(mine, 0, [intoMine, count]);
      assert.equal(native.typeUnpack(handle, count, mine, intoTheirs), mine.length, name);
      assert.deepEqual(intoMine, intoTheirs, `${name}: MPI_Unpack`);
    }
    if (view) native.fileTypeFree(handle);
    else types.free(t);
    checked++;
  }
  assert.equal(checked, 2 * cases.length);
});
