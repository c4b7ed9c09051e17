// The per-range checksums of delta.bmap: SHA-256 of every run's bytes, read
// once, in order, with large reads.
import { createHash } from 'crypto'
import { GenerationSource } from '../generation/generation-source'

const PIECE_BYTES = 4 * 1024 * 1024

/** SHA-256 hex of each run of `source`, in run order. */
export async function runChecksums(source: GenerationSource): Promise<string[]> {
  const runs = source.runs
  const out: string[] = []
  const buffer = Buffer.allocUnsafeSlow(PIECE_BYTES)
  for (let i = 0; i < runs.count; i++) {
    const hash = createHash('sha256')
    const end = runs.endBytes(i)
    for (let offset = runs.offsetBytes(i); offset < end; offset += PIECE_BYTES) {
      const data = buffer.subarray(0, Math.min(PIECE_BYTES, end - offset))
      await source.readChanged(data, offset)
      hash.update(data)
    }
    out.push(hash.digest('hex'))
  }
  return out
}
