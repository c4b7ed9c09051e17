// Sample generations for the stream tests: a snapshot in memory, the runs,
// the old snapshot (the base a backup holds), and the stream `send` makes of them.
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { sendStream } from '../../../src/stream/send'
import { runPieces } from '../../../src/copy/pieces'
import { encodeDataRecord, encodeRecordHeader, encodeStreamHeader, EndChecksum, endRecordStart, headerForRuns } from '../../../src/stream/stream-format'
import { memoryGenerationSource } from '../copy/memory-generation-source'
import { StreamLayout } from '../../../src/stream/stream-layout'
import { streamOptionsFor } from '../../../src/stream/stream-source'

/** A 3 MiB + 512 B device: runs at 0, an all-zero run, a 1.5 MiB run (two records), a partial last chunk. */
export function sampleGeneration() {
  const deviceSizeBytes = 3 * 1024 * 1024 + 512
  const snapshot = pseudoRandomBytes(deviceSizeBytes, 5)
  snapshot.fill(0, 65536, 65536 + 8192)
  const base = pseudoRandomBytes(deviceSizeBytes, 6)
  const ranges: Array<[number, number]> = [
    [0, 4096],
    [65536, 8192],
    [1024 * 1024, 1536 * 1024],
    [3 * 1024 * 1024, 512],
  ]
  // Outside the runs the base already equals the snapshot: it is the previous backup.
  const expected = Buffer.from(base)
  for (const [offset, length] of ranges) snapshot.copy(expected, offset, offset, offset + length)
  const identities = { from: { name: 'vg-snap1', uuid: 'LVM-snap1' }, to: { name: 'vg-snap2', uuid: 'LVM-snap2' } }
  return { source: memoryGenerationSource(snapshot, 4096, ranges, { old: base, identities }), base, expected }
}

/** The whole stream `send` writes for `source`. */
export async function sentBytes(source: Parameters<typeof sendStream>[0]): Promise<Buffer> {
  const parts: Buffer[] = []
  await sendStream(source, async (chunk) => {
    parts.push(Buffer.from(chunk))
  })
  return Buffer.concat(parts)
}

/** Where each part of `source`'s stream lies. */
export function layoutOf(source: Parameters<typeof streamOptionsFor>[0]): StreamLayout {
  return new StreamLayout(source.runs, streamOptionsFor(source))
}

/** The version-1 stream of `source`, as snapdelta 0.1 sent it, made with the pure encoders. */
export async function v1StreamBytes(source: Parameters<typeof sendStream>[0]): Promise<Buffer> {
  const header = headerForRuns(source.runs, { version: 1 })
  const parts = [encodeStreamHeader(header)]
  const end = new EndChecksum(header)
  let index = 0
  for (const piece of runPieces(source.runs, header.maxRecordDataBytes)) {
    const data = Buffer.alloc(piece.lengthBytes)
    await source.readChanged(data, piece.offsetBytes)
    const record = encodeDataRecord(header.identity, index++, piece.offsetBytes, data)
    end.add(record.checksum)
    parts.push(record.header, data)
  }
  parts.push(encodeRecordHeader(endRecordStart(header), end.digest()))
  return Buffer.concat(parts)
}
