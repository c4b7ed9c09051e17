// snapdelta history list|prune DIR: what a history directory can restore, and
// dropping its oldest generations. The history itself: src/history/.
import { Command } from 'commander'
import path from 'path'
import { UsageError } from '../../errors'
import { checkHistoryDir } from '../../history/history-dir-check'
import { describeGeneration, GenerationRecord, readHistoryIndex } from '../../history/history-index'
import { openRecordedHistory } from '../../history/history-store'
import { historyGenerationName } from '../../history/history-mount-entries'
import { formatBytes } from '../../units'
import { printJson, writeStdout } from '../output'

/** Registers `snapdelta history` and its subcommands. */
export function registerHistory(program: Command): void {
  const history = program
    .command('history')
    .summary('list or prune a history directory (undo records of every generation of a target)')
    .description(
      'A history directory keeps, next to a backup target, the undo records that bring the target back to each earlier ' +
        'generation. `snapdelta mount MOUNTPOINT --history DIR` shows every generation as files.',
    )
  history
    .command('list')
    .summary('list the generations a history directory can restore')
    .description(
      'List the generations of the history in DIR, oldest first: seq, name, what it was applied on, when, runs, changed bytes ' +
        'and the size of its undo record; which one the target holds; a pending write that was not confirmed. Writes nothing.',
    )
    .argument('<dir>', 'the history directory')
    .option('--json', 'print JSON: the target, the generations, the pending step and the undo bytes')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const absolute = path.resolve(dir)
      await checkHistoryDir(absolute)
      const index = await readHistoryIndex(absolute)
      if (!index) throw new UsageError(`${absolute} holds no history (no history.json): check the path`)
      const all = [...index.generations, ...(index.pending ? [index.pending] : [])]
      const undoBytes = all.reduce((sum, g) => sum + (g.undo?.bytes ?? 0), 0)
      const current = index.generations[index.generations.length - 1]
      if (opts.json) {
        const generations = index.generations.map((g) => ({ ...g, directory: historyGenerationName(g), current: g === current }))
        await printJson({ dir: absolute, target: index.target, current: current.to, generations, pending: index.pending, undoBytes })
        return
      }
      let text = `history of ${index.target.path} (${formatBytes(index.target.sizeBytes)}, ${index.target.identity}) in ${absolute}\n`
      for (const g of index.generations) text += `${formatLine(g)}${g === current ? '   <- the target holds this' : ''}\n`
      if (index.pending) {
        text += `${formatLine(index.pending)}   PENDING: its write onto the target was not confirmed; apply ${describeGeneration(index.pending.from)} -> ${describeGeneration(index.pending.to)} again\n`
      }
      text += `undo records: ${formatBytes(undoBytes)} on disk\n`
      await writeStdout(text)
    })
  history
    .command('prune')
    .summary('drop the oldest generations of a history directory')
    .description(
      'Keep the N most recent earlier generations (plus the one the target holds) and remove the undo records of the others. ' +
        'The index is rewritten and flushed before any record is removed: an interrupted prune leaves only unused files.',
    )
    .argument('<dir>', 'the history directory')
    .requiredOption('--keep <N>', 'how many earlier generations to keep (0: only the current one)')
    .option('--json', 'print JSON: the generations removed and the bytes freed')
    .action(async (dir: string, opts: { keep: string; json?: boolean }) => {
      if (!/^\d+$/.test(opts.keep)) throw new UsageError(`--keep ${opts.keep}: expected a whole number of generations, 0 or more`)
      const opened = await openRecordedHistory(path.resolve(dir))
      const result = await opened.prune(Number(opts.keep))
      if (opts.json) {
        await printJson({ removed: result.removed.map((g) => g.seq), freedBytes: result.freedBytes, kept: opened.generations().map((g) => g.seq) })
        return
      }
      const kept = opened.generations()
      await writeStdout(
        result.removed.length === 0
          ? `nothing to prune: ${kept.length} generation${kept.length === 1 ? '' : 's'} kept\n`
          : `removed ${result.removed.length} generation${result.removed.length === 1 ? '' : 's'} (${formatBytes(result.freedBytes)} of undo records); ` +
              `kept ${kept.map((g) => g.seq).join(', ')}\n`,
      )
    })
}

function formatLine(g: GenerationRecord): string {
  const undo = g.undo ? formatBytes(g.undo.bytes) : 'none'
  return (
    `${String(g.seq).padStart(4, '0')}  ${describeGeneration(g.to)}  from ${describeGeneration(g.from)}  applied ${g.appliedAt}  ` +
    `${g.runs} runs, ${formatBytes(g.changedBytes)} changed, undo ${undo}`
  )
}
