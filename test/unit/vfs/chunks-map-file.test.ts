import { ChunksMapFile } from '../../../src/vfs/chunks-map-file'
import { buildChunkRuns } from '../../../src/map/chunk-runs'
import { formatChunksMapHeader, formatChunksMapLine, parseChunksMap } from '../../../src/format/chunks-map-text'

const SOURCES = { cowPath: '/dev/mapper/vg-snap1-cow', snapshotPath: '/dev/mapper/vg-snap2' }

// Runs with offsets of many different digit counts, so line lengths vary.
function manyRuns(count: number, chunkBytes = 4096) {
  const chunks = new Float64Array(count)
  let chunk = 0
  for (let i = 0; i < count; i++) {
    chunk += 2 + ((i * 7919) % 13) * (i % 50 === 0 ? 100_000 : 1)
    chunks[i] = chunk
  }
  const deviceBytes = (chunk + 1) * chunkBytes - 123
  return buildChunkRuns(chunks, count, chunkBytes, deviceBytes)
}

// The reference: format every line, the way `snapdelta map` does.
function formatAll(runs: ReturnType<typeof manyRuns>): Buffer {
  let text = formatChunksMapHeader({
      kindNames: null,
    ...SOURCES,
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: runs.deviceSizeBytes,
    changedChunks: runs.changedChunks,
    runs: runs.count,
    changedBytes: runs.changedBytes,
  })
  for (let i = 0; i < runs.count; i++) text += formatChunksMapLine(runs.offsetBytes(i), runs.lengthBytes(i))
  return Buffer.from(text, 'latin1')
}

async function readAll(file: ChunksMapFile, blockBytes: number): Promise<Buffer> {
  const parts: Buffer[] = []
  for (let off = 0; ; ) {
    const block = Buffer.alloc(blockBytes)
    const n = await file.read(block, off)
    if (n === 0) break
    parts.push(block.subarray(0, n))
    off += n
  }
  return Buffer.concat(parts)
}

test('size and content equal formatting every line, for any read size', async () => {
  const runs = manyRuns(5000)
  const file = new ChunksMapFile(runs, SOURCES)
  const reference = formatAll(runs)
  expect(file.sizeBytes).toBe(reference.length)
  for (const block of [100, 4096, 131072, reference.length + 10]) {
    expect((await readAll(file, block)).equals(reference)).toBe(true)
  }
})

test('byte-by-byte reads of a small map', async () => {
  const runs = manyRuns(60)
  const file = new ChunksMapFile(runs, SOURCES)
  expect((await readAll(file, 1)).equals(formatAll(runs))).toBe(true)
  expect((await readAll(file, 7)).equals(formatAll(runs))).toBe(true)
})

test('reads at arbitrary offsets, across the header and the index strides', async () => {
  const runs = manyRuns(3000)
  const file = new ChunksMapFile(runs, SOURCES)
  const reference = formatAll(runs)
  for (let off = 0; off < reference.length; off += 977) {
    const target = Buffer.alloc(1500)
    const n = await file.read(target, off)
    expect(n).toBe(Math.min(1500, reference.length - off))
    expect(target.subarray(0, n).equals(reference.subarray(off, off + n))).toBe(true)
  }
})

test('the text parses back into the same runs, partial last chunk included', async () => {
  const runs = manyRuns(100)
  const file = new ChunksMapFile(runs, SOURCES)
  const parsed = parseChunksMap((await readAll(file, 4096)).toString('latin1'), 'chunks.map')
  expect(parsed.offsets.length).toBe(runs.count)
  expect(parsed.lengths[runs.count - 1]).toBe(runs.lengthBytes(runs.count - 1))
  expect(runs.endBytes(runs.count - 1)).toBe(runs.deviceSizeBytes)
  expect(parsed.comments.get('cow')).toBe(SOURCES.cowPath)
})

test('no runs: only the header', async () => {
  const runs = buildChunkRuns(new Float64Array(0), 0, 4096, 1 << 20)
  const file = new ChunksMapFile(runs, SOURCES)
  expect((await readAll(file, 50)).equals(formatAll(runs))).toBe(true)
})

test('a million runs: the size comes from an index, a read renders only its own lines', async () => {
  const runs = manyRuns(1_000_000)
  let started = process.hrtime.bigint()
  const file = new ChunksMapFile(runs, SOURCES)
  const constructionNs = process.hrtime.bigint() - started
  const target = Buffer.alloc(131072)
  started = process.hrtime.bigint()
  await file.read(target, file.sizeBytes - 200_000)
  const readNs = process.hrtime.bigint() - started
  // Building the index visits every run once; a read near the end must not
  // (absolute times are meaningless under jest, whose VM contexts run math slowly).
  expect(readNs * 10n).toBeLessThan(constructionNs)
  const text = target.toString('latin1')
  const lines = text.split('\n').slice(1, -1)
  expect(lines.length).toBeGreaterThan(1000)
  for (const line of lines) expect(line).toMatch(/^\d+ \d+$/)
  const tail = Buffer.alloc(100)
  const n = await file.read(tail, file.sizeBytes - 100)
  const last = runs.count - 1
  expect(tail.subarray(0, n).toString('latin1').endsWith(`${runs.offsetBytes(last)} ${runs.lengthBytes(last)}\n`)).toBe(true)
})
