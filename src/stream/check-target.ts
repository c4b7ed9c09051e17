// The content check of a version-2 delta (issue 9): before receive writes a
// byte, every range of the check table is hashed on TARGET and must hold
// either the old snapshot's bytes (TARGET holds the base) or the new one's
// (already written, e.g. by a run cut short). The table is read entry by
// entry, never held: ten million runs would be 800 MB of table.
import { createHash } from 'crypto'
import { ByteReader } from './byte-reader'
import { CHECK_ENTRY_BYTES, CHECK_TABLE_CHECKSUM_BYTES, CheckEntry, CheckTableChecksum, decodeCheckEntry } from './check-table'
import { identityHasherFor, MAX_RECORD_DATA_BYTES, StreamHeader } from './stream-format'
import { Target } from '../copy/target'
import { describeSnapshot } from '../generation/generation-identity'
import { IncompleteStreamError, InvalidInputError } from '../errors'
import { readFully } from '../io/read-fully'
import { ChunkRuns, ChunkRunsBuilder } from '../map/chunk-runs'

export interface TargetCheck {
  /** The table's checksum: the end record covers it. */
  tableChecksum: Buffer
  /** Runs whose every range already holds the new data (a run rewritten with the same data always does). */
  runsAlreadyNew: number
  /** Bytes where TARGET holds new data that differs from the old: an earlier receive was cut short there. */
  bytesAlreadyNew: number
  /** The runs the records will write. */
  runs: ChunkRuns
}

/**
 * Reads the check table that follows `header` and checks TARGET (opened for
 * reading) against it. A damaged table is an IncompleteStreamError, a TARGET
 * holding neither side in some range an InvalidInputError naming the first
 * such run: both only after the whole table was read, so a corrupted entry is
 * never reported as a wrong base.
 */
export async function checkTargetContent(reader: ByteReader, streamName: string, header: StreamHeader, target: Target): Promise<TargetCheck> {
  const fail = (what: string) => new IncompleteStreamError(`${streamName}: ${what} (stream byte ${reader.position})`)
  const table = new CheckTableChecksum(header.identity)
  const identity = identityHasherFor(header)
  const buffer = Buffer.allocUnsafe(MAX_RECORD_DATA_BYTES)
  let run = { offsetBytes: 0, lengthBytes: 0, allNew: true }
  let runs = 0
  let runsAlreadyNew = 0
  let bytesAlreadyNew = 0
  let changedBytes = 0
  const runList = new ChunkRunsBuilder(header.chunkSizeBytes, header.deviceSizeBytes)
  let offending: { runOffsetBytes: number; entry: CheckEntry } | undefined
  const closeRun = () => {
    if (run.lengthBytes === 0) return
    identity.addRun(run.offsetBytes, run.lengthBytes)
    runList.add(run.offsetBytes, run.lengthBytes)
    if (run.allNew) runsAlreadyNew++
  }
  for (let index = 0; index < (header.checkEntries ?? 0); index++) {
    const bytes = await reader.read(CHECK_ENTRY_BYTES)
    if (bytes.length < CHECK_ENTRY_BYTES) throw fail(`the stream ends inside check table entry ${index}`)
    table.add(bytes)
    const entry = decodeCheckEntry(bytes)
    const runEnd = run.offsetBytes + run.lengthBytes
    if (entry.lengthBytes === 0 || entry.offsetBytes + entry.lengthBytes > header.deviceSizeBytes || entry.offsetBytes < runEnd) {
      throw fail(`check table entry ${index} is out of place (${entry.lengthBytes} bytes at ${entry.offsetBytes})`)
    }
    // Ranges that touch belong to one run, as records do.
    if (entry.offsetBytes === runEnd && run.lengthBytes > 0) run.lengthBytes += entry.lengthBytes
    else {
      closeRun()
      run = { offsetBytes: entry.offsetBytes, lengthBytes: entry.lengthBytes, allNew: true }
      runs++
    }
    changedBytes += entry.lengthBytes
    if (offending) continue
    const held = await hashRange(target, entry.offsetBytes, entry.lengthBytes, buffer)
    // A range whose old and new bytes are the same (a rewrite of the same data) counts as already new: it is.
    if (held.equals(entry.newSha256)) {
      if (!entry.newSha256.equals(entry.oldSha256)) bytesAlreadyNew += entry.lengthBytes
      continue
    }
    if (held.equals(entry.oldSha256)) run.allNew = false
    else offending = { runOffsetBytes: run.offsetBytes, entry }
  }
  closeRun()
  const checksum = await reader.read(CHECK_TABLE_CHECKSUM_BYTES)
  if (checksum.length < CHECK_TABLE_CHECKSUM_BYTES) throw fail('the stream ends inside the check table checksum')
  const tableChecksum = table.digest()
  if (!tableChecksum.equals(checksum)) throw fail('the check table fails its checksum: the stream is corrupted')
  if (runs !== header.runs || changedBytes !== header.changedBytes || !identity.digest().equals(header.identity)) {
    throw fail(`the check table (${runs} runs, ${changedBytes} bytes) does not match the header (${header.runs} runs, ${header.changedBytes} bytes, identity)`)
  }
  if (offending) throw wrongBase(streamName, header, target.path, offending.runOffsetBytes, offending.entry)
  return { tableChecksum, runsAlreadyNew, bytesAlreadyNew, runs: runList.build() }
}

// The refusal: where TARGET differs, and which snapshot the stream needs there.
function wrongBase(streamName: string, header: StreamHeader, targetPath: string, runOffsetBytes: number, entry: CheckEntry): InvalidInputError {
  const base = header.from.name === null && header.from.uuid === null ? 'the snapshot its delta starts from (the stream does not name it)' : describeSnapshot(header.from)
  return new InvalidInputError(
    `${streamName} is a delta from ${describeSnapshot(header.from)} to ${describeSnapshot(header.to)}, and needs ${base} as its base: ` +
      `the target ${targetPath} holds neither that base's bytes nor the stream's new bytes in the run at byte ${runOffsetBytes} ` +
      `(the ${entry.lengthBytes} bytes at byte ${entry.offsetBytes}). Refusing to write; nothing was written. ` +
      `Receive it onto a backup of ${base}, or send the delta that starts from the snapshot the target holds.`,
  )
}

async function hashRange(target: Target, offsetBytes: number, lengthBytes: number, buffer: Buffer): Promise<Buffer> {
  const hash = createHash('sha256')
  const fd = target.handle.fd
  for (let at = offsetBytes; at < offsetBytes + lengthBytes; at += buffer.length) {
    const piece = buffer.subarray(0, Math.min(buffer.length, offsetBytes + lengthBytes - at))
    await readFully(fd, target.path, piece, at)
    hash.update(piece)
  }
  return hash.digest()
}
