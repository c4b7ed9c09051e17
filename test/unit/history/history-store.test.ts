// The history store: create, open (and what it refuses), begin/commit with
// crashes between the steps, reuse of a pending step, a full disk, prune.
import { execFileSync } from 'child_process'
import { promises as fsp, mkdirSync, statSync } from 'fs'
import path from 'path'
import { createHistory, openHistory } from '../../../src/history/history-store'
import { HistoryView } from '../../../src/history/history-view'
import { describeTarget } from '../../../src/history/target-identity'
import { DeviceIoError, ExitCode, InvalidInputError } from '../../../src/errors'
import { FileSource } from '../../../src/io/file-source'
import { runCommand } from '../../helpers/cli'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { addTestGeneration, random, randomRuns, startTestHistory, TestHistory } from './history-test-data'

const SIZE = 1 << 20

afterAll(() => removeScratchRoot())

async function reopen(h: TestHistory): Promise<TestHistory> {
  return { ...h, history: await openHistory(h.dir, await describeTarget(h.targetPath)) }
}

async function readAll(h: TestHistory, seq: number): Promise<Buffer> {
  const target = await FileSource.open(h.targetPath)
  const view = await HistoryView.open(h.history, target)
  try {
    const out = Buffer.alloc(target.sizeBytes)
    await view.reconstruct(seq).readInto(out, 0)
    return out
  } finally {
    await view.close()
    await target.close()
  }
}

const undoFiles = async (h: TestHistory) => (await fsp.readdir(path.join(h.dir, 'undo'))).sort()
const indexText = (h: TestHistory) => fsp.readFile(path.join(h.dir, 'history.json'), 'utf8')

test('create: a private directory with an index naming the target and the base', async () => {
  const h = await startTestHistory(scratchDir('create'), SIZE)
  expect(statSync(h.dir).mode & 0o777).toBe(0o700)
  const index = JSON.parse(await indexText(h))
  expect(index).toMatchObject({ format: 'snapdelta-history', version: 1, pending: null })
  expect(index.target).toEqual({ path: h.targetPath, sizeBytes: SIZE, identity: expect.stringMatching(/^file:\d+:\d+$/) })
  expect(index.generations).toEqual([expect.objectContaining({ seq: 0, from: null, to: { name: 'base', uuid: 'uuid-0' }, undo: null })])
  await expect(createHistory(h.dir, { target: await describeTarget(h.targetPath), base: { name: 'x', uuid: null } })).rejects.toThrow(/already holds a history/)
})

test('open refuses another target, a corrupt or newer index, and an unsafe directory, writing nothing', async () => {
  const root = scratchDir('refuse')
  const h = await startTestHistory(root, SIZE)
  const before = await indexText(h)
  const other = path.join(root, 'other.img')
  await fsp.writeFile(other, Buffer.alloc(SIZE))
  await expect(openHistory(h.dir, await describeTarget(other))).rejects.toThrow(/is the history of .*target\.img.*not of .*other\.img/)
  await expect(openHistory(h.dir, { ...(await describeTarget(h.targetPath)), sizeBytes: SIZE * 2 })).rejects.toThrow(InvalidInputError)
  expect(await indexText(h)).toBe(before)

  const indexPath = path.join(h.dir, 'history.json')
  await fsp.writeFile(indexPath, before.slice(0, before.length / 2))
  await expect(reopen(h)).rejects.toThrow(/history\.json: not JSON/)
  await fsp.writeFile(indexPath, before.replace('"version": 1', '"version": 7'))
  await expect(reopen(h)).rejects.toThrow(/version 7 is newer than this snapdelta reads \(1\): upgrade snapdelta/)
  await fsp.rm(indexPath)
  await fsp.symlink(path.join(root, 'elsewhere.json'), indexPath)
  await expect(reopen(h)).rejects.toThrow(/history\.json is a symlink/)
  await fsp.rm(indexPath)
  await fsp.writeFile(indexPath, before)

  await fsp.chmod(h.dir, 0o770)
  await expect(reopen(h)).rejects.toThrow(/refusing the history directory .*writable by group or others.*chmod 700/)
  await fsp.chmod(h.dir, 0o700)
  const link = path.join(root, 'link')
  await fsp.symlink(h.dir, link)
  await expect(openHistory(link, await describeTarget(h.targetPath))).rejects.toThrow(/is a symlink/)
  await expect(openHistory(path.join(root, 'missing'), await describeTarget(h.targetPath))).rejects.toThrow(/does not exist/)
})

test('begin records a flushed pending step; commit makes it current; the chain must follow what TARGET holds', async () => {
  let h = await startTestHistory(scratchDir('begin'), SIZE)
  await addTestGeneration(h, randomRuns(random(1), 4096, SIZE, 20), 1, { commit: false })
  // A crash here: the reopened history has the step pending, TARGET still counts as the base.
  h = await reopen(h)
  expect(h.history.pending()).toMatchObject({ seq: 1, to: { name: 'gen1' }, undo: { file: '000001.undo' } })
  expect(h.history.current()).toEqual({ name: 'base', uuid: 'uuid-0' })
  // Every generation reads right while the step is pending, the base through the pending undo record.
  expect((await readAll(h, 0)).equals(h.states[0])).toBe(true)
  await h.history.commitGeneration()
  h = await reopen(h)
  expect(h.history.pending()).toBeNull()
  expect(h.history.current()).toEqual({ name: 'gen1', uuid: 'uuid-1' })
  const runs = randomRuns(random(2), 4096, SIZE, 5)
  const readOld = async () => undefined
  await expect(h.history.beginGeneration({ from: { name: 'base', uuid: 'uuid-0' }, to: { name: 'x', uuid: null }, runs, readOld })).rejects.toThrow(
    /starts from base \(uuid uuid-0\), but .* holds gen1 \(uuid uuid-1\)/,
  )
  await expect(h.history.commitGeneration()).rejects.toThrow(/no generation is pending/)
})

test('a re-run after a crash during the TARGET write reuses the pending record; another step is refused', async () => {
  const h = await startTestHistory(scratchDir('reuse'), SIZE)
  const runs = randomRuns(random(3), 4096, SIZE, 10)
  await addTestGeneration(h, runs, 3, { commit: false })
  const undo = path.join(h.dir, 'undo', '000001.undo')
  const before = statSync(undo)
  const again = await reopen(h)
  let reads = 0
  const readOld = async () => void reads++
  const pending = await again.history.beginGeneration({ from: { name: 'base', uuid: 'uuid-0' }, to: { name: 'gen1', uuid: 'uuid-1' }, runs, readOld })
  expect(pending.seq).toBe(1)
  expect(reads).toBe(0)
  expect(statSync(undo).ino).toBe(before.ino)
  await expect(
    again.history.beginGeneration({ from: { name: 'base', uuid: 'uuid-0' }, to: { name: 'other', uuid: 'uuid-9' }, runs, readOld }),
  ).rejects.toThrow(/was not confirmed.*finish that write first/)
  await again.history.commitGeneration()
  expect((await readAll(again, 0)).equals(h.states[0])).toBe(true)
})

test('a failed undo write and stray files of killed runs leave the history as it was', async () => {
  const h = await startTestHistory(scratchDir('killed'), SIZE)
  const before = await indexText(h)
  const runs = randomRuns(random(4), 4096, SIZE, 30)
  const failing = async () => {
    throw new DeviceIoError('injected read failure')
  }
  await expect(h.history.beginGeneration({ from: h.history.current(), to: { name: 'g', uuid: null }, runs, readOld: failing })).rejects.toThrow('injected')
  expect(await indexText(h)).toBe(before)
  expect(await undoFiles(h)).toEqual([])
  // What a kill -9 mid-write, or between the rename and the index write, leaves.
  await fsp.writeFile(path.join(h.dir, 'undo', '000001.undo.partial-99999-abcd'), 'partial')
  await fsp.writeFile(path.join(h.dir, 'undo', '000001.undo'), 'unreferenced')
  await fsp.writeFile(path.join(h.dir, 'history.json.new-99999-abcd'), '{')
  const again = await reopen(h)
  expect(again.history.pending()).toBeNull()
  await addTestGeneration(again, runs, 4)
  expect(await undoFiles(again)).toEqual(['000001.undo'])
  expect((await fsp.readdir(h.dir)).sort()).toEqual(['history.json', 'readers', 'undo'])
  expect((await readAll(again, 0)).equals(h.states[0])).toBe(true)
})

test('a full disk: DeviceIoError (exit 4), the history unchanged, no partial record left', async () => {
  const root = scratchDir('enospc')
  const small = path.join(root, 'small')
  mkdirSync(small)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', small])
  try {
    const targetPath = path.join(root, 'target.img')
    await fsp.writeFile(targetPath, Buffer.alloc(4 << 20, 7))
    const dir = path.join(small, 'history')
    const history = await createHistory(dir, { target: await describeTarget(targetPath), base: { name: 'base', uuid: null } })
    const before = await fsp.readFile(path.join(dir, 'history.json'), 'utf8')
    const target = await FileSource.open(targetPath)
    const runs = randomRuns(random(5), 65536, 4 << 20, 40)
    const error = await history
      .beginGeneration({ from: history.current(), to: { name: 'big', uuid: null }, runs, readOld: (b, o) => target.readInto(b, o) })
      .catch((err: unknown) => err)
    await target.close()
    expect(error).toBeInstanceOf(DeviceIoError)
    expect((error as DeviceIoError).exitCode).toBe(ExitCode.io)
    expect((error as Error).message).toMatch(/ENOSPC|no space/i)
    expect(await fsp.readFile(path.join(dir, 'history.json'), 'utf8')).toBe(before)
    expect(await fsp.readdir(path.join(dir, 'undo'))).toEqual([])
    expect(history.pending()).toBeNull()
  } finally {
    await runCommand('umount', ['-l', small])
  }
})

test('prune keeps the newest generations, flushes the index first, then removes undo records', async () => {
  let h = await startTestHistory(scratchDir('prune'), SIZE)
  for (let seq = 1; seq <= 3; seq++) await addTestGeneration(h, randomRuns(random(10 + seq), 4096, SIZE, 25), 10 + seq)
  expect(await undoFiles(h)).toEqual(['000001.undo', '000002.undo', '000003.undo'])
  expect(await h.history.prune(5)).toEqual({ removed: [], freedBytes: 0 })
  const result = await h.history.prune(1)
  expect(result.removed.map((g) => g.seq)).toEqual([0, 1])
  h = await reopen(h)
  expect(h.history.generations().map((g) => [g.seq, g.undo?.file ?? null])).toEqual([[2, null], [3, '000003.undo']])
  expect(await undoFiles(h)).toEqual(['000003.undo'])
  expect((await readAll(h, 2)).equals(h.states[2])).toBe(true)
  expect((await readAll(h, 3)).equals(h.states[3])).toBe(true)
  await expect(readAll(h, 1)).rejects.toThrow(/has no generation 1: it can restore generations 2 to 3/)
  await expect(h.history.prune(-1)).rejects.toThrow(/expected a whole number/)
  await h.history.prune(0)
  expect(await undoFiles(h)).toEqual([])
})
