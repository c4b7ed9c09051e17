// --history DIR and --keep N, shared by apply and receive: the journal that
// keeps the reverse deltas of every write next to TARGET (src/history/).
import { Command } from 'commander'
import { UsageError } from '../errors'
import { historyJournal, HistoryOutcome } from '../history/history-journal'
import { WriteJournal } from '../copy/write-journal'

export interface HistoryCliOptions {
  history?: string
  keep?: string
  /** receive only: a full stream restarts the history instead of being refused (what snapdelta backup --ssh asks for). */
  fullRestartsHistory?: boolean
}

/** Adds --history and --keep to `command`. */
export function addHistoryOptions(command: Command): Command {
  return command
    .option('--history <dir>', 'keep the reverse delta of this write in DIR (created 0700), so every earlier generation of TARGET can be restored; refuses a delta for another base than DIR says TARGET holds')
    .option('--keep <n>', 'with --history: keep only the N most recent earlier generations')
}

/** The number of generations --keep asks for, or undefined. */
export function parseKeep(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new UsageError(`--keep: expected a whole number of generations (0 or more), got \`${text}\``)
  return Number(text)
}

/** The journal the options ask for onto `targetPath`, or undefined without --history. */
export function journalFor(opts: HistoryCliOptions, targetPath: string): (WriteJournal & { outcome(): HistoryOutcome }) | undefined {
  const keep = parseKeep(opts.keep)
  if (!opts.history) {
    if (keep !== undefined) throw new UsageError('--keep needs --history DIR')
    if (opts.fullRestartsHistory) throw new UsageError('--full-restarts-history needs --history DIR')
    return undefined
  }
  return historyJournal({ dir: opts.history, targetPath, keep, fullRestarts: opts.fullRestartsHistory === true })
}

/** Where the reverse delta went, for a one-line summary; empty without a history. */
export function historyNote(history: HistoryOutcome | null): string {
  if (!history) return ''
  const pruned = history.pruned > 0 ? `; ${history.pruned} older generation${history.pruned === 1 ? '' : 's'} pruned` : ''
  return `; history ${history.dir}${history.created ? ' started' : ''}: the target now holds generation ${history.seq}${pruned}`
}
