// The conformance runner (test/conformance/cases.ts) facing failures, for
// test/cases.test.ts. `cases_runner.ts fail`: a case fails on rank 1 only,
// between two cases that pass. `cases_runner.ts stuck`: a case fails on rank 1
// while the other ranks wait for it. `cases_runner.ts deadlock`: a case in
// which every rank waits. `cases_runner.ts empty`: a case that checks
// nothing. Run with 2 or more ranks.
import { MPI } from 'mpi4ts';
import { type Case, check, runCases } from '../conformance/cases.js';

const mode = process.argv[2] ?? 'fail';
const passing = (name: string): Case => ({
  name,
  run: async (comm) => {
    check.equal(await comm.allreduce(1), comm.size);
  },
});

const cases: Record<string, Case[]> = {
  fail: [
    passing('before'),
    {
      name: 'rank 1 sees a wrong value',
      run: async (comm) => {
        const sum = await comm.allreduce(comm.rank === 1 ? 0 : 1);
        check.equal(sum, comm.rank === 1 ? comm.size : comm.size - 1);
      },
    },
    passing('after'),
    { name: 'needs more ranks than any job of this test', minRanks: 1000, run: async () => undefined },
  ],
  stuck: [
    passing('before'),
    {
      name: 'rank 1 fails while the others wait for it',
      run: async (comm) => {
        if (comm.rank === 1) throw new Error('rank 1 gives up');
        await comm.Barrier();
      },
    },
    passing('never reached'),
  ],
  deadlock: [
    passing('before'),
    {
      name: 'rank 0 waits for a message nobody sends, the others in a barrier',
      run: async (comm) => {
        if (comm.rank === 0) await comm.recv(MPI.ANY_SOURCE, 99);
        else await comm.Barrier();
      },
    },
    passing('never reached'),
  ],
  empty: [
    { name: 'checks nothing', run: async (comm) => void await comm.Barrier() },
    passing('after'),
  ],
};

await runCases('runner', cases[mode]!);
