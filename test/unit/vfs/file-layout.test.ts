// A file's pread layout must give exactly what its read() gives: the native
// read path serves the file from the layout alone.
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { DeltaImageFile } from '../../../src/vfs/delta-image-file'
import { EXTENT_NUMBERS, FileLayout } from '../../../src/vfs/file-layout'
import { VfsFile } from '../../../src/vfs/node'
import { fullImageFile, SnapshotRangeFile } from '../../../src/vfs/snapshot-range-file'
import { MemorySource } from './memory-source'

const CHUNK = 4096
const DEVICE = 40 * CHUNK + 1000
const RANGES: Array<[number, number]> = [
  [0, 2 * CHUNK],
  [7 * CHUNK, 3 * CHUNK],
  [39 * CHUNK, CHUNK + 1000],
]
const FAKE_FD = 99

/** A memory source that claims a descriptor, as FileSource has. */
class DescribedSource extends MemorySource {
  readonly fd = FAKE_FD
}

/** What a pread-only reader makes of `layout` over `bytes` (the descriptor's content). */
function readByLayout(layout: FileLayout, bytes: Buffer): Buffer {
  const out = Buffer.alloc(layout.sizeBytes)
  for (let i = 0; i < layout.extents.length; i += EXTENT_NUMBERS) {
    const [offset, length, source] = layout.extents.subarray(i, i + EXTENT_NUMBERS)
    bytes.copy(out, offset, source, source + length)
  }
  return out
}

async function readAll(file: VfsFile): Promise<Buffer> {
  const out = Buffer.alloc(file.sizeBytes)
  expect(await file.read(out, 0)).toBe(file.sizeBytes)
  return out
}

const snapshot = pseudoRandomBytes(DEVICE, 3)
const runs = chunkRunsFromByteRanges(CHUNK, DEVICE, RANGES)

test.each([
  ['full.img', () => fullImageFile(new DescribedSource(snapshot))],
  ['delta.img', () => new DeltaImageFile(runs, new DescribedSource(snapshot))],
  ['a changed/ file', () => new SnapshotRangeFile(new DescribedSource(snapshot), 7 * CHUNK, 3 * CHUNK)],
])('%s: its layout reads what read() gives, from the source descriptor', async (_name, make) => {
  const file = make()
  const layout = file.preadLayout()!
  expect(layout.fd).toBe(FAKE_FD)
  expect(layout.sizeBytes).toBe(file.sizeBytes)
  expect(readByLayout(layout, snapshot).equals(await readAll(file))).toBe(true)
})

test('a source without a descriptor has no layout: its files stay on the JS read path', () => {
  expect(fullImageFile(new MemorySource(snapshot)).preadLayout()).toBeUndefined()
  expect(new DeltaImageFile(runs, new MemorySource(snapshot)).preadLayout()).toBeUndefined()
})
