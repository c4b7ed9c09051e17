// The files of a history directory besides history.json: where undo records
// live, and the removal of what no index names (left by a killed run, or by
// prune after its index was flushed).
import { promises as fsp } from 'fs'
import path from 'path'
import { ioError } from '../errors'
import { UNDO_SUBDIR } from './history-dir-check'
import { HistoryIndex, isPartialIndexName } from './history-index'
import { syncDir } from './undo-file'

/** Path of `file` inside DIR/undo/ ('' for the directory itself). */
export function undoPath(dir: string, file: string): string {
  return path.join(dir, UNDO_SUBDIR, file)
}

/** Removes undo records `index` does not name and temporary files of killed runs; call only as the one writer. */
export async function removeUnreferenced(dir: string, index: HistoryIndex): Promise<void> {
  const wanted = new Set([...index.generations, ...(index.pending ? [index.pending] : [])].map((g) => g.undo?.file))
  const undoDir = undoPath(dir, '')
  try {
    for (const name of await fsp.readdir(undoDir)) {
      // Only names snapdelta writes: anything else someone put there is left alone.
      if (/^\d{6,}\.undo(\.partial-.*)?$/.test(name) && !wanted.has(name)) await fsp.rm(path.join(undoDir, name), { force: true })
    }
    for (const name of await fsp.readdir(dir)) {
      if (isPartialIndexName(name)) await fsp.rm(path.join(dir, name), { force: true })
    }
  } catch (err) {
    throw ioError('removing unused undo records from', undoDir, err)
  }
  await syncDir(undoDir)
}
