// Launcher detection and the error for a missing addon. Needs no launcher and
// no MPI: `node --import tsx test/native/detect.ts`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchedByMpi } from '../../src/transport/mpi/detect.js';

// --- launchers
assert.equal(launchedByMpi({}), false);
assert.equal(launchedByMpi({ HOME: '/root', PATH: '/usr/bin' }), false);
// Open MPI mpiexec / mpirun (ORTE), and PMIx launchers
assert.equal(launchedByMpi({ OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2' }), true);
assert.equal(launchedByMpi({ PMIX_RANK: '0', PMIX_NAMESPACE: 'prterun-x-1@1' }), true);
// MPICH / Hydra, Intel MPI
assert.equal(launchedByMpi({ PMI_RANK: '1', PMI_SIZE: '4', PMI_FD: '6' }), true);
assert.equal(launchedByMpi({ PMI_SIZE: '2' }), true);
assert.equal(launchedByMpi({ HYDI_CONTROL_FD: '7' }), true);
// HYDRA_* settings alone are user configuration, not a launch
assert.equal(launchedByMpi({ HYDRA_HOST_FILE: '/etc/hosts.mpi', HYDRA_LAUNCHER: 'ssh' }), false);
// Slurm srun: a task of a numbered job step, or with PMI/PMIx
assert.equal(launchedByMpi({ SLURM_PROCID: '3', SLURM_STEP_ID: '0', SLURM_JOB_ID: '77' }), true);
assert.equal(launchedByMpi({ SLURM_PROCID: '0', SLURM_STEPID: '12' }), true);
assert.equal(launchedByMpi({ SLURM_PROCID: '1', PMIX_NAMESPACE: 'slurm.pmix.77.0' }), true);
// ... but not the batch script of sbatch, nor salloc's shell
assert.equal(launchedByMpi({ SLURM_PROCID: '0', SLURM_JOB_ID: '77' }), false);
assert.equal(launchedByMpi({ SLURM_PROCID: '0', SLURM_STEP_ID: '4294967294' }), false);
assert.equal(launchedByMpi({ SLURM_JOB_ID: '77', SLURM_STEP_ID: '0' }), false);
// empty values do not count
assert.equal(launchedByMpi({ OMPI_COMM_WORLD_SIZE: '', PMI_RANK: '' }), false);
// the default reads process.env
assert.equal(typeof launchedByMpi(), 'boolean');

// --- a missing addon: an MPIError that says how to build it
{
  const probe = `
    import { loadNative } from ${JSON.stringify(fileURLToPath(new URL('../../src/transport/mpi/native.ts', import.meta.url)))};
    try { loadNative(); console.log('loaded'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
    encoding: 'utf8',
    env: { ...process.env, MPI4TS_NATIVE: '/nonexistent/mpi4ts_native.node' },
  });
  assert.equal(r.status, 0, r.stderr);
  const err = JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string };
  assert.equal(err.name, 'MPIError');
  assert.equal(err.code, 'MPI_ERR_OTHER');
  assert.match(err.message, /not built/);
  assert.match(err.message, /npx mpi4ts build-mpi/);
}

console.log('native detect ok');
