// A rank failure deep in the user's code: rank 1 passes a bad destination to Send in a function of
// another module, called through a helper; argv[2] = 'reject' makes rank 0 reject a Promise nobody
// awaits instead. The launcher's report must list these frames before any of mpi4ts or Node.
import { MPI } from 'mpi4ts';
import { withRetries } from './helper.js';

const comm = MPI.COMM_WORLD;

async function sendToNowhere(): Promise<void> {
  await comm.Send(new Float64Array(2), comm.size + 5, 0);
}

await comm.Barrier();
if (process.argv[2] === 'reject') {
  if (comm.rank === 0) void Promise.reject(new RangeError('rejected on purpose'));
} else if (comm.rank === 1) {
  await withRetries(sendToNowhere);
}
