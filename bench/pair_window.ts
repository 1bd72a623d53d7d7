// What the floor programs (bench/jit_floor.ts, bench/await_floor.ts) share: a job of exactly 2 ranks,
// an iteration count from the command line, and a `Win.Allocate_shared` window whose two segments
// each rank reads as its own and its partner's.
import { MPI, type Win } from 'mpi4ts';

export interface PairWindow {
  readonly rank: number;
  readonly iters: number;
  readonly win: Win;
  /** This rank's segment. */
  readonly own: Uint8Array;
  /** The other rank's segment. */
  readonly partner: Uint8Array;
}

/** Opens the window of `bytes` per rank for `program` (its name, for the error at another rank count). */
export async function pairWindow(program: string, bytes: number, defaultIters: number): Promise<PairWindow> {
  const comm = MPI.COMM_WORLD;
  const rank = comm.rank;
  if (comm.size !== 2) throw new Error(`${program} runs at 2 ranks (node bin/mpi4ts.js -n 2 bench/${program}.ts)`);
  const iters = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? String(defaultIters));
  const win = await MPI.Win.Allocate_shared(bytes, 1, null, comm);
  const [own, partner] = [rank, 1 - rank].map((r) => win.Shared_query(r)[0]);
  return { rank, iters, win, own: own!, partner: partner! };
}
