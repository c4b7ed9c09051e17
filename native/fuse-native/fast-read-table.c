// The table of described files: a chained hash by fh under one mutex. The
// mutex is held only to find an entry and count a reference, never during a
// pread, so a slow device never blocks another file's reads or a release.
#include "fast-read-table.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define BUCKETS 1024

static fast_read_file_t *buckets[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static fast_read_file_t **bucket_of(uint64_t fh) {
  return &buckets[fh % BUCKETS];
}

static void free_file(fast_read_file_t *file) {
  close(file->fd);
  free(file->extents);
  free(file);
}

int fast_read_table_add(fast_read_file_t *file) {
  pthread_mutex_lock(&lock);
  fast_read_file_t **head = bucket_of(file->fh);
  for (fast_read_file_t *f = *head; f != NULL; f = f->next) {
    if (f->fh == file->fh) {
      pthread_mutex_unlock(&lock);
      return -1;
    }
  }
  file->refs = 1;
  file->next = *head;
  *head = file;
  pthread_mutex_unlock(&lock);
  return 0;
}

fast_read_file_t *fast_read_table_acquire(uint64_t fh) {
  pthread_mutex_lock(&lock);
  fast_read_file_t *f = *bucket_of(fh);
  while (f != NULL && f->fh != fh) f = f->next;
  if (f != NULL) f->refs++;
  pthread_mutex_unlock(&lock);
  return f;
}

void fast_read_table_put(fast_read_file_t *file) {
  pthread_mutex_lock(&lock);
  int last = --file->refs == 0;
  pthread_mutex_unlock(&lock);
  if (last) free_file(file);
}

int fast_read_table_forget(uint64_t fh) {
  pthread_mutex_lock(&lock);
  fast_read_file_t **link = bucket_of(fh);
  while (*link != NULL && (*link)->fh != fh) link = &(*link)->next;
  fast_read_file_t *f = *link;
  if (f != NULL) *link = f->next;
  pthread_mutex_unlock(&lock);
  if (f == NULL) return -1;
  fast_read_table_put(f);
  return 0;
}
