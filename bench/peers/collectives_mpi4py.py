"""mpi4py peer of bench/collectives.ts: Barrier, Bcast, Allreduce (SUM of
doubles) and Alltoall on COMM_WORLD, buffer (Capitalized) forms on numpy arrays.

Same method as the mpi4ts and C sides: per case a warm-up of iters/10 calls, a
Barrier, then iters timed calls; each rank's mean time per call is reduced with
MAX to rank 0, which prints it. "bytes" is the Bcast buffer, the Allreduce
vector (bytes/8 doubles) or the Alltoall block sent to each rank. Cases come
from argv[1] or $BENCH_CASES as "op:bytes:iters,...".
"""
import os
import sys

import numpy as np
from mpi4py import MPI

DEFAULT_CASES = "warm:0:500,barrier:0:20000,allreduce:8388608:50"

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()


def warm_up(ms):
    """Flag messages and Barriers until rank 0 has spent ms milliseconds (it sends 0 to stop)."""
    flag = np.zeros(1, dtype=np.uint8)
    t0 = MPI.Wtime()
    go = 1
    while go:
        if rank == 0:
            go = 1 if MPI.Wtime() - t0 < ms / 1000 else 0
            flag[0] = go
            for r in range(1, size):
                comm.Send(flag, r, 97)
        else:
            comm.Recv(flag, 0, 97)
            go = int(flag[0])
        comm.Barrier()


spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('BENCH_CASES') or DEFAULT_CASES
for case in spec.split(','):
    op, nbytes, iters = case.split(':')
    n, iters = int(nbytes), int(iters)
    if op == 'warm':
        warm_up(iters)
        continue
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
    else:
        continue
    t = 0.0
    for phase in (0, 1):
        it = max(iters // 10, 1) if phase == 0 else iters
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(it):
            call()
        t = (MPI.Wtime() - t0) / it
    tmax = comm.reduce(t, MPI.MAX, 0)
    if rank == 0:
        print("op=%s ranks=%d bytes=%d iters=%d us=%.3f" % (op, size, n, iters, tmax * 1e6), flush=True)
