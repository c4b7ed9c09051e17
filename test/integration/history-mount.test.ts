// A history built through the API on the real-kernel fixture f (base ->
// snap2 -> origin, 4 KiB then 64 KiB chunks), mounted for real with
// `mount --history` and read with cmp, ls, cat and dd; then pruned with the CLI.
import { copyFileSync, existsSync, promises as fsp } from 'fs'
import path from 'path'
import { realKernelFixture } from '../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { runCli, runCommand } from '../helpers/cli'
import { forceUnmount, Mounted, mountWithCli, strictUnmount } from '../helpers/mount'
import { openGeneration } from '../../src/generation/generation'
import { FileSource } from '../../src/io/file-source'
import { createHistory, History } from '../../src/history/history-store'
import { describeTarget } from '../../src/history/target-identity'
import { ChunkRuns } from '../../src/map/chunk-runs'

const f = realKernelFixture('f-lvm2-4k-64k')
const work = scratchDir('history-mount')
const targetPath = path.join(work, 'target.img')
const dir = path.join(work, 'history')
const mnt = path.join(work, 'mnt')
let mounted: Mounted | undefined
const runsOf: ChunkRuns[] = []

function bash(script: string, ...args: string[]) {
  return runCommand('bash', ['-euo', 'pipefail', '-c', script, 'bash', ...args])
}

// What apply will do with a history: write-ahead undo record, write TARGET, flush, commit.
async function applyWithHistory(history: History, cowPath: string, snapshotPath: string, to: string): Promise<void> {
  const generation = await openGeneration({ cowPath, snapshotPath })
  const target = await FileSource.open(targetPath)
  try {
    runsOf.push(generation.runs)
    await history.beginGeneration({ from: history.current(), to: { name: to, uuid: null }, runs: generation.runs, readOld: (b, o) => target.readInto(b, o) })
    const out = await fsp.open(targetPath, 'r+')
    try {
      for (let i = 0; i < generation.runs.count; i++) {
        const data = Buffer.alloc(generation.runs.lengthBytes(i))
        await generation.snapshot.readInto(data, generation.runs.offsetBytes(i))
        await out.write(data, 0, data.length, generation.runs.offsetBytes(i))
      }
      await out.sync()
    } finally {
      await out.close()
    }
    await history.commitGeneration()
  } finally {
    await target.close()
    await generation.close()
  }
}

beforeAll(async () => {
  copyFileSync(f.base, targetPath)
  const history = await createHistory(dir, { target: await describeTarget(targetPath), base: { name: 'snap1', uuid: null } })
  await applyWithHistory(history, f.cow1, f.snap2, 'snap2')
  await applyWithHistory(history, f.cow2, f.origin, 'snap3')
  await fsp.mkdir(mnt)
})

afterEach(async () => {
  if (mounted) await forceUnmount(mounted)
  mounted = undefined
})

afterAll(() => removeScratchRoot())

test('the built target is origin.img; every generation mounts and reads back byte for byte', async () => {
  expect((await runCommand('cmp', [targetPath, f.origin])).exitCode).toBe(0)
  mounted = await mountWithCli(mnt, ['--history', dir])
  expect(mounted.summary.generations.map((g) => g.name)).toEqual(['0000-snap1', '0001-snap2', '0002-snap3'])
  const ls = await bash('ls "$1"; ls "$1/0000-snap1"; ls "$1/0001-snap2"', mnt)
  expect(ls.stdout.split('\n')).toEqual(['0000-snap1', '0001-snap2', '0002-snap3', 'full.img', 'info.json', 'changed', 'chunks.map', 'full.img', 'info.json', ''])
  for (const [name, expected] of [['0000-snap1', f.base], ['0001-snap2', f.snap2], ['0002-snap3', f.origin]]) {
    const cmp = await runCommand('cmp', [path.join(mnt, name, 'full.img'), expected])
    expect({ name, ...cmp }).toEqual({ name, exitCode: 0, stdout: '', stderr: '' })
  }
  // A reader is registered while mounted: a writer would refuse.
  expect((await fsp.readdir(path.join(dir, 'readers'))).length).toBe(1)

  for (const [k, name, newer] of [[0, '0001-snap2', f.snap2], [1, '0002-snap3', f.origin]] as const) {
    const runs = runsOf[k]
    const listed = await bash('ls "$1" | wc -l', path.join(mnt, name, 'changed'))
    expect(Number(listed.stdout.trim())).toBe(runs.count)
    const map = await bash('grep -v "^#" "$1"', path.join(mnt, name, 'chunks.map'))
    expect(map.stdout).toBe(Array.from({ length: runs.count }, (_, i) => `${runs.offsetBytes(i)} ${runs.lengthBytes(i)}\n`).join(''))
    // The last run's file holds the newer generation's bytes there.
    const last = runs.count - 1
    const file = path.join(mnt, name, 'changed', runs.offsetBytes(last).toString(16).padStart(16, '0'))
    const same = await bash('cmp "$1" <(dd if="$2" bs=512 skip="$3" count="$4" status=none)', file, newer, String(runs.offsetBytes(last) / 512), String(runs.lengthBytes(last) / 512))
    expect(same.exitCode).toBe(0)
  }
  const info = JSON.parse((await runCommand('cat', [path.join(mnt, '0001-snap2', 'info.json')])).stdout)
  expect(info).toMatchObject({ kind: 'history', seq: 1, from: { name: 'snap1' }, to: { name: 'snap2' }, runs: runsOf[0].count, changedBytes: runsOf[0].changedBytes, deviceSizeBytes: f.meta.origin_bytes })
  await strictUnmount(mounted)
  mounted = undefined
  expect(await fsp.readdir(path.join(dir, 'readers'))).toEqual([])
})

test('history list --json, then prune --keep 1: the oldest is gone, the others still match', async () => {
  const list = await runCli(['history', 'list', dir, '--json'])
  expect(list.exitCode).toBe(0)
  const listed = JSON.parse(list.stdout)
  expect(listed.generations.map((g: { seq: number; directory: string; current: boolean }) => [g.seq, g.directory, g.current])).toEqual([
    [0, '0000-snap1', false], [1, '0001-snap2', false], [2, '0002-snap3', true],
  ])
  expect(listed.current).toEqual({ name: 'snap3', uuid: null })
  expect(listed.pending).toBeNull()
  expect(listed.undoBytes).toBe(listed.generations[1].undo.bytes + listed.generations[2].undo.bytes)
  expect(listed.generations[1]).toMatchObject({ runs: runsOf[0].count, changedBytes: runsOf[0].changedBytes, from: { name: 'snap1' } })

  const text = await runCli(['history', 'list', dir])
  expect(text.stdout).toMatch(/^0002 {2}snap3 {2}from snap2 .*<- the target holds this$/m)

  const bad = await runCli(['history', 'prune', dir, '--keep', '-1'])
  expect(bad.exitCode).not.toBe(0)
  const prune = await runCli(['history', 'prune', dir, '--keep', '1', '--json'])
  expect(prune.exitCode).toBe(0)
  expect(JSON.parse(prune.stdout)).toMatchObject({ removed: [0], kept: [1, 2] })
  expect(existsSync(path.join(dir, 'undo', '000001.undo'))).toBe(false)

  mounted = await mountWithCli(mnt, ['--history', dir])
  expect((await runCommand('ls', [mnt])).stdout).toBe('0001-snap2\n0002-snap3\n')
  expect((await runCommand('cmp', [path.join(mnt, '0001-snap2', 'full.img'), f.snap2])).exitCode).toBe(0)
  expect((await runCommand('cmp', [path.join(mnt, '0002-snap3', 'full.img'), f.origin])).exitCode).toBe(0)
  await strictUnmount(mounted)
  mounted = undefined
})

test('mount --history refuses to mix with --cow/--snapshot, and a missing directory, mounting nothing', async () => {
  const mixed = await runCli(['mount', mnt, '--history', dir, '--cow', f.cow1, '--snapshot', f.snap2])
  expect(mixed.exitCode).toBe(2)
  expect(mixed.stderr).toMatch(/either --history or/)
  const missing = await runCli(['mount', mnt, '--history', path.join(work, 'nope')])
  expect(missing.exitCode).toBe(3)
  expect(missing.stderr).toMatch(/does not exist/)
  expect(await fsp.readdir(mnt)).toEqual([])
})
