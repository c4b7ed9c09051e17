// The device's own floor for reading a COW's metadata areas, for the table
// item of `npm run bench`: THREADS threads pread each area (one chunk, areas
// E + 1 chunks apart) with O_DIRECT, nothing decoded, no event loop between.
// Compiled by the bench itself (c-area-reads.ts).
// Usage: area-reads COW AREAS CHUNK_BYTES EXCEPTIONS_PER_AREA THREADS; prints
// the seconds the reads took.
#define _GNU_SOURCE

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int cow_fd;
static long areas, chunk_bytes, per_area;
static atomic_long next_area;

static void *read_areas(void *unused) {
  (void)unused;
  void *buffer;
  if (posix_memalign(&buffer, 4096, chunk_bytes) != 0) {
    perror("posix_memalign");
    exit(1);
  }
  for (long a = atomic_fetch_add(&next_area, 1); a < areas; a = atomic_fetch_add(&next_area, 1)) {
    off_t offset = (off_t)(1 + (per_area + 1) * a) * chunk_bytes;
    if (pread(cow_fd, buffer, chunk_bytes, offset) != chunk_bytes) {
      perror("pread of a metadata area");
      exit(1);
    }
  }
  free(buffer);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: area-reads COW AREAS CHUNK_BYTES EXCEPTIONS_PER_AREA THREADS\n");
    return 2;
  }
  cow_fd = open(argv[1], O_RDONLY | O_DIRECT);
  if (cow_fd < 0) {
    perror(argv[1]);
    return 1;
  }
  areas = atol(argv[2]);
  chunk_bytes = atol(argv[3]);
  per_area = atol(argv[4]);
  int threads = atoi(argv[5]);
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "THREADS must be 1 - 256\n");
    return 2;
  }
  pthread_t ids[256];
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, read_areas, NULL);
  for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("%.6f\n", (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
