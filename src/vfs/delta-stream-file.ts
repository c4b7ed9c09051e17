// delta.stream: the generation's delta stream (docs/stream-format.md), byte
// for byte what `snapdelta send` prints. Its size comes from the runs and
// their kinds alone (zero records only for runs that read as zeros, thin
// left_only; never for data that happens to be zeros). A read at any offset needs at most the
// data of the records or check table entries it touches (at most 1 MiB of
// new data each, plus as much old data for an entry); checksums and entries
// are kept, so a sequential reader reaches the table's checksum and the end
// record without a second pass.
import { Generation } from '../generation/generation'
import { GenerationSource, sourceFromGeneration } from '../generation/generation-source'
import { StreamLayout, RecordPlace } from '../stream/stream-layout'
import { encodeDataRecord, encodeEndRecord, encodeStreamHeader, encodeZeroRecord, RECORD_HEADER_BYTES } from '../stream/stream-format'
import { checkZeroRun } from '../stream/send'
import { CHECK_ENTRY_BYTES, CheckTableChecksum, encodeCheckEntry } from '../stream/check-table'
import { readCheckEntry, streamOptionsFor } from '../stream/stream-source'
import { VfsFile } from './node'

const NO_DATA = Buffer.alloc(0)

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
  private readonly table: CheckTable | undefined
  private endRecord: Promise<Buffer> | undefined

  constructor(private readonly source: GenerationSource) {
    this.layout = new StreamLayout(source.runs, streamOptionsFor(source), source.kinds)
    this.sizeBytes = this.layout.sizeBytes
    this.header = encodeStreamHeader(this.layout.header)
    this.checksums = Buffer.alloc(this.layout.header.records * 32)
    this.known = new Uint8Array(this.layout.header.records)
    if (this.layout.header.checkEntries !== null) this.table = new CheckTable(source, this.layout)
  }

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.sizeBytes - offsetBytes))
    const layout = this.layout
    let done = 0
    while (done < n) {
      const at = offsetBytes + done
      let piece: Buffer
      if (at < layout.tableOffsetBytes) piece = this.header.subarray(at)
      else if (at < layout.tableChecksumOffsetBytes) {
        const index = Math.floor((at - layout.tableOffsetBytes) / CHECK_ENTRY_BYTES)
        piece = (await (this.table as CheckTable).entry(index)).subarray(at - layout.tableOffsetBytes - index * CHECK_ENTRY_BYTES)
      } else if (at < layout.recordsOffsetBytes) piece = (await (this.table as CheckTable).checksum()).subarray(at - layout.tableChecksumOffsetBytes)
      else if (at >= layout.endOffsetBytes) piece = (await this.end()).subarray(at - layout.endOffsetBytes)
      else {
        const place = layout.recordAt(at)
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
    if (place.zero) checkZeroRun(this.source.description, data, place.offsetBytes)
    const identity = this.layout.header.identity
    const { header, checksum } = place.zero
      ? encodeZeroRecord(identity, place.index, place.offsetBytes, place.lengthBytes)
      : encodeDataRecord(identity, place.index, place.offsetBytes, data)
    checksum.copy(this.checksums, place.index * 32)
    this.known[place.index] = 1
    return { header, data: place.zero ? NO_DATA : data }
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
    const tableChecksum = this.table ? await this.table.checksum() : null
    for (let i = 0; i < this.known.length; i++) {
      if (!this.known[i]) await this.readRecord(this.layout.record(i))
    }
    return encodeEndRecord(this.layout.header, this.checksums, tableChecksum)
  }
}

/**
 * The check table of delta.stream, entry by entry: entry i covers record i's
 * bytes and needs their old and new content (read on first use, then kept:
 * 80 bytes a record); its checksum needs every entry.
 */
class CheckTable {
  private readonly entries: Buffer
  private readonly known: Uint8Array
  private readonly pending = new Map<number, Promise<Buffer>>()
  private total: Promise<Buffer> | undefined

  constructor(private readonly source: GenerationSource, private readonly layout: StreamLayout) {
    this.entries = Buffer.alloc(layout.header.records * CHECK_ENTRY_BYTES)
    this.known = new Uint8Array(layout.header.records)
  }

  /** The 80 bytes of entry `index`. */
  entry(index: number): Promise<Buffer> {
    const at = this.entries.subarray(index * CHECK_ENTRY_BYTES, (index + 1) * CHECK_ENTRY_BYTES)
    if (this.known[index]) return Promise.resolve(at)
    let read = this.pending.get(index)
    if (!read) {
      const { offsetBytes, lengthBytes } = this.layout.record(index)
      read = readCheckEntry(this.source, { offsetBytes, lengthBytes }).then((entry) => {
        encodeCheckEntry(entry).copy(at)
        this.known[index] = 1
        return at
      })
      this.pending.set(index, read)
      // Settled either way: a failed read is tried again by the next reader.
      read.then(
        () => this.pending.delete(index),
        () => this.pending.delete(index),
      )
    }
    return read
  }

  /** The table's checksum; reads the entries nobody has read yet. */
  checksum(): Promise<Buffer> {
    if (!this.total) {
      this.total = this.computeChecksum()
      this.total.catch(() => (this.total = undefined))
    }
    return this.total
  }

  private async computeChecksum(): Promise<Buffer> {
    const hash = new CheckTableChecksum(this.layout.header.identity)
    for (let i = 0; i < this.known.length; i++) hash.add(await this.entry(i))
    return hash.digest()
  }
}

/** The delta.stream file of a generation directory. */
export function deltaStreamFile(generation: Generation): VfsFile {
  return deltaStreamFileOf(sourceFromGeneration(generation))
}

/** The delta.stream of any generation source: what `snapdelta send` writes for it. */
export function deltaStreamFileOf(source: GenerationSource): VfsFile {
  return new DeltaStreamFile(source)
}
