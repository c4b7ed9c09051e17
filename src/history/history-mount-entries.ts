// `snapdelta mount --history DIR`: one root entry per generation the history
// can restore, oldest first, named NNNN-<to name>. The newest reads TARGET
// itself; the others read through the undo records. The mount registers as a
// reader before it reads the index (src/history/readers.ts says why), and the
// last entry closed releases the undo records, TARGET and the registration.
import { GenerationRecord } from './history-index'
import { checkHistoryDir } from './history-dir-check'
import { openRecordedHistory } from './history-store'
import { HistoryView } from './history-view'
import { registerReader } from './readers'
import { FileSource } from '../io/file-source'
import { RootEntry } from '../generation/root-entries'

// NAME_MAX of Linux, in bytes.
const NAME_MAX_BYTES = 255

/** The directory name of a generation: its seq (4 digits or more), then its name made one safe path component. */
export function historyGenerationName(g: GenerationRecord): string {
  const label = (g.to.name ?? g.to.uuid ?? 'unnamed').replace(/[/\0]/g, '_').replace(/[\x01-\x1f\x7f]/g, '?')
  let name = `${String(g.seq).padStart(4, '0')}-${label}`
  // Cut whole characters until the UTF-8 form fits.
  while (Buffer.byteLength(name, 'utf8') > NAME_MAX_BYTES) name = [...name].slice(0, -1).join('')
  return name
}

/** Opens the history in `dir` as root entries; `what` names the reader ("mount /mnt/h"). */
export async function historyMountEntries(dir: string, what: string): Promise<RootEntry[]> {
  await checkHistoryDir(dir)
  const reader = await registerReader(dir, what)
  let target: FileSource | undefined
  let view: HistoryView | undefined
  try {
    const history = await openRecordedHistory(dir)
    target = await FileSource.open(history.target.path)
    view = await HistoryView.open(history, target)
  } catch (err) {
    await target?.close()
    await reader.unregister()
    throw err
  }
  const opened = view
  const generations = opened.generations
  let open = generations.length
  const release = async () => {
    if (--open > 0) return
    await opened.close()
    await opened.target.close()
    await reader.unregister()
  }
  return generations.map((g): RootEntry => {
    const runs = opened.runsOf(g.seq)
    const name = historyGenerationName(g)
    return {
      kind: 'full',
      name,
      snapshot: opened.reconstruct(g.seq, release),
      info: {
        kind: 'history', seq: g.seq, from: g.from, to: g.to, appliedAt: g.appliedAt,
        runs: g.runs, changedBytes: g.changedBytes, historyDir: dir,
        readsFrom: g === generations[generations.length - 1] && !opened.history.pending() ? 'target' : 'target and undo records',
      },
      changes: runs && { runs, cowPath: opened.undoPathOf(g.seq)!, snapshotPath: `${dir}/${name}/full.img` },
    }
  })
}
