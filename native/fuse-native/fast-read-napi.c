// The JS side of the native read path: describe a handle once after open,
// forget it on release, read the counters. Called on the JS thread only.
#include "fast-read.h"
#include "fast-read-table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern atomic_uint_fast64_t fast_read_served;
extern atomic_uint_fast64_t fast_read_failed;
extern atomic_int fast_read_log_failures;

#define EXTENT_NUMBERS 3

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// Copies the extents (3 numbers each: offset, length, source offset) and checks
// they are sorted, apart and inside the file: a bad list would read wrong bytes.
static fast_read_extent_t *copy_extents(const double *numbers, size_t count, uint64_t size_bytes) {
  fast_read_extent_t *extents = malloc((count > 0 ? count : 1) * sizeof(fast_read_extent_t));
  if (extents == NULL) return NULL;
  uint64_t previous_end = 0;
  for (size_t i = 0; i < count; i++) {
    const double *n = &numbers[i * EXTENT_NUMBERS];
    if (n[0] < 0 || n[1] <= 0 || n[2] < 0 || n[0] + n[1] > (double) size_bytes || (uint64_t) n[0] < previous_end) {
      free(extents);
      errno = EINVAL;
      return NULL;
    }
    extents[i] = (fast_read_extent_t) { (uint64_t) n[0], (uint64_t) n[1], (uint64_t) n[2] };
    previous_end = extents[i].offset_bytes + extents[i].length_bytes;
  }
  return extents;
}

// A descriptor of its own for the described file: a new open of the same
// file through /proc (never a path that could now name another file), so each
// open of the mount has its own readahead state in the kernel, as readers of
// a plain file do; a dup would share one among all concurrent readers and
// make interleaved sequential reads look random. A dup where /proc is missing.
static int reopen(int fd) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  int own = open(path, O_RDONLY | O_CLOEXEC);
  return own >= 0 ? own : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

// fastReadDescribe(fh, fd, sizeBytes, extents: Float64Array): reads of fh are served in C from now on.
static napi_value describe(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t fh;
  int32_t fd;
  double size_bytes;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (argc != 4 || napi_get_value_uint32(env, argv[0], &fh) != napi_ok || napi_get_value_int32(env, argv[1], &fd) != napi_ok ||
      napi_get_value_double(env, argv[2], &size_bytes) != napi_ok ||
      napi_get_typedarray_info(env, argv[3], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      length % EXTENT_NUMBERS != 0 || fh == 0 || size_bytes < 0) {
    return fail(env, "fastReadDescribe(fh, fd, sizeBytes, extents): expected a handle > 0, a descriptor, a size and a Float64Array of 3 numbers an extent");
  }
  fast_read_file_t *file = calloc(1, sizeof(fast_read_file_t));
  if (file == NULL) return fail(env, "fastReadDescribe: out of memory");
  file->fh = fh;
  file->size_bytes = (uint64_t) size_bytes;
  file->extent_count = length / EXTENT_NUMBERS;
  file->extents = copy_extents(data, file->extent_count, file->size_bytes);
  if (file->extents == NULL) {
    free(file);
    return fail(env, errno == EINVAL ? "fastReadDescribe: extents must be sorted, apart, non-empty and inside the file" : "fastReadDescribe: out of memory");
  }
  file->fd = reopen(fd);
  if (file->fd < 0) {
    free(file->extents);
    free(file);
    return fail(env, "fastReadDescribe: cannot open the described file again");
  }
  if (fast_read_table_add(file) != 0) {
    close(file->fd);
    free(file->extents);
    free(file);
    return fail(env, "fastReadDescribe: the handle is already described");
  }
  return NULL;
}

// fastReadForget(fh): true when fh was described; its reads go to JS again.
static napi_value forget(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t fh;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 1 || napi_get_value_uint32(env, argv[0], &fh) != napi_ok) return fail(env, "fastReadForget(fh): expected a handle");
  napi_value result;
  napi_get_boolean(env, fast_read_table_forget(fh) == 0, &result);
  return result;
}

// fastReadStats(): { served, failed } reads since the process started.
static napi_value stats(napi_env env, napi_callback_info info) {
  napi_value result, served, failed;
  napi_create_object(env, &result);
  napi_create_double(env, (double) atomic_load(&fast_read_served), &served);
  napi_create_double(env, (double) atomic_load(&fast_read_failed), &failed);
  napi_set_named_property(env, result, "served", served);
  napi_set_named_property(env, result, "failed", failed);
  return result;
}

// fastReadSetLog(on): whether failed reads are written to stderr.
static napi_value set_log(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool on = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1) napi_get_value_bool(env, argv[0], &on);
  atomic_store(&fast_read_log_failures, on ? 1 : 0);
  return NULL;
}

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value);
  napi_set_named_property(env, exports, name, value);
}

void fast_read_export(napi_env env, napi_value exports) {
  export_function(env, exports, "fastReadDescribe", describe);
  export_function(env, exports, "fastReadForget", forget);
  export_function(env, exports, "fastReadStats", stats);
  export_function(env, exports, "fastReadSetLog", set_log);
}
