/**
 * Is this process one rank of a job started by an MPI launcher?
 *
 * MPI-4.1 §11.5 (portable process startup: `mpiexec`) says nothing about how a
 * launcher tells a process about its job, so this reads what the common ones
 * set: Open MPI's `mpiexec`/`mpirun` (`OMPI_COMM_WORLD_SIZE`, and PMIx's
 * `PMIX_RANK`, also set by PRRTE and by `srun --mpi=pmix`), MPICH's Hydra and
 * Intel MPI (`PMI_RANK`, `PMI_SIZE`, `PMI_FD`, `HYDI_CONTROL_FD`), and Slurm's
 * `srun` (`SLURM_PROCID` together with a job step id or PMI/PMIx variables).
 *
 * `HYDRA_*` variables on their own are not taken as a sign: users set them
 * (`HYDRA_HOST_FILE`, `HYDRA_LAUNCHER`) in their shell profiles, where they
 * would make every plain `node script.js` look launched.
 *
 * Unfinished: launchers that set none of these (some vendor launchers);
 * `MPI4TS_TRANSPORT=mpi` is the way to insist.
 *
 * @module
 */

/** An environment, such as `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

const has = (env: Environment, key: string): boolean => {
  const v = env[key];
  return v !== undefined && v !== '';
};

/** Slurm's step ids for the batch script, the extern step and interactive allocations are not srun steps. */
function isSrunStep(id: string | undefined): boolean {
  if (id === undefined || id === '' || !/^\d+$/.test(id)) return false;
  return Number(id) < 0xfffffff0;
}

/**
 * True when `env` is the environment of a process started by `mpiexec`,
 * `mpirun` or `srun` as one rank of an MPI job; false for a plain `node`.
 *
 * Ask before loading the mpi transport: Open MPI's MPI_Init in a process that
 * no launcher started (a singleton) sets `PMIX_RANK` in this process's own
 * environment, after which the answer is true.
 *
 * @example
 * ```ts
 * launchedByMpi({ OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '0' }); // true
 * launchedByMpi({ HOME: '/root' });                                      // false
 * ```
 */
export function launchedByMpi(env: Environment = process.env): boolean {
  // Open MPI (mpiexec / mpirun, ORTE or PRRTE), and any PMIx launcher.
  if (has(env, 'OMPI_COMM_WORLD_SIZE') || has(env, 'OMPI_COMM_WORLD_RANK') || has(env, 'PMIX_RANK')) return true;
  // MPICH / Hydra, Intel MPI, MVAPICH (PMI-1 and PMI-2 wire-up).
  if (has(env, 'PMI_RANK') || has(env, 'PMI_SIZE') || has(env, 'PMI_FD') || has(env, 'HYDI_CONTROL_FD')) return true;
  // Slurm srun: a task of a job step, not the batch script itself.
  if (has(env, 'SLURM_PROCID')) {
    if (isSrunStep(env.SLURM_STEP_ID) || isSrunStep(env.SLURM_STEPID)) return true;
    if (has(env, 'PMIX_NAMESPACE') || has(env, 'SLURM_PMIX_MAPPING_SERV') || has(env, 'PMI_JOBID')) return true;
  }
  return false;
}
