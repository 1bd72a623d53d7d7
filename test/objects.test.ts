// Object semantics end to end: test/programs/objects.ts in a 2-rank job, on
// the shm transport and, where the native addon is built and mpiexec is on
// the PATH, on the mpi transport (separate processes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { launch, linesStartingWith, root } from './helpers/launch.js';

const addonBuilt = existsSync(join(root, 'native/build/Release/mpi4ts_native.node'));
const haveMpiexec = spawnSync('mpiexec', ['--version'], { stdio: 'ignore' }).status === 0;
const mpiEnv = { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };

const expected = [0, 1].flatMap((i) => [
  `holes ${i}: 3 false 3`,
  `sparse ${i}: 1000001 1000000 last`,
  `named ${i}: 2 x`,
  `sab ${i}: true 1,2,3,4,5,6,7,8`,
  `view ${i}: true true 4 1027`, // bytes 3 and 4 of the shared buffer, little-endian
  `point ${i}: true 5`,
]);

for (const transport of ['shm', 'mpi'] as const) {
  const skip = transport === 'mpi' && !(addonBuilt && haveMpiexec)
    ? 'needs the native addon (npx mpi4ts build-mpi) and mpiexec' : false;
  describe(`objects through a job on the ${transport} transport`, () => {
    it('refuses an unregistered class on the sender; holes, array properties, shared memory and classes arrive', { skip }, async () => {
      // launch() passes this process's environment on to mpiexec.
      if (transport === 'mpi') Object.assign(process.env, mpiEnv);
      const result = await launch('test/programs/objects.ts', 2, [], { launcherArgs: ['--transport', transport] });
      assert.equal(result.code, 0, result.stderr);
      const [refusal] = linesStartingWith(result.stdout, 'refusal:');
      assert.ok(refusal !== undefined, result.stdout);
      for (const part of ['MPI_ERR_ARG', 'rank 0: Comm.send: cannot send value.shapes[0].centre: ', 'class Unregistered',
        'call MPI.registerClass(Unregistered) on every rank']) {
        assert.ok(refusal.includes(part), `"${refusal}" lacks "${part}"`);
      }
      const lines = result.stdout.split('\n').filter((line) => /^(holes|sparse|named|sab|view|point) /.test(line)).sort();
      assert.deepEqual(lines, expected.slice().sort());
    });
  });
}
