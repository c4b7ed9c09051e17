// send: writes a generation's delta stream sequentially (what `snapdelta
// send` prints, and byte for byte what a mount's delta.stream reads).
import { GenerationSource } from '../copy/generation-source'
import { runPieces, Piece } from '../copy/pieces'
import { encodeDataRecord, encodeRecordHeader, encodeStreamHeader, endRecordStart, EndChecksum, headerForRuns, StreamHeader } from './stream-format'

/** Records read ahead of the one being written: keeps the reader busy while the pipe drains. */
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
  const header = headerForRuns(source.runs)
  const end = new EndChecksum(header)
  let bytesSent = 0
  const emit = async (chunk: Buffer) => {
    await write(chunk)
    bytesSent += chunk.length
  }
  await emit(encodeStreamHeader(header))
  let index = 0
  for await (const { piece, data } of readInOrder(source, runPieces(source.runs, header.maxRecordDataBytes))) {
    const record = encodeDataRecord(header.identity, index, piece.offsetBytes, data)
    end.add(record.checksum)
    await emit(record.header)
    await emit(data)
    onProgress(data.length)
    index++
  }
  await emit(encodeRecordHeader(endRecordStart(header), end.digest()))
  return { header, bytesSent }
}

// Reads pieces in order with a few reads in flight.
async function* readInOrder(source: GenerationSource, pieces: Iterable<Piece>): AsyncGenerator<{ piece: Piece; data: Buffer }> {
  const pending: Array<Promise<{ piece: Piece; data: Buffer }>> = []
  const start = (piece: Piece) => {
    const data = Buffer.allocUnsafe(piece.lengthBytes)
    const read = source.readChanged(data, piece.offsetBytes).then(() => ({ piece, data }))
    // Handled when awaited in order; this stops an early rejection from being reported as unhandled.
    read.catch(() => {})
    pending.push(read)
  }
  const iterator = pieces[Symbol.iterator]()
  for (;;) {
    while (pending.length < READ_AHEAD) {
      const next = iterator.next()
      if (next.done) break
      start(next.value)
    }
    const first = pending.shift()
    if (!first) return
    yield await first
  }
}
