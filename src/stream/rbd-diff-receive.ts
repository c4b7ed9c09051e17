// Applies a Ceph "rbd diff v1" (`rbd export-diff`, or snapdelta send
// --format rbd-diff) onto a block device or file. The format carries no
// checksums and no content of the base: its structure is all that can be
// checked (sizes, order, the end record). A malformed diff refused before
// the first write leaves TARGET untouched; one that breaks off later leaves
// it incomplete, and says so.
import { ByteReader } from './byte-reader'
import { openTarget, syncTarget, Target, writeFully } from '../copy/target'
import { IncompleteStreamError, InvalidInputError } from '../errors'
import { MAX_RBD_SNAP_NAME_BYTES, RBD_DIFF_HEADER, RBD_TAG } from '../format/rbd-diff'
import { readUInt64 } from '../format/uint64'

/** Data read and written at a time. */
const PIECE_BYTES = 4 * 1024 * 1024
const ZEROS = Buffer.alloc(PIECE_BYTES)

export interface RbdDiffReceiveSummary {
  target: string
  format: 'rbd-diff'
  fromSnap: string | null
  toSnap: string | null
  sizeBytes: number
  writeRecords: number
  zeroRecords: number
  bytesWritten: number
  bytesZeroed: number
  seconds: number
}

/** Reads an rbd diff from `input` and writes it onto `targetPath`; `streamName` names the input in messages. */
export async function receiveRbdDiff(
  input: AsyncIterable<Buffer | string>,
  streamName: string,
  targetPath: string,
  onStart: (sizeBytes: number) => void = () => {},
  /** Progress through the image (the diff's changed bytes are not known ahead): bytes of offset passed. */
  onProgress: (bytes: number) => void = () => {},
): Promise<RbdDiffReceiveSummary> {
  const started = process.hrtime.bigint()
  const reader = new ByteReader(input, PIECE_BYTES)
  const summary: RbdDiffReceiveSummary = {
    target: targetPath, format: 'rbd-diff', fromSnap: null, toSnap: null, sizeBytes: 0,
    writeRecords: 0, zeroRecords: 0, bytesWritten: 0, bytesZeroed: 0, seconds: 0,
  }
  let target: Target | undefined
  // Refused before a byte was written: InvalidInputError; after: the target is incomplete.
  const fail = (what: string) => {
    const at = `${streamName}, byte ${reader.position}`
    if (summary.writeRecords + summary.zeroRecords === 0) return new InvalidInputError(`${at}: ${what}; expected an rbd diff v1 (rbd export-diff); nothing was written`)
    return new IncompleteStreamError(
      `${at}: ${what}. The target ${targetPath} is incomplete (${summary.writeRecords + summary.zeroRecords} records were written): apply the whole diff again`,
    )
  }
  const readExactly = async (n: number, what: string) => {
    const bytes = await reader.read(n)
    if (bytes.length < n) throw fail(`the diff ends inside ${what}`)
    return bytes
  }
  try {
    if (!(await reader.read(RBD_DIFF_HEADER.length)).equals(RBD_DIFF_HEADER)) throw fail('it does not start with "rbd diff v1\\n"')
    let nextOffset = 0
    let passed = 0
    const pass = (offsetBytes: number) => {
      onProgress(offsetBytes - passed)
      passed = offsetBytes
    }
    for (;;) {
      const tagByte = await reader.read(1)
      if (tagByte.length === 0) throw fail('the diff ends without its end record (e)')
      const tag = tagByte[0]
      if (tag === RBD_TAG.end) break
      if (tag === RBD_TAG.from || tag === RBD_TAG.to) {
        if (target) throw fail(`a snapshot name record (${String.fromCharCode(tag)}) after the size or data records`)
        const length = (await readExactly(4, 'a snapshot name length')).readUInt32LE(0)
        if (length > MAX_RBD_SNAP_NAME_BYTES) throw fail(`a snapshot name of ${length} bytes (at most ${MAX_RBD_SNAP_NAME_BYTES})`)
        const name = (await readExactly(length, 'a snapshot name')).toString('utf8')
        if (tag === RBD_TAG.from) summary.fromSnap = name
        else summary.toSnap = name
      } else if (tag === RBD_TAG.size) {
        if (target) throw fail('a second size record')
        summary.sizeBytes = readUInt64(await readExactly(8, 'the size record'), 0)
        if (!Number.isSafeInteger(summary.sizeBytes) || summary.sizeBytes === 0) throw fail(`an image size of ${summary.sizeBytes} bytes`)
        // The diff's image size must be TARGET's: a diff of another image is refused before anything is written.
        target = await openTarget(targetPath, summary.sizeBytes, 'write')
        onStart(summary.sizeBytes)
      } else if (tag === RBD_TAG.write || tag === RBD_TAG.zero) {
        const extent = await readExactly(16, 'a data record header')
        const offsetBytes = readUInt64(extent, 0)
        const lengthBytes = readUInt64(extent, 8)
        if (!target) throw fail('a data record before the size record')
        if (offsetBytes < nextOffset || offsetBytes + lengthBytes > summary.sizeBytes) {
          throw fail(`a record of ${lengthBytes} bytes at ${offsetBytes} is out of place (records ascend, from byte ${nextOffset}, inside the ${summary.sizeBytes}-byte image)`)
        }
        for (let at = offsetBytes; at < offsetBytes + lengthBytes; ) {
          const n = Math.min(PIECE_BYTES, offsetBytes + lengthBytes - at)
          const data = tag === RBD_TAG.write ? await readExactly(n, `the data of the record at byte ${offsetBytes}`) : ZEROS.subarray(0, n)
          await writeFully(target, data, at)
          at += n
          pass(at)
        }
        nextOffset = offsetBytes + lengthBytes
        if (tag === RBD_TAG.write) {
          summary.writeRecords++
          summary.bytesWritten += lengthBytes
        } else {
          summary.zeroRecords++
          summary.bytesZeroed += lengthBytes
        }
      } else {
        throw fail(`an unknown record tag 0x${tag.toString(16)}`)
      }
    }
    if ((await reader.read(1)).length > 0) throw fail('bytes after the end record')
    if (!target) throw fail('no size record')
    await syncTarget(target)
    pass(summary.sizeBytes)
  } finally {
    await target?.close()
  }
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9
  return summary
}
