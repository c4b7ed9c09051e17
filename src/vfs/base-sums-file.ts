// base.sha256 (format/base-sums-text.ts): what a copied generation directory
// needs for apply's content check. Its size is known from the runs; its
// content needs the old bytes (from the COW) and the new bytes of every run,
// read once on the first read, like delta.bmap.
import { Generation } from '../generation/generation'
import { sourceFromGeneration } from '../generation/generation-source'
import { baseSumsSizeBytes, formatBaseSums } from '../copy/base-sums'
import { ComputedFile } from './computed-file'
import { VfsFile } from './node'

/** The base.sha256 file of a generation directory. */
export function baseSumsFile(generation: Generation): VfsFile {
  return new ComputedFile(baseSumsSizeBytes(generation.runs), async () => {
    // The COW stays open only while the sums are computed.
    const source = sourceFromGeneration(generation)
    try {
      return await formatBaseSums(source)
    } finally {
      await source.close()
    }
  })
}
