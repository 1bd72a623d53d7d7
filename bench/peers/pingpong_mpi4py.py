"""mpi4py peer of bench/pingpong.ts: ping-pong between ranks 0 and 1.

Same method as the mpi4ts and C sides: for each case a 1-byte handshake, then
one loop of iters/10 untimed round trips followed by iters timed ones, with a
timestamp per round trip on rank 0; rank 0 prints the mean one-way time (round
trip / 2) and the p50 and p99 of the per-round-trip one-way times. Cases come
from argv[1] or $BENCH_CASES as "kind:bytes:iters,...": "buf" is Send/Recv on a
numpy uint8 array, "obj" is send/recv of a small dict (pickled); other kinds
are skipped. Prints key=value lines.
"""
import os
import sys

import numpy as np
from mpi4py import MPI

DEFAULT_CASES = ("buf:8:20000,buf:1024:20000,buf:65536:20000,buf:1048576:1000,"
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


def summarize(times, skip, per):
    """Mean, p50 and p99 in microseconds of the iterations after the first skip."""
    each = sorted((times[i + 1] - times[i]) * 1e6 / per for i in range(skip, len(times) - 1))
    n = len(each)
    mean = (times[-1] - times[skip]) * 1e6 / per / n
    return mean, each[n // 2], each[min(n - 1, int(0.99 * n))]


def pingpong(n, iters, obj):
    buf = np.ones(n, dtype=np.uint8)
    msg = {'a': 7, 'b': 3.14, 'c': [1, 2, 3], 'd': 'hello'}
    warm = max(iters // 10, 1)
    total = warm + iters
    times = [0.0] * (total + 1)
    wtime = MPI.Wtime
    handshake()
    if rank == 0:
        for i in range(total):
            times[i] = wtime()
            if obj:
                comm.send(msg, 1); comm.recv(source=1)
            else:
                comm.Send(buf, 1); comm.Recv(buf, source=1)
        times[total] = wtime()
    elif rank == 1:
        for _ in range(total):
            if obj:
                m = comm.recv(source=0); comm.send(m, 0)
            else:
                comm.Recv(buf, source=0); comm.Send(buf, 0)
    return summarize(times, warm, 2)


spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('BENCH_CASES') or DEFAULT_CASES
for case in spec.split(','):
    kind, nbytes, iters = case.split(':')
    n, iters = int(nbytes), int(iters)
    if kind not in ('buf', 'obj'):
        continue
    mean, p50, p99 = pingpong(n, iters, kind == 'obj')
    if rank == 0:
        stats = "one_way_us=%.3f p50_us=%.3f p99_us=%.3f" % (mean, p50, p99)
        if kind == 'obj':
            print("op=pingpong kind=obj bytes=0 iters=%d %s" % (iters, stats), flush=True)
        else:
            print("op=pingpong kind=buf bytes=%d iters=%d %s MBps=%.1f" % (n, iters, stats, n / mean), flush=True)
