// How a mount starts and ends: background and foreground servers, umount,
// fusermount -u by hand, signals, mountpoint checks, --allow-other, and read
// errors reaching readers as EIO.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'fs'
import path from 'path'
import { writeScenario, pseudoRandomBytes, ScenarioFiles } from '../../src/cow/scenario'
import { runCli, runCommand } from '../helpers/cli'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { forceUnmount, isMounted, isRunning, Mounted, mountWithCli, startForeground, strictUnmount, waitFor } from '../helpers/mount'

let files: ScenarioFiles
let work: string
// Everything this file mounted, for the forced cleanup.
const cleanups: Array<{ mountpoint: string; pid?: number }> = []

function newMountpoint(label: string): string {
  const mnt = path.join(work, label)
  mkdirSync(mnt)
  cleanups.push({ mountpoint: mnt })
  return mnt
}

async function mount(mnt: string, args: string[]): Promise<Mounted> {
  const m = await mountWithCli(mnt, args)
  cleanups.push(m)
  return m
}

const gen = () => ['--cow', files.cow1, '--snapshot', files.snap2]

beforeAll(async () => {
  work = scratchDir('lifecycle')
  chmodSync(path.dirname(work), 0o755)
  chmodSync(work, 0o755)
  files = await writeScenario(path.join(work, 'scenario'), {
    deviceSizeBytes: 2 << 20,
    chunkSizeSectors: 8,
    writes: [
      { offsetBytes: 8192, data: pseudoRandomBytes(10_000, 1) },
      { offsetBytes: (2 << 20) - 4096, data: pseudoRandomBytes(4096, 2) },
    ],
  })
})

afterAll(async () => {
  for (const c of cleanups) await forceUnmount(c)
  removeScratchRoot()
})

test('fusermount -u by hand also makes the background server exit', async () => {
  const mnt = newMountpoint('by-hand')
  const m = await mount(mnt, gen())
  expect(await isRunning(m.pid)).toBe(true)
  const r = await runCommand('fusermount', ['-u', mnt])
  expect(r.exitCode).toBe(0)
  expect(await waitFor(async () => !(await isRunning(m.pid)), 5000)).toBe(true)
})

test('--foreground stays attached; SIGTERM and SIGINT unmount cleanly and exit 0', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const mnt = newMountpoint(`fg-${signal}`)
    const server = await startForeground(mnt, gen())
    cleanups.push({ mountpoint: mnt, pid: server.child.pid })
    expect(server.stdout()).toContain(`mounted 1 generation at ${mnt}`)
    const ls = await runCommand('ls', [path.join(mnt, 'snap2', 'changed')])
    expect(ls.stdout.trim().split('\n')).toEqual(['0000000000002000', '00000000001ff000'])
    server.child.kill(signal)
    expect(await server.exited).toBe(0)
    expect(await isMounted(mnt)).toBe(false)
  }
})

test('umount waits for the server and refuses what is not a snapdelta mount', async () => {
  const mnt = newMountpoint('umount')
  const m = await mount(mnt, gen())
  await strictUnmount(m)
  const again = await runCli(['umount', mnt])
  expect(again.exitCode).toBe(2)
  expect(again.stderr).toContain(`${mnt} is not mounted`)
  const proc = await runCli(['umount', '/proc'])
  expect(proc.exitCode).toBe(2)
  expect(proc.stderr).toContain('not a snapdelta mount')
})

test('umount also clears the dead mount of a server that was killed', async () => {
  const mnt = newMountpoint('killed')
  const m = await mount(mnt, gen())
  process.kill(m.pid, 'SIGKILL')
  expect(await waitFor(async () => !(await isRunning(m.pid)), 5000)).toBe(true)
  const ls = await runCommand('ls', [mnt])
  // ENOTCONN or ECONNABORTED, depending on how far the kernel got in tearing down the connection.
  expect(ls.exitCode).not.toBe(0)
  expect(ls.stderr).toMatch(/Transport endpoint is not connected|Software caused connection abort/)
  await strictUnmount(m)
  expect((await runCommand('ls', [mnt])).exitCode).toBe(0)
})

test('mountpoint checks: missing (unless --mkdir), not empty, already mounted', async () => {
  const missing = path.join(work, 'missing')
  const r = await runCli(['mount', missing, ...gen()])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toContain(`mountpoint ${missing} does not exist: create it, or pass --mkdir`)
  expect(existsSync(missing)).toBe(false)

  cleanups.push({ mountpoint: missing })
  const m = await mount(missing, [...gen(), '--mkdir'])
  const twice = await runCli(['mount', missing, ...gen()])
  expect(twice.exitCode).toBe(2)
  expect(twice.stderr).toContain('is already a mount point')
  await strictUnmount(m)

  const full = newMountpoint('not-empty')
  writeFileSync(path.join(full, 'precious'), 'x')
  const busy = await runCli(['mount', full, ...gen()])
  expect(busy.exitCode).toBe(2)
  expect(busy.stderr).toContain('is not empty')
  expect(await isMounted(full)).toBe(false)
})

test('generation options: pairing and names', async () => {
  const mnt = newMountpoint('pairing')
  const uneven = await runCli(['mount', mnt, ...gen(), '--cow', files.cow1])
  expect(uneven.exitCode).toBe(2)
  expect(uneven.stderr).toContain('got 2 --cow and 1 --snapshot')
  const clash = await runCli(['mount', mnt, ...gen(), ...gen()])
  expect(clash.exitCode).toBe(2)
  expect(clash.stderr).toContain('both be named "snap2"')
  expect(await isMounted(mnt)).toBe(false)

  // Interleaved as users write them: each --name belongs to its own group.
  const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', files.snap2, '--name', 'one', '--snapshot', files.snap2, '--cow', files.cow1, '--name', 'two'])
  expect(m.summary.generations.map((g) => g.name)).toEqual(['one', 'two'])
  expect((await runCommand('ls', [mnt])).stdout.trim().split('\n')).toEqual(['one', 'two'])
  await strictUnmount(m)
})

test('--allow-other opens the mount to other users, still read-only', async () => {
  const mnt = newMountpoint('allow-other')
  const m = await mount(mnt, [...gen(), '--allow-other'])
  const asNobody = (cmd: string[]) => runCommand('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd])
  const map = await asNobody(['cat', path.join(mnt, 'snap2', 'chunks.map')])
  expect(map.exitCode).toBe(0)
  expect(map.stdout).toContain('# snapdelta chunks.map')
  expect((await asNobody(['cmp', path.join(mnt, 'snap2', 'full.img'), '-', ])).exitCode).not.toBe(2)
  const write = await asNobody(['touch', path.join(mnt, 'snap2', 'x')])
  expect(write.stderr).toContain('Read-only file system')
  const perms = await runCommand('stat', ['-c', '%a', mnt, path.join(mnt, 'snap2', 'full.img')])
  expect(perms.stdout.trim().split('\n')).toEqual(['555', '444'])
  await strictUnmount(m)
})

test('a snapshot that becomes unreadable gives readers EIO, never zeros or a short file', async () => {
  const mnt = newMountpoint('eio')
  const shrinking = path.join(work, 'shrinking-snap.img')
  copyFileSync(files.snap2, shrinking)
  const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', shrinking, '--name', 'g'])
  // Cut the snapshot in half while mounted: the last changed run is now beyond its end.
  truncateSync(shrinking, 1 << 20)
  const dir = path.join(mnt, 'g')
  for (const file of ['full.img', 'delta.img', 'changed/00000000001ff000']) {
    const r = await runCommand('dd', [`if=${path.join(dir, file)}`, 'of=/dev/null', 'bs=64k'])
    expect({ file, exitCode: r.exitCode, stderr: r.stderr }).toMatchObject({
      exitCode: 1,
      stderr: expect.stringContaining('Input/output error'),
    })
  }
  // What is still readable reads correctly.
  const first = await runCommand('cmp', ['-n', '12288', path.join(dir, 'changed', '0000000000002000'), '-'], {
    input: readFileSync(files.snap2).subarray(8192, 8192 + 12288),
  })
  expect(first.exitCode).toBe(0)
  await strictUnmount(m)
})
