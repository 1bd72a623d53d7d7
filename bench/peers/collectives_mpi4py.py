"""mpi4py peer of bench/collectives.ts: Barrier, Bcast, Allreduce, Reduce and
Scan (SUM of doubles, Reduce to rank 0), Alltoall, Gather (to rank 0) and
Allgather on COMM_WORLD, buffer (Capitalized) forms on numpy arrays, Sendrecv
around the ring (to the next rank, from the one before), and the object bcast
and gather of a small dict and allreduce of a number.

Same method as the mpi4ts and C sides: per case a Barrier, then one loop of
iters/10 untimed calls followed by iters timed ones, with a timestamp per call,
then a Barrier before the figures are worked out; rank 0 prints the slowest rank's mean time per call and the largest per-rank
p50 and p99. "bytes" is the Bcast buffer, the reductions' vector (bytes/8
doubles) or the block each rank sends (Alltoall: to each rank). Cases come from argv[1] or
$BENCH_CASES as "op:bytes:iters,...".
"""
import os
import sys

import numpy as np
from mpi4py import MPI

DEFAULT_CASES = "barrier:0:20000,allreduce:8388608:50"

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
MSG = {'a': 7, 'b': 3.14, 'c': [1, 2, 3], 'd': 'hello'}


def summarize(times, skip):
    """Mean, p50 and p99 in microseconds of the iterations after the first skip."""
    each = sorted((times[i + 1] - times[i]) * 1e6 for i in range(skip, len(times) - 1))
    n = len(each)
    return (times[-1] - times[skip]) * 1e6 / n, each[n // 2], each[min(n - 1, int(0.99 * n))]


spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('BENCH_CASES') or DEFAULT_CASES
for case in spec.split(','):
    op, nbytes, iters = case.split(':')
    n, iters = int(nbytes), int(iters)
    if op == 'barrier':
        call = comm.Barrier
    elif op == 'bcast':
        a = np.ones(n, dtype=np.uint8)
        call = lambda: comm.Bcast(a, 0)
    elif op == 'allreduce':
        a = np.full(n // 8, rank + 1, dtype=np.float64); b = np.zeros_like(a)
        call = lambda: comm.Allreduce(a, b, MPI.SUM)
    elif op == 'alltoall':
        a = np.ones(n * size, dtype=np.uint8); b = np.zeros_like(a)
        call = lambda: comm.Alltoall(a, b)
    elif op == 'reduce':
        a = np.full(n // 8, rank + 1, dtype=np.float64); b = np.zeros_like(a)
        call = lambda: comm.Reduce(a, b, MPI.SUM, 0)
    elif op == 'scan':
        a = np.full(n // 8, rank + 1, dtype=np.float64); b = np.zeros_like(a)
        call = lambda: comm.Scan(a, b, MPI.SUM)
    elif op == 'gather':
        a = np.ones(n, dtype=np.uint8); b = np.zeros(n * size, dtype=np.uint8)
        call = lambda: comm.Gather(a, b, 0)
    elif op == 'allgather':
        a = np.ones(n, dtype=np.uint8); b = np.zeros(n * size, dtype=np.uint8)
        call = lambda: comm.Allgather(a, b)
    elif op == 'sendrecv':
        a = np.full(n, rank + 1, dtype=np.uint8); b = np.zeros(n, dtype=np.uint8)
        right, left = (rank + 1) % size, (rank - 1) % size
        call = lambda: comm.Sendrecv(a, right, 0, b, left, 0)
    elif op == 'objbcast':
        call = lambda: comm.bcast(MSG if rank == 0 else None, 0)
    elif op == 'objgather':
        call = lambda: comm.gather(MSG, 0)
    elif op == 'objallreduce':
        call = lambda: comm.allreduce(rank + 0.5)
    else:
        continue
    warm = max(iters // 10, 1)
    total = warm + iters
    times = [0.0] * (total + 1)
    wtime = MPI.Wtime
    comm.Barrier()
    for i in range(total):
        times[i] = wtime()
        call()
    times[total] = wtime()
    comm.Barrier()
    mean, p50, p99 = summarize(times, warm)
    mean, p50, p99 = (comm.reduce(v, MPI.MAX, 0) for v in (mean, p50, p99))
    if rank == 0:
        print("op=%s ranks=%d bytes=%d iters=%d us=%.3f p50_us=%.3f p99_us=%.3f"
              % (op, size, n, iters, mean, p50, p99), flush=True)
