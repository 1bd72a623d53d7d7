"""mpi4py peer of bench/pingpong.ts: ping-pong between ranks 0 and 1.

Same method as the mpi4ts and C sides: for each case a warm-up phase of
iters/10 round trips, then a timed phase of iters round trips; one-way time =
round trip / 2, measured on rank 0. Both phases start after a 1-byte
handshake. Cases come from argv[1] or $BENCH_CASES as "kind:bytes:iters,...":
"buf" is Send/Recv on a numpy uint8 array, "obj" is send/recv of a small dict
(pickled), "warm:8:ms" is 8-byte round trips for ms milliseconds, unreported;
other kinds are skipped. Prints key=value lines.
"""
import os
import sys

import numpy as np
from mpi4py import MPI

DEFAULT_CASES = ("warm:8:500,buf:8:20000,buf:1024:20000,buf:65536:20000,buf:1048576:1000,"
                 "buf:4194304:200,buf:16777216:200,obj:0:20000")

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
if comm.Get_size() < 2:
    sys.exit("pingpong needs at least 2 ranks")
hs = np.zeros(1, dtype=np.uint8)


def handshake():
    if rank == 0:
        comm.Send(hs, 1, 1); comm.Recv(hs, 1, 1)
    elif rank == 1:
        comm.Recv(hs, 0, 1); comm.Send(hs, 0, 1)


def warm_up(ms):
    """8-byte round trips until rank 0 has spent ms milliseconds (it sends 0 to stop)."""
    buf = np.zeros(8, dtype=np.uint8)
    t0 = MPI.Wtime()
    go = 1
    while go:
        if rank == 0:
            go = 1 if MPI.Wtime() - t0 < ms / 1000 else 0
            buf[0] = go
            comm.Send(buf, 1, 0); comm.Recv(buf, 1, 0)
        elif rank == 1:
            comm.Recv(buf, 0, 0); comm.Send(buf, 0, 0)
            go = int(buf[0])
        else:
            go = 0


def pingpong(n, iters, obj):
    buf = np.ones(n, dtype=np.uint8)
    msg = {'a': 7, 'b': 3.14, 'c': [1, 2, 3], 'd': 'hello'}
    t = 0.0
    for phase in (0, 1):
        it = max(iters // 10, 1) if phase == 0 else iters
        handshake()
        t0 = MPI.Wtime()
        for _ in range(it):
            if obj:
                if rank == 0: comm.send(msg, 1); comm.recv(source=1)
                elif rank == 1: m = comm.recv(source=0); comm.send(m, 0)
            else:
                if rank == 0: comm.Send(buf, 1); comm.Recv(buf, source=1)
                elif rank == 1: comm.Recv(buf, source=0); comm.Send(buf, 0)
        t = (MPI.Wtime() - t0) / it / 2
    return t


spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('BENCH_CASES') or DEFAULT_CASES
for case in spec.split(','):
    kind, nbytes, iters = case.split(':')
    n, iters = int(nbytes), int(iters)
    if kind == 'warm':
        warm_up(iters)
    if kind not in ('buf', 'obj'):
        continue
    t = pingpong(n, iters, kind == 'obj')
    if rank == 0:
        if kind == 'obj':
            print("op=pingpong kind=obj bytes=0 iters=%d one_way_us=%.3f" % (iters, t * 1e6), flush=True)
        else:
            print("op=pingpong kind=buf bytes=%d iters=%d one_way_us=%.3f MBps=%.1f"
                  % (n, iters, t * 1e6, n / t / 1e6), flush=True)
