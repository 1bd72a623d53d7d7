"""mpi4py peer of bench/io.ts: collective write and read of a block-decomposed
2D array of doubles through a subarray view, the same calls as the mpi4ts side.

Per case: an n x n array of about `bytes` bytes (n a multiple of the rank
grid's sides, MPI.Compute_dims(size, 2)); each iteration opens the file, sets
the view (Create_subarray of this rank's block), Write_all / Read_all and
closes it. Then one loop of max(iters/10, 1) untimed iterations and iters
timed ones; rank 0 prints the slowest rank's mean, p50 and p99 per iteration
and the bandwidth of the mean (gbps, 1e9 bytes per second). `fswrite` (one
process writing the bytes with plain file I/O) is measured by the mpi4ts side
only. Cases come from argv[1] or $BENCH_CASES as "op:bytes:iters,...".
"""
import os
import shutil
import sys
import tempfile

import numpy as np
from mpi4py import MPI

DEFAULT_CASES = "write:268435456:3,read:268435456:3"

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
py, px = MPI.Compute_dims(size, 2)
directory = comm.bcast(tempfile.mkdtemp(prefix='mpi4py-bench-io-') if rank == 0 else None, 0)
name = os.path.join(directory, 'array.bin')


def summarize(times, skip):
    each = sorted((times[i + 1] - times[i]) * 1e6 for i in range(skip, len(times) - 1))
    n = len(each)
    return (times[-1] - times[skip]) * 1e6 / n, each[n // 2], each[min(n - 1, int(0.99 * n))]


spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('BENCH_CASES') or DEFAULT_CASES
for case in spec.split(','):
    op, nbytes, iters = case.split(':')
    nbytes, iters = int(nbytes), int(iters)
    if op not in ('write', 'read'):
        continue
    step = py * px
    n = max(step, int((nbytes / 8) ** 0.5) // step * step)
    ly, lx = n // py, n // px
    cy, cx = rank // px, rank % px
    rows = np.arange(cy * ly, (cy + 1) * ly, dtype=np.float64)[:, None] * n
    local = np.ascontiguousarray(rows + np.arange(cx * lx, (cx + 1) * lx, dtype=np.float64)[None, :])
    view = MPI.DOUBLE.Create_subarray([n, n], [ly, lx], [cy * ly, cx * lx]).Commit()
    into = np.empty_like(local)
    reading = op == 'read'
    if reading:
        f = MPI.File.Open(comm, name, MPI.MODE_CREATE | MPI.MODE_WRONLY)
        f.Set_view(0, MPI.DOUBLE, view)
        f.Write_all(local)
        f.Close()

    def iteration():
        f = MPI.File.Open(comm, name, MPI.MODE_RDONLY if reading else MPI.MODE_CREATE | MPI.MODE_WRONLY)
        f.Set_view(0, MPI.DOUBLE, view)
        if reading:
            f.Read_all(into)
        else:
            f.Write_all(local)
        f.Close()

    warm = max(iters // 10, 1)
    total = warm + iters
    times = [0.0] * (total + 1)
    comm.Barrier()
    for i in range(total):
        times[i] = MPI.Wtime()
        iteration()
    times[total] = MPI.Wtime()
    if reading and not np.array_equal(into, local):
        raise RuntimeError('rank %d: read gave wrong data' % rank)
    comm.Barrier()
    if not reading and rank == 0:
        data = np.fromfile(name, dtype=np.float64)
        if data.size != n * n or not np.array_equal(data, np.arange(n * n, dtype=np.float64)):
            raise RuntimeError('write: the file is not the array')
    view.Free()
    mean, p50, p99 = summarize(times, warm)
    mean, p50, p99 = (comm.reduce(v, MPI.MAX, 0) for v in (mean, p50, p99))
    if rank == 0:
        print("op=%s ranks=%d bytes=%d array_bytes=%d iters=%d us=%.1f p50_us=%.1f p99_us=%.1f gbps=%.3f"
              % (op, size, nbytes, n * n * 8, iters, mean, p50, p99, n * n * 8 / mean / 1e3), flush=True)
comm.Barrier()
if rank == 0:
    shutil.rmtree(directory, ignore_errors=True)
