// The described open files of the native read path, by the fh JS returned
// from open. Each entry is reference counted: the table holds one reference
// until release forgets it, and each read in flight holds one, so an entry
// (and the descriptor it opened) outlives a release that races a read.
#ifndef SNAPDELTA_FAST_READ_TABLE_H
#define SNAPDELTA_FAST_READ_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t offset_bytes;
  uint64_t length_bytes;
  uint64_t source_offset_bytes;
} fast_read_extent_t;

typedef struct fast_read_file {
  uint64_t fh;
  // A descriptor of its own for the file JS described (fast-read-napi.c:
  // reopen), closed here: JS may close its own (at shutdown, or a lazy
  // unmount) while a read still runs.
  int fd;
  uint64_t size_bytes;
  size_t extent_count;
  // Sorted, not overlapping; the file reads zeros outside them.
  fast_read_extent_t *extents;
  int refs;
  struct fast_read_file *next;
} fast_read_file_t;

// Takes ownership of `file` (refs set to 1 for the table); returns -1 if fh is already described.
int fast_read_table_add(fast_read_file_t *file);

// The entry for fh with one more reference, or NULL when fh is not described.
fast_read_file_t *fast_read_table_acquire(uint64_t fh);

// Drops a reference from acquire; frees the entry after the last one.
void fast_read_table_put(fast_read_file_t *file);

// Removes fh's entry (release); returns 0 if it was there, -1 if not.
int fast_read_table_forget(uint64_t fh);

#endif
