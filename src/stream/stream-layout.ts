// Where each part of a stream lies: the header, the check table (when there
// is one), each record and the end record. Computed from the runs and their
// kinds alone (every record of a run that reads as zeros is a zero record,
// without data; every other record carries its data), so delta.stream's size
// and any offset's part are known without reading data (binary search over
// cumulative positions).
import { ChunkRuns } from '../map/chunk-runs'
import { isZeroRun, RunKinds, zeroRunBytes } from '../map/run-kinds'
import { CHECK_ENTRY_BYTES } from './check-table'
import {
  headerForRuns,
  HeaderOptions,
  RECORD_HEADER_BYTES,
  recordsForRun,
  recordsForRuns,
  recordsStartBytes,
  streamHeaderBytes,
  streamSizeBytes,
  StreamHeader,
} from './stream-format'

export interface RecordPlace {
  index: number
  /** Position of its 64-byte header in the stream. */
  streamOffsetBytes: number
  /** The device bytes it carries. */
  offsetBytes: number
  lengthBytes: number
  /** A zero record: its bytes read as zeros in the newer snapshot, and no data follows its header. */
  zero: boolean
}

export class StreamLayout {
  readonly header: StreamHeader
  readonly sizeBytes: number
  /** Stream position of the first check table entry (the end of the header). */
  readonly tableOffsetBytes: number
  /** Stream position of the check table's checksum; equal to recordsOffsetBytes when there is no table. */
  readonly tableChecksumOffsetBytes: number
  /** Stream position of the first record. */
  readonly recordsOffsetBytes: number
  /** Stream position of the end record. */
  readonly endOffsetBytes: number
  /** Index of each run's first record; one more entry than runs. */
  private readonly firstRecord: Float64Array
  /** Stream position of each run's first record header. */
  private readonly runStart: Float64Array

  /** The layout of the stream of `runs`; a check table, when asked for, has one entry per record. */
  constructor(
    readonly runs: ChunkRuns,
    options: HeaderOptions = {},
    private readonly kinds: RunKinds | null = null,
  ) {
    const entries = options.checkEntries === null || options.checkEntries === undefined ? null : recordsForRuns(runs, options.maxRecordDataBytes)
    this.header = headerForRuns(runs, { ...options, checkEntries: entries })
    this.sizeBytes = streamSizeBytes(this.header) - zeroRunBytes(runs, kinds)
    this.tableOffsetBytes = streamHeaderBytes(this.header.version)
    this.recordsOffsetBytes = recordsStartBytes(this.header)
    this.tableChecksumOffsetBytes = this.tableOffsetBytes + (entries ?? 0) * CHECK_ENTRY_BYTES
    this.endOffsetBytes = this.sizeBytes - RECORD_HEADER_BYTES
    this.firstRecord = new Float64Array(runs.count + 1)
    this.runStart = new Float64Array(runs.count)
    let position = this.recordsOffsetBytes
    for (let i = 0; i < runs.count; i++) {
      const records = recordsForRun(runs.lengthBytes(i), this.header.maxRecordDataBytes)
      this.runStart[i] = position
      this.firstRecord[i + 1] = this.firstRecord[i] + records
      position += records * RECORD_HEADER_BYTES + (isZeroRun(kinds, i) ? 0 : runs.lengthBytes(i))
    }
  }

  /** The record with this index (0 .. records-1); check table entry `index` covers the same bytes. */
  record(index: number): RecordPlace {
    const run = upperBound(this.firstRecord, index) - 1
    return this.place(run, index - this.firstRecord[run])
  }

  /** The record whose header or data holds stream position `offsetBytes` (between the check table and the end record). */
  recordAt(offsetBytes: number): RecordPlace {
    const run = upperBound(this.runStart, offsetBytes) - 1
    const piece = Math.floor((offsetBytes - this.runStart[run]) / this.recordStride(run))
    return this.place(run, piece)
  }

  private place(run: number, piece: number): RecordPlace {
    const max = this.header.maxRecordDataBytes
    const runOffset = this.runs.offsetBytes(run)
    return {
      index: this.firstRecord[run] + piece,
      streamOffsetBytes: this.runStart[run] + piece * this.recordStride(run),
      offsetBytes: runOffset + piece * max,
      lengthBytes: Math.min(max, this.runs.endBytes(run) - runOffset - piece * max),
      zero: isZeroRun(this.kinds, run),
    }
  }

  // Stream bytes between the headers of two records of `run`.
  private recordStride(run: number): number {
    return RECORD_HEADER_BYTES + (isZeroRun(this.kinds, run) ? 0 : this.header.maxRecordDataBytes)
  }
}

// Index of the first element greater than `value`.
function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] <= value) lo = mid + 1
    else hi = mid
  }
  return lo
}
