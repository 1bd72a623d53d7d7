/**
 * Conformance chapter: process creation (MPI-4.1 §11.8): `Get_parent`, and
 * `Spawn` of test/programs/spawn_child.ts with the intercommunicator to the
 * children (Bcast and bcast from a root, gather, point-to-point, Merge,
 * Disconnect); the children check their side. Then `Spawn` reading its
 * arguments at the root only, `Intercomm.Bcast(null, PROC_NULL)`, rounds of
 * Spawn + Disconnect past the job's spawn room (its slots are reused on shm;
 * 17 rounds there, 2 on the mpi transport, where each spawn starts processes),
 * children of test/programs/spawn_loop_child.mjs that find `Get_parent()` null
 * after `Disconnect` (they print `spawned ... parent null after Disconnect` in
 * the root-only case, and fail the job otherwise), and the empty status of a
 * null request. An SPMD program for 1 or more ranks on any transport:
 * `spawn.ts [children]` (default 2); see cases.ts for how cases run and report.
 *
 * @module
 */
import { type Intercomm, MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

const children = Number(process.argv[2] ?? 2);
const onShm = MPI.Get_library_version().includes('shm transport');
/** More rounds than the default spawn room (16) on shm, so that slots must be reused. */
const rounds = onShm ? 17 : 2;
const LOOP_CHILD = 'test/programs/spawn_loop_child.mjs';

/** One round with spawn_loop_child.mjs: rank 0 broadcasts `token`, gathers the answers, all disconnect. */
async function round(inter: Intercomm, rank: number, token: number, count: number): Promise<void> {
  if (rank === 0) {
    await inter.Bcast(Int32Array.of(token), MPI.ROOT);
    check.deepEqual(await inter.gather(undefined, MPI.ROOT), Array.from({ length: count }, (_, r) => token + r));
  } else {
    await inter.Bcast(null, MPI.PROC_NULL);
    check.equal(await inter.gather(undefined, MPI.PROC_NULL), undefined);
  }
  await inter.Disconnect();
  await check.rejectsMPI(inter.Barrier(), MPI.ERR_COMM, /freed/);
}

const cases: Case[] = [
  {
    name: 'Get_parent is null in a job that was not spawned',
    run: async () => {
      check.equal(MPI.Comm.Get_parent(), null);
    },
  },
  {
    name: 'Spawn: Bcast, bcast and gather across, point-to-point to each child, Merge, Disconnect',
    run: async (comm) => {
      const { rank, size } = comm;
      const inter = await comm.Spawn('test/programs/spawn_child.ts', ['hello', 'from parent'], children);
      check.equal(inter.remote_size, children);
      check.equal(inter.size, size);
      const root = rank === 0 ? MPI.ROOT : MPI.PROC_NULL;
      await inter.Bcast(BigInt64Array.of(10n, 20n, 30n), root);
      await inter.bcast({ task: 'square' }, root);
      const answers = await inter.gather(undefined, root);
      if (rank === 0) {
        check.deepEqual(answers, Array.from({ length: children }, (_, r) => ({ rank: r, sum: 60, args: ['hello', 'from parent'] })));
      } else {
        check.equal(answers, undefined);
      }
      if (rank === 0) {
        for (let child = 0; child < children; child++) await inter.send(child * child, child, 7);
      }
      // One intracommunicator over both jobs, parents first.
      const merged = await inter.Merge(false);
      check.equal(merged.size, size + children);
      check.equal(merged.rank, rank);
      check.equal(await merged.allreduce(1), size + children);
      merged.Free();
      await inter.Disconnect();
      await check.rejectsMPI(inter.send(1, 0), MPI.ERR_COMM, /freed/);
    },
  },
  {
    name: 'Spawn reads command, args and maxprocs at the root only; Bcast(null, PROC_NULL) on the root\'s group',
    run: async (comm) => {
      const { rank } = comm;
      // Only rank 0's arguments count: the others pass what would be invalid.
      const inter = rank === 0 ? await comm.Spawn(LOOP_CHILD, ['verbose'], children, 0) : await comm.Spawn('', [], -1, 0);
      check.equal(inter.remote_size, children);
      await round(inter, rank, 40, children);
    },
  },
  {
    name: `Spawn + Disconnect, ${rounds} rounds of one child each (past the spawn room on shm)`,
    run: async (comm) => {
      for (let i = 0; i < rounds; i++) {
        const inter = await comm.Spawn(LOOP_CHILD, [], 1);
        // Where a job that hangs stopped (Open MPI 4.1's spawn hangs now and then; see test/mpi/conformance.test.ts).
        if (!onShm) console.log(`round ${i} on rank ${comm.rank}: spawned`);
        check.equal(inter.remote_size, 1);
        await round(inter, comm.rank, 1000 + i, 1);
        if (!onShm) console.log(`round ${i} on rank ${comm.rank}: disconnected`);
      }
    },
  },
  {
    name: 'the status of a null request is empty: ANY_SOURCE, ANY_TAG, count 0',
    run: async () => {
      const status = new MPI.Status();
      await MPI.REQUEST_NULL.Wait(status);
      check.equal(status.Get_source(), MPI.ANY_SOURCE);
      check.equal(status.Get_tag(), MPI.ANY_TAG);
      check.equal(status.Get_count(MPI.BYTE), 0);
      const [flag, empty] = [MPI.REQUEST_NULL.Test(status), status.Get_source()];
      check.equal(flag, true);
      check.equal(empty, MPI.ANY_SOURCE);
    },
  },
];

await runCases('spawn', cases);
