// chunks.map as a file that scales to millions of runs: its size is computed
// without building the text, and a read renders only the lines it covers,
// found through a sparse index of where every INDEX_STRIDE-th line starts.
import { CHUNKS_MAP_LINE_MAX_BYTES, chunksMapLineBytes, formatChunksMapHeader } from '../format/chunks-map-text'
import { ChunkRuns } from '../map/chunk-runs'
import { kindName, RunKinds } from '../map/run-kinds'
import { chunksMapHeaderOf, writeChunksMapLines } from '../map/chunks-map'
import { VfsFile } from './node'

// Lines between index entries: a read walks at most this many line lengths
// before it renders; the index costs 8 bytes per stride.
const INDEX_STRIDE = 1024

export class ChunksMapFile implements VfsFile {
  readonly kind = 'file'
  readonly sizeBytes: number
  private readonly header: Buffer
  /** lineStartBytes[k]: offset in the body (after the header) of line k * INDEX_STRIDE. */
  private readonly lineStartBytes: Float64Array
  /** The lines a read covers, rendered as bytes; reused (a read never waits between rendering and copying). */
  private lines = Buffer.alloc(0)

  constructor(
    private readonly runs: ChunkRuns,
    sources: { cowPath: string; snapshotPath: string },
    private readonly kinds: RunKinds | null = null,
  ) {
    this.header = Buffer.from(formatChunksMapHeader(chunksMapHeaderOf(runs, sources.cowPath, sources.snapshotPath, kinds)), 'latin1')
    this.lineStartBytes = new Float64Array(Math.ceil(runs.count / INDEX_STRIDE))
    let bodyBytes = 0
    for (let i = 0; i < runs.count; i++) {
      if (i % INDEX_STRIDE === 0) this.lineStartBytes[i / INDEX_STRIDE] = bodyBytes
      bodyBytes += this.lineBytes(i)
    }
    this.sizeBytes = this.header.length + bodyBytes
  }

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.sizeBytes - offsetBytes))
    if (n === 0) return 0
    const endBytes = offsetBytes + n
    if (offsetBytes < this.header.length) this.header.copy(target, 0, offsetBytes, Math.min(endBytes, this.header.length))
    if (endBytes <= this.header.length) return n
    const bodyStart = Math.max(0, offsetBytes - this.header.length)
    const bodyEnd = endBytes - this.header.length
    const { line, lineStartBytes } = this.lineAt(bodyStart)
    // Room for every line up to bodyEnd: writeChunksMapLines stops only when a longest line no longer fits.
    const needed = bodyEnd - lineStartBytes + CHUNKS_MAP_LINE_MAX_BYTES
    if (this.lines.length < needed) this.lines = Buffer.allocUnsafe(needed)
    const { filledBytes } = writeChunksMapLines(this.runs, this.kinds, line, this.lines)
    this.lines.copy(target, this.header.length + bodyStart - offsetBytes, bodyStart - lineStartBytes, Math.min(filledBytes, bodyEnd - lineStartBytes))
    return n
  }

  /** The line containing body offset `bodyBytes`, and where it starts. */
  private lineAt(bodyBytes: number): { line: number; lineStartBytes: number } {
    let lo = 0
    let hi = this.lineStartBytes.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.lineStartBytes[mid] <= bodyBytes) lo = mid
      else hi = mid - 1
    }
    let line = lo * INDEX_STRIDE
    let lineStartBytes = this.lineStartBytes[lo]
    for (let bytes = this.lineBytes(line); lineStartBytes + bytes <= bodyBytes; bytes = this.lineBytes(line)) {
      lineStartBytes += bytes
      line++
    }
    return { line, lineStartBytes }
  }

  private lineBytes(i: number): number {
    return chunksMapLineBytes(this.runs.offsetBytes(i), this.runs.lengthBytes(i), kindName(this.kinds, i))
  }
}
