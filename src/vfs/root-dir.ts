// The mount's root: one directory per generation, for each kind of root
// entry (src/generation/root-entries.ts): the delta tree, a full copy, or ERROR.txt.
import { checkGenerationName, RootEntry, rootEntryName } from '../generation/root-entries'
import { UsageError } from '../errors'
import { ReadPath } from '../generation/generation-info'
import { BlockSource } from '../io/block-source'
import { generationDir } from './generation-dir'
import { VfsDir, VfsNode } from './node'
import { fullImageFile } from './snapshot-range-file'
import { StaticDir } from './static-dir'
import { TextFile } from './text-file'
import { ChunksMapFile } from './chunks-map-file'
import { ChangedDir } from './changed-dir'

/** The root directory; refuses invalid or duplicate generation names. `readPath` is the mount's (src/fuse/read-path.ts). */
export function createRootDir(entries: readonly RootEntry[], mountedAt: Date, readPath: ReadPath): VfsDir {
  const seen = new Set<string>()
  const children = entries.map((entry) => {
    const name = rootEntryName(entry)
    checkGenerationName(name)
    if (seen.has(name)) {
      throw new UsageError(`two generations are both named "${name}": give each a distinct --name`)
    }
    seen.add(name)
    return [name, () => entryDir(entry, mountedAt, readPath)] as const
  })
  return new StaticDir(children)
}

// The native read path preads a descriptor: a source without one (a history reconstruction) is read in JS.
function sourceReadPath(mount: ReadPath, source: BlockSource): ReadPath {
  if (mount.readPath === 'js' || source.fd !== undefined) return mount
  return { readPath: 'js', readPathReason: `${source.path} is assembled in JS, not one file to pread` }
}

function entryDir(entry: RootEntry, mountedAt: Date, mountReadPath: ReadPath): VfsNode {
  switch (entry.kind) {
    case 'delta':
      return generationDir({ generation: entry.generation, mountedAt, readPath: sourceReadPath(mountReadPath, entry.generation.snapshot) })
    case 'full': {
      const readPath = sourceReadPath(mountReadPath, entry.snapshot)
      const info = { name: entry.name, kind: 'full', ...entry.info, deviceSizeBytes: entry.snapshot.sizeBytes, mountedAt: mountedAt.toISOString(), ...readPath }
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
