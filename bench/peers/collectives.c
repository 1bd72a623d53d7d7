/*
 * C MPI peer of bench/collectives.ts: Barrier, Bcast, Allreduce (SUM of
 * doubles) and Alltoall on MPI_COMM_WORLD.
 *
 * Same method as the mpi4ts and mpi4py sides: per case a warm-up of iters/10
 * calls, a Barrier, then iters timed calls; each rank's mean time per call is
 * reduced with MAX to rank 0, which prints it. "bytes" is the Bcast buffer, the
 * Allreduce vector (bytes/8 doubles) or the Alltoall block sent to each rank.
 * Cases come from argv[1] or $BENCH_CASES as "op:bytes:iters,..."; "warm:0:ms"
 * is a start-up warm-up (rank 0 sends a go/stop flag to each rank, then a
 * Barrier) for ms milliseconds.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEFAULT_CASES = "warm:0:500,barrier:0:20000,allreduce:8388608:50";

/* Flag messages and Barriers until rank 0 has spent ms milliseconds (it sends 0 to stop). */
static void warm_up(int rank, int size, long ms) {
  double t0 = MPI_Wtime();
  for (char go = 1; go;) {
    if (rank == 0) {
      go = MPI_Wtime() - t0 < ms / 1000.0;
      for (int r = 1; r < size; r++) MPI_Send(&go, 1, MPI_BYTE, r, 97, MPI_COMM_WORLD);
    } else {
      MPI_Recv(&go, 1, MPI_BYTE, 0, 97, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
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
    if (strcmp(op, "warm") == 0) {
      warm_up(rank, size, iters);
      continue;
    }
    int kind = strcmp(op, "barrier") == 0 ? 0 : strcmp(op, "bcast") == 0 ? 1
             : strcmp(op, "allreduce") == 0 ? 2 : strcmp(op, "alltoall") == 0 ? 3 : -1;
    if (kind < 0) continue;
    size_t len = kind == 3 ? (size_t)bytes * size : (size_t)bytes;
    size_t count = kind == 2 ? len / 8 : len;
    char *a = malloc(len > 0 ? len : 1), *b = malloc(len > 0 ? len : 1);
    memset(a, 1, len > 0 ? len : 1);
    memset(b, 0, len > 0 ? len : 1);
    if (kind == 2) for (size_t i = 0; i < count; i++) ((double *)a)[i] = rank + 1;
    double t = 0;
    for (int phase = 0; phase < 2; phase++) {
      long it = phase == 0 ? (iters / 10 > 0 ? iters / 10 : 1) : iters;
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      for (long i = 0; i < it; i++) {
        switch (kind) {
          case 0: MPI_Barrier(MPI_COMM_WORLD); break;
          case 1: MPI_Bcast(a, (int)count, MPI_BYTE, 0, MPI_COMM_WORLD); break;
          case 2: MPI_Allreduce(a, b, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); break;
          case 3: MPI_Alltoall(a, (int)bytes, MPI_BYTE, b, (int)bytes, MPI_BYTE, MPI_COMM_WORLD); break;
        }
      }
      t = (MPI_Wtime() - t0) / it;
    }
    double tmax = 0;
    MPI_Reduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    free(a);
    free(b);
    if (rank == 0) {
      printf("op=%s ranks=%d bytes=%ld iters=%ld us=%.3f\n", op, size, bytes, iters, tmax * 1e6);
      fflush(stdout);
    }
  }
  free(cases);
  MPI_Finalize();
  return 0;
}
