// Last line of defence of the mount-test protocol: after the whole suite, even
// when tests failed or timed out, lazily unmount every FUSE mount a test made
// (all live under directories named snapdelta-test-<run>-..., see tmp.ts).
const { readFileSync, rmSync } = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')

module.exports = async function globalTeardown() {
  const marker = `snapdelta-test-${process.env.SNAPDELTA_TEST_RUN}-`
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n')
  for (const line of mounts) {
    const [, mountpoint, type] = line.split(' ')
    if (!type || !type.startsWith('fuse') || !mountpoint.includes(marker)) continue
    const where = mountpoint.replace(/\\040/g, ' ')
    process.stderr.write(`global teardown: a test left ${where} mounted; unmounting it\n`)
    try {
      execFileSync('fusermount', ['-uz', where], { stdio: 'ignore' })
    } catch {
      // Already gone between reading /proc/mounts and now.
    }
  }
  // The decompressed real-kernel fixtures of this run (test/helpers/fixtures.ts).
  rmSync(path.join(os.tmpdir(), `snapdelta-fixtures-${process.env.SNAPDELTA_TEST_RUN}`), { recursive: true, force: true })
}
