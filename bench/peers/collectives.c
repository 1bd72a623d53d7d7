/*
 * C MPI peer of bench/collectives.ts: Barrier, Bcast, Allreduce, Reduce and
 * Scan (SUM of doubles, Reduce to rank 0), Alltoall, Gather (to rank 0),
 * Allgather and Sendrecv around the ring (to the next rank, from the one
 * before) on MPI_COMM_WORLD.
 *
 * Same method as the mpi4ts and mpi4py sides: per case a Barrier, then one loop
 * of iters/10 untimed calls followed by iters timed ones, with a timestamp per
 * call, then a Barrier before the figures are worked out; each rank's mean, p50
 * and p99 time per call are reduced with MAX to rank 0, which prints them.
 * "bytes" is the Bcast buffer, the reductions' vector (bytes/8 doubles) or the
 * block each rank sends (Alltoall: to each rank). Cases come from argv[1] or
 * $BENCH_CASES as "op:bytes:iters,..."; other ops (the object collectives,
 * which C has not) are skipped.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEFAULT_CASES = "barrier:0:20000,allreduce:8388608:50";

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Mean, p50 and p99 in microseconds of the iterations after the first `skip` of `times` (n + 1 stamps). */
static void summarize(const double *times, long n, long skip, double out[3]) {
  long m = n - skip;
  double *each = malloc((size_t)m * sizeof(double));
  for (long i = 0; i < m; i++) each[i] = (times[skip + i + 1] - times[skip + i]) * 1e6;
  qsort(each, (size_t)m, sizeof(double), compare_doubles);
  long p99 = (long)(0.99 * (double)m);
  out[0] = (times[n] - times[skip]) * 1e6 / (double)m;
  out[1] = each[m / 2];
  out[2] = each[p99 < m ? p99 : m - 1];
  free(each);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const char *spec = argc > 1 ? argv[1] : getenv("BENCH_CASES");
  if (spec == NULL || *spec == '\0') spec = DEFAULT_CASES;
  char *cases = strdup(spec);
  for (char *save = NULL, *c = strtok_r(cases, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
    char op[32];
    long bytes, iters;
    if (sscanf(c, "%31[^:]:%ld:%ld", op, &bytes, &iters) != 3 || bytes < 0 || iters < 1) {
      if (rank == 0) fprintf(stderr, "bad case '%s'\n", c);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int kind = strcmp(op, "barrier") == 0 ? 0 : strcmp(op, "bcast") == 0 ? 1
             : strcmp(op, "allreduce") == 0 ? 2 : strcmp(op, "alltoall") == 0 ? 3
             : strcmp(op, "reduce") == 0 ? 4 : strcmp(op, "scan") == 0 ? 5
             : strcmp(op, "gather") == 0 ? 6 : strcmp(op, "allgather") == 0 ? 7
             : strcmp(op, "sendrecv") == 0 ? 8 : -1;
    if (kind < 0) continue;
    int doubles = kind == 2 || kind == 4 || kind == 5;
    size_t len = kind == 3 || kind == 6 || kind == 7 ? (size_t)bytes * size : (size_t)bytes;
    size_t count = doubles ? len / 8 : len;
    char *a = malloc(len > 0 ? len : 1), *b = malloc(len > 0 ? len : 1);
    memset(a, 1, len > 0 ? len : 1);
    memset(b, 0, len > 0 ? len : 1);
    if (doubles) for (size_t i = 0; i < count; i++) ((double *)a)[i] = rank + 1;
    long warm = iters / 10 > 0 ? iters / 10 : 1, total = warm + iters;
    double *times = calloc((size_t)total + 1, sizeof(double));
    MPI_Barrier(MPI_COMM_WORLD);
    for (long i = 0; i < total; i++) {
      times[i] = MPI_Wtime();
      switch (kind) {
        case 0: MPI_Barrier(MPI_COMM_WORLD); break;
        case 1: MPI_Bcast(a, (int)count, MPI_BYTE, 0, MPI_COMM_WORLD); break;
        case 2: MPI_Allreduce(a, b, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); break;
        case 3: MPI_Alltoall(a, (int)bytes, MPI_BYTE, b, (int)bytes, MPI_BYTE, MPI_COMM_WORLD); break;
        case 4: MPI_Reduce(a, b, (int)count, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD); break;
        case 5: MPI_Scan(a, b, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); break;
        case 6: MPI_Gather(a, (int)bytes, MPI_BYTE, b, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD); break;
        case 7: MPI_Allgather(a, (int)bytes, MPI_BYTE, b, (int)bytes, MPI_BYTE, MPI_COMM_WORLD); break;
        case 8:
          MPI_Sendrecv(a, (int)bytes, MPI_BYTE, (rank + 1) % size, 0, b, (int)bytes, MPI_BYTE, (rank + size - 1) % size, 0,
                       MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          break;
      }
    }
    times[total] = MPI_Wtime();
    MPI_Barrier(MPI_COMM_WORLD);
    double t[3], tmax[3] = {0, 0, 0};
    summarize(times, total, warm, t);
    free(times);
    MPI_Reduce(t, tmax, 3, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    free(a);
    free(b);
    if (rank == 0) {
      printf("op=%s ranks=%d bytes=%ld iters=%ld us=%.3f p50_us=%.3f p99_us=%.3f\n", op, size, bytes, iters, tmax[0],
             tmax[1], tmax[2]);
      fflush(stdout);
    }
  }
  free(cases);
  MPI_Finalize();
  return 0;
}
