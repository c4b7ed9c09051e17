// Reads through the mount on both read paths (src/fuse/read-path.ts): the
// fork's native path (pread on libfuse's threads) and the JS path
// (SNAPDELTA_FAST_READ=0). Each must be the one in use when chosen, and
// both must keep the same guarantees: the snapshot's exact bytes, EIO (never
// zeros) from a failing, shrinking or vanished source, ENOTCONN after kill -9
// of the server, and the same bytes for concurrent readers.
import { ChildProcess, spawn } from 'child_process'
import { createHash } from 'crypto'
import { copyFileSync, mkdirSync, readFileSync, truncateSync } from 'fs'
import path from 'path'
import { pseudoRandomBytes, ScenarioFiles, writeScenario } from '../../src/cow/scenario'
import { changedFileName } from '../../src/format/chunks-map-text'
import { runCommand } from '../helpers/cli'
import { forceUnmount, isMounted, isRunning, Mounted, mountWithCli, startForeground, strictUnmount, waitFor } from '../helpers/mount'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'

const MiB = 1 << 20
const DEVICE_BYTES = 4 * MiB
// Changed runs on both sides of FAIL_FROM_BYTES, the first byte the failing source refuses.
const WRITES = [
  { offsetBytes: 8192, data: pseudoRandomBytes(10_000, 1) },
  { offsetBytes: MiB - 4096, data: pseudoRandomBytes(8192, 2) },
  { offsetBytes: 3 * MiB, data: pseudoRandomBytes(300_000, 3) },
  { offsetBytes: DEVICE_BYTES - 4096, data: pseudoRandomBytes(4096, 4) },
]
const FAIL_FROM_BYTES = 2 * MiB

let files: ScenarioFiles
let work: string
let expectedDelta: Buffer
const cleanups: Array<{ mountpoint: string; pid?: number }> = []
const fileServers: Array<{ child: ChildProcess; mountpoint: string }> = []

beforeAll(async () => {
  work = scratchDir('read-path')
  files = await writeScenario(path.join(work, 'scenario'), { deviceSizeBytes: DEVICE_BYTES, chunkSizeSectors: 8, writes: WRITES })
  const snap = readFileSync(files.snap2)
  expectedDelta = Buffer.alloc(snap.length)
  const mnt = newMountpoint('runs')
  const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', files.snap2, '--name', 'g'], process.env)
  const runs = changedRunsOf(path.join(mnt, 'g'))
  await strictUnmount(m)
  for (const run of runs) snap.copy(expectedDelta, run.offsetBytes, run.offsetBytes, run.offsetBytes + run.lengthBytes)
})

afterAll(async () => {
  for (const c of cleanups) await forceUnmount(c)
  for (const server of fileServers) {
    server.child.kill('SIGKILL')
    await runCommand('fusermount', ['-uz', server.mountpoint])
  }
  removeScratchRoot()
})

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** The changed runs of a mounted generation directory, from chunks.map (the contract). */
function changedRunsOf(dir: string): Array<{ offsetBytes: number; lengthBytes: number }> {
  return readFileSync(path.join(dir, 'chunks.map'), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(' ').map(Number))
    .map(([offsetBytes, lengthBytes]) => ({ offsetBytes, lengthBytes }))
}

function newMountpoint(label: string): string {
  const mnt = path.join(work, `${label}-${cleanups.length}`)
  mkdirSync(mnt)
  cleanups.push({ mountpoint: mnt })
  return mnt
}

async function mount(mnt: string, args: string[], env: NodeJS.ProcessEnv): Promise<Mounted> {
  const m = await mountWithCli(mnt, args, env)
  cleanups.push(m)
  return m
}

/** A copy of the snapshot served by failing-file-server.js, whose reads from `failFromBytes` on fail. */
async function failingSnapshot(failFromBytes: number): Promise<{ path: string; child: ChildProcess }> {
  const dir = path.join(work, `failing-${fileServers.length}`)
  mkdirSync(dir)
  const copy = path.join(work, `failing-${fileServers.length}.img`)
  copyFileSync(files.snap2, copy)
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'helpers', 'failing-file-server.js'), dir, copy, String(failFromBytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  fileServers.push({ child, mountpoint: dir })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
    child.on('exit', (code) => reject(new Error(`failing-file-server exited ${code}`)))
  })
  return { path: path.join(dir, 'failing.img'), child }
}

/** dd of `file` in 64 KiB reads; iflag=direct reaches the server even where the kernel has pages. */
function dd(file: string, extra: string[] = []) {
  return runCommand('dd', [`if=${file}`, 'of=/dev/null', 'bs=64k', ...extra])
}

const PATHS = [
  { readPath: 'native', env: { ...process.env, SNAPDELTA_FAST_READ: '1' } },
  { readPath: 'js', env: { ...process.env, SNAPDELTA_FAST_READ: '0' } },
] as const

describe.each(PATHS)('on the $readPath read path', ({ readPath, env }) => {
  test('info.json names it, and it serves the reads of full.img, delta.img and changed/, byte for byte', async () => {
    const mnt = newMountpoint(`counts-${readPath}`)
    const server = await startForeground(mnt, ['--cow', files.cow1, '--snapshot', files.snap2, '--name', 'g'], { ...env, DEBUG: 'snapdelta:fuse' })
    cleanups.push({ mountpoint: mnt, pid: server.child.pid })
    const dir = path.join(mnt, 'g')
    expect(JSON.parse((await runCommand('cat', [path.join(dir, 'info.json')])).stdout)).toMatchObject({ readPath })
    const snap = readFileSync(files.snap2)
    expect((await runCommand('cmp', [path.join(dir, 'full.img'), files.snap2])).exitCode).toBe(0)
    const delta = await runCommand('sha256sum', [path.join(dir, 'delta.img')])
    expect(delta.stdout.split(' ')[0]).toBe(sha256(expectedDelta))
    const name = changedFileName(3 * MiB)
    const changed = await runCommand('sha256sum', [path.join(dir, 'changed', name)])
    expect(changed.stdout.split(' ')[0]).toBe(sha256(snap.subarray(3 * MiB, 3 * MiB + 303_104)))
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const counts = /reads served: (\d+) native \((\d+) failed\), (\d+) in JS/.exec(server.stderr())
    expect(counts).not.toBeNull()
    const [nativeReads, nativeFailed, jsReads] = counts!.slice(1).map(Number)
    expect(nativeFailed).toBe(0)
    if (readPath === 'native') {
      expect(nativeReads).toBeGreaterThan(0)
      // One read of info.json, which is always read in JS; no byte of an image went through JS.
      expect(jsReads).toBe(1)
    } else {
      expect(nativeReads).toBe(0)
      expect(jsReads).toBeGreaterThan(10)
    }
  })

  test('a source that fails reads gives EIO, never zeros; what it can read reads correctly', async () => {
    const failing = await failingSnapshot(FAIL_FROM_BYTES)
    const mnt = newMountpoint(`eio-${readPath}`)
    const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', failing.path, '--name', 'g'], env)
    const dir = path.join(mnt, 'g')
    for (const file of ['full.img', 'delta.img', `changed/${changedFileName(3 * MiB)}`]) {
      const r = await dd(path.join(dir, file))
      expect({ file, exitCode: r.exitCode, stderr: r.stderr }).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('Input/output error') })
    }
    const out = path.join(work, `eio-${readPath}.bin`)
    // full.img up to the failure: the snapshot's bytes, and no zeros past them.
    const partial = await runCommand('dd', [`if=${path.join(dir, 'full.img')}`, `of=${out}`, 'bs=64k'])
    expect(partial.exitCode).toBe(1)
    const got = readFileSync(out)
    expect(got.length).toBeLessThanOrEqual(FAIL_FROM_BYTES)
    expect(got.equals(readFileSync(files.snap2).subarray(0, got.length))).toBe(true)
    const first = await runCommand('cmp', ['-n', '12288', path.join(dir, 'changed', changedFileName(8192)), '-'], {
      input: readFileSync(files.snap2).subarray(8192, 8192 + 12288),
    })
    expect(first.exitCode).toBe(0)
    await strictUnmount(m)
  })

  test('a snapshot that vanishes (its device killed) gives EIO, and the server keeps serving', async () => {
    const vanishing = await failingSnapshot(DEVICE_BYTES)
    const mnt = newMountpoint(`vanish-${readPath}`)
    const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', vanishing.path, '--name', 'g'], env)
    vanishing.child.kill('SIGKILL')
    expect(await waitFor(async () => !(await isRunning(vanishing.child.pid!)), 5000)).toBe(true)
    const dir = path.join(mnt, 'g')
    // Offsets inside data (not holes) that nothing read before, so no page of them is cached anywhere.
    const unread = { 'full.img': 24, 'delta.img': 49, [`changed/${changedFileName(3 * MiB)}`]: 1 }
    for (const [file, skip] of Object.entries(unread)) {
      const r = await dd(path.join(dir, file), ['iflag=direct', `skip=${skip}`, 'count=1'])
      expect({ file, exitCode: r.exitCode, stderr: r.stderr }).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('Input/output error') })
    }
    expect(await isRunning(m.pid)).toBe(true)
    expect((await runCommand('cat', [path.join(dir, 'info.json')])).exitCode).toBe(0)
    await strictUnmount(m)
  })

  test('a snapshot truncated after mount gives EIO, never zeros or a short file', async () => {
    const shrinking = path.join(work, `shrinking-${readPath}.img`)
    copyFileSync(files.snap2, shrinking)
    const mnt = newMountpoint(`short-${readPath}`)
    const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', shrinking, '--name', 'g'], env)
    truncateSync(shrinking, MiB)
    const dir = path.join(mnt, 'g')
    for (const file of ['full.img', 'delta.img', `changed/${changedFileName(3 * MiB)}`]) {
      const r = await dd(path.join(dir, file))
      expect({ file, exitCode: r.exitCode, stderr: r.stderr }).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('Input/output error') })
    }
    await strictUnmount(m)
  })

  test('kill -9 of the server: readers get ENOTCONN, and umount clears the dead mount', async () => {
    const mnt = newMountpoint(`kill-${readPath}`)
    const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', files.snap2, '--name', 'g'], env)
    expect((await dd(path.join(mnt, 'g', 'full.img'), ['count=1'])).exitCode).toBe(0)
    process.kill(m.pid, 'SIGKILL')
    expect(await waitFor(async () => !(await isRunning(m.pid)), 5000)).toBe(true)
    const r = await dd(path.join(mnt, 'g', 'full.img'), ['iflag=direct', 'skip=10'])
    expect(r.exitCode).not.toBe(0)
    // ENOTCONN or ECONNABORTED, depending on how far the kernel got in tearing down the connection.
    expect(r.stderr).toMatch(/Transport endpoint is not connected|Software caused connection abort/)
    await strictUnmount(m)
    expect(await isMounted(mnt)).toBe(false)
  })

  test('four concurrent readers (full.img, delta.img, the two halves of changed/) each get the exact bytes', async () => {
    const mnt = newMountpoint(`readers-${readPath}`)
    const m = await mount(mnt, ['--cow', files.cow1, '--snapshot', files.snap2, '--name', 'g'], env)
    const dir = path.join(mnt, 'g')
    const snap = readFileSync(files.snap2)
    const runs = changedRunsOf(dir)
    const half = (parity: number) => runs.filter((_, i) => i % 2 === parity)
    const halfSha = (parity: number) => sha256(Buffer.concat(half(parity).map((r) => snap.subarray(r.offsetBytes, r.offsetBytes + r.lengthBytes))))
    const changedReader = (parity: number) =>
      `cd ${dir}/changed && ls | awk 'NR % 2 == ${(parity + 1) % 2}' | while read -r f; do dd if="$f" bs=64k status=none || exit 1; done | sha256sum`
    const scripts = [`dd if=${dir}/full.img bs=1M status=none | sha256sum`, `dd if=${dir}/delta.img bs=1M status=none | sha256sum`, changedReader(0), changedReader(1)]
    const results = await Promise.all(scripts.map((script) => runCommand('bash', ['-c', `set -o pipefail; ${script}`])))
    expect(results.map((r) => r.stdout.split(' ')[0])).toEqual([sha256(snap), sha256(expectedDelta), halfSha(0), halfSha(1)])
    await strictUnmount(m)
  })
})
