"""mpi4py peer of bench/rma.ts: one-sided Put, Get and a Fetch_and_op counter at 2 ranks.

Same method as the mpi4ts and C sides: a window from Win.Allocate, every case in
a Lock_all epoch; "put" / "get" move `bytes` bytes from rank 0 to (from) rank 1,
then Flush(1); "fop" has both ranks add 1 to a 64-bit counter at rank 0 with
Fetch_and_op, then Flush(0). One loop per case, its first tenth untimed, a
timestamp per iteration on rank 0, which prints the mean time per operation and
the p50 and p99, as key=value lines. Cases from argv[1] or $BENCH_CASES as
"kind:bytes:iters,...".
"""
import os
import sys

import numpy as np
from mpi4py import MPI

DEFAULT_CASES = "put:8:20000,get:8:20000,put:4194304:200,get:4194304:200,fop:8:20000"

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
if comm.Get_size() != 2:
    sys.exit("rma runs at 2 ranks")


def summarize(times, skip):
    each = sorted((times[i + 1] - times[i]) * 1e6 for i in range(skip, len(times) - 1))
    n = len(each)
    return (times[-1] - times[skip]) * 1e6 / n, each[n // 2], each[min(n - 1, int(0.99 * n))]


spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('BENCH_CASES') or DEFAULT_CASES
cases = [(k, int(b), int(i)) for k, b, i in (c.split(':') for c in spec.split(','))]
largest = max([8] + [b for _, b, _ in cases])
win = MPI.Win.Allocate(largest, 1, comm=comm)
memory = np.frombuffer(win.tomemory(), dtype=np.uint8)
wtime = MPI.Wtime

for kind, n, iters in cases:
    if kind not in ('put', 'get', 'fop'):
        continue
    warm = max(iters // 10, 1)
    total = warm + iters
    times = [0.0] * (total + 1)
    if kind == 'fop':
        if rank == 0:
            memory[:8] = 0
        one = np.ones(1, dtype=np.int64)
        old = np.zeros(1, dtype=np.int64)
        comm.Barrier()
        win.Lock_all()
        for i in range(total):
            times[i] = wtime()
            win.Fetch_and_op(one, old, 0, 0, MPI.SUM)
            win.Flush(0)
        times[total] = wtime()
        win.Unlock_all()
        comm.Barrier()
        if rank == 0 and memory[:8].view(np.int64)[0] != 2 * total:
            sys.exit("counter is %d, not %d" % (memory[:8].view(np.int64)[0], 2 * total))
    else:
        buf = np.full(n, 7 if kind == 'put' else 0, dtype=np.uint8)
        if rank == 1:
            memory[:n] = 9
        comm.Barrier()
        win.Lock_all()
        if rank == 0:
            for i in range(total):
                times[i] = wtime()
                if kind == 'put':
                    win.Put(buf, 1)
                else:
                    win.Get(buf, 1)
                win.Flush(1)
            times[total] = wtime()
        win.Unlock_all()
        comm.Barrier()
    if rank == 0:
        mean, p50, p99 = summarize(times, warm)
        stats = "us=%.3f p50_us=%.3f p99_us=%.3f" % (mean, p50, p99)
        extra = "" if kind == 'fop' else " MBps=%.1f" % (n / mean)
        print("op=rma kind=%s bytes=%d iters=%d %s%s" % (kind, n, iters, stats, extra), flush=True)
win.Free()
