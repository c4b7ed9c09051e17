// Opens the generation source a command names: a generation directory, or a
// COW and new snapshot pair read directly (no mount needed).
import { openGeneration } from '../generation/generation'
import { GenerationSource, sourceFromGeneration } from '../generation/generation-source'
import { openGenerationDir } from '../copy/generation-dir-source'
import { UsageError } from '../errors'

export interface SourceSpec {
  dir?: string
  cowPath?: string
  snapshotPath?: string
  /** --base-name: the older snapshot's name where the COW does not say it. */
  baseName?: string
}

/** The source for `spec`; exactly one of a directory or a --cow/--snapshot pair. */
export async function openSource(spec: SourceSpec): Promise<GenerationSource> {
  if (spec.dir !== undefined) {
    if (spec.cowPath !== undefined || spec.snapshotPath !== undefined) {
      throw new UsageError('give either a generation directory or --cow and --snapshot, not both')
    }
    return openGenerationDir(spec.dir)
  }
  if (spec.cowPath === undefined || spec.snapshotPath === undefined) {
    throw new UsageError('expected a generation directory, or both --cow OLD_COW and --snapshot NEW_SNAPSHOT')
  }
  const generation = await openGeneration({ cowPath: spec.cowPath, snapshotPath: spec.snapshotPath, baseName: spec.baseName })
  const source = sourceFromGeneration(generation)
  return {
    ...source,
    close: async () => {
      try {
        await source.close()
      } finally {
        await generation.close()
      }
    },
  }
}
