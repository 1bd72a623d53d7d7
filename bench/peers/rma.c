/*
 * C MPI peer of bench/rma.ts: one-sided Put, Get and a Fetch_and_op counter at 2 ranks.
 *
 * Same method as the mpi4ts and mpi4py sides: a window from MPI_Win_allocate,
 * every case in an MPI_Win_lock_all epoch; "put" / "get" move `bytes` bytes
 * from rank 0 to (from) rank 1, then MPI_Win_flush(1); "fop" has both ranks add
 * 1 to a 64-bit counter at rank 0 with MPI_Fetch_and_op, then MPI_Win_flush(0).
 * One loop per case, its first tenth untimed, a timestamp per iteration on
 * rank 0, which prints the mean time per operation and the p50 and p99, as
 * key=value lines. Cases from argv[1] or $BENCH_CASES as "kind:bytes:iters,...".
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEFAULT_CASES = "put:8:20000,get:8:20000,put:4194304:200,get:4194304:200,fop:8:20000";

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void summarize(const double *times, long n, long skip, double out[3]) {
  long m = n - skip;
  double *each = malloc((size_t)m * sizeof(double));
  for (long i = 0; i < m; i++) each[i] = (times[skip + i + 1] - times[skip + i]) * 1e6;
  qsort(each, (size_t)m, sizeof(double), compare_doubles);
  out[0] = (times[n] - times[skip]) * 1e6 / (double)m;
  out[1] = each[m / 2];
  out[2] = each[(long)(0.99 * m) < m - 1 ? (long)(0.99 * m) : m - 1];
  free(each);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2) {
    if (rank == 0) fprintf(stderr, "rma runs at 2 ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const char *env = getenv("BENCH_CASES");
  char *spec = strdup(argc > 1 ? argv[1] : env != NULL && *env ? env : DEFAULT_CASES);
  long largest = 8;
  for (char *p = spec; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
    char kind[16];
    long bytes, iters;
    if (sscanf(p, "%15[a-z]:%ld:%ld", kind, &bytes, &iters) == 3 && bytes > largest) largest = bytes;
  }
  unsigned char *memory;
  MPI_Win win;
  MPI_Win_allocate((MPI_Aint)largest, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &memory, &win);
  for (char *p = spec; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
    char kind[16];
    long n, iters;
    if (sscanf(p, "%15[a-z]:%ld:%ld", kind, &n, &iters) != 3) continue;
    int put = strcmp(kind, "put") == 0, get = strcmp(kind, "get") == 0, fop = strcmp(kind, "fop") == 0;
    if (!put && !get && !fop) continue;
    long warm = iters / 10 > 0 ? iters / 10 : 1, total = warm + iters;
    double *times = calloc((size_t)total + 1, sizeof(double));
    if (fop) {
      if (rank == 0) memset(memory, 0, 8);
      int64_t one = 1, old = 0;
      MPI_Barrier(MPI_COMM_WORLD);
      MPI_Win_lock_all(0, win);
      for (long i = 0; i < total; i++) {
        times[i] = MPI_Wtime();
        MPI_Fetch_and_op(&one, &old, MPI_INT64_T, 0, 0, MPI_SUM, win);
        MPI_Win_flush(0, win);
      }
      times[total] = MPI_Wtime();
      MPI_Win_unlock_all(win);
      MPI_Barrier(MPI_COMM_WORLD);
      if (rank == 0 && *(int64_t *)memory != 2 * total) {
        fprintf(stderr, "counter is %lld, not %ld\n", (long long)*(int64_t *)memory, 2 * total);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
    } else {
      unsigned char *buf = malloc((size_t)n);
      memset(buf, put ? 7 : 0, (size_t)n);
      if (rank == 1) memset(memory, 9, (size_t)n);
      MPI_Barrier(MPI_COMM_WORLD);
      MPI_Win_lock_all(0, win);
      if (rank == 0) {
        for (long i = 0; i < total; i++) {
          times[i] = MPI_Wtime();
          if (put) MPI_Put(buf, (int)n, MPI_BYTE, 1, 0, (int)n, MPI_BYTE, win);
          else MPI_Get(buf, (int)n, MPI_BYTE, 1, 0, (int)n, MPI_BYTE, win);
          MPI_Win_flush(1, win);
        }
        times[total] = MPI_Wtime();
      }
      MPI_Win_unlock_all(win);
      MPI_Barrier(MPI_COMM_WORLD);
      free(buf);
    }
    if (rank == 0) {
      double s[3];
      summarize(times, total, warm, s);
      printf("op=rma kind=%s bytes=%ld iters=%ld us=%.3f p50_us=%.3f p99_us=%.3f", kind, n, iters, s[0], s[1], s[2]);
      if (!fop) printf(" MBps=%.1f", (double)n / s[0]);
      printf("\n");
      fflush(stdout);
    }
    free(times);
  }
  MPI_Win_free(&win);
  free(spec);
  MPI_Finalize();
  return 0;
}
