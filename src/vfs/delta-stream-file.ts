// delta.stream: the generation's delta stream (docs/stream-format.md), byte
// for byte what `snapdelta send` prints. Its size comes from the runs alone
// (this file never uses zero records). A read at any offset needs at most the
// data of the records it touches (at most 1 MiB each, to checksum them); the
// checksums are kept, so a sequential reader reaches the end record without a
// second pass.
import { Generation } from '../generation/generation'
import { GenerationSource, sourceFromGeneration } from '../copy/generation-source'
import { StreamLayout, RecordPlace } from '../stream/stream-layout'
import { encodeDataRecord, encodeEndRecord, encodeStreamHeader, RECORD_HEADER_BYTES, STREAM_HEADER_BYTES } from '../stream/stream-format'
import { VfsFile } from './node'

/** Records whose data is kept for the reads that follow (a reader reads a record's header, then its data). */
const CACHED_RECORDS = 4

interface ReadRecord {
  header: Buffer
  data: Buffer
}

class DeltaStreamFile implements VfsFile {
  readonly kind = 'file'
  readonly sizeBytes: number
  private readonly layout: StreamLayout
  private readonly header: Buffer
  private readonly checksums: Buffer
  private readonly known: Uint8Array
  private readonly cache = new Map<number, Promise<ReadRecord>>()
  private endRecord: Promise<Buffer> | undefined

  constructor(private readonly source: GenerationSource) {
    this.layout = new StreamLayout(source.runs)
    this.sizeBytes = this.layout.sizeBytes
    this.header = encodeStreamHeader(this.layout.header)
    this.checksums = Buffer.alloc(this.layout.header.records * 32)
    this.known = new Uint8Array(this.layout.header.records)
  }

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.sizeBytes - offsetBytes))
    let done = 0
    while (done < n) {
      const at = offsetBytes + done
      let piece: Buffer
      if (at < STREAM_HEADER_BYTES) piece = this.header.subarray(at)
      else if (at >= this.layout.endOffsetBytes) piece = (await this.end()).subarray(at - this.layout.endOffsetBytes)
      else {
        const place = this.layout.recordAt(at)
        const record = await this.record(place)
        const within = at - place.streamOffsetBytes
        piece = within < RECORD_HEADER_BYTES ? record.header.subarray(within) : record.data.subarray(within - RECORD_HEADER_BYTES)
      }
      done += piece.copy(target, done, 0, Math.min(piece.length, n - done))
    }
    return n
  }

  private record(place: RecordPlace): Promise<ReadRecord> {
    let record = this.cache.get(place.index)
    if (!record) {
      record = this.readRecord(place)
      this.cache.set(place.index, record)
      // A failed read is not kept: the next reader tries again.
      record.catch(() => this.cache.delete(place.index))
      if (this.cache.size > CACHED_RECORDS) this.cache.delete(this.cache.keys().next().value as number)
    }
    return record
  }

  private async readRecord(place: RecordPlace): Promise<ReadRecord> {
    const data = Buffer.allocUnsafe(place.lengthBytes)
    await this.source.readChanged(data, place.offsetBytes)
    const { header, checksum } = encodeDataRecord(this.layout.header.identity, place.index, place.offsetBytes, data)
    checksum.copy(this.checksums, place.index * 32)
    this.known[place.index] = 1
    return { header, data }
  }

  private end(): Promise<Buffer> {
    if (!this.endRecord) {
      this.endRecord = this.computeEnd()
      this.endRecord.catch(() => (this.endRecord = undefined))
    }
    return this.endRecord
  }

  // Only records nobody has read yet are read here.
  private async computeEnd(): Promise<Buffer> {
    for (let i = 0; i < this.known.length; i++) {
      if (!this.known[i]) await this.readRecord(this.layout.record(i))
    }
    return encodeEndRecord(this.layout.header, this.checksums)
  }
}

/** The delta.stream file of a generation directory. */
export function deltaStreamFile(generation: Generation): VfsFile {
  return new DeltaStreamFile(sourceFromGeneration(generation))
}
