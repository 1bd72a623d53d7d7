// MPI-IO on the native mpi transport, at the transport's interface
// (src/transport/mpi/file.ts): the MPI datatypes built for file views are
// owned by the file and freed, so that many Set_view calls with new
// filetypes keep the count of live datatypes flat, and Close frees the last
// view's. What every transport must do is in test/conformance/io.ts.
// 1 or more ranks.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODE_CREATE, MODE_DELETE_ON_CLOSE, MODE_RDWR } from '../../src/constants.js';
import { datatypes } from '../../src/datatype/index.js';
import { run, transport } from './helpers.js';

const { INT, DOUBLE } = datatypes;
const native = transport.native;
const world = transport.world;
const { rank, size } = world;
// The same name on every rank: mpiexec is the parent of every rank on this host.
const name = path.join(os.tmpdir(), `mpi4ts-native-file-${process.ppid}.bin`);

await run('file', 1, async () => {
  const before = native.typesLive();
  const file = await world.openFile!({ path: name, amode: MODE_CREATE | MODE_RDWR | MODE_DELETE_ON_CLOSE, hints: [] });
  assert.equal(native.typesLive(), before, 'no view types before the first view');
  const call = 'File.Set_view';
  // 40 views, each with a filetype of its own: rank r owns int r of each tile of `size` ints, from int `k` on.
  for (let k = 0; k < 40; k++) {
    const tile = INT.Create_resized(0, 4 * size).Commit();
    await file.setView(4 * (k * size + rank), INT, tile, call);
    assert.equal(native.typesLive(), before + 2, `view ${k}: its etype and filetype, the last view's freed`);
    if (k % 10 === 0) {
      const data = Int32Array.of(1000 * k + rank, 1000 * k + size + rank);
      assert.equal(await file.access('at_all', true, 0, new Uint8Array(data.buffer), 'File.Write_at_all'), 8);
      const back = new Int32Array(2);
      assert.equal(await file.access('at_all', false, 0, new Uint8Array(back.buffer), 'File.Read_at_all'), 8);
      assert.deepEqual(Array.from(back), Array.from(data), `view ${k} reads back what it wrote`);
    }
    tile.Free();
  }
  // A filetype equal to the etype is one MPI datatype; the same etype again reuses the view's.
  await file.setView(0, DOUBLE, DOUBLE, call);
  assert.equal(native.typesLive(), before + 1);
  await file.setView(8, DOUBLE, DOUBLE, call);
  assert.equal(native.typesLive(), before + 1);
  const block = DOUBLE.Create_subarray([size, 2], [1, 2], [rank, 0]).Commit();
  await file.setView(0, DOUBLE, block, call);
  assert.equal(native.typesLive(), before + 2);
  await file.close('File.Close');
  assert.equal(native.typesLive(), before, 'Close frees the last view\'s types');
  block.Free();
});
