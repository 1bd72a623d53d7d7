// Dynamic processes: a job of one rank starts three more running this same
// file; parent and children talk over an inter-communicator.
import { fileURLToPath } from 'node:url';
import { MPI } from 'mpi4ts';

interface Job {
  base: number;
}

const parent = MPI.Comm.Get_parent();
if (parent === null) {
  const children = await MPI.COMM_SELF.Spawn(fileURLToPath(import.meta.url), [], 3);
  await children.bcast<Job>({ base: 10 }, MPI.ROOT);          // ROOT: this side sends
  const answers = await children.gather(null, MPI.ROOT);      // one value per child, in rank order
  console.log(`parent got ${JSON.stringify(answers)}`);
  await children.Disconnect();
} else {
  const job = await parent.bcast<Job | null>(null, 0);        // 0: the parent's rank in its group
  await parent.gather(job!.base + MPI.COMM_WORLD.rank, 0);
  await parent.Disconnect();
}
