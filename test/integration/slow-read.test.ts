// A read that takes longer than fuse-native's default 15 s operation timeout
// must be a slow read, not an error: the snapshot here sits on a deliberately
// slow FUSE file whose reads past 1 MiB answer after 16 s.
import { spawn, ChildProcess } from 'child_process'
import { copyFileSync, mkdirSync, readFileSync } from 'fs'
import path from 'path'
import { runCommand } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { forceUnmount, isMounted, Mounted, mountWithCli, strictUnmount, waitFor } from '../helpers/mount'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'

const DELAY_MS = 16_000
const DELAY_FROM_BYTES = 1 << 20
const dir = scratchDir('slow')
const slowMnt = path.join(dir, 'slow')
const mnt = path.join(dir, 'mnt')
let slowServer: ChildProcess | undefined
let mounted: Mounted | undefined

afterAll(async () => {
  if (mounted) await forceUnmount(mounted)
  if (slowServer) {
    slowServer.kill('SIGTERM')
    await waitFor(async () => !(await isMounted(slowMnt)), 5000)
    await runCommand('fusermount', ['-uz', slowMnt])
  }
  removeScratchRoot()
})

test('a 16 s read of the snapshot reaches the reader as data, not ETIMEDOUT', async () => {
  const fx = realKernelFixture('a-random-4k')
  const snapshot = path.join(dir, 'snap2.img')
  copyFileSync(fx.snap2, snapshot)
  mkdirSync(slowMnt)
  mkdirSync(mnt)
  slowServer = spawn(process.execPath, [path.join(__dirname, '..', 'helpers', 'slow-file-server.js'), slowMnt, snapshot, String(DELAY_MS), String(DELAY_FROM_BYTES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    slowServer?.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
    slowServer?.on('exit', (code) => reject(new Error(`slow server exited ${code}`)))
  })
  mounted = await mountWithCli(mnt, ['--cow', fx.cow1, '--snapshot', path.join(slowMnt, 'slow.img'), '--name', 'g'])
  const offset = 2 << 20
  const started = Date.now()
  const out = path.join(dir, 'read.bin')
  // iflag=direct: one read request, no readahead that the kernel could quietly retry.
  const read = await runCommand('dd', [`if=${mnt}/g/full.img`, `of=${out}`, 'bs=4096', `skip=${offset / 4096}`, 'count=1', 'iflag=direct', 'status=none'])
  const seconds = (Date.now() - started) / 1000
  expect(read.stderr).toBe('')
  expect(read.exitCode).toBe(0)
  expect(seconds).toBeGreaterThanOrEqual(DELAY_MS / 1000 - 1)
  expect(readFileSync(out).equals(readFileSync(snapshot).subarray(offset, offset + 4096))).toBe(true)
  await strictUnmount(mounted)
  mounted = undefined
}, 90_000)
