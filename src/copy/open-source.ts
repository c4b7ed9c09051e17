// Opens the generation source a command names: a generation directory, a
// COW and new snapshot pair read directly (no mount needed), or two thin
// snapshots (the --thin options).
import { Generation, openGeneration } from '../generation/generation'
import { openThinGeneration, ThinGenerationOptions, wantsThin } from '../thin/thin-generation'
import { GenerationSource, sourceFromGeneration } from '../generation/generation-source'
import { openGenerationDir } from '../copy/generation-dir-source'
import { UsageError } from '../errors'

export interface SourceSpec {
  dir?: string
  cowPath?: string
  snapshotPath?: string
  /** --base-name: the older snapshot's name where the COW does not say it. */
  baseName?: string
  /** The --thin options, instead of a directory or a COW. */
  thin?: ThinGenerationOptions
}

/** The source for `spec`; exactly one of a directory or a --cow/--snapshot pair. */
export async function openSource(spec: SourceSpec): Promise<GenerationSource> {
  if (spec.thin && wantsThin(spec.thin)) {
    if (spec.dir !== undefined || spec.cowPath !== undefined) throw new UsageError('the --thin options name a generation: give them without a generation directory or --cow')
    const thin = await openThinGeneration({ ...spec.thin, snapshot: spec.snapshotPath })
    return closingGeneration(await openGeneration({ ...thin, baseName: spec.baseName }))
  }
  if (spec.dir !== undefined) {
    if (spec.cowPath !== undefined || spec.snapshotPath !== undefined) {
      throw new UsageError('give either a generation directory or --cow and --snapshot, not both')
    }
    return openGenerationDir(spec.dir)
  }
  if (spec.cowPath === undefined || spec.snapshotPath === undefined) {
    throw new UsageError('expected a generation directory, or both --cow OLD_COW and --snapshot NEW_SNAPSHOT')
  }
  return closingGeneration(await openGeneration({ cowPath: spec.cowPath, snapshotPath: spec.snapshotPath, baseName: spec.baseName }))
}

// A source whose close also closes the generation it reads.
function closingGeneration(generation: Generation): GenerationSource {
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
