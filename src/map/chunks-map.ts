// chunks.map for a set of runs: the header fields they imply, the whole text
// for small maps, and the line writer that renders large maps piecewise as
// bytes (src/vfs/chunks-map-file.ts, snapdelta map) under the same header.
import {
  CHUNKS_MAP_LINE_MAX_BYTES,
  ChunksMapHeader,
  formatChunksMapHeader,
  formatChunksMapLine,
  NEWLINE,
  SPACE,
  writeChunksMapLine,
} from '../format/chunks-map-text'
import { writeDecimal } from '../format/decimal-ascii'
import { ChunkRuns } from './chunk-runs'
import { kindName, RunKinds } from './run-kinds'

/** Header of the map of `runs`; without a snapshot (null) the device size is unknown too. */
export function chunksMapHeaderOf(runs: ChunkRuns, cowPath: string, snapshotPath: string | null, kinds: RunKinds | null = null): ChunksMapHeader {
  return {
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: snapshotPath === null ? null : runs.deviceSizeBytes,
    changedChunks: runs.changedChunks,
    runs: runs.count,
    changedBytes: runs.changedBytes,
    cowPath,
    snapshotPath,
    kindNames: kinds?.names ?? null,
  }
}

/** The whole chunks.map text of `runs`, built in memory. */
export function chunksMapText(runs: ChunkRuns, cowPath: string, snapshotPath: string, kinds: RunKinds | null = null): string {
  const lines = [formatChunksMapHeader(chunksMapHeaderOf(runs, cowPath, snapshotPath, kinds))]
  for (let i = 0; i < runs.count; i++) lines.push(formatChunksMapLine(runs.offsetBytes(i), runs.lengthBytes(i), kindName(kinds, i)))
  return lines.join('')
}

/** Where writeChunksMapLines stopped. */
export interface LinesWritten {
  /** The first run not written. */
  nextRun: number
  /** Bytes of `buf` filled, whole lines only. */
  filledBytes: number
}

/**
 * Writes the lines of runs `firstRun`, `firstRun` + 1, ... into `buf` while
 * whole lines fit (at least one when `buf` has CHUNKS_MAP_LINE_MAX_BYTES).
 * Byte-identical to formatChunksMapLine, without a string per line: `snapdelta
 * map` prints ten million of them.
 */
export function writeChunksMapLines(runs: ChunkRuns, kinds: RunKinds | null, firstRun: number, buf: Uint8Array): LinesWritten {
  const kindBytes = kinds?.names.map((name) => Buffer.from(name, 'latin1'))
  const last = buf.length - CHUNKS_MAP_LINE_MAX_BYTES
  // Most runs of a table share a length (one chunk): its digits are copied, not recomputed.
  const lengthDigits = new Uint8Array(16)
  let cachedLength = -1
  let cachedDigits = 0
  let pos = 0
  let run = firstRun
  for (; run < runs.count && pos <= last; run++) {
    const lengthBytes = runs.lengthBytes(run)
    if (kindBytes !== undefined) {
      pos = writeChunksMapLine(buf, pos, runs.offsetBytes(run), lengthBytes, kindBytes[kinds!.codes[run]])
      continue
    }
    pos = writeDecimal(buf, pos, runs.offsetBytes(run))
    buf[pos++] = SPACE
    if (lengthBytes !== cachedLength) {
      cachedLength = lengthBytes
      cachedDigits = writeDecimal(lengthDigits, 0, lengthBytes)
    }
    for (let d = 0; d < cachedDigits; d++) buf[pos++] = lengthDigits[d]
    buf[pos++] = NEWLINE
  }
  return { nextRun: run, filledBytes: pos }
}
