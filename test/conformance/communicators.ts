/**
 * Conformance chapter: groups, communicators and intercommunicators (MPI-4.1
 * chapter 7, without topologies, which are in topology.ts, and without
 * Spawn, in spawn.ts): Dup, Clone, Split, Split_type, Create, Create_group,
 * group calls, names and comparison, Free; intercommunicators with their
 * point-to-point, collectives (Reduce_scatter with per-rank counts, and
 * Alltoallw, too), argument errors, Dup, Split, Create, Merge and
 * Disconnect. An SPMD program for 1 or more ranks on any transport; see
 * cases.ts for how cases run and report.
 *
 * @module
 */
import { type Intercomm, type Intracomm, MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

// Every case runs on a Dup of COMM_WORLD: the same ranks and size.
const { rank, size } = MPI.COMM_WORLD;

/** An intercommunicator between the lower and the upper half of `comm`'s ranks, and what each side expects. */
async function halves(comm: Intracomm) {
  const color = rank < size / 2 ? 0 : 1;
  const half = (await comm.Split(color, rank))!;
  const remoteLeader = color === 0 ? Math.ceil(size / 2) : 0;
  const inter = await half.Create_intercomm(0, comm, remoteLeader, 12);
  const remoteSize = color === 0 ? size - Math.ceil(size / 2) : Math.ceil(size / 2);
  const expectedRemote = color === 0 ? Array.from({ length: remoteSize }, (_, i) => Math.ceil(size / 2) + i)
    : Array.from({ length: remoteSize }, (_, i) => i);
  /** What this rank passes as root when local rank `at` of group `rootColor` is the root. */
  const rootArg = (rootColor: number, at: number): number =>
    color === rootColor ? (inter.rank === at ? MPI.ROOT : MPI.PROC_NULL) : at;
  return { color, half, remoteLeader, inter, remoteSize, expectedRemote, rootArg };
}

/** The sizes of the two groups of {@link halves}. */
const halfSizes = [Math.ceil(size / 2), size - Math.ceil(size / 2)] as const;
/** The world rank of local rank `r` of group `g` of {@link halves}. */
const worldOf = (g: number, r: number): number => (g === 0 ? r : halfSizes[0] + r);

/**
 * What a Split of the {@link halves} intercommunicator gives this rank (of
 * group `g`, local rank `r`) when local rank `r'` of group `g'` passes
 * `pick(g', r')` as [color, key], computed apart from the library: the local
 * and remote world ranks in rank order, or null.
 */
function expectedSplit(pick: (g: number, r: number) => readonly [number, number], g: number, r: number):
  { local: number[]; remote: number[] } | null {
  const [color] = pick(g, r);
  if (color === MPI.UNDEFINED) return null;
  const side = (h: number): number[] => Array.from({ length: halfSizes[h]! }, (_, q) => q)
    .filter((q) => pick(h, q)[0] === color)
    .sort((a, b) => pick(h, a)[1] - pick(h, b)[1] || a - b)
    .map((q) => worldOf(h, q));
  const remote = side(1 - g);
  return remote.length === 0 ? null : { local: side(g), remote };
}

/** Checks an intercommunicator made by Split or Create against {@link expectedSplit}, with a message across it, then frees it. */
async function checkSplit(got: Intercomm | null, expected: { local: number[]; remote: number[] } | null): Promise<void> {
  if (expected === null) {
    check.equal(got, null);
    return;
  }
  check.ok(got instanceof MPI.Intercomm, 'a Split of an Intercomm is an Intercomm');
  check.deepEqual([got.size, got.rank, got.remote_size], [expected.local.length, expected.local.indexOf(rank), expected.remote.length]);
  check.equal(got.Get_group().size, expected.local.length);
  check.equal(got.Get_remote_group().size, expected.remote.length);
  // the remote group's world ranks in its rank order, and a message between the two leaders
  check.deepEqual(await got.allgather(rank), expected.remote);
  if (got.rank === 0) {
    await got.send(`leader ${rank}`, 0, 3);
    check.equal(await got.recv(0, 3), `leader ${expected.remote[0]}`);
  }
  got.Free();
}

/** Receive counts of a group of `m` ranks over `n` elements: group 0 [1, 2, ..., rest], group 1 [0, 1, ..., rest]. */
function countsOf(g: number, m: number, n: number): number[] {
  const counts = Array.from({ length: m }, (_, i) => (g === 0 ? i + 1 : i));
  counts[m - 1] = n - counts.slice(0, m - 1).reduce((a, b) => a + b, 0);
  return counts;
}

const cases: Case[] = [
  {
    name: 'Dup, Clone, Split with keys and UNDEFINED, Split_type, names, Compare, Free',
    run: async (comm) => {
      const dup = await comm.Dup();
      check.equal(dup.size, size);
      check.equal(dup.rank, rank);
      check.equal(comm.Compare(comm), MPI.IDENT);
      check.equal(comm.Compare(dup), MPI.CONGRUENT);
      dup.Set_name('my dup');
      check.equal(dup.Get_name(), 'my dup');
      const clone = await comm.Clone();
      check.equal(clone.Compare(dup), MPI.CONGRUENT);

      // reverse order: key = -rank
      const reversed = await comm.Split(0, -rank);
      check.equal(reversed!.rank, size - 1 - rank);
      check.equal(comm.Compare(reversed!), size > 1 ? MPI.SIMILAR : MPI.CONGRUENT);

      const parity = await comm.Split(rank % 2, rank);
      check.equal(parity!.size, rank % 2 === 0 ? Math.ceil(size / 2) : Math.floor(size / 2));
      check.equal(parity!.rank, Math.floor(rank / 2));
      // traffic stays inside its communicator
      const total = await parity!.allreduce(rank);
      let expected = 0;
      for (let r = rank % 2; r < size; r += 2) expected += r;
      check.equal(total, expected);
      check.equal(comm.Compare(parity!), size > 1 ? MPI.UNEQUAL : MPI.CONGRUENT);

      const firstOnly = await comm.Split(rank === 0 ? 0 : MPI.UNDEFINED);
      if (rank === 0) check.equal(firstOnly!.size, 1);
      else check.equal(firstOnly, null);

      const typeShared = await comm.Split_type(MPI.COMM_TYPE_SHARED);
      check.equal(typeShared!.size, size);

      await check.rejectsMPI(comm.Split(-5), MPI.ERR_ARG, /invalid color -5/);
      await check.rejectsMPI(comm.Split(1.5), MPI.ERR_ARG, /invalid color 1.5/);

      dup.Free();
      check.throwsMPI(() => dup.rank, MPI.ERR_COMM, /freed/);
      await check.rejectsMPI(dup.Barrier(), MPI.ERR_COMM, /has been freed/);
      await check.rejectsMPI(dup.Dup(), MPI.ERR_COMM, /has been freed/);
      check.throwsMPI(() => MPI.COMM_WORLD.Free(), MPI.ERR_COMM);

      // What is pending on a communicator when it is freed completes normally (MPI-4.1 §7.4.3): a value receive
      // and a buffer receive, their messages sent before the Free and after.
      const doomed = await comm.Dup();
      const [left, right] = [(rank + size - 1) % size, (rank + 1) % size];
      const value = doomed.irecv(left, 5);
      const buffer = new Int32Array(1);
      const buffered = doomed.Irecv(buffer, left, 6);
      const late = doomed.irecv(left, 7);
      await doomed.send(`from ${rank}`, right, 5);
      const sends = [doomed.Isend(Int32Array.of(rank), right, 6), doomed.isend(`late ${rank}`, right, 7)];
      doomed.Free();
      await MPI.Request.Waitall(sends);
      check.equal(await value.wait(), `from ${left}`);
      await buffered.Wait();
      check.equal(buffer[0], left);
      check.equal(await late.wait(), `late ${left}`);

      // Nonblocking collectives pending at the Free complete too (under Open MPI, MPI_Comm_free then crashed
      // libnbc): a barrier, a broadcast, reductions with a predefined and a user op; then a collective elsewhere.
      const freedEarly = await comm.Dup();
      const barrier = freedEarly.Ibarrier();
      const bcast = Float64Array.of(rank, rank);
      const bcasting = freedEarly.Ibcast(bcast, size - 1);
      const sum = new Float64Array(2);
      const summing = freedEarly.Iallreduce(Float64Array.of(rank, 1), sum, MPI.SUM);
      const userMax = MPI.Op.Create((inv: Float64Array, inout: Float64Array) => {
        for (let i = 0; i < inout.length; i++) inout[i] = Math.max(inv[i]!, inout[i]!);
      }, true);
      const max = new Float64Array(1);
      const maxing = freedEarly.Iallreduce(Float64Array.of(rank), max, userMax);
      freedEarly.Free();
      await MPI.Request.Waitall([barrier, bcasting, summing, maxing]);
      check.deepEqual([...bcast], [size - 1, size - 1]);
      check.deepEqual([...sum], [(size * (size - 1)) / 2, size]);
      check.equal(max[0], size - 1);
      await comm.Barrier();
      check.equal(await comm.allreduce(1), size);
    },
  },
  {
    name: 'Free with value collectives pending, on a Dup and on an intercommunicator: they complete with their values',
    minRanks: 2,
    run: async (comm) => {
      // MPI-4.1 §7.4.3: what is pending at a Free completes normally. Rank 0 calls only once every other rank has
      // freed with its calls pending (under Open MPI they then failed: "(collective channel) has been freed").
      const { half, inter, expectedRemote } = await halves(comm);
      const dup = await comm.Dup();
      if (rank === 0) for (let r = 1; r < size; r++) check.equal(await comm.recv(r, 3), `freed ${r}`);
      const bcasting = dup.bcast(rank === 0 ? { from: 0 } : undefined, 0);
      const gathering = dup.gather(`rank ${rank}`, size - 1);
      const summing = dup.allreduce(rank, MPI.SUM);
      const [left, right] = [(rank + size - 1) % size, (rank + 1) % size];
      const receiving = dup.irecv(left, 4);
      const sending = dup.isend(`to ${right}`, right, 4);
      const across = inter.allgather(rank);
      const remoteSum = inter.allreduce(rank, MPI.SUM);
      // A buffer reduction crosses between the leaders, then each fans out in its group on a channel of its own.
      const remoteSums = new Float64Array(1);
      const reducing = inter.Iallreduce(Float64Array.of(rank), remoteSums, MPI.SUM);
      dup.Free();
      inter.Free();
      if (rank !== 0) await comm.send(`freed ${rank}`, 0, 3);
      check.deepEqual(await bcasting, { from: 0 });
      check.deepEqual(await gathering, rank === size - 1 ? Array.from({ length: size }, (_, r) => `rank ${r}`) : undefined);
      check.equal(await summing, (size * (size - 1)) / 2);
      await sending.wait();
      check.equal(await receiving.wait(), `to ${rank}`);
      check.deepEqual(await across, expectedRemote);
      check.equal(await remoteSum, expectedRemote.reduce((a, b) => a + b, 0));
      await reducing.Wait();
      check.equal(remoteSums[0], expectedRemote.reduce((a, b) => a + b, 0));
      half.Free();
      check.equal(await MPI.COMM_WORLD.allreduce(rank, MPI.SUM), (size * (size - 1)) / 2);
    },
  },
  {
    name: 'groups: Incl, Excl, Range_incl, set operations, Compare, Translate_ranks; Create and Create_group',
    // Translates world rank 1 and the odd ranks' group.
    minRanks: 2,
    run: async (comm) => {
      const group = comm.Get_group();
      check.equal(group.size, size);
      check.equal(group.rank, rank);
      const evens = group.Incl(Array.from({ length: Math.ceil(size / 2) }, (_, i) => 2 * i));
      const odds = group.Excl(Array.from({ length: Math.ceil(size / 2) }, (_, i) => 2 * i));
      check.equal(evens.size + odds.size, size);
      check.equal(evens.rank, rank % 2 === 0 ? rank / 2 : MPI.UNDEFINED);
      check.equal(MPI.Group.Union(odds, evens).size, size);
      // evens then odds: the world's order only when there is at most one of each
      check.equal(evens.Union(odds).Compare(group), size > 2 ? MPI.SIMILAR : MPI.IDENT);
      check.equal(group.Intersection(evens).Compare(evens), MPI.IDENT);
      check.equal(group.Difference(evens).Compare(odds), MPI.IDENT);
      check.equal(evens.Compare(odds), MPI.UNEQUAL);
      check.deepEqual(evens.Translate_ranks([0], group), [0]);
      check.deepEqual(group.Translate_ranks([0, 1], evens), [0, MPI.UNDEFINED]);
      check.deepEqual(group.Range_incl([[size - 1, 0, -1]]).Translate_ranks(undefined, group),
        Array.from({ length: size }, (_, i) => size - 1 - i));
      check.throwsMPI(() => group.Incl([size]), MPI.ERR_RANK);
      // A triplet whose stride walks away from its last rank: ERR_RANK, as in Open MPI (MPICH refuses it with ERR_ARG)
      check.throwsMPI(() => group.Range_incl([[1, 0, 1]]), MPI.ERR_RANK, /Group\.Range_incl: range \[1, 0, 1\] never reaches/);
      check.throwsMPI(() => group.Range_excl([[0, 1, -1]]), MPI.ERR_RANK, /Group\.Range_excl: range \[0, 1, -1\]/);
      check.equal(group.Range_incl([[1, 1, -1]]).size, 1);
      check.throwsMPI(() => group.Incl([0, 0]), MPI.ERR_RANK, /Group\.Incl: rank 0 appears twice/);
      // repeated ranks, PROC_NULL kept, the world's group by default (mpi4py)
      check.deepEqual(group.Translate_ranks([0, 0, MPI.PROC_NULL, size - 1, 0], evens),
        [0, 0, MPI.PROC_NULL, (size - 1) % 2 === 0 ? (size - 1) / 2 : MPI.UNDEFINED, 0]);
      check.deepEqual(odds.Translate_ranks([0, 0]), [1, 1]);
      check.deepEqual(evens.Translate_ranks(), Array.from({ length: evens.size }, (_, i) => 2 * i));
      check.deepEqual(group.Translate_ranks(null, null), Array.from({ length: size }, (_, i) => i));
      check.throwsMPI(() => group.Translate_ranks([size], evens), MPI.ERR_RANK);

      // Create: collective over world, null outside the group
      const evenComm = await comm.Create(evens);
      if (rank % 2 === 0) {
        check.equal(evenComm!.size, evens.size);
        check.equal(evenComm!.rank, rank / 2);
        check.deepEqual(await evenComm!.allgather(rank), Array.from({ length: evens.size }, (_, i) => 2 * i));
      } else {
        check.equal(evenComm, null);
      }
      // Create_group: only members call
      if (rank % 2 === 1) {
        const oddComm = await comm.Create_group(odds, 5);
        check.equal(oddComm.size, odds.size);
        check.equal(await oddComm.bcast(rank === 1 ? 'from 1' : undefined, 0), 'from 1');
      }
      await comm.Barrier();
    },
  },
  {
    name: 'Split leaving out rank 0, and leaving out every rank',
    run: async (comm) => {
      const rest = await comm.Split(rank === 0 ? MPI.UNDEFINED : 1, 0);
      if (rank === 0) {
        check.equal(rest, null);
      } else {
        check.ok(rest !== null);
        check.equal(rest.size, size - 1);
        check.equal(rest.rank, rank - 1);
        check.deepEqual(rest.Get_group().Translate_ranks([0], comm.Get_group()), [1]);
        check.equal(await rest.allreduce(rank), (size * (size - 1)) / 2);
        rest.Free();
      }
      check.equal(await comm.Split(MPI.UNDEFINED, 0), null);
    },
  },
  {
    name: 'messages on one communicator never match receives on another',
    minRanks: 2,
    run: async (comm) => {
      const dup = await comm.Dup();
      const split = (await comm.Split(0, rank))!;
      const clone = await comm.Clone();
      const contexts: [string, Intracomm][] = [['comm', comm], ['dup', dup], ['split', split], ['clone', clone]];
      if (rank === 0) {
        // Receives with the same wildcards on all four: each must get the message sent on its own.
        const receives = contexts.map(([, c]) => c.irecv(MPI.ANY_SOURCE, MPI.ANY_TAG));
        for (const [i, receive] of receives.entries()) check.equal(await receive.wait(), `to ${contexts[i]![0]}`);
      } else if (rank === 1) {
        // Sent in the reverse order, so that a wrong match would show.
        for (const [name, c] of [...contexts].reverse()) await c.send(`to ${name}`, 0, 0);
      }
      for (const c of [dup, split, clone]) c.Free();
    },
  },
  {
    name: 'many Splits and Frees in a row run out of nothing',
    run: async (comm) => {
      for (let i = 0; i < 50; i++) {
        const c = (await comm.Split(rank % 3, rank))!;
        await c.Barrier();
        c.Free();
      }
      check.equal(await comm.allreduce(1), size);
    },
  },
  {
    name: 'Create_group of the even ranks in reverse order, called by them only',
    run: async (comm) => {
      const evens = Array.from({ length: size }, (_, r) => r).filter((r) => r % 2 === 0).reverse();
      if (rank % 2 === 0) {
        const group = comm.Get_group().Incl(evens);
        const c = await comm.Create_group(group, 5);
        check.equal(c.size, evens.length);
        check.equal(c.rank, evens.indexOf(rank));
        check.deepEqual(c.Get_group().Translate_ranks(undefined, comm.Get_group()), evens);
        check.equal(await c.bcast(c.rank === 0 ? `from ${rank}` : undefined, 0), `from ${evens[0]}`);
        c.Free();
      }
      check.equal(await comm.allreduce(1), size);
    },
  },
  {
    name: 'intercommunicator of the even and the odd ranks: rank i talks to remote rank i; Merge order',
    minRanks: 2,
    run: async (comm) => {
      const half = (await comm.Split(rank % 2, rank))!;
      const inter = await half.Create_intercomm(0, comm, rank % 2 === 0 ? 1 : 0, 77);
      const all = Array.from({ length: size }, (_, r) => r);
      const odds = all.filter((r) => r % 2 === 1);
      const evens = all.filter((r) => r % 2 === 0);
      const mine = rank % 2 === 0 ? evens : odds;
      const remote = rank % 2 === 0 ? odds : evens;
      check.equal(inter.size, mine.length);
      check.equal(inter.rank, mine.indexOf(rank));
      check.equal(inter.remote_size, remote.length);
      check.deepEqual(inter.Get_remote_group().Translate_ranks(undefined, comm.Get_group()), remote);
      if (inter.rank < inter.remote_size) {
        const into = new Int32Array(2);
        const s = new MPI.Status();
        const send = inter.Isend(Int32Array.of(rank, 7), inter.rank, 3);
        await inter.Recv(into, inter.rank, 3, s);
        await send.Wait();
        check.deepEqual(Array.from(into), [remote[inter.rank]!, 7]);
        check.deepEqual([s.Get_source(), s.Get_tag(), s.Get_count()], [inter.rank, 3, 8]);
        check.equal(inter.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG), false);
      }
      const merged = await inter.Merge(rank % 2 === 1);
      check.equal(merged.size, size);
      const order = [...evens, ...odds];
      check.equal(merged.rank, order.indexOf(rank));
      check.deepEqual(merged.Get_group().Translate_ranks(undefined, comm.Get_group()), order);
      check.equal(await merged.allreduce(rank), (size * (size - 1)) / 2);
      merged.Free();
      await inter.Disconnect();
      half.Free();
    },
  },
  {
    name: 'intercommunicator of two halves: sizes, remote group, point-to-point, Bcast and value collectives',
    minRanks: 2,
    run: async (comm) => {
      const { color, half, remoteLeader, inter, remoteSize, expectedRemote } = await halves(comm);
      check.equal(inter.remote_size, remoteSize);
      check.equal(inter.size, half.size);
      check.equal(inter.Get_remote_group().size, remoteSize);
      // point-to-point addresses the remote group
      if (inter.rank === 0) {
        await inter.send({ from: rank }, 0, 4);
        check.deepEqual(await inter.recv(0, 4), { from: remoteLeader });
      }
      // Bcast with ROOT / PROC_NULL on the root side
      const buf = new Float64Array(3);
      if (color === 0) {
        if (inter.rank === 0) buf.set([1.5, 2.5, 3.5]);
        await inter.Bcast(buf, inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
      } else {
        // The receiving group's root is the remote rank 0 by default, as in mpi4py.
        await inter.Bcast(buf);
        check.deepEqual(Array.from(buf), [1.5, 2.5, 3.5]);
      }
      const value = await inter.bcast(color === 1 && inter.rank === 0 ? 'from group 1' : undefined,
        color === 1 ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0);
      if (color === 0) check.equal(value, 'from group 1');
      const remoteRanks = await inter.allgather(rank);
      check.deepEqual(remoteRanks, expectedRemote);
      check.equal(await inter.allreduce(rank), expectedRemote.reduce((a, b) => a + b, 0));
      // A function of two values serves as the op, folded in the remote group's rank order.
      check.equal(await inter.allreduce(`<${rank}>`, (a: string, b: string) => `${a}${b}`),
        expectedRemote.map((r) => `<${r}>`).join(''), 'allreduce with a function as the op');
      const gathered = color === 0 ? await inter.gather(rank, inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : await inter.gather(rank);
      if (color === 0 && inter.rank === 0) check.deepEqual(gathered, expectedRemote);
      else check.equal(gathered, undefined);
      const scattered = await inter.scatter(color === 0 && inter.rank === 0 ? expectedRemote.map((r) => r * 2) : undefined,
        color === 0 ? (inter.rank === 0 ? MPI.ROOT : MPI.PROC_NULL) : 0);
      if (color === 1) check.equal(scattered, rank * 2);
      // Dup and Idup: the same two groups on contexts of their own; a message on one never matches on another
      const copy = await inter.Dup();
      const [again, dupped] = await inter.Idup();
      await dupped.Wait();
      for (const c of [copy, again]) {
        check.ok(c instanceof MPI.Intercomm, 'an Intercomm\'s Dup is an Intercomm');
        check.deepEqual([c.size, c.rank, c.remote_size], [inter.size, inter.rank, inter.remote_size]);
        check.equal(c.Compare(inter), MPI.CONGRUENT);
      }
      if (inter.rank === 0) {
        const onInter = inter.irecv(0, 9);
        await copy.send(`copy ${rank}`, 0, 9);
        await again.send(`again ${rank}`, 0, 9);
        check.deepEqual([await copy.recv(0, 9), await again.recv(0, 9)], [`copy ${remoteLeader}`, `again ${remoteLeader}`]);
        await inter.send(`inter ${rank}`, 0, 9);
        check.equal(await onInter.wait(), `inter ${remoteLeader}`);
      }
      check.deepEqual(await copy.allgather(rank), expectedRemote);
      check.equal(await again.allreduce(1), remoteSize);
      copy.Free();
      again.Free();
    },
  },
  {
    name: 'intercommunicator nonblocking collectives: every I-form, started together, completes with the blocking result',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize, expectedRemote, rootArg } = await halves(comm);
      const remoteSum = expectedRemote.reduce((a, b) => a + b, 0);
      const bcast = new Int32Array(2);
      if (color === 0 && inter.rank === 0) bcast.set([7, 8]);
      const gathered = new Int32Array(remoteSize).fill(-1);
      const gatheredV = new Int32Array(remoteSize).fill(-1);
      const scatterOut = Int32Array.from(expectedRemote, (r) => r * 3);
      const scattered = new Int32Array(1).fill(-1);
      const scatteredV = new Int32Array(1).fill(-1);
      const all = new Int32Array(remoteSize);
      const allV = new Int32Array(remoteSize);
      const toEach = Int32Array.from({ length: remoteSize }, (_, i) => rank * 100 + i);
      const fromEach = new Int32Array(remoteSize);
      const fromEachV = new Int32Array(remoteSize);
      const reduced = new Int32Array(1).fill(-1);
      const allReduced = new Int32Array(1);
      const blockIn = Int32Array.from({ length: inter.size }, (_, i) => rank + i);
      const block = new Int32Array(1);
      const rootOf0 = rootArg(0, 0);
      const requests = [
        inter.Ibarrier(),
        inter.Ibcast(bcast, rootOf0),
        inter.Igather(color === 1 ? Int32Array.of(rank) : null, color === 0 && inter.rank === 0 ? gathered : null, rootOf0),
        inter.Igatherv(color === 1 ? Int32Array.of(rank) : null,
          color === 0 && inter.rank === 0 ? [gatheredV, [expectedRemote.map(() => 1), expectedRemote.map((_, i) => i)], MPI.INT] : null,
          rootOf0),
        inter.Iscatter(color === 0 && inter.rank === 0 ? scatterOut : null, color === 1 ? scattered : null, rootOf0),
        inter.Iscatterv(color === 0 && inter.rank === 0 ? [scatterOut, [expectedRemote.map(() => 1), expectedRemote.map((_, i) => i)], MPI.INT] : null,
          color === 1 ? scatteredV : null, rootOf0),
        inter.Iallgather(Int32Array.of(rank), all),
        inter.Iallgatherv(Int32Array.of(rank), [allV, [expectedRemote.map(() => 1), expectedRemote.map((_, i) => i)], MPI.INT]),
        inter.Ialltoall(toEach, fromEach),
        inter.Ialltoallv([toEach, [expectedRemote.map(() => 1), expectedRemote.map((_, i) => i)], MPI.INT],
          [fromEachV, [expectedRemote.map(() => 1), expectedRemote.map((_, i) => i)], MPI.INT]),
        inter.Ireduce(color === 1 ? Int32Array.of(rank) : null, color === 0 && inter.rank === 0 ? reduced : null, MPI.SUM, rootOf0),
        inter.Iallreduce(Int32Array.of(rank), allReduced, MPI.SUM),
      ];
      const blockwise = remoteSize === inter.size
        ? inter.Ireduce_scatter_block(blockIn, block, MPI.SUM) : undefined;
      await MPI.Request.Waitall(requests);
      if (color === 1) check.deepEqual(Array.from(bcast), [7, 8], 'Ibcast');
      if (color === 0 && inter.rank === 0) {
        check.deepEqual(Array.from(gathered), expectedRemote, 'Igather');
        check.deepEqual(Array.from(gatheredV), expectedRemote, 'Igatherv');
        check.equal(reduced[0], remoteSum, 'Ireduce');
      } else {
        check.equal(reduced[0], -1, 'Ireduce leaves a PROC_NULL buffer untouched');
      }
      if (color === 1) {
        check.equal(scattered[0], rank * 3, 'Iscatter');
        check.equal(scatteredV[0], rank * 3, 'Iscatterv');
      }
      check.deepEqual(Array.from(all), expectedRemote, 'Iallgather');
      check.deepEqual(Array.from(allV), expectedRemote, 'Iallgatherv');
      check.deepEqual(Array.from(fromEach), expectedRemote.map((r) => r * 100 + inter.rank), 'Ialltoall');
      check.deepEqual(Array.from(fromEachV), expectedRemote.map((r) => r * 100 + inter.rank), 'Ialltoallv');
      check.equal(allReduced[0], remoteSum, 'Iallreduce');
      if (blockwise !== undefined) {
        await blockwise.Wait();
        check.equal(block[0], remoteSum + remoteSize * inter.rank, 'Ireduce_scatter_block');
      }
      // a bad argument fails the I-form's Request, naming it
      await check.rejectsMPI(inter.Ibcast(bcast, remoteSize + 5).Wait(), MPI.ERR_ROOT, /Intercomm\.Ibcast: invalid root/);
    },
  },
  {
    name: 'intercommunicator persistent collectives: each *_init started in rounds that read new contents, Startall, a bad root failing its round',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize, expectedRemote, rootArg } = await halves(comm);
      const lastOf0 = halfSizes[0] - 1;
      const lastOf1 = halfSizes[1] - 1;
      // What world rank r contributes in round t; every send buffer is refilled from it before the round starts.
      const v = (r: number, t: number): number => 10 * r + t;
      const remoteTotal = (t: number): number => expectedRemote.reduce((a, r) => a + v(r, t), 0);
      const mine = new Int32Array(1);
      const bcast = new Int32Array(2);
      const bcastRoot = rootArg(1, lastOf1);
      const reduceOut = new Int32Array(2);
      const reduced = new Int32Array(2);
      const reduceRoot = rootArg(0, 0);
      const allReduced = new Int32Array(1);
      const all = new Int32Array(remoteSize);
      const toEach = new Int32Array(remoteSize);
      const fromEach = new Int32Array(remoteSize);
      const gathered = new Int32Array(remoteSize);
      const gatherRoot = rootArg(1, 0);
      const scatterOut = new Int32Array(remoteSize);
      const scattered = new Int32Array(1);
      const scatterRoot = rootArg(0, lastOf0);
      const blockOut = new Int32Array(inter.size * remoteSize);
      const block = new Int32Array(remoteSize);
      const counts = countsOf(color, inter.size, 6);
      const start = counts.slice(0, inter.rank).reduce((a, b) => a + b, 0);
      const pieceOut = new Int32Array(6);
      const piece = new Int32Array(counts[inter.rank]!);
      const requests = {
        barrier: inter.Barrier_init(),
        bcast: inter.Bcast_init(bcast, bcastRoot),
        reduce: inter.Reduce_init(color === 1 ? reduceOut : null, color === 0 ? reduced : null, MPI.SUM, reduceRoot),
        allreduce: inter.Allreduce_init(mine, allReduced, MPI.SUM),
        allgather: inter.Allgather_init(mine, all),
        alltoall: inter.Alltoall_init(toEach, fromEach),
        gather: inter.Gather_init(color === 0 ? mine : null, color === 1 ? gathered : null, gatherRoot),
        scatter: inter.Scatter_init(color === 0 ? scatterOut : null, color === 1 ? scattered : null, scatterRoot),
        reduceScatterBlock: inter.Reduce_scatter_block_init(blockOut, block, MPI.SUM),
        reduceScatter: inter.Reduce_scatter_init(pieceOut, piece, counts, MPI.SUM),
      };
      const fill = (t: number): void => {
        mine[0] = v(rank, t);
        if (bcastRoot === MPI.ROOT) bcast.set([7 * t, 7 * t + 1]);
        else bcast.fill(-1);
        reduceOut.set([v(rank, t), t]);
        reduced.fill(-1);
        allReduced.fill(-1);
        all.fill(-1);
        toEach.set(expectedRemote.map((_, j) => 100 * v(rank, t) + j));
        fromEach.fill(-1);
        gathered.fill(-1);
        scatterOut.set(expectedRemote.map((_, i) => 1000 * t + i));
        scattered.fill(-1);
        blockOut.set(Array.from(blockOut, (_, k) => 100 * v(rank, t) + k));
        block.fill(-1);
        pieceOut.set(Array.from(pieceOut, (_, k) => v(rank, t) + k));
        piece.fill(-1);
      };
      const verify = (t: number): void => {
        // PROC_NULL ranks' buffers stay as they were: -1 (the root's own keeps what it sent)
        check.deepEqual(Array.from(bcast), color === 0 || bcastRoot === MPI.ROOT ? [7 * t, 7 * t + 1] : [-1, -1], `Bcast_init round ${t}`);
        check.deepEqual(Array.from(reduced), reduceRoot === MPI.ROOT ? [remoteTotal(t), remoteSize * t] : [-1, -1], `Reduce_init round ${t}`);
        check.equal(allReduced[0], remoteTotal(t), `Allreduce_init round ${t}`);
        check.deepEqual(Array.from(all), expectedRemote.map((r) => v(r, t)), `Allgather_init round ${t}`);
        check.deepEqual(Array.from(fromEach), expectedRemote.map((r) => 100 * v(r, t) + inter.rank), `Alltoall_init round ${t}`);
        check.deepEqual(Array.from(gathered), gatherRoot === MPI.ROOT ? expectedRemote.map((r) => v(r, t)) : new Array<number>(remoteSize).fill(-1),
          `Gather_init round ${t}`);
        check.deepEqual(Array.from(scattered), [color === 1 ? 1000 * t + inter.rank : -1], `Scatter_init round ${t}`);
        check.deepEqual(Array.from(block), Array.from(block, (_, j) => 100 * remoteTotal(t) + remoteSize * (inter.rank * remoteSize + j)),
          `Reduce_scatter_block_init round ${t}`);
        check.deepEqual(Array.from(piece), Array.from(piece, (_, j) => remoteTotal(t) + remoteSize * (start + j)), `Reduce_scatter_init round ${t}`);
      };
      const every = Object.values(requests);
      // round 1: one at a time; round 2: all started, then one Waitall
      fill(1);
      for (const request of every) {
        request.Start();
        await request.Wait();
      }
      verify(1);
      fill(2);
      for (const request of every) request.Start();
      check.equal(every.every((r) => r.isActive), true);
      await MPI.Request.Waitall(every);
      check.equal(every.some((r) => r.isActive), false);
      verify(2);
      // round 3: Prequest.Startall over two of them
      fill(3);
      MPI.Prequest.Startall([requests.allreduce, requests.alltoall]);
      await MPI.Request.Waitall([requests.allreduce, requests.alltoall]);
      check.equal(allReduced[0], remoteTotal(3), 'Allreduce_init by Startall');
      check.deepEqual(Array.from(fromEach), expectedRemote.map((r) => 100 * v(r, 3) + inter.rank), 'Alltoall_init by Startall');
      for (const request of every) request.Free();
      // a bad root fails each round at its Wait, checked anew at every Start; the intercommunicator still works after it
      const bad = inter.Bcast_init(bcast, remoteSize + 5);
      bad.Start();
      await check.rejectsMPI(bad.Wait(), MPI.ERR_ROOT, /Intercomm\.Bcast_init: invalid root/);
      bad.Start();
      await check.rejectsMPI(bad.Wait(), MPI.ERR_ROOT, /Intercomm\.Bcast_init: invalid root/);
      bad.Free();
      check.equal(await inter.allreduce(1), remoteSize);
    },
  },
  {
    name: 'intercommunicator buffer collectives: roots at either end of either group, PROC_NULL buffers untouched',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize, expectedRemote, rootArg } = await halves(comm);
      // Buffer collectives. Roots sit at either end of either group (not only
      // the leaders); PROC_NULL ranks' buffers must stay untouched.
      const remoteWorld = (i: number): number => expectedRemote[i]!;
      const remoteSum = expectedRemote.reduce((a, b) => a + b, 0);
      const sentinel = (n: number): Int32Array => new Int32Array(n).fill(-1);
      const untouched = (buf: Int32Array): void => check.ok(buf.every((v) => v === -1), `PROC_NULL buffer changed: ${buf}`);
      const lastOf0 = Math.ceil(size / 2) - 1;
      const lastOf1 = size - Math.ceil(size / 2) - 1;
      {
        // Gather: root is group 0's leader
        const root = rootArg(0, 0);
        const recv = root === MPI.ROOT ? new Int32Array(2 * remoteSize) : sentinel(2 * remoteSize);
        await inter.Gather(color === 1 ? Int32Array.of(rank, rank * 10) : null, color === 0 ? recv : null, root);
        if (root === MPI.ROOT) check.deepEqual(Array.from(recv), expectedRemote.flatMap((r) => [r, r * 10]));
        else untouched(recv);
      }
      {
        // Gatherv: root is group 1's last rank; remote rank i sends i + 1 elements, blocks one apart
        const root = rootArg(1, lastOf1);
        const counts = expectedRemote.map((_, i) => i + 1);
        const displs = counts.map((_, i) => (i * (i + 1)) / 2 + i);
        const recv = sentinel(displs[remoteSize - 1]! + counts[remoteSize - 1]! + 1);
        await inter.Gatherv(color === 0 ? new Int32Array(inter.rank + 1).fill(rank) : null,
          root === MPI.ROOT ? [recv, [counts, displs], MPI.INT] : null, root);
        if (root === MPI.ROOT) {
          const want = new Int32Array(recv.length).fill(-1);
          counts.forEach((c, i) => want.fill(remoteWorld(i), displs[i]!, displs[i]! + c));
          check.deepEqual(Array.from(recv), Array.from(want));
        } else {
          untouched(recv);
        }
      }
      {
        // Scatter: root is group 1's last rank; remote rank i gets [100 + 2i, 101 + 2i]
        const root = rootArg(1, lastOf1);
        const send = root === MPI.ROOT ? Int32Array.from({ length: 2 * remoteSize }, (_, k) => 100 + k) : null;
        const recv = sentinel(2);
        await inter.Scatter(send, recv, root);
        if (color === 0) check.deepEqual(Array.from(recv), [100 + 2 * inter.rank, 101 + 2 * inter.rank]);
        else untouched(recv);
      }
      {
        // Scatterv: root is group 0's last rank; remote rank i gets i + 1 copies of 7 * i
        const root = rootArg(0, lastOf0);
        const counts = expectedRemote.map((_, i) => i + 1);
        const displs = counts.map((_, i) => (i * (i + 1)) / 2);
        const all = Int32Array.from(counts.flatMap((c, i) => new Array<number>(c).fill(7 * i)));
        const recv = sentinel(inter.rank + 1);
        await inter.Scatterv(root === MPI.ROOT ? [all, [counts, displs], MPI.INT] : null, recv, root);
        if (color === 1) check.deepEqual(Array.from(recv), new Array<number>(inter.rank + 1).fill(7 * inter.rank));
        else untouched(recv);
      }
      {
        // Allgather and Allgatherv: each rank gets the remote group's blocks
        const all = new Int32Array(remoteSize);
        await inter.Allgather(Int32Array.of(rank), all);
        check.deepEqual(Array.from(all), expectedRemote);
        const counts = expectedRemote.map((_, i) => i + 1);
        const allv = new Float64Array(counts.reduce((a, b) => a + b, 0));
        await inter.Allgatherv(new Float64Array(inter.rank + 1).fill(rank + 0.5), [allv, [counts], MPI.DOUBLE]);
        check.deepEqual(Array.from(allv), expectedRemote.flatMap((r, i) => new Array<number>(i + 1).fill(r + 0.5)));
      }
      {
        // Alltoall with block sizes that differ between the groups: group 0 sends
        // blocks of 2 and receives blocks of 1, group 1 the reverse
        const out = color === 0 ? 2 : 1;
        const inn = color === 0 ? 1 : 2;
        const send = Int32Array.from({ length: out * remoteSize }, (_, k) => rank * 100 + Math.floor(k / out) * 10 + (k % out));
        const recv = new Int32Array(inn * remoteSize);
        await inter.Alltoall(send, recv);
        check.deepEqual(Array.from(recv),
          Array.from({ length: inn * remoteSize }, (_, k) => remoteWorld(Math.floor(k / inn)) * 100 + inter.rank * 10 + (k % inn)));
        // Alltoallv: local rank a sends (a + b) % 3 elements to remote rank b
        const sendCounts = expectedRemote.map((_, j) => (inter.rank + j) % 3);
        const recvCounts = expectedRemote.map((_, i) => (inter.rank + i) % 3);
        const sendv = Int32Array.from(sendCounts.flatMap((c, j) => Array.from({ length: c }, (_, k) => rank * 100 + j * 10 + k)));
        const recvv = new Int32Array(recvCounts.reduce((a, b) => a + b, 0));
        await inter.Alltoallv([sendv, [sendCounts], MPI.INT], [recvv, [recvCounts], MPI.INT]);
        check.deepEqual(Array.from(recvv),
          recvCounts.flatMap((c, i) => Array.from({ length: c }, (_, k) => remoteWorld(i) * 100 + inter.rank * 10 + k)));
        // alltoall of values
        const got = await inter.alltoall(expectedRemote.map((_, j) => `${rank}->${j}`));
        check.deepEqual(got, expectedRemote.map((r) => `${r}->${inter.rank}`));
      }
      {
        // Reduce: root is group 0's last rank, gets the sum over group 1
        const root = rootArg(0, lastOf0);
        const recv = sentinel(2);
        await inter.Reduce(color === 1 ? Int32Array.of(rank, 1) : null, color === 0 ? recv : null, MPI.SUM, root);
        if (root === MPI.ROOT) check.deepEqual(Array.from(recv), [remoteSum, remoteSize]);
        else untouched(recv);
      }
      {
        // Allreduce: each group gets the other's sum, and a non-commutative op in
        // the other group's rank order. Affine maps x -> a x + b as [a, b],
        // composed left to right: (a1, b1) op (a2, b2) = (a1 a2, b1 a2 + b2).
        const sums = new Int32Array(1);
        await inter.Allreduce(Int32Array.of(rank), sums, MPI.SUM);
        check.equal(sums[0], remoteSum);
        const compose = MPI.Op.Create((invec: Float64Array, inout: Float64Array) => {
          for (let k = 0; k < invec.length; k += 2) {
            const [a1, b1, a2, b2] = [invec[k]!, invec[k + 1]!, inout[k]!, inout[k + 1]!];
            inout[k] = a1 * a2;
            inout[k + 1] = b1 * a2 + b2;
          }
        });
        const composed = new Float64Array(2);
        await inter.Allreduce(Float64Array.of(2, rank + 1), composed, compose);
        let [a, b] = [1, 0];
        for (const r of expectedRemote) [a, b] = [a * 2, b * 2 + r + 1];
        check.deepEqual(Array.from(composed), [a, b]);
      }
      {
        // Reduce_scatter_block: both groups send localSize * remoteSize elements;
        // each rank gets its block of remoteSize elements of the other group's sum
        const n = inter.size * remoteSize;
        const recv = new Int32Array(remoteSize);
        await inter.Reduce_scatter_block(Int32Array.from({ length: n }, (_, k) => rank * 100 + k), recv, MPI.SUM);
        check.deepEqual(Array.from(recv),
          Array.from({ length: remoteSize }, (_, t) => remoteSum * 100 + remoteSize * (inter.rank * remoteSize + t)));
      }
    },
  },
  {
    name: 'intercommunicator argument errors, and a root that expects more than the other group sends',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize, rootArg } = await halves(comm);
      await check.rejectsMPI(inter.Gather(null, null, remoteSize), MPI.ERR_ROOT, /Intercomm\.Gather: invalid root/);
      await check.rejectsMPI(inter.Allreduce(MPI.IN_PLACE as never, new Int32Array(1)), MPI.ERR_BUFFER, /Intercomm\.Allreduce: MPI\.IN_PLACE/);
      await check.rejectsMPI(inter.Reduce_scatter_block(new Int32Array(inter.size + 1), new Int32Array(1)), MPI.ERR_COUNT,
        /Intercomm\.Reduce_scatter_block: the send buffer holds/);
      await check.rejectsMPI(inter.Alltoallv([new Int32Array(remoteSize + 1), [new Array<number>(remoteSize + 1).fill(1)], MPI.INT],
        new Int32Array(remoteSize)), MPI.ERR_COUNT, new RegExp(`Intercomm\\.Alltoallv: counts must be ${remoteSize} non-negative`));
      {
        // a root expecting more than the other group sends: a count error at the root
        const root = rootArg(0, 0);
        const gathering = inter.Gather(color === 1 ? Int32Array.of(rank) : null, new Int32Array(2 * remoteSize), root);
        if (root === MPI.ROOT) await check.rejectsMPI(gathering, MPI.ERR_COUNT, /Intercomm\.Gather: remote rank 0 sent 4 bytes where 8/);
        else await gathering;
      }
    },
  },
  {
    name: 'intercommunicator Allreduce and Bcast whose groups disagree on counts: ERR_COUNT on every rank that receives, then it works',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, rootArg, expectedRemote } = await halves(comm);
      // Only the leaders receive across; the rest of each group hears of their failure from its leader.
      const relayed = inter.rank === 0 ? '' : 'the leader of this rank\'s group \\(local rank 0\\) failed: ';
      // the lower group sends 2 ints, the upper 4: too long for the lower leader's block, too short for the upper's
      const [sent, expected] = color === 0 ? ['more than the 8 bytes expected', ''] : ['8 bytes where 16', ' were expected'];
      await check.rejectsMPI(inter.Allreduce(new Int32Array(color === 0 ? 2 : 4), new Int32Array(4), MPI.SUM), MPI.ERR_COUNT,
        new RegExp(`Intercomm\\.Allreduce: ${relayed}remote rank 0 sent ${sent}${expected}`));
      // the lower group's root sends 2 ints where the upper group receives 4
      const bcast = inter.Bcast(new Int32Array(color === 0 ? 2 : 4), rootArg(0, 0));
      if (color === 0) await bcast;
      else await check.rejectsMPI(bcast, MPI.ERR_COUNT, new RegExp(`Intercomm\\.Bcast: ${relayed}remote rank 0 sent 8 bytes where 16`));
      const sum = new Int32Array(1);
      await inter.Allreduce(Int32Array.of(rank), sum, MPI.SUM);
      check.equal(sum[0], expectedRemote.reduce((a, b) => a + b, 0), 'an Allreduce after the failed ones');
    },
  },
  {
    name: 'intercommunicator Split and Create: same colors pair across, keys order, UNDEFINED and unpaired colors get null',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter } = await halves(comm);
      const r = inter.rank;
      // parity of the local rank, reversed by key: with 3 ranks color 1 has no partner across
      const parity = (_g: number, q: number) => [q % 2, -q] as const;
      await checkSplit(await inter.Split(...parity(color, r)), expectedSplit(parity, color, r));
      // the upper group's last rank passes UNDEFINED; one-rank upper group: nobody gets one
      const lastOut = (g: number, q: number) => [g === 1 && q === halfSizes[1] - 1 ? MPI.UNDEFINED : 5, 0] as const;
      await checkSplit(await inter.Split(...lastOut(color, r)), expectedSplit(lastOut, color, r));
      // Create: the lower group in reverse order with the upper group's leader
      const mine = color === 0 ? inter.Get_group().Incl(Array.from({ length: inter.size }, (_, q) => inter.size - 1 - q))
        : inter.Get_group().Incl([0]);
      const created = (g: number, q: number) => (g === 0 ? [0, halfSizes[0] - 1 - q] as const
        : [q === 0 ? 0 : MPI.UNDEFINED, 0] as const);
      await checkSplit(await inter.Create(mine), expectedSplit(created, color, r));
      // an empty group on one side: null everywhere
      check.equal(await inter.Create(color === 0 ? inter.Get_group() : MPI.GROUP_EMPTY), null);
      // the intercommunicator still works after all this
      check.equal(await inter.allreduce(1), halfSizes[1 - color]);
      // argument errors, raised before anything is sent
      await check.rejectsMPI(inter.Split(-5), MPI.ERR_ARG, /Intercomm\.Split: invalid color -5/);
      await check.rejectsMPI(inter.Split(0, 1.5), MPI.ERR_ARG, /Intercomm\.Split: invalid key 1\.5/);
      await check.rejectsMPI(inter.Create(inter.Get_remote_group()), MPI.ERR_GROUP,
        /Intercomm\.Create: the group holds processes outside/);
    },
  },
  {
    name: 'an intercommunicator outlives the communicator it was made from: Dup, and Dup of a Split, after its Free',
    minRanks: 2,
    run: async (comm) => {
      const { half, inter, expectedRemote } = await halves(comm);
      half.Free();
      // one-rank communicators made after the Free (under mpi, they may get the freed handle)
      const singles = [await comm.Split(rank, 0), await comm.Split(rank, 0)];
      const remoteSum = expectedRemote.reduce((a, b) => a + b, 0);
      const sums = new Int32Array(1);
      const dup = await inter.Dup();
      await dup.Allreduce(Int32Array.of(rank), sums, MPI.SUM);
      check.equal(sums[0], remoteSum, 'Allreduce on a Dup made after the local communicator was freed');
      const split = (await dup.Split(0, rank))!;
      const again = await split.Dup();
      split.Free();
      check.equal(await (await again.Dup()).allreduce(rank), remoteSum, 'allreduce on a Dup of a Dup of a freed Split');
      check.equal(await again.allreduce(1), expectedRemote.length);
      for (const single of singles) single!.Free();
    },
  },
  {
    name: 'intercommunicator Reduce_scatter and Ireduce_scatter: per-rank counts over the other group\'s reduction; count errors',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize, expectedRemote } = await halves(comm);
      const n = 6;
      const counts = countsOf(color, inter.size, n);
      const start = counts.slice(0, inter.rank).reduce((a, b) => a + b, 0);
      const mine = counts[inter.rank]!;
      const send = Int32Array.from({ length: n }, (_, k) => rank * 100 + k);
      // SUM: element k of the other group's reduction is remoteSum * 100 + remoteSize * k
      const remoteSum = expectedRemote.reduce((a, b) => a + b, 0);
      const recv = new Int32Array(mine + 1).fill(-1);
      await inter.Reduce_scatter(send, recv, counts, MPI.SUM);
      check.deepEqual(Array.from(recv), [...Array.from({ length: mine }, (_, t) => remoteSum * 100 + remoteSize * (start + t)), -1]);
      // a non-commutative op reduces in the other group's rank order: affine maps x -> a x + b as [a, b],
      // composed left to right; pair j of a rank's send buffer is [2, rank + j], and the counts are in elements
      const compose = MPI.Op.Create((invec: Float64Array, inout: Float64Array) => {
        for (let k = 0; k < invec.length; k += 2) {
          const [a1, b1, a2, b2] = [invec[k]!, invec[k + 1]!, inout[k]!, inout[k + 1]!];
          inout[k] = a1 * a2;
          inout[k + 1] = b1 * a2 + b2;
        }
      }, false);
      const pairs = new Float64Array(2 * mine);
      await inter.Reduce_scatter(Float64Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? 2 : rank + (k - 1) / 2)), pairs,
        counts.map((c) => 2 * c), compose);
      check.deepEqual(Array.from(pairs), Array.from({ length: mine }, (_, t) => {
        let [a, b] = [1, 0];
        for (const w of expectedRemote) [a, b] = [a * 2, b * 2 + w + start + t];
        return [a, b];
      }).flat());
      compose.Free();
      // recvcounts count elements of the receive spec's datatype (§6.10.1), here pairs of doubles, not doubles
      const pair = MPI.DOUBLE.Create_contiguous(2).Commit();
      const sums = new Float64Array(2 * mine).fill(-1);
      await inter.Reduce_scatter([Float64Array.from({ length: 2 * n }, (_, k) => k + rank), pair], [sums, pair], counts, MPI.SUM);
      check.deepEqual(Array.from(sums), Array.from(sums, (_, k) => remoteSize * (2 * start + k) + remoteSum),
        'Reduce_scatter of pairs, recvcounts in pairs');
      pair.Free();
      // Ireduce_scatter started before an Iallreduce completes with the blocking result
      const irecv = new Int32Array(mine).fill(-1);
      const maxed = inter.Ireduce_scatter(send, irecv, counts, MPI.MAX);
      const total = new Int32Array(1);
      const summed = inter.Iallreduce(Int32Array.of(1), total);
      await MPI.Request.Waitall([maxed, summed]);
      check.deepEqual(Array.from(irecv), Array.from({ length: mine }, (_, t) => Math.max(...expectedRemote) * 100 + start + t));
      check.equal(total[0], remoteSize);
      // count errors, raised before anything is sent; the nonblocking form's fails its Request
      await check.rejectsMPI(inter.Reduce_scatter(send, recv, [...counts, 0]), MPI.ERR_COUNT,
        new RegExp(`Intercomm\\.Reduce_scatter: recvcounts must be ${inter.size} non-negative integers`));
      await check.rejectsMPI(inter.Reduce_scatter(send, recv, null as never), MPI.ERR_COUNT, /Intercomm\.Reduce_scatter: recvcounts must be/);
      await check.rejectsMPI(inter.Reduce_scatter(send.subarray(1), recv, counts), MPI.ERR_COUNT,
        /Intercomm\.Reduce_scatter: the send buffer holds 5 elements but recvcounts add up to 6/);
      await check.rejectsMPI(inter.Reduce_scatter(send, new Int32Array(0), counts.map(() => 0).fill(n, inter.rank, inter.rank + 1)),
        MPI.ERR_COUNT, /Intercomm\.Reduce_scatter: the receive buffer holds 0 elements, 6 needed/);
      await check.rejectsMPI(inter.Ireduce_scatter(send, recv, counts.slice(1)).Wait(), MPI.ERR_COUNT,
        /Intercomm\.Ireduce_scatter: recvcounts must be/);
    },
  },
  {
    name: 'intercommunicator Alltoallw, Ialltoallw and Alltoallw_init: per-rank counts, byte displacements and datatypes; bytes between blocks untouched; errors',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize } = await halves(comm);
      // The block from local rank a of group g to remote rank b in layout l: `count` elements of an int, a
      // double or a strided pair of ints (every other int: its middle 4 bytes are a hole the receive must keep).
      const strided = MPI.INT.Create_vector(2, 1, 2).Commit();
      const kinds = [
        { type: MPI.INT, extent: 4, scalars: [{ at: 0, float: false }] },
        { type: MPI.DOUBLE, extent: 8, scalars: [{ at: 0, float: true }] },
        { type: strided, extent: 12, scalars: [{ at: 0, float: false }, { at: 8, float: false }] },
      ];
      const kindOf = (g: number, a: number, b: number, l: number) => kinds[(a + b + g + l) % 3]!;
      const countOf = (g: number, a: number, b: number, l: number): number => (a + 2 * b + g + l) % 3;
      // Scalar k of that block in round t, from world rank s; a double's has a fraction.
      const value = (s: number, b: number, t: number, k: number, float: boolean): number => 1000 * s + 100 * b + 10 * t + k + (float ? 0.5 : 0);
      /**
       * A W spec of one block per remote rank j (block j is `blockOf(j)`), laid out in reverse rank
       * order with 8 bytes before, between and after the blocks, in a view that starts 8 bytes into
       * its ArrayBuffer; every byte starts as 0xEE.
       */
      const layout = (blockOf: (j: number) => { kind: typeof kinds[number]; count: number }) => {
        const blocks = Array.from({ length: remoteSize }, (_, j) => blockOf(j));
        const displs = new Array<number>(remoteSize);
        let end = 8;
        for (let j = remoteSize - 1; j >= 0; j--) {
          displs[j] = end;
          end += Math.ceil((blocks[j]!.kind.extent * blocks[j]!.count) / 8) * 8 + 8;
        }
        const memory = new ArrayBuffer(8 + end + 8);
        new Uint8Array(memory).fill(0xee);
        const buf = new Uint8Array(memory, 8);
        const counts = blocks.map((b) => b.count);
        const types = blocks.map((b) => b.kind.type);
        /** Writes into block j the scalars of round t that world rank s sends to remote rank b. */
        const write = (j: number, s: number, b: number, t: number): void => {
          const { kind, count } = blocks[j]!;
          const view = new DataView(memory);
          for (let e = 0, k = 0; e < count; e++) {
            for (const { at, float } of kind.scalars) {
              const offset = 8 + displs[j]! + e * kind.extent + at;
              if (float) view.setFloat64(offset, value(s, b, t, k++, true), true);
              else view.setInt32(offset, value(s, b, t, k++, false), true);
            }
          }
        };
        /** Block j's scalars. */
        const read = (j: number): number[] => {
          const { kind, count } = blocks[j]!;
          const view = new DataView(memory);
          return Array.from({ length: count }, (_, e) => kind.scalars.map(({ at, float }) => {
            const offset = 8 + displs[j]! + e * kind.extent + at;
            return float ? view.getFloat64(offset, true) : view.getInt32(offset, true);
          })).flat();
        };
        return { memory, buf, counts, displs, types, write, read };
      };
      const sendLayout = (l: number) => layout((b) => ({ kind: kindOf(color, inter.rank, b, l), count: countOf(color, inter.rank, b, l) }));
      const recvLayout = (l: number) => layout((a) => ({ kind: kindOf(1 - color, a, inter.rank, l), count: countOf(1 - color, a, inter.rank, l) }));
      const fill = (out: ReturnType<typeof layout>, t: number): void => {
        for (let b = 0; b < remoteSize; b++) out.write(b, rank, b, t);
      };
      /** Checks every received scalar, then every byte of the receive memory: 0xEE outside the blocks and the holes. */
      const verify = (into: ReturnType<typeof layout>, l: number, t: number, what: string): void => {
        const expected = recvLayout(l);
        for (let a = 0; a < remoteSize; a++) {
          expected.write(a, worldOf(1 - color, a), inter.rank, t);
          check.deepEqual(into.read(a), expected.read(a), `${what}: block from remote rank ${a}`);
        }
        check.deepEqual(Array.from(new Uint8Array(into.memory)), Array.from(new Uint8Array(expected.memory)), `${what}: every byte, 0xEE outside the blocks`);
      };
      // at every size each rank sends some empty block and some non-empty one over the three layouts
      const sent = [0, 1, 2].flatMap((l) => Array.from({ length: remoteSize }, (_, b) => countOf(color, inter.rank, b, l)));
      check.ok(sent.includes(0) && sent.some((c) => c > 0), `send counts ${sent}`);
      {
        const out = sendLayout(0);
        const into = recvLayout(0);
        fill(out, 0);
        await inter.Alltoallw([out.buf, out.counts, out.displs, out.types], [into.buf, [into.counts, into.displs], into.types]);
        verify(into, 0, 0, 'Alltoallw');
      }
      {
        const out = sendLayout(1);
        const into = recvLayout(1);
        fill(out, 1);
        await inter.Ialltoallw([out.buf, [out.counts, out.displs], out.types], [into.buf, into.counts, into.displs, into.types]).Wait();
        verify(into, 1, 1, 'Ialltoallw');
      }
      {
        // persistent: layout 2 bound once, new contents in rounds 2 and 3, the receive memory reset between them
        const out = sendLayout(2);
        const into = recvLayout(2);
        const p = inter.Alltoallw_init([out.buf, [out.counts, out.displs], out.types], [into.buf, [into.counts, into.displs], into.types]);
        for (const t of [2, 3]) {
          fill(out, t);
          new Uint8Array(into.memory).fill(0xee);
          p.Start();
          await p.Wait();
          verify(into, 2, t, `Alltoallw_init round ${t}`);
        }
        p.Free();
      }
      // errors, found before anything moves: the blocking form rejects, the I-form and a persistent round fail at Wait
      const out = sendLayout(0);
      const into = recvLayout(0);
      await check.rejectsMPI(inter.Alltoallw([out.buf, [...out.counts, 0], [...out.displs, 0], [...out.types, MPI.INT]], [into.buf, into.counts, into.displs, into.types]),
        MPI.ERR_COUNT, new RegExp(`Intercomm\\.Alltoallw: send counts must be ${remoteSize} non-negative integers`));
      await check.rejectsMPI(inter.Ialltoallw(MPI.IN_PLACE as never, [into.buf, into.counts, into.displs, into.types]).Wait(), MPI.ERR_BUFFER,
        /Intercomm\.Ialltoallw: MPI\.IN_PLACE is not valid over an intercommunicator/);
      const bad = inter.Alltoallw_init([out.buf, out.counts, out.displs, out.types], [into.buf, into.counts, into.displs, into.types.slice(1)]);
      bad.Start();
      await check.rejectsMPI(bad.Wait(), MPI.ERR_TYPE, new RegExp(`Intercomm\\.Alltoallw_init: expected ${remoteSize} receive datatypes`));
      bad.Free();
      strided.Free();
      check.equal(await inter.allreduce(1), remoteSize);
    },
  },
  {
    name: 'Merge puts the group passing high=false first; Disconnect frees the intercommunicator',
    minRanks: 2,
    run: async (comm) => {
      const { color, inter, remoteSize } = await halves(comm);
      await inter.Barrier();
      // Merge: the group passing high=false comes first
      const merged = await inter.Merge(color === 1);
      check.equal(merged.size, size);
      check.equal(merged.rank, rank);
      check.equal(await merged.allreduce(1), size);
      const flipped = await inter.Merge(color === 0);
      check.equal(flipped.rank, color === 1 ? rank - Math.ceil(size / 2) : rank + remoteSize);
      await inter.Disconnect();
      await check.rejectsMPI(inter.send(1, 0), MPI.ERR_COMM, /freed/);
    },
  },
];

await runCases('communicators', cases);
