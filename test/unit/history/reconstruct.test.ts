// Reconstruction against an in-memory model: random reads across run
// boundaries of every generation, with a partial last chunk and two chunk
// sizes; a corrupt undo block fails only the reads of generations that need it.
import { promises as fsp } from 'fs'
import path from 'path'
import { HistoryView, reconstruct } from '../../../src/history/history-view'
import { FileSource } from '../../../src/io/file-source'
import { DeviceIoError, Errno } from '../../../src/errors'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { addTestGeneration, random, randomRuns, startTestHistory, TestHistory } from './history-test-data'

// 2 MiB + 1000 bytes: the last chunk is partial.
const SIZE = (2 << 20) + 1000
let h: TestHistory

beforeAll(async () => {
  h = await startTestHistory(scratchDir('reconstruct'), SIZE, 7)
  await addTestGeneration(h, randomRuns(random(21), 4096, SIZE, 120), 21)
  await addTestGeneration(h, randomRuns(random(22), 65536, SIZE, 12), 22)
  await addTestGeneration(h, randomRuns(random(23), 4096, SIZE, 300), 23)
  // The last chunk (partial) is overwritten too.
  const last = new Uint32Array([Math.floor(SIZE / 4096), 0])
  const { buildChunkRuns } = await import('../../../src/map/chunk-runs')
  await addTestGeneration(h, buildChunkRuns(last, 2, 4096, SIZE), 24)
})

afterAll(() => removeScratchRoot())

async function withView<T>(work: (view: HistoryView) => Promise<T>): Promise<T> {
  const target = await FileSource.open(h.targetPath)
  const view = await HistoryView.open(h.history, target)
  try {
    return await work(view)
  } finally {
    await view.close()
    await target.close()
  }
}

test('random reads of every generation equal the model', async () => {
  const rand = random(99)
  await withView(async (view) => {
    for (let seq = 0; seq < h.states.length; seq++) {
      const source = view.reconstruct(seq)
      expect(source.sizeBytes).toBe(SIZE)
      const whole = Buffer.alloc(SIZE)
      await source.readInto(whole, 0)
      expect(whole.equals(h.states[seq])).toBe(true)
      for (let k = 0; k < 200; k++) {
        const offset = Math.floor(rand() * SIZE)
        const length = 1 + Math.floor(rand() * Math.min(300_000, SIZE - offset))
        const got = Buffer.alloc(length)
        await source.readInto(got, offset)
        expect(got.equals(h.states[seq].subarray(offset, offset + length))).toBe(true)
      }
    }
  })
})

test('reads outside the device are refused; reconstruct() closes its own files', async () => {
  const target = await FileSource.open(h.targetPath)
  const source = await reconstruct(h.history, 1, target)
  await expect(source.readInto(Buffer.alloc(10), SIZE - 5)).rejects.toThrow(/outside/)
  const got = Buffer.alloc(SIZE)
  await source.readInto(got, 0)
  expect(got.equals(h.states[1])).toBe(true)
  await source.close()
  await target.close()
})

test('a corrupt undo block: EIO for the generations that need it, the others stay readable', async () => {
  const file = path.join(h.dir, 'undo', '000002.undo')
  const original = await fsp.readFile(file)
  try {
    await withView(async (view) => {
      const runs = view.runsOf(2)!
      // Flip the first data byte: checksum block 0 of generation 2's record, its first run.
      const dataAt = 128 + runs.count * 16
      const corrupt = Buffer.from(original)
      corrupt[dataAt] ^= 0xff
      await fsp.writeFile(file, corrupt)
      const at = runs.offsetBytes(0)
      const one = Buffer.alloc(4096)
      const error = await view.reconstruct(1).readInto(one, at).catch((err: unknown) => err)
      expect(error).toBeInstanceOf(DeviceIoError)
      expect((error as DeviceIoError).errno).toBe(Errno.EIO)
      expect((error as Error).message).toMatch(/000002\.undo: checksum block 0 .* is corrupt/)
      // Generations 2 and newer never need generation 2's own record.
      for (const seq of [2, 3, 4]) {
        const whole = Buffer.alloc(SIZE)
        await view.reconstruct(seq).readInto(whole, 0)
        expect(whole.equals(h.states[seq])).toBe(true)
      }
      // Generation 1 away from the corrupt block still reads right.
      const blockEnd = runs.offsetBytes(0) + 65536
      const far = runs.firstRunEndingAfter(blockEnd + 65536)
      const farAt = far < runs.count ? runs.endBytes(far) : blockEnd + 65536
      const piece = Buffer.alloc(8192)
      await view.reconstruct(1).readInto(piece, farAt)
      expect(piece.equals(h.states[1].subarray(farAt, farAt + 8192))).toBe(true)
    })
  } finally {
    await fsp.writeFile(file, original)
  }
})

test('an undo record swapped for another generation\'s is refused when opened', async () => {
  const one = path.join(h.dir, 'undo', '000001.undo')
  const original = await fsp.readFile(one)
  try {
    await fsp.copyFile(path.join(h.dir, 'undo', '000003.undo'), one)
    const target = await FileSource.open(h.targetPath)
    await expect(HistoryView.open(h.history, target)).rejects.toThrow(/000001\.undo: its header checksum differs from history\.json/)
    await target.close()
  } finally {
    await fsp.writeFile(one, original)
  }
})
