// Ranks that call mismatched collectives: each mode makes one kind of
// mismatch, and the job must fail with an MPIError naming both calls. Run with 2 or more ranks:
// `collective_mismatch.ts <mode> [caught]`. With `caught`, COMM_WORLD returns errors, each rank prints the one it
// catches (`caught on rank <r>: <message>`), and the job must then end as the script does.
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const { rank } = comm;
const mode = process.argv[2] ?? 'kind';

if (process.argv[3] === 'caught') {
  comm.Set_errhandler(MPI.ERRORS_RETURN);
  try {
    await mismatch();
    console.log(`mismatch ${mode} not detected on rank ${rank}`);
  } catch (error) {
    console.log(`caught on rank ${rank}: ${(error as Error).message}`);
  }
} else {
  await mismatch();
  console.log(`mismatch ${mode} not detected on rank ${rank}`);
}

async function mismatch(): Promise<void> {
  switch (mode) {
    case 'kind': // another collective
      if (rank === 0) await comm.Bcast(new Float64Array(1), 0);
      else await comm.Barrier();
      break;
    case 'late': // another collective after a thousand calls that their fast paths finished (their Call objects serve the next)
      for (let i = 0; i < 1000; i++) await comm.Allreduce(Float64Array.of(i), new Float64Array(1), MPI.SUM);
      if (rank === 0) await comm.Bcast(new Float64Array(1), 0);
      else await comm.Barrier();
      break;
    case 'root': // another root: both think they are the root and only send, found by the next collective
      await comm.Barrier();
      await comm.Bcast(new Float64Array(1), rank === 0 ? 0 : 1);
      await comm.Barrier();
      break;
    case 'object root': // the same with values
      await comm.Barrier();
      await comm.bcast(rank, rank === 0 ? 0 : 1);
      await comm.allreduce(1);
      break;
    case 'count': // another count
      await comm.Allreduce(new Float64Array(rank === 0 ? 4 : 8), new Float64Array(8), MPI.SUM);
      break;
    case 'op': // another op
      await comm.Allreduce(new Float64Array(4), new Float64Array(4), rank === 0 ? MPI.SUM : MPI.MAX);
      break;
    case 'family': // the object form against the buffer form
      if (rank === 0) await comm.bcast({ a: 1 }, 0);
      else await comm.Bcast(new Uint8Array(8), 0);
      break;
    case 'gather': // a block of another size
      await comm.Gather(new Int32Array(rank === 1 ? 3 : 2), rank === 0 ? new Int32Array(2 * comm.size) : null, 0);
      break;
    case 'roots': // another root that no message reveals: both wait for each other
      await comm.Reduce(new Float64Array(1), new Float64Array(1), MPI.SUM, rank === 0 ? 0 : 1);
      break;
    case 'flags': // another collective against a barrier that runs on flags (after the first)
      await comm.Barrier();
      if (rank === 0) await comm.Bcast(new Float64Array(1), 0);
      else await comm.Barrier();
      break;
    case 'alloc count': // another count of MPI.alloc memory, past the short exchange (an exchange by reference)
      await comm.Allreduce(MPI.alloc(Float64Array, rank === 0 ? 1 << 18 : 1 << 19), MPI.alloc(Float64Array, 1 << 19), MPI.SUM);
      break;
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}
