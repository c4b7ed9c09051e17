// One generation's directory: full.img, delta.img, chunks.map, changed/,
// base.sha256, info.json. GENERATION_ENTRIES is the one list of what it holds.
import { GenerationContext, generationInfo } from '../generation/generation-info'
import { ChangedDir } from './changed-dir'
import { ChunksMapFile } from './chunks-map-file'
import { DeltaImageFile } from './delta-image-file'
import { VfsDir, VfsNode } from './node'
import { StaticDir } from './static-dir'
import { fullImageFile } from './snapshot-range-file'
import { TextFile } from './text-file'
import { deltaStreamFile } from './delta-stream-file'
import { deltaBmapFile } from './delta-bmap-file'
import { baseSumsFile } from './base-sums-file'

export type GenerationEntry = readonly [name: string, make: (context: GenerationContext) => VfsNode]

/** The files of a generation directory, in listing order: add a new file here. */
export const GENERATION_ENTRIES: readonly GenerationEntry[] = [
  ['full.img', ({ generation }) => fullImageFile(generation.snapshot)],
  ['delta.img', ({ generation }) => new DeltaImageFile(generation.runs, generation.snapshot)],
  [
    'chunks.map',
    ({ generation }) => new ChunksMapFile(generation.runs, { cowPath: generation.changes.path, snapshotPath: generation.snapshotPath }, generation.kinds),
  ],
  ['changed', ({ generation }) => new ChangedDir(generation.runs, generation.snapshot)],
  ['delta.stream', ({ generation }) => deltaStreamFile(generation)],
  ['delta.bmap', ({ generation }) => deltaBmapFile(generation)],
  ['base.sha256', ({ generation }) => baseSumsFile(generation)],
  ['info.json', (context) => new TextFile(JSON.stringify(generationInfo(context), null, 2) + '\n')],
]

/** The directory of one delta generation. */
export function generationDir(context: GenerationContext): VfsDir {
  return new StaticDir(GENERATION_ENTRIES.map(([name, make]) => [name, () => make(context)] as const))
}
