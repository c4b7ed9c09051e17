// The mount's root: one directory per generation. Three kinds of entries:
// a delta generation (old COW + new snapshot), a full-copy-only generation
// (no usable table, e.g. the first backup of a volume), and an error entry
// that explains why a generation cannot be served.
import { BlockSource } from '../io/block-source'
import { ChunkRuns } from '../map/chunk-runs'
import { Generation } from '../generation/generation'
import { UsageError } from '../errors'
import { generationDir } from './generation-dir'
import { VfsDir, VfsNode } from './node'
import { fullImageFile } from './snapshot-range-file'
import { StaticDir } from './static-dir'
import { TextFile } from './text-file'
import { ChunksMapFile } from './chunks-map-file'
import { ChangedDir } from './changed-dir'

/** A generation with a valid exception table: the whole delta tree. */
export interface DeltaEntry {
  kind: 'delta'
  generation: Generation
}

/** Only a snapshot, no delta: a directory with full.img and info.json. */
export interface FullEntry {
  kind: 'full'
  name: string
  snapshot: BlockSource
  /** Facts shown in info.json (why there is no delta, sources, ...). */
  info: Record<string, unknown>
  /** What this generation changed, when known without a COW (a history's undo record): adds chunks.map and changed/. */
  changes?: { runs: ChunkRuns; cowPath: string; snapshotPath: string }
}

/** A generation that cannot be served: a directory with ERROR.txt and no images. */
export interface ErrorEntry {
  kind: 'error'
  name: string
  message: string
}

export type RootEntry = DeltaEntry | FullEntry | ErrorEntry

/** Directory name of an entry. */
export function rootEntryName(entry: RootEntry): string {
  return entry.kind === 'delta' ? entry.generation.name : entry.name
}

// NAME_MAX of Linux: the kernel refuses longer path components with ENAMETOOLONG.
const NAME_MAX_BYTES = 255

/** Refuses a name that cannot be a directory of the mount: one path component of at most 255 bytes. */
export function checkGenerationName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new UsageError(`generation name "${name}" cannot be a directory name: expected a non-empty name without "/"`)
  }
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > NAME_MAX_BYTES) {
    throw new UsageError(
      `generation name "${name.slice(0, 40)}..." is ${bytes} bytes long: a directory name can be at most ${NAME_MAX_BYTES} bytes (UTF-8); give a shorter --name`,
    )
  }
}

/** The root directory; refuses invalid or duplicate generation names. */
export function createRootDir(entries: readonly RootEntry[], mountedAt: Date): VfsDir {
  const seen = new Set<string>()
  const children = entries.map((entry) => {
    const name = rootEntryName(entry)
    checkGenerationName(name)
    if (seen.has(name)) {
      throw new UsageError(`two generations are both named "${name}": give each a distinct --name`)
    }
    seen.add(name)
    return [name, () => entryDir(entry, mountedAt)] as const
  })
  return new StaticDir(children)
}

function entryDir(entry: RootEntry, mountedAt: Date): VfsNode {
  switch (entry.kind) {
    case 'delta':
      return generationDir({ generation: entry.generation, mountedAt })
    case 'full': {
      const info = { name: entry.name, kind: 'full', ...entry.info, deviceSizeBytes: entry.snapshot.sizeBytes, mountedAt: mountedAt.toISOString() }
      const { changes, snapshot } = entry
      return new StaticDir([
        ['full.img', () => fullImageFile(snapshot)],
        ...(changes
          ? ([
              ['chunks.map', () => new ChunksMapFile(changes.runs, changes)],
              ['changed', () => new ChangedDir(changes.runs, snapshot)],
            ] as const)
          : []),
        ['info.json', () => new TextFile(JSON.stringify(info, null, 2) + '\n')],
      ])
    }
    case 'error':
      return new StaticDir([['ERROR.txt', () => new TextFile(`${entry.name}: ${entry.message}\n`)]])
  }
}
