# mpi4py.futures side of the benchmark: MPICommExecutor with one manager and
# WORKERS workers (run.ts starts it under mpiexec -n WORKERS+1), tiny tasks at
# chunksize 1 and 100. The CPU-bound map is left out: in Python the same task
# measures the language, not the pool.
import json
import math
import time

from mpi4py import MPI
from mpi4py.futures import MPICommExecutor

TINY_TASKS = 100_000
WARMUP = 1000

with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
    if executor is not None:
        list(executor.map(math.sqrt, range(WARMUP)))
        rates = {}
        for chunksize in (1, 100):
            t0 = time.perf_counter()
            results = list(executor.map(math.sqrt, range(TINY_TASKS), chunksize=chunksize))
            assert len(results) == TINY_TASKS
            rates[chunksize] = TINY_TASKS / (time.perf_counter() - t0)
        print(json.dumps({'pool': 'mpi4py.futures %d workers' % (MPI.COMM_WORLD.Get_size() - 1),
                          'tinyChunk1': rates[1], 'tinySubmit': None, 'tinyChunk100': rates[100], 'cpuSeconds': None, 'cpuCheck': None, 'cpuManagerSeconds': None}))
