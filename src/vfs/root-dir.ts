// The mount's root: one directory per generation, for each kind of root
// entry (src/generation/root-entries.ts): the delta tree, a full copy, or ERROR.txt.
import { checkGenerationName, RootEntry, rootEntryName } from '../generation/root-entries'
import { UsageError } from '../errors'
import { generationDir } from './generation-dir'
import { VfsDir, VfsNode } from './node'
import { fullImageFile } from './snapshot-range-file'
import { StaticDir } from './static-dir'
import { TextFile } from './text-file'
import { ChunksMapFile } from './chunks-map-file'
import { ChangedDir } from './changed-dir'

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
