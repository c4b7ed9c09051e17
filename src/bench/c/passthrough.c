// The C baseline of `npm run bench`: the thinnest libfuse 2 file system that
// serves one existing file, each read one pread into libfuse's buffer, on
// libfuse's multithreaded loop (no -s) with the high-level API, as the
// fork of fuse-native uses it. Compiled by the bench itself (c-passthrough.ts).
// Usage: passthrough MOUNTPOINT FILE NAME; prints "ready" once the kernel has
// sent INIT; SIGTERM unmounts and exits.
#define FUSE_USE_VERSION 29

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_fd;
static struct stat file_stat;
static char file_path[1024];

static int pt_getattr(const char *path, struct stat *st) {
  memset(st, 0, sizeof(*st));
  if (strcmp(path, "/") == 0) {
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2;
    return 0;
  }
  if (strcmp(path, file_path) != 0) return -ENOENT;
  st->st_mode = S_IFREG | 0444;
  st->st_nlink = 1;
  st->st_size = file_stat.st_size;
  return 0;
}

static int pt_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi) {
  if (strcmp(path, "/") != 0) return -ENOENT;
  fill(buf, ".", NULL, 0);
  fill(buf, "..", NULL, 0);
  fill(buf, file_path + 1, NULL, 0);
  return 0;
}

static int pt_open(const char *path, struct fuse_file_info *fi) {
  return strcmp(path, file_path) == 0 ? 0 : -ENOENT;
}

static int pt_read(const char *path, char *buf, size_t len, off_t offset, struct fuse_file_info *fi) {
  ssize_t n = pread(file_fd, buf, len, offset);
  return n < 0 ? -EIO : (int) n;
}

// Called once the kernel's INIT arrived: the mount answers from now on.
static void *pt_init(struct fuse_conn_info *conn) {
  printf("ready\n");
  fflush(stdout);
  return NULL;
}

static struct fuse_operations ops = {
  .getattr = pt_getattr,
  .readdir = pt_readdir,
  .open = pt_open,
  .read = pt_read,
  .init = pt_init,
};

int main(int argc, char *argv[]) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MOUNTPOINT FILE NAME\n", argv[0]);
    return 2;
  }
  file_fd = open(argv[2], O_RDONLY);
  if (file_fd < 0 || fstat(file_fd, &file_stat) != 0) {
    perror(argv[2]);
    return 1;
  }
  snprintf(file_path, sizeof(file_path), "/%s", argv[3]);
  // Foreground, multithreaded, read-only, and the timeouts snapdelta's mount uses.
  char *fuse_argv[] = {argv[0], argv[1], "-f", "-o", "ro,fsname=c-passthrough,kernel_cache,entry_timeout=3600,attr_timeout=3600", NULL};
  return fuse_main(5, fuse_argv, &ops, NULL);
}
