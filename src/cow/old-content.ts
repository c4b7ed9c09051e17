// The OLD snapshot's content of its changed chunks, read from its COW: before
// the first write to a chunk the kernel copies the chunk's original content
// into the COW at new_chunk, so the COW holds what a backup of the old
// snapshot holds in every run of the delta. Read with O_DIRECT, like the
// table: the kernel writes the COW past the page cache of its device node.
// The origin may still be live: the table only gains entries and a saved
// chunk never changes, so a table read after the runs were built covers them.
import createDebug from 'debug'
import { CowDevice, readExceptionTable } from './exception-table'
import { buildOldChunkMap, lowerBound, OldChunkMap } from './old-chunk-map'
import { DirectReader } from '../io/direct-reader'
import { InvalidInputError } from '../errors'

const debug = createDebug('snapdelta:cow')

/** Bytes of chunks read per window (reads in flight together); consecutive chunks are coalesced within it. */
const MAX_READ_BYTES = 4 * 1024 * 1024

export interface OldContentExpectation {
  /** The old snapshot's chunk size: the runs' chunk size. */
  chunkSizeBytes: number
  /** The snapshot's size: no read may go past it. */
  deviceSizeBytes: number
  /** What the COW path named when the runs were built (device-identity.ts), when known. */
  identity?: string
}

export class OldContent {
  private readonly bounces: Buffer[] = []
  private readonly bounceBytes: number

  constructor(
    private readonly device: CowDevice & { close?(): Promise<void> },
    private readonly map: OldChunkMap,
    private readonly deviceSizeBytes: number,
  ) {
    // One chunk more than the largest read: a window that starts inside a chunk still fits.
    this.bounceBytes = Math.max(map.chunkSizeBytes, MAX_READ_BYTES - (MAX_READ_BYTES % map.chunkSizeBytes)) + map.chunkSizeBytes
  }

  /** Fills `target` with the old snapshot's bytes at `offsetBytes`; every chunk of the range must be in the table. */
  async readOld(target: Buffer, offsetBytes: number): Promise<void> {
    const end = offsetBytes + target.length
    if (end > this.deviceSizeBytes) {
      throw new InvalidInputError(`read of ${target.length} bytes at ${offsetBytes} goes past the end of the ${this.deviceSizeBytes}-byte snapshot`)
    }
    const chunkBytes = this.map.chunkSizeBytes
    // Windows of whole chunks that fit the bounce buffer.
    const windowBytes = this.bounceBytes - chunkBytes
    for (let from = offsetBytes; from < end; ) {
      const to = Math.min(end, Math.floor(from / chunkBytes) * chunkBytes + windowBytes)
      await this.readWindow(target.subarray(from - offsetBytes, to - offsetBytes), from)
      from = to
    }
  }

  // Reads the COW chunks behind [offsetBytes, + target.length), at most one
  // bounce buffer of chunks, all reads at once: tables in commit order
  // scatter a run's chunks over the COW, and one read at a time would leave
  // the device idle between them.
  private async readWindow(target: Buffer, offsetBytes: number): Promise<void> {
    const chunkBytes = this.map.chunkSizeBytes
    const { oldChunks, cowChunks } = this.map
    const firstChunk = Math.floor(offsetBytes / chunkBytes)
    const lastChunk = Math.floor((offsetBytes + target.length - 1) / chunkBytes)
    const bounce = this.bounces.pop() ?? (await this.device.allocAligned(this.bounceBytes))
    try {
      const reads: Array<Promise<void>> = []
      let missing: InvalidInputError | undefined
      let i = lowerBound(this.map, firstChunk)
      for (let chunk = firstChunk; chunk <= lastChunk; ) {
        if (i >= oldChunks.length || oldChunks[i] !== chunk) {
          missing = new InvalidInputError(
            `${this.device.path} does not list chunk ${chunk} (byte ${chunk * chunkBytes}), which the delta changes: ` +
              "the old snapshot's content there is unknown (the COW is not the one the delta was built from)",
          )
          break
        }
        // Consecutive old chunks saved in consecutive COW chunks: one read.
        let k = 1
        while (chunk + k <= lastChunk && oldChunks[i + k] === chunk + k && cowChunks[i + k] === cowChunks[i] + k) k++
        const at = (chunk - firstChunk) * chunkBytes
        reads.push(this.device.readInto(bounce.subarray(at, at + k * chunkBytes), cowChunks[i] * chunkBytes))
        chunk += k
        i += k
      }
      // Every read settles before the bounce buffer goes back to the pool.
      const failed = (await Promise.allSettled(reads)).find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (missing) throw missing
      if (failed) throw failed.reason
      // The last chunk of the device may be partial: only the bytes inside the request are copied.
      const skip = offsetBytes - firstChunk * chunkBytes
      bounce.copy(target, 0, skip, skip + target.length)
    } finally {
      this.bounces.push(bounce)
    }
  }

  async close(): Promise<void> {
    await this.device.close?.()
  }
}

/** Reads `device`'s table with the COW chunk of every entry and returns a reader over it (which closes `device`). */
export async function openOldContentOn(
  device: CowDevice & { close?(): Promise<void> },
  expected: OldContentExpectation,
): Promise<OldContent> {
  try {
    if (expected.identity !== undefined && device.identity !== undefined && device.identity !== expected.identity) {
      throw new InvalidInputError(
        `${device.path} is no longer the COW the delta was built from (it was replaced since): cannot read the old snapshot's content`,
      )
    }
    const table = await readExceptionTable(device, { keepNewChunks: true })
    if (table.header.chunkSizeBytes !== expected.chunkSizeBytes) {
      throw new InvalidInputError(
        `${device.path} now has ${table.header.chunkSizeBytes}-byte chunks, but the delta has ${expected.chunkSizeBytes}-byte chunks: it is another COW`,
      )
    }
    const map = buildOldChunkMap(table.oldChunks, table.newChunks!, table.header.chunkSizeBytes, device.path)
    debug('%s: %d saved chunks of the old snapshot', device.path, map.oldChunks.length)
    return new OldContent(device, map, expected.deviceSizeBytes)
  } catch (err) {
    await device.close?.()
    throw err
  }
}

/** Opens the COW at `cowPath` with O_DIRECT and returns a reader of the old snapshot's changed chunks. */
export async function openOldContent(cowPath: string, expected: OldContentExpectation): Promise<OldContent> {
  return openOldContentOn(await DirectReader.open(cowPath), expected)
}

/** readOld and close for a source: the COW is opened (and its table read) on the first read only. */
export function lazyOldContent(cowPath: string, expected: OldContentExpectation): {
  readOld(target: Buffer, offsetBytes: number): Promise<void>
  close(): Promise<void>
} {
  let opened: Promise<OldContent> | undefined
  return {
    readOld: async (target, offsetBytes) => {
      if (!opened) {
        const opening = openOldContent(cowPath, expected)
        // A failed open is not kept: the next read tries again.
        opening.catch(() => {
          if (opened === opening) opened = undefined
        })
        opened = opening
      }
      await (await opened).readOld(target, offsetBytes)
    },
    close: async () => {
      const reader = await opened?.catch(() => undefined)
      opened = undefined
      await reader?.close()
    },
  }
}
