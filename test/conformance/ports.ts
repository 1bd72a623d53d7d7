/**
 * Conformance chapter: client/server connections and the rest of dynamic
 * processes (MPI-4.1 §11.8.3 `Spawn_multiple` with `MPI.APPNUM`, §11.9 ports
 * and the name service, `Accept` and `Connect` between the two halves of a
 * `Split` of the job, §11.10.4 `Disconnect`, §11.10.5 `Comm.Join`: over a
 * TCP socket on localhost on the mpi transport, `ERR_UNSUPPORTED_OPERATION`
 * on shm), and window attributes, info and error handlers (§7.7.3, §9.3.2,
 * §12.2.7). An SPMD program for 1 or more ranks on any transport; see
 * cases.ts for how cases run and report.
 *
 * @module
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { type Intercomm, type Intracomm, MPI } from 'mpi4ts';
import { type Case, check, runCases } from './cases.js';

const onShm = MPI.Get_library_version().includes('shm transport');

/** The operating system's descriptor of a connected socket (Node keeps it on the socket's handle). */
function descriptor(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  if (typeof handle?.fd !== 'number' || handle.fd < 0) throw new Error('the socket has no file descriptor');
  return handle.fd;
}

/** Checks an intercommunicator between the halves: sizes, a value from each root, point-to-point, Merge. */
async function exercise(inter: Intercomm, half: Intracomm, server: boolean, remoteSize: number): Promise<void> {
  check.equal(inter.size, half.size);
  check.equal(inter.remote_size, remoteSize);
  check.equal(inter.Is_inter(), true);
  // Each root broadcasts to the other group.
  if (server) {
    await inter.bcast({ from: 'server' }, half.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
    check.deepEqual(await inter.bcast(undefined, 0), { from: 'client', size: remoteSize });
  } else {
    check.deepEqual(await inter.bcast(undefined, 0), { from: 'server' });
    await inter.bcast({ from: 'client', size: half.size }, half.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
  }
  // Rank r of each side sends to rank r of the other, where there is one.
  const tag = 5;
  if (half.rank < remoteSize) {
    const sent = inter.isend([server ? 'server' : 'client', half.rank], half.rank, tag);
    check.deepEqual(await inter.recv(half.rank, tag), [server ? 'client' : 'server', half.rank]);
    await sent.wait();
  }
  const merged = await inter.Merge(!server);
  const [servers, clients] = server ? [half.size, remoteSize] : [remoteSize, half.size];
  check.equal(merged.size, servers + clients);
  check.equal(merged.rank, server ? half.rank : servers + half.rank);
  check.equal(await merged.allreduce(server ? 1 : 100), servers + 100 * clients);
  merged.Free();
}

const cases: Case[] = [
  {
    name: 'Win attributes: user keyvals, predefined keys, WIN_FLAVOR, info, error handlers',
    run: async (comm) => {
      const win = await MPI.Win.Allocate(16, 4, null, comm);
      const deleted: unknown[][] = [];
      const key = MPI.Win.Create_keyval(undefined, (w, k, value) => { deleted.push([w === win, k === key, value]); });
      check.equal(win.Get_attr(key), undefined);
      win.Set_attr(key, { owner: 'solver' });
      check.deepEqual(win.Get_attr(key), { owner: 'solver' });
      win.Set_attr(key, 7);
      check.deepEqual([...deleted], [[true, true, { owner: 'solver' }]], 'a replaced value goes through delete_fn');
      win.Delete_attr(key);
      check.deepEqual(deleted[1], [true, true, 7]);
      check.equal(win.Get_attr(key), undefined);
      check.throwsMPI(() => win.Delete_attr(key), MPI.ERR_KEYVAL, /Win\.Delete_attr: attribute \d+ is not set on this window/);
      const commKey = MPI.Comm.Create_keyval();
      check.throwsMPI(() => win.Set_attr(commKey, 1), MPI.ERR_KEYVAL, /Win\.Set_attr: invalid keyval/);
      MPI.Comm.Free_keyval(commKey);
      // Predefined keys next to user ones; WIN_FLAVOR is WIN_CREATE_FLAVOR under mpi4py's other name.
      check.equal(win.Get_attr(MPI.WIN_SIZE), 16);
      check.equal(win.Get_attr(MPI.WIN_DISP_UNIT), 4);
      check.equal(win.Get_attr(MPI.WIN_FLAVOR), MPI.WIN_FLAVOR_ALLOCATE);
      check.equal(MPI.WIN_FLAVOR, MPI.WIN_CREATE_FLAVOR);
      check.ok(win.Get_attr(MPI.WIN_BASE) instanceof Uint8Array);
      check.ok([MPI.WIN_UNIFIED, MPI.WIN_SEPARATE].some((model) => model === win.Get_attr(MPI.WIN_MODEL)));
      // Info: the hints set are the hints got.
      check.equal(win.info.Get_nkeys(), 0);
      win.info = MPI.Info.Create({ no_locks: 'true' });
      check.equal(win.Get_info().Get('no_locks'), 'true');
      // Error handlers: ERRORS_RETURN by default; a user handler gets the window and the code.
      check.equal(win.Get_errhandler(), MPI.ERRORS_RETURN);
      const calls: [boolean, number][] = [];
      const handler = MPI.Win.Create_errhandler((w, code) => { calls.push([w === win, code]); });
      win.Set_errhandler(handler);
      check.equal(win.Get_errhandler(), handler);
      win.Call_errhandler(MPI.ERR_OTHER);
      check.deepEqual(calls, [[true, MPI.ERR_OTHER]]);
      win.Set_errhandler(MPI.ERRORS_RETURN);
      win.Call_errhandler(MPI.ERR_OTHER);
      check.equal(calls.length, 1);
      check.throwsMPI(() => win.Set_errhandler(MPI.ERRHANDLER_NULL), MPI.ERR_ARG, /Win\.Set_errhandler: invalid error handler/);
      // A freed keyval stays usable by the windows that hold it; Free runs the delete callbacks.
      const kept = MPI.Win.Create_keyval(null, (_w, _k, value) => { deleted.push(['freed', value]); });
      win.Set_attr(kept, 'last');
      check.equal(MPI.Win.Free_keyval(kept), MPI.KEYVAL_INVALID);
      check.equal(win.Get_attr(kept), 'last');
      check.throwsMPI(() => win.Set_attr(kept, 'again'), MPI.ERR_KEYVAL, /Win\.Set_attr/);
      await win.Free();
      check.deepEqual(deleted[2], ['freed', 'last']);
      check.throwsMPI(() => win.Get_errhandler(), MPI.ERR_WIN, /Win\.Get_errhandler/);
      MPI.Win.Free_keyval(key);
    },
  },
  {
    name: 'Open_port, Publish_name, Lookup_name, Unpublish_name, Close_port; argument errors',
    run: async (comm) => {
      const { rank } = comm;
      const service = `ports-conformance-${comm.size}-${rank}`;
      const port = MPI.Open_port();
      check.ok(typeof port === 'string' && port.length > 0);
      const second = MPI.Open_port(MPI.INFO_NULL);
      check.notEqual(second, port, 'every port has a name of its own');
      MPI.Close_port(second);
      MPI.Publish_name(service, port);
      check.equal(MPI.Lookup_name(service), port);
      MPI.Unpublish_name(service, port);
      check.throwsMPI(() => MPI.Lookup_name(service), MPI.ERR_NAME, /MPI\.Lookup_name/);
      MPI.Close_port(port);
      check.throwsMPI(() => (MPI.Open_port as (info: unknown) => string)({}), MPI.ERR_INFO, /MPI\.Open_port: expected an MPI\.Info/);
      check.throwsMPI(() => MPI.Lookup_name(''), MPI.ERR_ARG, /MPI\.Lookup_name: service_name must be a non-empty string/);
      check.throwsMPI(() => MPI.Publish_name(service, 3 as unknown as string), MPI.ERR_ARG,
        new RegExp(`rank ${MPI.COMM_WORLD.rank}: MPI\\.Publish_name: port_name must be a non-empty string, got 3`));
      // Checked at the root before anything starts (on COMM_SELF, so that no other rank waits for it).
      await check.rejectsMPI(MPI.COMM_SELF.Accept(42 as unknown as string), MPI.ERR_PORT,
        /Comm\.Accept: port_name must be a port name of MPI\.Open_port, got 42/);
      await check.rejectsMPI(comm.Connect('', MPI.INFO_NULL, comm.size), MPI.ERR_ROOT, /Comm\.Connect: invalid root/);
      await comm.Barrier();
    },
  },
  {
    name: 'Accept and Connect between the halves of a Split (port by message, then by name), Disconnect',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      const server = rank % 2 === 0;
      const split = await comm.Split(server ? 0 : 1, rank);
      check.ok(split !== null);
      const half = split;
      const remoteSize = server ? Math.floor(size / 2) : Math.ceil(size / 2);
      // 1. The server's root opens a port; the name reaches the client's root in a message.
      const port = rank === 0 ? MPI.Open_port() : '';
      const named = await comm.bcast(port, 0);
      const inter = server ? await half.Accept(port) : await half.Connect(half.rank === 0 ? named : 'ignored here');
      await exercise(inter, half, server, remoteSize);
      await inter.Disconnect();
      await check.rejectsMPI(inter.Barrier(), MPI.ERR_COMM, /freed/);
      // 2. Through the name service, the port accepted on a second time; the client's root is its last rank.
      const service = `ports-conformance-server-${size}`;
      if (rank === 0) MPI.Publish_name(service, port);
      await comm.Barrier();
      const clientRoot = half.size - 1;
      const again = server ? await half.Accept(port, MPI.INFO_NULL, 0)
        : await half.Connect(half.rank === clientRoot ? MPI.Lookup_name(service) : '', MPI.INFO_NULL, clientRoot);
      await exercise(again, half, server, remoteSize);
      await again.Disconnect();
      await comm.Barrier();
      if (rank === 0) {
        MPI.Unpublish_name(service, port);
        MPI.Close_port(port);
      }
      // Comm.Disconnect on an intracommunicator: a barrier, then it is freed.
      await half.Disconnect();
      await check.rejectsMPI(half.Barrier(), MPI.ERR_COMM, /freed/);
      await check.rejectsMPI(MPI.COMM_WORLD.Disconnect(), MPI.ERR_COMM, /Comm\.Disconnect/);
    },
  },
  {
    name: 'shm: a closed port, a port of another job and overlapping groups are ERR_PORT with the reason',
    run: async (comm) => {
      if (!onShm) {
        // These are the shm launcher's own checks; the MPI library words its own.
        check.ok(true);
        return;
      }
      const closed = MPI.Open_port();
      MPI.Close_port(closed);
      await check.rejectsMPI(MPI.COMM_SELF.Connect(closed), MPI.ERR_PORT, /Comm\.Connect: port mpi4ts-shm:\d+:\d+ is not open/);
      await check.rejectsMPI(MPI.COMM_SELF.Accept('mpi4ts-shm:1:1'), MPI.ERR_PORT,
        /Comm\.Accept: port mpi4ts-shm:1:1 belongs to another mpi4ts job \(launcher pid 1\): shm jobs share no memory/);
      await check.rejectsMPI(MPI.COMM_SELF.Connect('tcp://elsewhere'), MPI.ERR_PORT,
        /Comm\.Connect: "tcp:\/\/elsewhere" is not a port name of MPI\.Open_port/);
      check.throwsMPI(() => MPI.Close_port(closed), MPI.ERR_PORT, /MPI\.Close_port: port .* is not open/);
      const port = MPI.Open_port();
      MPI.Publish_name(`twice-${comm.rank}`, port);
      check.throwsMPI(() => MPI.Publish_name(`twice-${comm.rank}`, port), MPI.ERR_SERVICE, /is published already/);
      check.throwsMPI(() => MPI.Unpublish_name(`never-${comm.rank}`, port), MPI.ERR_SERVICE, /is not published/);
      MPI.Unpublish_name(`twice-${comm.rank}`, port);
      // One rank on both sides of one port.
      const [accepted, connected] = await Promise.allSettled([MPI.COMM_SELF.Accept(port), MPI.COMM_SELF.Connect(port)]);
      for (const settled of [accepted, connected]) {
        check.ok(settled.status === 'rejected' && /share ranks/.test(String(settled.reason)));
      }
      // A Close_port fails the Accept that waits on it.
      const waiting = MPI.COMM_SELF.Accept(port);
      MPI.Close_port(port);
      await check.rejectsMPI(waiting, MPI.ERR_PORT, /was closed while the accept waited on it/);
      await check.rejectsMPI(MPI.Comm.Join(3), MPI.ERR_UNSUPPORTED_OPERATION, /Comm\.Join: the shm transport cannot join/);
    },
  },
  {
    name: 'Spawn_multiple: two programs, per-program args and maxprocs, MPI.APPNUM in the children',
    run: async (comm) => {
      const child = 'test/programs/spawn_multiple_child.mjs';
      const counts = onShm ? [1, 2] : [1, 1];
      const inter = comm.rank === 0
        ? await comm.Spawn_multiple([child, child], [['first'], ['second', 'x']], counts, [MPI.INFO_NULL, MPI.INFO_NULL])
        : await comm.Spawn_multiple([], null, null, MPI.INFO_NULL, 0);
      const total = counts[0]! + counts[1]!;
      check.equal(inter.remote_size, total);
      const answers = await inter.gather(undefined, comm.rank === 0 ? MPI.ROOT : MPI.PROC_NULL);
      if (comm.rank === 0) {
        const expected = Array.from({ length: total }, (_, r) => {
          const appnum = r < counts[0]! ? 0 : 1;
          return { appnum, rank: r, size: total, args: appnum === 0 ? ['first'] : ['second', 'x'] };
        });
        check.deepEqual(answers, expected);
      } else {
        check.equal(answers, undefined);
      }
      await inter.Disconnect();
      await check.rejectsMPI(MPI.COMM_SELF.Spawn_multiple([child], [[], []]), MPI.ERR_ARG,
        /Comm\.Spawn_multiple: args must have one entry per command \(1\)/);
      await check.rejectsMPI(MPI.COMM_SELF.Spawn_multiple([child], null, [0]), MPI.ERR_ARG, /invalid maxprocs\[0\] 0/);
      check.equal(MPI.COMM_WORLD.Get_attr(MPI.APPNUM), onShm ? 0 : MPI.COMM_WORLD.Get_attr(MPI.APPNUM));
    },
  },
  {
    name: 'Comm.Join: ranks 0 and 1 join over a TCP socket on localhost (mpi transport)',
    minRanks: 2,
    run: async (comm) => {
      if (onShm) {
        await check.rejectsMPI(MPI.Comm.Join(0), MPI.ERR_UNSUPPORTED_OPERATION, /Comm\.Join/);
        return;
      }
      await check.rejectsMPI(MPI.Comm.Join(-1), MPI.ERR_ARG, /Comm\.Join: invalid file descriptor -1/);
      const { rank } = comm;
      if (rank > 1) {
        await comm.Barrier();
        return;
      }
      let socket: Socket;
      if (rank === 0) {
        const listener = createServer();
        await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
        const address = listener.address();
        const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
        await comm.send(typeof address === 'object' && address !== null ? address.port : 0, 1, 3);
        socket = await accepted;
        listener.close();
      } else {
        const port = await comm.recv(0, 3);
        socket = createConnection({ host: '127.0.0.1', port: Number(port) });
        await new Promise<void>((resolve) => socket.once('connect', resolve));
      }
      socket.pause();
      const joined = await MPI.Comm.Join(descriptor(socket));
      check.equal(joined.size, 1);
      check.equal(joined.remote_size, 1);
      const sent = joined.isend({ from: rank }, 0, 9);
      check.deepEqual(await joined.recv(0, 9), { from: 1 - rank });
      await sent.wait();
      await joined.Disconnect();
      socket.destroy();
      await comm.Barrier();
    },
  },
];

await runCases('ports', cases);
