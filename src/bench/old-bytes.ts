// The old snapshot's content in the benchmark's runs: what its COW saved and
// what a backup of it holds. Random (incompressible, never a hole) and the
// same at a given offset every time it is asked for, without keeping it: the
// AES-CTR keystream with the counter at the offset, so the COW writer, the
// backup and any later check all agree byte for byte.
import { createCipheriv } from 'crypto'
import { promises as fsp } from 'fs'
import { ByteRun } from './chunk-sets'

const KEY = Buffer.alloc(16, 0x5d)
// AES-CTR counts in 16-byte blocks: offsets must be multiples of this.
const BLOCK_BYTES = 16
const PIECE_BYTES = 4 << 20

/** Fills `target` with the old bytes at `offsetBytes` (a multiple of 16). */
export function fillOldBytes(target: Buffer, offsetBytes: number): void {
  if (offsetBytes % BLOCK_BYTES !== 0) throw new RangeError(`old bytes start at multiples of ${BLOCK_BYTES} bytes, got offset ${offsetBytes}`)
  const counter = Buffer.alloc(16)
  counter.writeBigUInt64BE(BigInt(offsetBytes / BLOCK_BYTES), 8)
  const cipher = createCipheriv('aes-128-ctr', KEY, counter)
  target.fill(0)
  const stream = cipher.update(target)
  stream.copy(target)
}

/** The old bytes at `offsetBytes`, `lengthBytes` of them, in a new buffer. */
export function oldBytes(offsetBytes: number, lengthBytes: number): Buffer {
  const buffer = Buffer.allocUnsafe(lengthBytes)
  fillOldBytes(buffer, offsetBytes)
  return buffer
}

/** Writes the old bytes into every run of the existing file `filePath`, then fsyncs: a backup that holds the base there. */
export async function writeOldBytesInRuns(filePath: string, runs: readonly ByteRun[]): Promise<void> {
  const file = await fsp.open(filePath, 'r+')
  try {
    const piece = Buffer.allocUnsafe(PIECE_BYTES)
    for (const run of runs) {
      for (let done = 0; done < run.lengthBytes; done += PIECE_BYTES) {
        const n = Math.min(PIECE_BYTES, run.lengthBytes - done)
        fillOldBytes(piece.subarray(0, n), run.offsetBytes + done)
        for (let written = 0; written < n; ) {
          written += (await file.write(piece, written, n - written, run.offsetBytes + done + written)).bytesWritten
        }
      }
    }
    await file.sync()
  } finally {
    await file.close()
  }
}
