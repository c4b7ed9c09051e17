import { buildChunkRuns } from '../../../src/map/chunk-runs'
import { chunksMapText, writeChunksMapLines } from '../../../src/map/chunks-map'
import { runKindsFromNames } from '../../../src/map/run-kinds'
import { CHUNKS_MAP_LINE_MAX_BYTES } from '../../../src/format/chunks-map-text'

// The lines of chunksMapText (a string per line): the reference the byte writer must equal.
function textLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => `${line}\n`)
    .join('')
}

function writtenLines(runs: ReturnType<typeof buildChunkRuns>, kinds: ReturnType<typeof runKindsFromNames>, bufferBytes: number): string {
  const buf = Buffer.alloc(bufferBytes)
  let text = ''
  for (let run = 0; run < runs.count; ) {
    const written = writeChunksMapLines(runs, kinds, run, buf)
    expect(written.nextRun).toBeGreaterThan(run)
    text += buf.subarray(0, written.filledBytes).toString('latin1')
    run = written.nextRun
  }
  return text
}

// Runs of 1, 2 and 3 chunks (the cached length changes), offsets past 2^32, a partial last chunk.
const chunks = [0, 1, 5, 9, 10, 11, 2 ** 21, 2 ** 21 + 1, 2 ** 30, 2 ** 30 + 7]
const deviceBytes = (2 ** 30 + 8) * 4096 - 512
const runs = () => buildChunkRuns(Float64Array.from(chunks), chunks.length, 4096, deviceBytes)

test.each([CHUNKS_MAP_LINE_MAX_BYTES, CHUNKS_MAP_LINE_MAX_BYTES + 20, 1 << 16])('whole lines, byte-identical to the string lines, in a buffer of %d bytes', (bytes) => {
  const r = runs()
  expect(writtenLines(r, null, bytes)).toBe(textLines(chunksMapText(r, 'cow', 'snap')))
})

test('the kind is the third field', () => {
  const r = runs()
  const kinds = runKindsFromNames(Array.from({ length: r.count }, (_, i) => (i % 2 ? 'left_only' : 'different')))
  expect(writtenLines(r, kinds, CHUNKS_MAP_LINE_MAX_BYTES * 2)).toBe(textLines(chunksMapText(r, 'cow', 'snap', kinds)))
  expect(writtenLines(r, kinds, 1 << 16)).toMatch(/^0 8192 different\n20480 4096 left_only\n/)
})
