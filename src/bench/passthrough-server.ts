// The baseline filesystem: the thinnest fuse-native mount that serves one
// existing file, each read a single fs.read into the FUSE buffer. Run as a
// child process: node passthrough-server.js MOUNTPOINT FILE NAME. Prints
// "ready" once mounted; SIGTERM unmounts and exits.
import fs from 'fs'
import Fuse from 'fuse-native'

const [mountpoint, filePath, name] = process.argv.slice(2)
const fd = fs.openSync(filePath, 'r')
const stats = fs.fstatSync(fd)
const fileStat = {
  mtime: stats.mtime,
  atime: stats.atime,
  ctime: stats.ctime,
  size: stats.size,
  mode: 0o100444,
  uid: process.getuid?.() ?? 0,
  gid: process.getgid?.() ?? 0,
  nlink: 1,
}
const dirStat = { ...fileStat, size: 4096, mode: 0o40555, nlink: 2 }
const ENOENT = -2
const EIO = -5

const fuse = new Fuse(
  mountpoint,
  {
    readdir: (path, cb) => (path === '/' ? cb(0, [name]) : cb(ENOENT)),
    getattr: (path, cb) => {
      if (path === '/') cb(0, dirStat)
      else if (path === `/${name}`) cb(0, fileStat)
      else cb(ENOENT)
    },
    open: (_path, _flags, cb) => cb(0, 1),
    release: (_path, _fd, cb) => cb(0),
    read: (_path, _fd, buffer, length, position, cb) => {
      fs.read(fd, buffer, 0, length, position, (err, bytesRead) => cb(err ? EIO : bytesRead))
    },
  },
  { timeout: false },
)

function stop(): void {
  fuse.unmount(() => process.exit(0))
}

fuse.mount((err: Error | null) => {
  if (err) {
    process.stderr.write(`passthrough mount of ${mountpoint} failed: ${err.message}\n`)
    process.exit(1)
  }
  process.stdout.write('ready\n')
})
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
