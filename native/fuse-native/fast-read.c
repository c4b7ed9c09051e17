// The read operation of the native read path. Its guarantees are those of
// snapdelta's JS read path (src/io/read-fully.ts): every byte inside an
// extent comes from a pread of its descriptor, zeros only outside extents,
// and a failed pread or an early end of the source (a device that shrank or
// went away) is EIO for the whole request, never zeros or a short read.
// There is no timeout: a slow device makes a slow read.
#include "fast-read.h"
#include "fast-read-table.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static fast_read_op_t js_read_op;

// Counted for DEBUG output and the tests: which path served the reads.
atomic_uint_fast64_t fast_read_served;
atomic_uint_fast64_t fast_read_failed;
// Set from JS when DEBUG enables snapdelta:fuse: failures go to stderr (the server log).
atomic_int fast_read_log_failures;

// An early end of the source, told apart from a pread error in messages.
#define ENDED_EARLY (-1)

// Fills buf[0..len) from fd at offset; 0, the errno of a failed pread, or ENDED_EARLY.
static int pread_fully(int fd, char *buf, size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, buf + done, len - done, (off_t) (offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return ENDED_EARLY;
    done += (size_t) n;
  }
  return 0;
}

// Index of the first extent ending after `offset` (extent_count when none): a binary search.
static size_t first_extent_ending_after(const fast_read_file_t *file, uint64_t offset) {
  size_t lo = 0;
  size_t hi = file->extent_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const fast_read_extent_t *e = &file->extents[mid];
    if (e->offset_bytes + e->length_bytes <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void log_failure(const char *path, uint64_t offset, int err) {
  if (!atomic_load(&fast_read_log_failures)) return;
  const char *why = err == ENDED_EARLY ? "the source ended before it: it shrank or is unreadable" : strerror(err);
  fprintf(stderr, "snapdelta:fuse-native read of %s at byte %llu failed: %s\n", path, (unsigned long long) offset, why);
}

// Serves one request from the extents; the bytes read, or -EIO.
static int serve(const char *path, const fast_read_file_t *file, char *buf, size_t len, uint64_t offset) {
  if (offset >= file->size_bytes) return 0;
  size_t n = len < file->size_bytes - offset ? len : (size_t) (file->size_bytes - offset);
  uint64_t end = offset + n;
  uint64_t at = offset;
  for (size_t i = first_extent_ending_after(file, offset); i < file->extent_count && at < end; i++) {
    const fast_read_extent_t *e = &file->extents[i];
    if (e->offset_bytes >= end) break;
    uint64_t from = e->offset_bytes > at ? e->offset_bytes : at;
    if (from > at) memset(buf + (at - offset), 0, from - at);
    uint64_t extent_end = e->offset_bytes + e->length_bytes;
    uint64_t to = extent_end < end ? extent_end : end;
    uint64_t source = e->source_offset_bytes + (from - e->offset_bytes);
    int err = pread_fully(file->fd, buf + (from - offset), to - from, source);
    if (err != 0) {
      log_failure(path, from, err);
      return -EIO;
    }
    at = to;
  }
  if (at < end) memset(buf + (at - offset), 0, end - at);
  return (int) n;
}

static int fast_read_op(const char *path, char *buf, size_t len, off_t offset, struct fuse_file_info *info) {
  fast_read_file_t *file = info != NULL ? fast_read_table_acquire(info->fh) : NULL;
  if (file == NULL) return js_read_op(path, buf, len, offset, info);
  int res = serve(path, file, buf, len, (uint64_t) offset);
  fast_read_table_put(file);
  atomic_fetch_add(res < 0 ? &fast_read_failed : &fast_read_served, 1);
  return res;
}

fast_read_op_t fast_read_wrap(fast_read_op_t js_read) {
  js_read_op = js_read;
  return fast_read_op;
}
