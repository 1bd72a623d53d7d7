/**
 * Conformance chapter: process creation (MPI-4.1 §11.8): `Get_parent`, and
 * `Spawn` of test/programs/spawn_child.ts with the intercommunicator to the
 * children (Bcast and bcast from a root, gather, point-to-point, Merge,
 * Disconnect); the children check their side. An SPMD program for 1 or more
 * ranks on any transport: `spawn.ts [children]` (default 2); see cases.ts for
 * how cases run and report.
 *
 * @module
 */
import { MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

const children = Number(process.argv[2] ?? 2);

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
];

await runCases('spawn', cases);
