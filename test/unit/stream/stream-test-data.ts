// Sample generations for the stream tests: a snapshot in memory, the runs,
// and the stream `send` makes of them.
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { sendStream } from '../../../src/stream/send'
import { memoryGenerationSource } from '../copy/memory-generation-source'

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
  return { source: memoryGenerationSource(snapshot, 4096, ranges), base, expected }
}

/** The whole stream `send` writes for `source`. */
export async function sentBytes(source: Parameters<typeof sendStream>[0]): Promise<Buffer> {
  const parts: Buffer[] = []
  await sendStream(source, async (chunk) => {
    parts.push(Buffer.from(chunk))
  })
  return Buffer.concat(parts)
}
