// The big table shared by the table-reading and time-to-mount items: a COW
// listing scattered 4 KiB chunks of a TiB origin in shuffled commit order,
// written by the project's COW writer (sparse: data chunks are holes).
import { writeCowImage } from '../cow/cow-writer'
import { scatteredChunks } from './chunk-sets'
import { BenchContext } from './context'
import { writeSparseFile } from './inputs'
import { secondsSince } from './shell'

export const TABLE_CHUNK_SECTORS = 8

export interface TableInput {
  cowPath: string
  /** A sparse file of the origin's size, standing in for the new snapshot. */
  snapshotPath: string
  exceptions: number
  originBytes: number
}

/** Writes the table's COW and its sparse snapshot once per run. */
export function tableInput(context: BenchContext): Promise<TableInput> {
  const { workspace, sizes } = context
  return workspace.once('table', async () => {
    const start = process.hrtime.bigint()
    const chunks = scatteredChunks(sizes.tableExceptions, sizes.tableOriginBytes / (TABLE_CHUNK_SECTORS * 512), 1)
    const drawn = secondsSince(start)
    const cowPath = workspace.file('table-cow.img')
    const cowBytes = await writeCowImage(cowPath, { chunkSizeSectors: TABLE_CHUNK_SECTORS, oldChunks: chunks })
    const snapshotPath = workspace.file('table-snapshot.img')
    await writeSparseFile(snapshotPath, sizes.tableOriginBytes)
    context.note(
      `input: ${sizes.tableExceptions} scattered exceptions drawn in ${drawn.toFixed(2)} s, ` +
        `COW of ${cowBytes} bytes (sparse) written by writeCowImage in ${(secondsSince(start) - drawn).toFixed(2)} s`,
    )
    return { cowPath, snapshotPath, exceptions: sizes.tableExceptions, originBytes: sizes.tableOriginBytes }
  })
}
