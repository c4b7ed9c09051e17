// The thin pools of the thin-map item: a pattern of two devices written as
// thin_dump XML, turned into real metadata by thin_restore (so thin_delta reads
// btrees the tools built themselves), and a sparse file of the right device's
// size standing in for the newer snapshot. Made once per run.
import { promises as fsp } from 'fs'
import { BenchContext } from './context'
import { writeSparseFile } from './inputs'
import { runOk, secondsSince } from './shell'
import { writeThinDumpXml } from './thin-dump-xml'
import { thinMetadataSizeBytes } from './thin-metadata-size'
import { ThinPoolPattern } from './thin-pool-pattern'

/** LVM's default thin pool chunk for pools up to about 15 TiB: 64 KiB. */
export const BENCH_DATA_BLOCK_SECTORS = 128
export const BENCH_LEFT_ID = 1
export const BENCH_RIGHT_ID = 2

export interface ThinPoolInput {
  metadataPath: string
  metadataBytes: number
  /** The newer snapshot: holes, of the virtual size the pattern covers. */
  snapshotPath: string
  snapshotBytes: number
  pattern: ThinPoolPattern
}

/** Makes pool `key` from `draw()` the first time it is asked for. */
export function thinPoolInput(context: BenchContext, key: string, draw: () => ThinPoolPattern): Promise<ThinPoolInput> {
  const { workspace } = context
  return workspace.once(`thin-${key}`, async () => {
    const start = process.hrtime.bigint()
    const pattern = draw()
    const xmlPath = workspace.file(`thin-${key}.xml`)
    const ids = { leftId: BENCH_LEFT_ID, rightId: BENCH_RIGHT_ID, dataBlockSizeSectors: BENCH_DATA_BLOCK_SECTORS }
    const written = await writeThinDumpXml(xmlPath, pattern, ids)
    const metadataPath = workspace.file(`thin-${key}-tmeta.img`)
    const metadataBytes = thinMetadataSizeBytes([pattern.leftMappings, pattern.rightMappings], written.nrDataBlocks)
    await writeSparseFile(metadataPath, metadataBytes)
    const restoreStart = process.hrtime.bigint()
    await runOk('thin_restore', ['-i', xmlPath, '-o', metadataPath])
    const restoreSeconds = secondsSince(restoreStart)
    // Only the metadata is read from here on; the XML can run to hundreds of MiB.
    await fsp.rm(xmlPath)
    const snapshotPath = workspace.file(`thin-${key}-s2.img`)
    const snapshotBytes = pattern.virtualBlocks * BENCH_DATA_BLOCK_SECTORS * 512
    await writeSparseFile(snapshotPath, snapshotBytes)
    context.note(
      `input ${key}: ${pattern.leftMappings} and ${pattern.rightMappings} mappings of ${BENCH_DATA_BLOCK_SECTORS * 512} bytes over ${pattern.virtualBlocks} blocks, ` +
        `${pattern.description}: ${pattern.changedSegments} changed runs, ${pattern.changedBlocks} blocks; ` +
        `thin_dump XML of ${written.xmlBytes} bytes, thin_restore into a ${metadataBytes} byte metadata file in ${restoreSeconds.toFixed(1)} s; ` +
        `made in ${secondsSince(start).toFixed(1)} s`,
    )
    return { metadataPath, metadataBytes, snapshotPath, snapshotBytes, pattern }
  })
}
