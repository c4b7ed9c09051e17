// The undo writer as the content check drives it: ranges put in any order
// (pieces in flight finish out of order), runs that do not line up with the
// checksum blocks, and what it refuses: a byte put twice or outside the runs,
// a record finished before every byte came, and an abandoned record leaves nothing.
import { promises as fsp } from 'fs'
import path from 'path'
import { UndoWriter } from '../../../src/history/undo-writer'
import { UndoFile } from '../../../src/history/undo-file'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { random, randomRuns } from './history-test-data'

afterAll(() => removeScratchRoot())

const CHUNK = 4096
const SIZE = 4 << 20
// Two chunks: single-chunk runs put blocks across runs, and 5000-byte pieces across blocks.
const BLOCK = 2 * CHUNK

test('pieces put out of order give the record the whole old content, every checksum block verified on read', async () => {
  const dir = scratchDir('undo-writer')
  const old = pseudoRandomBytes(SIZE, 5)
  const runs = randomRuns(random(9), CHUNK, SIZE, 300)
  const pieces: Array<[number, number]> = []
  for (let i = 0; i < runs.count; i++) {
    // Cut each run unevenly, as 4 MiB check pieces and 1 MiB base.sha256 pieces cut long runs.
    for (let at = runs.offsetBytes(i); at < runs.endBytes(i); at += 5000) pieces.push([at, Math.min(5000, runs.endBytes(i) - at)])
  }
  const rand = random(3)
  for (let i = pieces.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[pieces[i], pieces[j]] = [pieces[j], pieces[i]]
  }
  const writer = await UndoWriter.create(dir, 7, runs, BLOCK)
  // A few in flight at once, as the check runs them.
  for (let i = 0; i < pieces.length; i += 3) {
    await Promise.all(pieces.slice(i, i + 3).map(([at, len]) => writer.put(Buffer.from(old.subarray(at, at + len)), at)))
  }
  const facts = await writer.finish()
  expect(await fsp.readdir(dir)).toEqual(['000007.undo'])
  const undo = await UndoFile.open(path.join(dir, facts.file), { seq: 7, deviceSizeBytes: SIZE, headerSha256: facts.headerSha256 })
  try {
    for (let i = 0; i < runs.count; i++) {
      const got = Buffer.alloc(runs.lengthBytes(i))
      await undo.readOld(got, runs.offsetBytes(i), i)
      expect(got.equals(old.subarray(runs.offsetBytes(i), runs.endBytes(i)))).toBe(true)
    }
  } finally {
    await undo.close()
  }
})

test('a byte put twice, a range outside the runs and an early finish are refused; abandon leaves no file', async () => {
  const dir = scratchDir('undo-writer-refusals')
  const runs = randomRuns(random(4), CHUNK, SIZE, 10)
  const writer = await UndoWriter.create(dir, 1, runs, BLOCK)
  const first = runs.offsetBytes(0)
  await writer.put(Buffer.alloc(CHUNK), first)
  await expect(writer.put(Buffer.alloc(CHUNK), first)).rejects.toThrow(/put twice/)
  await expect(writer.put(Buffer.alloc(runs.lengthBytes(0) + CHUNK), first)).rejects.toThrow(/not inside one run/)
  await expect(writer.finish()).rejects.toThrow(/old bytes were put/)
  await writer.abandon()
  expect(await fsp.readdir(dir)).toEqual([])
})
