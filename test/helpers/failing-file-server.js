// A device that fails reads, for tests: a bare fuse-native filesystem serving
// one file, failing.img, whose reads reaching FAIL_FROM_BYTES or past it
// answer EIO. Run as its own process (a mount must never be served by the
// process that reads it): node failing-file-server.js MOUNTPOINT FILE FAIL_FROM_BYTES
// Prints "ready" once mounted; SIGTERM unmounts and exits; SIGKILL makes the device vanish.
const fs = require('fs')
const Fuse = require('fuse-native')

const [mountpoint, file, failFromBytes] = process.argv.slice(2)
const fd = fs.openSync(file, 'r')
const size = fs.fstatSync(fd).size
const common = { mtime: new Date(), atime: new Date(), ctime: new Date(), uid: process.getuid(), gid: process.getgid() }
const fuse = new Fuse(
  mountpoint,
  {
    readdir: (path, cb) => cb(0, ['failing.img']),
    getattr: (path, cb) => {
      if (path === '/') return cb(0, { ...common, size: 4096, mode: 0o40555, nlink: 2 })
      if (path === '/failing.img') return cb(0, { ...common, size, mode: 0o100444, nlink: 1 })
      return cb(Fuse.ENOENT)
    },
    open: (path, flags, cb) => cb(0, 1),
    release: (path, handle, cb) => cb(0),
    read: (path, handle, buffer, length, position, cb) => {
      if (position + length > Number(failFromBytes)) return cb(Fuse.EIO)
      fs.read(fd, buffer, 0, length, position, (err, n) => cb(err ? Fuse.EIO : n))
    },
  },
  { timeout: false },
)
fuse.mount((err) => {
  if (err) {
    process.stderr.write(`failing-file-server: ${err.message}\n`)
    process.exit(1)
  }
  process.stdout.write('ready\n')
})
const stop = () => fuse.unmount(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
