// What a mount's root holds: one entry per generation, of three kinds: a
// delta generation (its changes + the new snapshot), a full-copy-only
// generation (no usable delta, e.g. the first backup of a volume), and an
// error entry that explains why a generation cannot be served. Who finds the
// generations (lvm/, history/, the command line) and who shows them (vfs/)
// share these types and name rules.
import { BlockSource } from '../io/block-source'
import { ChunkRuns } from '../map/chunk-runs'
import { UsageError } from '../errors'
import { Generation } from './generation'

/** A generation with a usable delta: the whole delta tree. */
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

/** Releases what the entries hold open. */
export async function closeEntries(entries: readonly RootEntry[]): Promise<void> {
  for (const entry of entries) {
    if (entry.kind === 'delta') await entry.generation.close()
    else if (entry.kind === 'full') await entry.snapshot.close()
  }
}
