// Collectives on the native mpi transport where it differs from shm or is its
// own: user ops that throw inside MPI's blocking call for large payloads (the
// collective rejects on every rank) or that call MPI (refused inside an
// MPI_Op), and the errors MPI itself reports at the transport's interface,
// below the API's checks. What every transport must do, including the vote
// and blocking calls for large payloads, is in test/conformance/collectives.ts
// (run by test/mpi/conformance.test.ts, also with MPI4TS_BLOCKING_BYTES=0).
// 2 or more ranks.
import assert from 'node:assert/strict';
import { datatypes } from '../../src/datatype/index.js';
import { ErrorClass } from '../../src/errors.js';
import { Op } from '../../src/op/op.js';
import { isMPIError, predefined, run, transport } from './helpers.js';

const world = transport.world;
const coll = world.collectives;
const { size } = world;

async function rejectsWith(p: Promise<unknown>, errorClass: number, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    isMPIError(e, errorClass, pattern);
    return true;
  });
}

await run('collectives', 2, async () => {
  // --- A user op that throws inside MPI's blocking call, which large payloads take once every rank
  // has voted: the collective rejects on every rank (with the op's own error where it ran, naming
  // that rank elsewhere), and later collectives still work. (Small payloads: the conformance chapter.)
  const after = new Float64Array(1);
  const n = 1 << 15; // 256 KiB of doubles: above every threshold
  const brokenLarge = new Op('user_broken_large', true, () => {
    throw new Error('this large op is broken');
  }, () => undefined);
  await assert.rejects(coll.allreduce(new Float64Array(n), new Float64Array(n), n, datatypes.DOUBLE, brokenLarge),
    /this large op is broken|user-defined op user_broken_large threw on rank \d+/);
  await coll.allreduce(Float64Array.of(3), after, 1, datatypes.DOUBLE, predefined('MPI_SUM'));
  assert.equal(after[0], 3 * size);

  // --- A user op must not call MPI: such a call throws inside it, and the collective rejects.
  const reentrant = new Op('user_reentrant', true, () => {
    world.iprobe(0, 0);
  }, () => undefined);
  await assert.rejects(coll.allreduce(Float64Array.of(1), new Float64Array(1), 1, datatypes.DOUBLE, reentrant),
    /inside a user-defined reduction op|user_reentrant threw on rank/);

  // --- errors MPI reports
  await rejectsWith(coll.allreduce(Float64Array.of(1), new Float64Array(1), 1, datatypes.DOUBLE, predefined('MPI_BAND')),
    ErrorClass.ERR_OP, /MPI_Allreduce: .*(operation|MPI_Op)/);
  await rejectsWith(coll.reduce(Uint8Array.of(1), new Uint8Array(1), 1, datatypes.C_BOOL, predefined('MPI_SUM'), 0),
    ErrorClass.ERR_OP);
  await rejectsWith(coll.bcast(new Uint8Array(1), size + 2), ErrorClass.ERR_ROOT);
  await rejectsWith(coll.allreduce(Float64Array.of(1), new Float64Array(1), 4, datatypes.DOUBLE, predefined('MPI_SUM')),
    ErrorClass.ERR_COUNT);
});
