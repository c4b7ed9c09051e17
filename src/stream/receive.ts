// receive: applies a delta stream onto TARGET. The header is checked against
// TARGET before anything is written, and so is TARGET's content when the
// stream has a check table (version 2 deltas: check-target.ts); each record
// is checked before it is written; the end record proves nothing was lost. Any failure after the
// first write leaves an incomplete backup, which applying the same stream
// again repairs: records are absolute writes, so a second pass is harmless.
import { ByteReader } from './byte-reader'
import {
  decodeRecordHeader,
  decodeStreamHeader,
  decodeStreamPrefix,
  EndChecksum,
  endRecordStart,
  identityHasherFor,
  MAX_ACCEPTED_RECORD_DATA_BYTES,
  RECORD_HEADER_BYTES,
  recordChecksum,
  RecordKind,
  STREAM_PREFIX_BYTES,
  StreamHeader,
  StreamKind,
} from './stream-format'
import { checkTargetContent, TargetCheck } from './check-target'
import { openTarget, syncTarget, Target, writeFully } from '../copy/target'
import { SnapshotIdentity } from '../generation/generation-identity'
import { WriteJournal, WritePlan } from '../copy/write-journal'
import { readFully } from '../io/read-fully'
import { wholeDeviceRuns } from '../map/chunk-runs'
import { crashPoint } from '../crash-hook'
import { DeviceIoError, IncompleteStreamError, InvalidInputError } from '../errors'

export interface ReceiveSummary {
  target: string
  header: StreamHeader
  streamVersion: number
  kind: StreamKind
  from: SnapshotIdentity
  to: SnapshotIdentity
  /** True when TARGET's content was checked against the check table before the first write (version-2 deltas sent with the old snapshot at hand). */
  contentChecked: boolean
  /** Runs that already held the new data (a stream received again or after a cut, or rewritten with the same data); 0 when unchecked. */
  runsAlreadyNew: number
  /** True when a history said TARGET already holds the stream's `to`: nothing was read past the header, nothing written. */
  alreadyHeld: boolean
  records: number
  bytesWritten: number
  seconds: number
}

/** Reads a stream from `input` and writes it onto `targetPath`; `streamName` names the input in messages. */
export async function receiveStream(
  input: AsyncIterable<Buffer | string>,
  streamName: string,
  targetPath: string,
  onStart: (header: StreamHeader) => void = () => {},
  onProgress: (bytes: number) => void = () => {},
  journal?: WriteJournal,
): Promise<ReceiveSummary> {
  const started = process.hrtime.bigint()
  const reader = new ByteReader(input, MAX_ACCEPTED_RECORD_DATA_BYTES)
  const header = await readHeader(reader, streamName).catch((err) => {
    throw err instanceof IncompleteStreamError ? incomplete(err.message, targetPath, 'nothing was written') : err
  })
  const target = await openTarget(targetPath, header.deviceSizeBytes, 'write')
  let check: TargetCheck | null = null
  try {
    if (journal && (await journal.checkIdentity({ from: header.from, to: header.to, full: header.kind === 'full' })) === 'skip') {
      return skipped(targetPath, header, started)
    }
    if (header.checkEntries !== null) check = await checkTargetContent(reader, streamName, header, target)
    if (journal) await journal.beforeWrite(writePlan(header, check, target, streamName))
  } catch (err) {
    await journal?.abandon()
    await target.close()
    throw err instanceof IncompleteStreamError ? incomplete(err.message, targetPath, 'nothing was written') : err
  }
  onStart(header)
  const state = { records: 0, bytesWritten: 0 }
  // One write in flight while the next record is read and checked.
  let pendingWrite: Promise<void> = Promise.resolve()
  try {
    await receiveRecords(reader, streamName, header, check?.tableChecksum ?? null, (data, offsetBytes) => {
      const previous = pendingWrite
      pendingWrite = previous.then(() => writeFully(target, data, offsetBytes)).then(() => {
        if (state.records === 0 && journal) crashPoint('history-mid-write')
        state.records++
        state.bytesWritten += data.length
        onProgress(data.length)
      })
      // Awaited with the next record or at the end; this keeps a failure meanwhile from counting as unhandled.
      pendingWrite.catch(() => {})
      return previous
    })
    await pendingWrite
    await syncTarget(target)
    await journal?.afterWrite()
  } catch (err) {
    await flushAfterFailure(target, pendingWrite)
    const written = `${state.records} of ${header.records} records were written`
    if (err instanceof IncompleteStreamError) throw incomplete(err.message, targetPath, written)
    if (err instanceof DeviceIoError) {
      // Still an I/O error (exit 4), but the reader must know the backup is now half-updated.
      throw new DeviceIoError(
        `${err.message}. The backup ${targetPath} is incomplete (${written}): once the device is fixed, apply the same stream again, whole`,
        { cause: err },
      )
    }
    throw err
  } finally {
    await target.close()
  }
  return summaryOf(targetPath, header, started, {
    contentChecked: check !== null,
    runsAlreadyNew: check?.runsAlreadyNew ?? 0,
    alreadyHeld: false,
    records: state.records,
    bytesWritten: state.bytesWritten,
  })
}

// TARGET already holds what the stream leads to (a history says so): success, nothing written.
function skipped(targetPath: string, header: StreamHeader, started: bigint): ReceiveSummary {
  return summaryOf(targetPath, header, started, { contentChecked: false, runsAlreadyNew: 0, alreadyHeld: true, records: 0, bytesWritten: 0 })
}

type Outcome = Pick<ReceiveSummary, 'contentChecked' | 'runsAlreadyNew' | 'alreadyHeld' | 'records' | 'bytesWritten'>

function summaryOf(targetPath: string, header: StreamHeader, started: bigint, outcome: Outcome): ReceiveSummary {
  return {
    target: targetPath,
    header,
    streamVersion: header.version,
    kind: header.kind,
    from: header.from,
    to: header.to,
    ...outcome,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  }
}

// What a journal must know before the first write; a delta without a check table gives it no run list.
function writePlan(header: StreamHeader, check: TargetCheck | null, target: Target, streamName: string): WritePlan {
  if (!check && header.kind !== 'full') {
    throw new InvalidInputError(
      `${streamName} carries no check table (a version 1 stream, or one sent from a copied generation directory): ` +
        'its runs are not known before its records, so it cannot be recorded in a history; send it from a live generation (mount, or --cow/--snapshot)',
    )
  }
  return {
    from: header.from,
    to: header.to,
    full: header.kind === 'full',
    runs: check ? check.runs : wholeDeviceRuns(header.chunkSizeBytes, header.deviceSizeBytes),
    holdsNewData: (check?.bytesAlreadyNew ?? 0) > 0,
    readTarget: (buffer, offsetBytes) => readFully(target.handle.fd, target.path, buffer, offsetBytes),
  }
}

// The one message of a failed receive: what went wrong, what state TARGET is in, what to do.
function incomplete(what: string, targetPath: string, written: string): IncompleteStreamError {
  return new IncompleteStreamError(
    `${what}. The backup ${targetPath} is incomplete (${written}). ` +
      'Apply the same stream again, whole: applying a stream twice is harmless, every record is an absolute write.',
  )
}

async function readHeader(reader: ByteReader, streamName: string): Promise<StreamHeader> {
  const first = await reader.read(STREAM_PREFIX_BYTES)
  const prefix = decodeStreamPrefix(Buffer.concat([first], STREAM_PREFIX_BYTES))
  if (!prefix.ok && prefix.problem === 'not-a-stream' && first.length >= 16) {
    throw new InvalidInputError(`${streamName} is not a snapdelta stream: ${prefix.reason}`)
  }
  let bytes = first
  // The prefix's checksum held, so headerBytes is 160 or 1024, never a size a corrupted stream chose.
  if (prefix.ok && prefix.headerBytes > first.length) bytes = Buffer.concat([first, await reader.read(prefix.headerBytes - first.length)])
  const headerBytes = prefix.ok ? prefix.headerBytes : STREAM_PREFIX_BYTES
  if (bytes.length < headerBytes) {
    throw new IncompleteStreamError(`${streamName} ended after ${bytes.length} bytes, inside its ${headerBytes}-byte header`)
  }
  const decoded = prefix.ok ? decodeStreamHeader(bytes) : prefix
  // An intact header that asks too much is refused as input: sending it again would not help.
  if (!decoded.ok && decoded.problem === 'unsupported') throw new InvalidInputError(`${streamName}: ${decoded.reason}; nothing was written`)
  if (!decoded.ok) throw new IncompleteStreamError(`${streamName}: ${decoded.reason}`)
  return decoded.header
}

/** Reads, checks and hands over every record, then checks the end record and the identity. */
async function receiveRecords(
  reader: ByteReader,
  streamName: string,
  header: StreamHeader,
  tableChecksum: Buffer | null,
  write: (data: Buffer, offsetBytes: number) => Promise<void>,
): Promise<void> {
  const fail = (what: string) => new IncompleteStreamError(`${streamName}: ${what} (stream byte ${reader.position})`)
  const identity = identityHasherFor(header)
  const endChecksum = new EndChecksum(header, tableChecksum)
  let run = { offsetBytes: 0, lengthBytes: 0 }
  let runs = 0
  let changedBytes = 0
  for (let index = 0; index < header.records; index++) {
    const headerBytes = await reader.read(RECORD_HEADER_BYTES)
    if (headerBytes.length < RECORD_HEADER_BYTES) throw fail(`the stream ends inside the header of record ${index}`)
    const record = decodeRecordHeader(headerBytes)
    if (typeof record === 'string') throw fail(`record ${index}: ${record}`)
    const end = record.offsetBytes + record.lengthBytes
    if (
      record.kind === RecordKind.end ||
      record.index !== index ||
      record.lengthBytes === 0 ||
      record.lengthBytes > Math.min(header.maxRecordDataBytes, MAX_ACCEPTED_RECORD_DATA_BYTES) ||
      end > header.deviceSizeBytes ||
      record.offsetBytes < run.offsetBytes + run.lengthBytes
    ) {
      throw fail(`record ${index} is out of place (kind ${record.kind}, index ${record.index}, ${record.lengthBytes} bytes at ${record.offsetBytes})`)
    }
    let data: Buffer
    if (record.kind === RecordKind.data) {
      data = await reader.read(record.lengthBytes)
      if (data.length < record.lengthBytes) throw fail(`the stream ends inside the data of record ${index}`)
    } else {
      data = Buffer.alloc(record.lengthBytes)
    }
    const expected = recordChecksum(header.identity, headerBytes.subarray(0, 32), record.kind === RecordKind.data ? data : undefined)
    if (!expected.equals(record.checksum)) throw fail(`record ${index} (${record.lengthBytes} bytes at ${record.offsetBytes}) fails its checksum: the stream is corrupted`)
    endChecksum.add(record.checksum)
    // Merged runs never touch, so records that touch belong to one run.
    if (record.offsetBytes === run.offsetBytes + run.lengthBytes && run.lengthBytes > 0) run.lengthBytes += record.lengthBytes
    else {
      if (run.lengthBytes > 0) identity.addRun(run.offsetBytes, run.lengthBytes)
      run = { offsetBytes: record.offsetBytes, lengthBytes: record.lengthBytes }
      runs++
    }
    changedBytes += record.lengthBytes
    await write(data, record.offsetBytes)
  }
  if (run.lengthBytes > 0) identity.addRun(run.offsetBytes, run.lengthBytes)
  const endBytes = await reader.read(RECORD_HEADER_BYTES)
  if (endBytes.length < RECORD_HEADER_BYTES) throw fail('the stream ends before its end record')
  if (!endBytes.subarray(0, 32).equals(endRecordStart(header))) throw fail(`expected the end record after ${header.records} records`)
  if (!endChecksum.digest().equals(endBytes.subarray(32, 64))) {
    throw fail('the end record fails its checksum: the stream is corrupted')
  }
  if (runs !== header.runs || changedBytes !== header.changedBytes || !identity.digest().equals(header.identity)) {
    throw fail(`the records (${runs} runs, ${changedBytes} bytes) do not match the header (${header.runs} runs, ${header.changedBytes} bytes, identity)`)
  }
}

// Writes already issued are flushed, so a second pass starts from what really reached TARGET.
async function flushAfterFailure(target: Target, pendingWrite: Promise<void>): Promise<void> {
  await pendingWrite.catch(() => {})
  await syncTarget(target).catch(() => {})
}
