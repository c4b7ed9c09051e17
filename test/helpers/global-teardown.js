// Last line of defence of the mount-test protocol: after the whole suite, even
// when tests failed or timed out, lazily unmount every FUSE mount a test made
// (all live under a directory whose name starts with "snapdelta-test-").
const { readFileSync } = require('fs')
const { execFileSync } = require('child_process')

module.exports = async function globalTeardown() {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n')
  for (const line of mounts) {
    const [, mountpoint, type] = line.split(' ')
    if (!type || !type.startsWith('fuse') || !mountpoint.includes('snapdelta-test-')) continue
    const path = mountpoint.replace(/\\040/g, ' ')
    process.stderr.write(`global teardown: a test left ${path} mounted; unmounting it\n`)
    try {
      execFileSync('fusermount', ['-uz', path], { stdio: 'ignore' })
    } catch {
      // Already gone between reading /proc/mounts and now.
    }
  }
}
