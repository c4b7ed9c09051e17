// Item 1: building the chunk map from a COW with millions of exceptions, in
// a fresh child process, against the bare O_DIRECT reads of the same areas.
import path from 'path'
import { DirectReader } from '../../io/direct-reader'
import { areaChunk } from '../../format/cow-layout'
import { BenchContext, BenchItem } from '../context'
import { figure, Figure } from '../report'
import { runOk, secondsSince } from '../shell'
import { tableInput, TABLE_CHUNK_SECTORS } from '../table-input'
import type { TableChildResult } from '../table-child'

// The table reader's batch: the baseline reads the same way, minus the decoding.
const AREAS_PER_BATCH = 32

export const tableReading: BenchItem = {
  name: 'table',
  title: 'Table reading',
  needs: [],
  async run(context: BenchContext): Promise<Figure[]> {
    const input = await tableInput(context)
    await context.coldCache()
    const ran = await runOk(process.execPath, ['--expose-gc', path.join(__dirname, '..', 'table-child.js'), input.cowPath, String(input.originBytes)])
    const child = JSON.parse(ran.stdout) as TableChildResult
    await context.coldCache()
    const ioSeconds = await readAreasOnly(input.cowPath, child.areasRead)
    context.note(
      `split: ${child.readSeconds.toFixed(2)} s reading and decoding ${child.areasRead} areas (O_DIRECT), ` +
        `${(child.seconds - child.readSeconds).toFixed(2)} s sorting and merging into ${child.runs} runs`,
    )
    const perChunk = (bytes: number) => bytes / child.changedChunks
    return [
      figure('time to build the map', child.seconds, 's', {
        baseline: { name: 'O_DIRECT area reads only', value: ioSeconds },
        target: '<= 3 s',
        meets: (v) => v <= 3,
      }),
      figure('exceptions per second', child.exceptions / child.seconds, '/s'),
      figure('resident memory per changed chunk', perChunk(child.retainedBytes), 'B', {
        target: '<= 16 B',
        meets: (v) => v <= 16,
      }),
      figure('peak resident memory per changed chunk', perChunk(child.peakBytes), 'B'),
    ]
  },
}

/** Reads every metadata area with O_DIRECT, batched like the table reader, decoding nothing. */
async function readAreasOnly(cowPath: string, areas: number): Promise<number> {
  const device = await DirectReader.open(cowPath)
  try {
    const chunkBytes = TABLE_CHUNK_SECTORS * 512
    const perArea = chunkBytes / 16
    const batch = await device.allocAligned(chunkBytes * AREAS_PER_BATCH)
    const start = process.hrtime.bigint()
    for (let first = 0; first < areas; first += AREAS_PER_BATCH) {
      const reads: Promise<void>[] = []
      for (let i = 0; i < AREAS_PER_BATCH && first + i < areas; i++) {
        reads.push(device.readInto(batch.subarray(i * chunkBytes, (i + 1) * chunkBytes), areaChunk(first + i, perArea) * chunkBytes))
      }
      await Promise.all(reads)
    }
    return secondsSince(start)
  } finally {
    await device.close()
  }
}
