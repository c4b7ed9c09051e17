// delta.bmap: the bmap-tools block map of delta.img (src/bmap/bmap-xml.ts).
// Its size is known from the runs; its content needs the SHA-256 of every
// run, read once on the first read.
import { Generation } from '../generation/generation'
import { sourceFromGeneration } from '../generation/generation-source'
import { bmapSizeBytes, formatBmap } from '../bmap/bmap-xml'
import { runChecksums } from '../bmap/range-checksums'
import { ComputedFile } from './computed-file'
import { VfsFile } from './node'

/** The delta.bmap file of a generation directory. */
export function deltaBmapFile(generation: Generation): VfsFile {
  const source = sourceFromGeneration(generation)
  return new ComputedFile(bmapSizeBytes(source.runs), async () => formatBmap(source.runs, await runChecksums(source)))
}
