// A history directory as the journal of a writer (apply, receive: see
// src/copy/write-journal.ts): it refuses a delta for another base than the
// generation TARGET holds, skips one TARGET already holds, writes the undo
// record of what the write overwrites before the first byte (write-ahead),
// and commits the generation once TARGET is flushed. A new directory starts
// with the delta's from-snapshot as what TARGET holds, or, for a full
// stream, with what the stream leads to once it is written.
import { promises as fsp } from 'fs'
import { InvalidInputError, LockedError } from '../errors'
import { crashPoint } from '../crash-hook'
import { OldContentSink, WriteJournal, WritePlan } from '../copy/write-journal'
import { describeSnapshot, knownDifferent, knownSame, sameRecord, SnapshotIdentity } from '../generation/generation-identity'
import { describeGeneration, readHistoryIndex } from './history-index'
import { createHistory, History, openHistory } from './history-store'
import { ensureHistoryDir } from './history-dir-check'
import { undoPath } from './history-files'
import { UndoWriter } from './undo-writer'
import { checkHistoryDir } from './history-dir-check'
import { liveReaders } from './readers'
import { describeTarget, TargetFacts } from './target-identity'

export interface HistoryJournalOptions {
  dir: string
  targetPath: string
  /** Keep this many earlier generations after each write (prune); undefined keeps all. */
  keep?: number
  /**
   * For snapdelta backup, which decides itself when to copy everything: a
   * full stream restarts the history (the old undo records describe a
   * target that is gone) instead of being refused.
   */
  fullRestarts?: boolean
  /**
   * For a local snapdelta backup, which reads TARGET back: a write of the
   * generation TARGET already holds (a repair after a failed verify) is
   * written without a new generation, not skipped.
   */
  rewriteHeld?: boolean
}

/** What the journal did, for the command's summary. */
export interface HistoryOutcome {
  dir: string
  /** The generation number TARGET holds now. */
  seq: number | null
  created: boolean
  /** Generations removed by --keep. */
  pruned: number
}

/** The journal of writes onto `options.targetPath` kept in `options.dir`. */
export function historyJournal(options: HistoryJournalOptions): WriteJournal & { outcome(): HistoryOutcome } {
  let history: History | undefined
  let target: TargetFacts | undefined
  // A full stream onto a new directory: the history starts once TARGET holds the stream.
  let createAfterWrite: SnapshotIdentity | undefined
  let from: SnapshotIdentity | undefined
  // A rewrite of the generation TARGET holds: nothing to journal.
  let unjournaled = false
  // The undo record the content check feeds, and whether this journal made DIR for it.
  let undo: UndoWriter | undefined
  let madeDir = false
  const outcome: HistoryOutcome = { dir: options.dir, seq: null, created: false, pruned: 0 }

  const refuseWithReaders = async () => {
    const readers = await liveReaders(options.dir)
    if (readers.length > 0) {
      const who = readers.map((r) => `${r.what} (pid ${r.pid})`).join(', ')
      throw new LockedError(`the history ${options.dir} of ${options.targetPath} is being read by ${who}: unmount it before writing the target`)
    }
  }

  return {
    async checkIdentity(write) {
      target = await describeTarget(options.targetPath)
      if (!(await hasHistory(options.dir))) {
        if (write.full) createAfterWrite = write.to
        from = write.from
        return 'write'
      }
      history = await openHistory(options.dir, target)
      await refuseWithReaders()
      const current = history.current()
      const pending = history.pending()
      if (write.full && options.fullRestarts) {
        createAfterWrite = write.to
        return 'write'
      }
      if (write.full) {
        throw new InvalidInputError(
          `${options.dir} keeps the history of ${options.targetPath}, and a full stream replaces the whole target, which a history cannot undo cheaply: ` +
            'receive it onto a target without --history, or start a new history directory',
        )
      }
      // A delta that does not name its base starts, if the content check agrees, from what TARGET holds.
      from = write.from.name === null && write.from.uuid === null ? current : write.from
      if (pending && sameRecord(pending.to, write.to) && pending.from && sameRecord(pending.from, from)) return 'write'
      if (!pending && knownSame(write.to, current)) {
        if (!options.rewriteHeld) return 'skip'
        unjournaled = true
        return 'write'
      }
      if (knownDifferent(from, current)) {
        throw new InvalidInputError(
          `the delta from ${describeSnapshot(write.from)} to ${describeSnapshot(write.to)} needs a target holding ${describeSnapshot(write.from)}, ` +
            `but ${options.dir} says ${options.targetPath} holds ${describeGeneration(current)}: refusing to write; nothing was written. ` +
            `Apply the delta that starts from ${describeGeneration(current)}`,
        )
      }
      return 'write'
    },

    async oldContentSink(write): Promise<OldContentSink | null> {
      if (createAfterWrite || unjournaled) return null
      if (history) {
        undo = (await history.prepareUndo({ from: from!, to: write.to, runs: write.runs })) ?? undefined
      } else {
        madeDir = !(await exists(options.dir))
        await ensureHistoryDir(options.dir)
        // A new history: TARGET holds generation 0, this write makes generation 1.
        undo = await UndoWriter.create(undoPath(options.dir, ''), 1, write.runs)
      }
      return undo ?? null
    },

    async abandon() {
      await undo?.abandon()
      undo = undefined
      // Refused before anything was recorded: a directory this journal made goes too.
      if (madeDir && !history) await fsp.rm(options.dir, { recursive: true, force: true })
    },

    async beforeWrite(plan: WritePlan) {
      if (createAfterWrite || unjournaled) return
      if (!history) {
        history = await createHistory(options.dir, { target: target!, base: from! })
        outcome.created = true
      }
      const pending = history.pending()
      const resuming = pending !== null && sameRecord(pending.to, plan.to)
      if (!resuming && plan.holdsNewData && !plan.readOld) {
        throw new InvalidInputError(
          `${options.targetPath} already holds part of the new data of ${describeSnapshot(plan.to)}, written by a run that ${options.dir} has no record of: ` +
            `what they held before is gone, so this generation cannot be recorded; refusing to write. Apply the delta without --history, then start a new history`,
        )
      }
      await history.beginGeneration({
        from: from!,
        to: plan.to,
        runs: plan.runs,
        // TARGET's own bytes are the old ones unless an earlier write got there first; then only the old snapshot has them.
        readOld: plan.holdsNewData && plan.readOld ? plan.readOld : plan.readTarget,
        undo,
      })
      undo = undefined
      // After the pending step is flushed: a reader registered before it is seen here (readers.ts says why).
      await refuseWithReaders()
      crashPoint('history-undo-written')
    },

    async afterWrite() {
      crashPoint('history-written')
      let written: History
      if (unjournaled) {
        written = history!
      } else if (createAfterWrite) {
        // Written in full: whatever history there was described a target that is gone.
        if (history) await fsp.rm(options.dir, { recursive: true, force: true })
        written = await createHistory(options.dir, { target: target!, base: createAfterWrite })
        outcome.created = true
      } else {
        written = history!
        await written.commitGeneration()
      }
      if (options.keep !== undefined) outcome.pruned = (await written.prune(options.keep)).removed.length
      const generations = written.generations()
      outcome.seq = generations[generations.length - 1].seq
    },

    outcome: () => outcome,
  }
}

async function exists(dir: string): Promise<boolean> {
  return fsp.lstat(dir).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false
      throw err
    },
  )
}

// A directory that does not exist yet, or holds no history.json, starts a new history.
async function hasHistory(dir: string): Promise<boolean> {
  if (!(await exists(dir))) return false
  await checkHistoryDir(dir)
  return (await readHistoryIndex(dir)) !== undefined
}
