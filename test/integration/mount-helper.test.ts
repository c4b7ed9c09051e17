// An /etc/fstab line of type fuse.snapdelta, mounted by the real mount(8)
// (issue 11, item 2): mount(8) runs /sbin/mount.fuse.snapdelta, which turns
// SOURCE MOUNTPOINT -o OPTIONS into `snapdelta mount`. The fstab is a file of
// the test's own (mount -T), and the helper's /sbin link is made for the test
// when the machine has none, and removed afterwards.
import { existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'fs'
import path from 'path'
import { runCommand } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { forceUnmount, isMounted, waitFor } from '../helpers/mount'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'

jest.setTimeout(60_000)

const HELPER = '/sbin/mount.fuse.snapdelta'
const OURS = path.join(__dirname, '..', '..', 'bin', 'mount.fuse.snapdelta')
let madeLink = false
const mountpoints: string[] = []

beforeAll(() => {
  if (!existsSync(HELPER) && !isDanglingLink(HELPER)) {
    symlinkSync(OURS, HELPER)
    madeLink = true
  }
})
afterAll(async () => {
  for (const mountpoint of mountpoints) await forceUnmount({ mountpoint })
  if (madeLink) unlinkSync(HELPER)
  removeScratchRoot()
})

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink()
  } catch {
    return false
  }
}

function fstabWith(line: string): { fstab: string; mountpoint: string } {
  const dir = scratchDir('fstab')
  const mountpoint = path.join(dir, 'gens')
  mkdirSync(mountpoint)
  mountpoints.push(mountpoint)
  const fstab = path.join(dir, 'fstab')
  writeFileSync(fstab, `# a test fstab\n${line.replace('MNT', mountpoint)}\n`)
  return { fstab, mountpoint }
}

test('mount of an fstab line with cow=/snapshot= serves the generation, read-only and private; umount unmounts it', async () => {
  const f = realKernelFixture('f-lvm2-4k-64k')
  const { fstab, mountpoint } = fstabWith(`gens MNT fuse.snapdelta cow=${f.cow1},snapshot=${f.snap2},name=snap2,noauto,nofail,x-systemd.automount 0 0`)
  const mounted = await runCommand('mount', ['-T', fstab, mountpoint])
  expect(mounted.stderr).toBe('')
  expect(mounted.exitCode).toBe(0)
  const cmp = await runCommand('cmp', ['--', path.join(mountpoint, 'snap2', 'full.img'), f.snap2])
  expect(cmp.exitCode).toBe(0)
  // Read-only and private, as with snapdelta mount.
  const line = (await runCommand('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', mountpoint])).stdout
  expect(line).toMatch(/^fuse\.snapdelta\s+ro,/)
  expect(line).not.toContain('allow_other')
  expect((await runCommand('umount', [mountpoint])).exitCode).toBe(0)
  expect(await waitFor(async () => !(await isMounted(mountpoint)))).toBe(true)
})

test('a line with an option snapdelta does not know is refused with the option named; mount -f checks it too; nothing is mounted', async () => {
  const f = realKernelFixture('f-lvm2-4k-64k')
  const { fstab, mountpoint } = fstabWith(`gens MNT fuse.snapdelta cow=${f.cow1},snapshot=${f.snap2},writeback_cache 0 0`)
  for (const args of [['-T', fstab, mountpoint], ['-f', '-T', fstab, mountpoint]]) {
    const r = await runCommand('mount', args)
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toContain('-o writeback_cache: not an option of snapdelta mount')
    expect(await isMounted(mountpoint)).toBe(false)
  }
})
