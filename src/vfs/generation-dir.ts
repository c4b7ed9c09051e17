// One generation's directory: full.img, delta.img, chunks.map, changed/,
// base.sha256, info.json. GENERATION_ENTRIES is the one list of what it holds.
import { Generation } from '../generation/generation'
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

/** What a node of a generation directory is built from. */
export interface GenerationContext {
  generation: Generation
  mountedAt: Date
}

export type GenerationEntry = readonly [name: string, make: (context: GenerationContext) => VfsNode]

/** The files of a generation directory, in listing order: add a new file here. */
export const GENERATION_ENTRIES: readonly GenerationEntry[] = [
  ['full.img', ({ generation }) => fullImageFile(generation.snapshot)],
  ['delta.img', ({ generation }) => new DeltaImageFile(generation.runs, generation.snapshot)],
  [
    'chunks.map',
    ({ generation }) => new ChunksMapFile(generation.runs, { cowPath: generation.changes.path, snapshotPath: generation.snapshotPath }),
  ],
  ['changed', ({ generation }) => new ChangedDir(generation.runs, generation.snapshot)],
  ['delta.stream', ({ generation }) => deltaStreamFile(generation)],
  ['delta.bmap', ({ generation }) => deltaBmapFile(generation)],
  ['base.sha256', ({ generation }) => baseSumsFile(generation)],
  ['info.json', (context) => new TextFile(JSON.stringify(generationInfo(context), null, 2) + '\n')],
]

/** The facts info.json shows. */
export function generationInfo({ generation, mountedAt }: GenerationContext): Record<string, unknown> {
  const { changes, runs } = generation
  return {
    name: generation.name,
    kind: 'delta',
    from: generation.identities.from,
    to: generation.identities.to,
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: runs.deviceSizeBytes,
    changedChunks: runs.changedChunks,
    runs: runs.count,
    changedBytes: runs.changedBytes,
    ...changes.description,
    snapshotPath: generation.snapshotPath,
    snapshotIdentity: generation.snapshot.identity,
    openedAt: generation.openedAt.toISOString(),
    mountedAt: mountedAt.toISOString(),
  }
}

/** The directory of one delta generation. */
export function generationDir(context: GenerationContext): VfsDir {
  return new StaticDir(GENERATION_ENTRIES.map(([name, make]) => [name, () => make(context)] as const))
}
