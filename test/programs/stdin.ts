// Standard input on shm (src/launcher/stdin.ts): rank 0 reads the launcher's stdin, the others an empty
// stream. Mode (first argument): `all` (rank 0 reads every line), `one` (rank 0 takes the first line of
// the first chunk and leaves the loop, which destroys the stream), `pause` (rank 0 reads one line with
// readline, then closes it and pauses stdin), `none` (nobody reads), `other` (rank 1 reads its own
// stdin). Rank 0's lines go to every rank, which prints how many it has and the first and last.
import { createInterface } from 'node:readline';
import { MPI } from 'mpi4ts';

const comm = MPI.COMM_WORLD;
const mode = process.argv[2] ?? 'all';
let lines: string[] = [];
if (comm.rank === 0 && (mode === 'all' || mode === 'pause')) {
  const reader = createInterface({ input: process.stdin });
  for await (const line of reader) {
    lines.push(line);
    if (mode === 'pause') break;
  }
  reader.close();
  process.stdin.pause();
}
if (comm.rank === 0 && mode === 'one') {
  for await (const chunk of process.stdin) {
    lines.push(String(chunk).split('\n')[0]!);
    break;
  }
}
if (comm.rank === 1 && mode === 'other') {
  let bytes = 0;
  for await (const chunk of process.stdin) bytes += (chunk as Buffer).length;
  console.log(`rank 1 read ${bytes} bytes`);
}
lines = (await comm.bcast(lines, 0))!;
console.log(`rank ${comm.rank}: ${lines.length} lines, first ${lines[0]}, last ${lines.at(-1)}`);
