/*
 * C MPI peer of bench/pingpong.ts: ping-pong between ranks 0 and 1.
 *
 * Same method as the mpi4ts and mpi4py sides: for each case a warm-up phase of
 * iters/10 round trips, then a timed phase of iters round trips; one-way time =
 * round trip / 2, measured on rank 0. Both phases start after a 1-byte
 * handshake. Cases come from argv[1] or $BENCH_CASES as "kind:bytes:iters,...":
 * "buf" is Send/Recv of a malloc'd buffer, "warm:8:ms" is 8-byte round trips for
 * ms milliseconds, unreported; other kinds are skipped. Prints key=value lines.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEFAULT_CASES =
    "warm:8:500,buf:8:20000,buf:1024:20000,buf:65536:20000,buf:1048576:1000,buf:4194304:200,buf:16777216:200";

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

/* 8-byte round trips until rank 0 has spent ms milliseconds (it sends 0 to stop). */
static void warm_up(int rank, long ms) {
  char buf[8] = {0};
  double t0 = MPI_Wtime();
  for (int go = 1; go;) {
    if (rank == 0) {
      go = MPI_Wtime() - t0 < ms / 1000.0;
      buf[0] = (char)go;
      MPI_Send(buf, 8, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(buf, 8, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buf, 8, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf, 8, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
      go = buf[0];
    } else {
      go = 0;
    }
  }
}

static double pingpong(int rank, char *buf, int n, int iters) {
  double t = 0;
  for (int phase = 0; phase < 2; phase++) {
    int it = phase == 0 ? (iters / 10 > 0 ? iters / 10 : 1) : iters;
    handshake(rank);
    double t0 = MPI_Wtime();
    for (int i = 0; i < it; i++) {
      if (rank == 0) {
        MPI_Send(buf, n, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buf, n, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buf, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buf, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
      }
    }
    t = (MPI_Wtime() - t0) / it / 2;
  }
  return t;
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
    if (strcmp(kind, "warm") == 0) warm_up(rank, iters);
    if (strcmp(kind, "buf") != 0) continue;
    char *buf = malloc(bytes > 0 ? (size_t)bytes : 1);
    memset(buf, 1, bytes > 0 ? (size_t)bytes : 1);
    double t = pingpong(rank, buf, (int)bytes, (int)iters);
    free(buf);
    if (rank == 0) {
      printf("op=pingpong kind=buf bytes=%ld iters=%ld one_way_us=%.3f MBps=%.1f\n", bytes, iters, t * 1e6,
             bytes / t / 1e6);
      fflush(stdout);
    }
  }
  free(cases);
  MPI_Finalize();
  return 0;
}
