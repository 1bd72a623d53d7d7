/*
 * The machine's own stalls, which every implementation's per-call times inherit: one thread per
 * core (up to 2) reads the monotonic clock in a tight loop for 300 ms and counts the gaps of 5 us
 * or more between two readings, times the thread did not run (a host or guest interrupt, another
 * thread on its core). Prints, per thread: `stalls=<count> ms=<run> median_us=<median gap>`.
 * bench/machine_stalls.ts builds and runs it.
 * Not an MPI call.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUN_US 300000.0
#define GAP_US 5.0
#define MAX_GAPS 100000

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

struct result {
  int count;
  double gaps[MAX_GAPS];
};

static void *watch(void *arg) {
  struct result *r = arg;
  double start = now_us(), prev = start;
  for (;;) {
    double t = now_us();
    if (t - prev >= GAP_US && r->count < MAX_GAPS) r->gaps[r->count++] = t - prev;
    prev = t;
    if (t - start >= RUN_US) break;
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  if (threads < 1 || threads > 2) threads = 2;
  pthread_t tid[2];
  struct result *results = calloc(threads, sizeof(struct result));
  if (results == NULL) return 1;
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, watch, &results[i]);
  for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
  for (int i = 0; i < threads; i++) {
    struct result *r = &results[i];
    qsort(r->gaps, r->count, sizeof(double), by_value);
    printf("stalls=%d ms=%.0f median_us=%.1f\n", r->count, RUN_US / 1000, r->count > 0 ? r->gaps[r->count / 2] : 0.0);
  }
  free(results);
  return 0;
}
