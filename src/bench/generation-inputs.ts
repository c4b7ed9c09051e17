// Generations with real data for the read and copy items: a snapshot file
// (all random, or random only where the runs are and holes elsewhere) and an
// old COW that lists scattered runs of it and holds, in its data chunks, the
// old snapshot's bytes there (old-bytes.ts): real data, as apply's content
// check reads it, not holes.
import { writeCowImage } from '../cow/cow-writer'
import { ByteRun, chunksOfRuns, scatteredRuns } from './chunk-sets'
import { BenchContext } from './context'
import { writeRandomFile, writeSnapshotWithRuns } from './inputs'
import { oldBytes } from './old-bytes'
import { secondsSince } from './shell'

export interface RunsGeneration {
  snapshotPath: string
  cowPath: string
  sizeBytes: number
  chunkBytes: number
  /** The changed runs, sorted: what chunks.map must list. */
  runs: ByteRun[]
  changedBytes: number
}

interface RunsGenerationSpec {
  key: string
  sizeBytes: number
  /** True: random data everywhere; false: random data in the runs, holes elsewhere. */
  allRandom: boolean
}

function runsGeneration(context: BenchContext, spec: RunsGenerationSpec): Promise<RunsGeneration> {
  const { workspace, sizes } = context
  return workspace.once(spec.key, async () => {
    const start = process.hrtime.bigint()
    const chunkBytes = sizes.copyChunkBytes
    const runs = scatteredRuns(spec.sizeBytes, chunkBytes, sizes.copyChangedFraction, sizes.copyMaxRunChunks, 2)
    const snapshotPath = workspace.file(`${spec.key}-snapshot.img`)
    if (spec.allRandom) await writeRandomFile(snapshotPath, spec.sizeBytes)
    else await writeSnapshotWithRuns(snapshotPath, spec.sizeBytes, runs)
    const cowPath = workspace.file(`${spec.key}-cow.img`)
    await writeCowImage(cowPath, {
      chunkSizeSectors: chunkBytes / 512,
      oldChunks: chunksOfRuns(runs, chunkBytes, 3),
      savedData: (oldChunk) => oldBytes(oldChunk * chunkBytes, chunkBytes),
    })
    const changedBytes = runs.reduce((sum, r) => sum + r.lengthBytes, 0)
    context.note(
      `input ${spec.key}: ${spec.sizeBytes} byte snapshot (${spec.allRandom ? 'all random data' : 'random data in the runs, holes elsewhere'}), ` +
        `${runs.length} runs of 1-${sizes.copyMaxRunChunks} chunks of ${chunkBytes} bytes, ${changedBytes} bytes changed, ` +
        `the COW's data chunks hold random old bytes; made in ${secondsSince(start).toFixed(1)} s`,
    )
    return { snapshotPath, cowPath, sizeBytes: spec.sizeBytes, chunkBytes, runs, changedBytes }
  })
}

/** The all-random snapshot (2 GiB) with 1% changed: read throughput and many readers. */
export function randomGeneration(context: BenchContext): Promise<RunsGeneration> {
  return runsGeneration(context, { key: 'random', sizeBytes: context.sizes.randomSnapshotBytes, allRandom: true })
}

/** The large snapshot (16 GiB) with data only in its 1% of changed runs: incremental copy. */
export function copyGeneration(context: BenchContext): Promise<RunsGeneration> {
  return runsGeneration(context, { key: 'copy', sizeBytes: context.sizes.copySnapshotBytes, allRandom: false })
}
