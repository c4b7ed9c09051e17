// send: writes a generation's delta stream sequentially (what `snapdelta
// send` prints, and byte for byte what a mount's delta.stream reads): the
// header, the check table (one extra read of the old and the new bytes),
// then the records.
import { GenerationSource } from '../generation/generation-source'
import { runPieces, Piece, RunPiece } from '../copy/pieces'
import { isZeroRun } from '../map/run-kinds'
import { CheckTableChecksum, encodeCheckEntry } from './check-table'
import {
  encodeDataRecord,
  encodeRecordHeader,
  encodeStreamHeader,
  encodeZeroRecord,
  endRecordStart,
  EndChecksum,
  headerForRuns,
  MAX_RECORD_DATA_BYTES,
  StreamHeader,
} from './stream-format'
import { checkEntryReader, streamOptionsFor } from './stream-source'
import { InvalidInputError, InvalidSnapshotError } from '../errors'

/** Reads in flight ahead of the one being written: keeps the reader busy while the pipe drains. */
const READ_AHEAD = 4

export interface SendSummary {
  header: StreamHeader
  bytesSent: number
}

/** Emits the whole stream through `write`, which must resolve when the consumer can take more. */
export async function sendStream(
  source: GenerationSource,
  write: (chunk: Buffer) => Promise<void>,
  onProgress: (bytes: number) => void = () => {},
): Promise<SendSummary> {
  const header = streamHeaderOf(source)
  let bytesSent = 0
  const emit = async (chunk: Buffer) => {
    await write(chunk)
    bytesSent += chunk.length
  }
  await emit(encodeStreamHeader(header))
  let tableChecksum: Buffer | null = null
  if (header.checkEntries !== null) {
    const table = new CheckTableChecksum(header.identity)
    const pieces = runPieces(source.runs, header.maxRecordDataBytes)
    const entryOf = await checkEntryReader(source)
    for await (const entry of inOrder(pieces, entryOf)) {
      const bytes = encodeCheckEntry(entry)
      table.add(bytes)
      await emit(bytes)
    }
    tableChecksum = table.digest()
    await emit(tableChecksum)
  }
  const end = new EndChecksum(header, tableChecksum)
  let index = 0
  const readPiece = async (piece: RunPiece) => {
    const data = Buffer.allocUnsafe(piece.lengthBytes)
    await source.readChanged(data, piece.offsetBytes)
    return { piece, data }
  }
  for await (const { piece, data } of inOrder(runPieces(source.runs, header.maxRecordDataBytes), readPiece)) {
    // A run the newer snapshot reads as zeros (thin left_only) is a zero record, as delta.stream's layout says;
    // a full stream's size is never needed up front, so its all-zero pieces travel as zero records too.
    const zeroRun = isZeroRun(source.kinds, piece.run)
    if (zeroRun) checkZeroRun(source.description, data, piece.offsetBytes)
    if (zeroRun || (header.kind === 'full' && isAllZero(data))) {
      const record = encodeZeroRecord(header.identity, index, piece.offsetBytes, data.length)
      end.add(record.checksum)
      await emit(record.header)
    } else {
      const record = encodeDataRecord(header.identity, index, piece.offsetBytes, data)
      end.add(record.checksum)
      await emit(record.header)
      await emit(data)
    }
    onProgress(data.length)
    index++
  }
  await emit(encodeRecordHeader(endRecordStart(header), end.digest()))
  return { header, bytesSent }
}

/** The header of `source`'s stream; a name or UUID too long for a stream header is bad input. */
export function streamHeaderOf(source: GenerationSource): StreamHeader {
  try {
    return headerForRuns(source.runs, streamOptionsFor(source))
  } catch (err) {
    if (err instanceof RangeError) throw new InvalidInputError(`cannot send ${source.description}: ${err.message}`, { cause: err })
    throw err
  }
}

// Runs `read` on the pieces in order with a few reads in flight.
async function* inOrder<P extends Piece, T>(pieces: Iterable<P>, read: (piece: P) => Promise<T>): AsyncGenerator<T> {
  const pending: Array<Promise<T>> = []
  const iterator = pieces[Symbol.iterator]()
  for (;;) {
    while (pending.length < READ_AHEAD) {
      const next = iterator.next()
      if (next.done) break
      const started = read(next.value)
      // Handled when awaited in order; this stops an early rejection from being reported as unhandled.
      started.catch(() => {})
      pending.push(started)
    }
    const first = pending.shift()
    if (!first) return
    yield await first
  }
}

const ZEROS = Buffer.alloc(MAX_RECORD_DATA_BYTES)

/** True when `data` (at most a record's worth) is all zero bytes. */
export function isAllZero(data: Buffer): boolean {
  return data.length <= ZEROS.length && data.equals(ZEROS.subarray(0, data.length))
}

/**
 * Refuses to send `data`, read from a run the change source says reads as
 * zeros, as a zero record unless it does: a snapshot written after the delta
 * was taken would otherwise lose those bytes on the backup.
 */
export function checkZeroRun(description: string, data: Buffer, offsetBytes: number): void {
  if (isAllZero(data)) return
  throw new InvalidSnapshotError(
    `${description}: the newer snapshot has non-zero bytes in ${offsetBytes}+${data.length}, where its changes say it maps nothing (thin left_only, read as zeros): ` +
      'it changed after the delta was taken; take the delta again',
  )
}
