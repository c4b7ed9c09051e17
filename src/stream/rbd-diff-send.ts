// A generation as Ceph's "rbd diff v1" (src/format/rbd-diff.ts), so that
// `rbd import-diff - pool/image` puts it into a Ceph cluster as an RBD
// snapshot: the runs in ascending order, a piece that reads as zeros as a
// zero record (no data on the wire), every other piece as a write record.
import { GenerationSource } from '../generation/generation-source'
import { runPieces } from '../copy/pieces'
import { encodeEnd, encodeExtent, encodeSize, encodeSnapName, RBD_DIFF_HEADER, RBD_TAG } from '../format/rbd-diff'
import { UsageError } from '../errors'
import { describeSnapshot } from '../generation/generation-identity'
import { isAllZero } from './send'
import { MAX_RECORD_DATA_BYTES } from './stream-format'

// Records of at most 1 MiB, as in snapdelta's own stream: a zero piece is found at that grain.
const RBD_PIECE_BYTES = MAX_RECORD_DATA_BYTES
/** Reads in flight ahead of the one being written. */
const READ_AHEAD = 4

export interface RbdDiffNames {
  /** The snapshot the image must have for import-diff to apply the diff; null for a diff from an empty image (a full copy). */
  fromSnap: string | null
  /** The snapshot import-diff creates once the diff is applied; null for none. */
  toSnap: string | null
}

export interface RbdDiffSummary {
  writeRecords: number
  zeroRecords: number
  bytesSent: number
}

/** The names an rbd diff of `source` carries: the options', else the generation's own; refuses a delta with no base name. */
export function rbdDiffNames(source: GenerationSource, options: { fromSnap?: string; toSnap?: string }, full: boolean): RbdDiffNames {
  const fromSnap = full ? null : (options.fromSnap ?? source.identities.from.name)
  if (!full && fromSnap === null) {
    throw new UsageError(
      `${source.description} does not name the snapshot it starts from (${describeSnapshot(source.identities.from)}): ` +
        'give --from-snap NAME, the RBD snapshot the image holds, or rbd import-diff would apply the delta onto any image',
    )
  }
  return { fromSnap, toSnap: options.toSnap ?? source.identities.to.name }
}

/** Emits the whole diff through `write`, which must resolve when the consumer can take more. */
export async function sendRbdDiff(
  source: GenerationSource,
  names: RbdDiffNames,
  write: (chunk: Buffer) => Promise<void>,
  onProgress: (bytes: number) => void = () => {},
): Promise<RbdDiffSummary> {
  const summary: RbdDiffSummary = { writeRecords: 0, zeroRecords: 0, bytesSent: 0 }
  const emit = async (chunk: Buffer) => {
    await write(chunk)
    summary.bytesSent += chunk.length
  }
  await emit(RBD_DIFF_HEADER)
  if (names.fromSnap !== null) await emit(encodeSnapName(RBD_TAG.from, names.fromSnap))
  if (names.toSnap !== null) await emit(encodeSnapName(RBD_TAG.to, names.toSnap))
  await emit(encodeSize(source.runs.deviceSizeBytes))
  const pieces = [...runPieces(source.runs, RBD_PIECE_BYTES)]
  const read = (i: number) => {
    const buffer = Buffer.allocUnsafe(pieces[i].lengthBytes)
    return source.readChanged(buffer, pieces[i].offsetBytes).then(() => buffer)
  }
  const inFlight: Array<Promise<Buffer>> = []
  for (let i = 0; i < Math.min(READ_AHEAD, pieces.length); i++) inFlight.push(read(i))
  try {
    for (let i = 0; i < pieces.length; i++) {
      const data = await inFlight.shift()!
      if (i + READ_AHEAD < pieces.length) inFlight.push(read(i + READ_AHEAD))
      const { offsetBytes, lengthBytes } = pieces[i]
      if (isAllZero(data)) {
        await emit(encodeExtent(RBD_TAG.zero, offsetBytes, lengthBytes))
        summary.zeroRecords++
      } else {
        await emit(encodeExtent(RBD_TAG.write, offsetBytes, lengthBytes))
        await emit(data)
        summary.writeRecords++
      }
      onProgress(lengthBytes)
    }
  } finally {
    // A failure leaves reads in flight: let them settle before the source closes.
    await Promise.allSettled(inFlight)
  }
  await emit(encodeEnd())
  return summary
}
