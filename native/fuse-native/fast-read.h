// snapdelta's native read path, beside fuse-native's JS dispatch: an open
// file described once from JS as extents of a file descriptor is then read
// by pread on libfuse's own worker threads, without a trip into JS.
#ifndef SNAPDELTA_FAST_READ_H
#define SNAPDELTA_FAST_READ_H

#define FUSE_USE_VERSION 29

#include <fuse.h>
#include <node_api.h>

typedef int (*fast_read_op_t)(const char *path, char *buf, size_t len, off_t offset, struct fuse_file_info *info);

// Returns the read operation to give libfuse: it serves described handles in
// C and passes every other read to `js_read` (fuse-native's own dispatch).
fast_read_op_t fast_read_wrap(fast_read_op_t js_read);

// Adds fastReadDescribe, fastReadForget, fastReadStats and fastReadSetLog to the addon's exports.
void fast_read_export(napi_env env, napi_value exports);

#endif
