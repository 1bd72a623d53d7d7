/*
 * C MPI peer of bench/pingpong.ts: ping-pong between ranks 0 and 1.
 *
 * Same method as the mpi4ts and mpi4py sides: for each case a 1-byte handshake,
 * then one loop of iters/10 untimed round trips followed by iters timed ones,
 * with a timestamp per round trip on rank 0; rank 0 prints the mean one-way time
 * (round trip / 2) and the p50 and p99 of the per-round-trip one-way times.
 * Cases come from argv[1] or $BENCH_CASES as "kind:bytes:iters,...": "buf" is
 * Send/Recv of a malloc'd buffer; other kinds are skipped. Prints key=value lines.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEFAULT_CASES =
    "buf:8:20000,buf:1024:20000,buf:65536:20000,buf:1048576:1000,buf:4194304:200,buf:16777216:200";

static void handshake(int rank) {
  char b = 0;
  if (rank == 0) {
    MPI_Send(&b, 1, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
    MPI_Recv(&b, 1, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  } else if (rank == 1) {
    MPI_Recv(&b, 1, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Send(&b, 1, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
  }
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Mean, p50 and p99 in microseconds of the iterations after the first `skip` of `times` (n + 1 stamps). */
static void summarize(const double *times, long n, long skip, double per, double out[3]) {
  long m = n - skip;
  double *each = malloc((size_t)m * sizeof(double));
  for (long i = 0; i < m; i++) each[i] = (times[skip + i + 1] - times[skip + i]) * 1e6 / per;
  qsort(each, (size_t)m, sizeof(double), compare_doubles);
  long p99 = (long)(0.99 * (double)m);
  out[0] = (times[n] - times[skip]) * 1e6 / per / (double)m;
  out[1] = each[m / 2];
  out[2] = each[p99 < m ? p99 : m - 1];
  free(each);
}

static void pingpong(int rank, char *buf, int n, long iters, double out[3]) {
  long warm = iters / 10 > 0 ? iters / 10 : 1, total = warm + iters;
  double *times = calloc((size_t)total + 1, sizeof(double));
  handshake(rank);
  for (long i = 0; i < total; i++) {
    if (rank == 0) {
      times[i] = MPI_Wtime();
      MPI_Send(buf, n, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(buf, n, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buf, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
  }
  times[total] = MPI_Wtime();
  summarize(times, total, warm, 2, out);
  free(times);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) {
    if (rank == 0) fprintf(stderr, "pingpong needs at least 2 ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const char *spec = argc > 1 ? argv[1] : getenv("BENCH_CASES");
  if (spec == NULL || *spec == '\0') spec = DEFAULT_CASES;
  char *cases = strdup(spec);
  for (char *save = NULL, *c = strtok_r(cases, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
    char kind[32];
    long bytes, iters;
    if (sscanf(c, "%31[^:]:%ld:%ld", kind, &bytes, &iters) != 3 || bytes < 0 || iters < 1) {
      if (rank == 0) fprintf(stderr, "bad case '%s'\n", c);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (strcmp(kind, "buf") != 0) continue;
    char *buf = malloc(bytes > 0 ? (size_t)bytes : 1);
    memset(buf, 1, bytes > 0 ? (size_t)bytes : 1);
    double t[3];
    pingpong(rank, buf, (int)bytes, iters, t);
    free(buf);
    if (rank == 0) {
      printf("op=pingpong kind=buf bytes=%ld iters=%ld one_way_us=%.3f p50_us=%.3f p99_us=%.3f MBps=%.1f\n", bytes,
             iters, t[0], t[1], t[2], bytes / t[0]);
      fflush(stdout);
    }
  }
  free(cases);
  MPI_Finalize();
  return 0;
}
