// A history directory: the reverse deltas that bring TARGET back to each
// earlier generation. Writers (apply/receive) record a generation in two
// steps around their write of TARGET: beginGeneration (the undo record,
// flushed, then the index naming it pending) and commitGeneration. Each step
// ends with one atomic replace of history.json, so a crash leaves the history
// as it was before or after the step, never in between.
import { InvalidInputError, UsageError } from '../errors'
import { ChunkRuns } from '../map/chunk-runs'
import { sameRecord, SnapshotIdentity } from '../generation/generation-identity'
import { checkHistoryDir, ensureHistoryDir } from './history-dir-check'
import {
  describeGeneration, GenerationRecord, HISTORY_FORMAT, HISTORY_VERSION, HistoryIndex,
  readHistoryIndex, TargetRecord, writeHistoryIndex,
} from './history-index'
import { removeUnreferenced, undoPath } from './history-files'
import { UndoFile } from './undo-file'
import { ReadOld, UndoWriter } from './undo-writer'
import { describeTarget, TargetFacts } from './target-identity'

export interface BeginGenerationOptions {
  /** What the delta starts from: must be what TARGET holds (current()). */
  from: SnapshotIdentity
  to: SnapshotIdentity
  /** What the write will overwrite on TARGET. */
  runs: ChunkRuns
  /** TARGET's current content (or the old snapshot's), read before anything is written: what `undo` was not given. */
  readOld: ReadOld
  /** The undo record from prepareUndo, fed (or not yet) with the old bytes. */
  undo?: UndoWriter
  /** Checksum block of the undo record; default 64 KiB. */
  checksumBlockBytes?: number
}

/** The step prepareUndo is asked about. */
export type UndoStep = Pick<BeginGenerationOptions, 'from' | 'to' | 'runs' | 'checksumBlockBytes'>

export interface PruneResult {
  removed: GenerationRecord[]
  /** Bytes of undo records removed. */
  freedBytes: number
}

/** An open history directory. Not safe for two writers at once: the caller holds TARGET's lock. */
export class History {
  constructor(
    readonly dir: string,
    private index: HistoryIndex,
  ) {}

  /** The target the history belongs to. */
  get target(): TargetRecord {
    return this.index.target
  }

  /** The generation TARGET holds (the newest committed one). */
  current(): SnapshotIdentity {
    return this.newest().to
  }

  /** Every generation the history knows, oldest first; the last is current(). */
  generations(): readonly GenerationRecord[] {
    return this.index.generations
  }

  /** A generation whose undo record is flushed but whose write onto TARGET is not confirmed, or null. */
  pending(): GenerationRecord | null {
    return this.index.pending
  }

  /**
   * Starts the undo record of the step `from` -> `to`, to be fed by the
   * content check; null when a pending step with the same from/to (a re-run
   * after a crash) already has one. Refuses a step that beginGeneration would.
   */
  async prepareUndo(step: UndoStep): Promise<UndoWriter | null> {
    if (this.resumes(step)) return null
    this.checkStep(step)
    await removeUnreferenced(this.dir, this.index)
    return UndoWriter.create(undoPath(this.dir, ''), this.newest().seq + 1, step.runs, step.checksumBlockBytes)
  }

  /**
   * Write-ahead for the step `from` -> `to`: finishes the undo record of
   * `runs` (fed by the check, else read from `readOld`) and flushes it, then
   * records it as pending; only then may TARGET be written. A pending step
   * with the same from/to (a re-run after a crash) is reused as it is:
   * TARGET may already hold part of the new data.
   */
  async beginGeneration(options: BeginGenerationOptions): Promise<GenerationRecord> {
    const { from, to, runs } = options
    const pending = this.index.pending
    if (pending && this.resumes(options)) {
      await options.undo?.abandon()
      await (await this.openUndo(pending)).close()
      return pending
    }
    let writer = options.undo
    try {
      this.checkStep(options)
      if (!writer) {
        await removeUnreferenced(this.dir, this.index)
        writer = await UndoWriter.create(undoPath(this.dir, ''), this.newest().seq + 1, runs, options.checksumBlockBytes)
      }
      if (writer.empty) await writer.fill(options.readOld)
    } catch (err) {
      await writer?.abandon()
      throw err
    }
    const undo = await writer.finish()
    const record: GenerationRecord = { seq: this.newest().seq + 1, from, to, appliedAt: new Date().toISOString(), runs: runs.count, changedBytes: runs.changedBytes, undo }
    // Not referenced until this write lands: if it fails, the next writer removes the file.
    await this.replaceIndex({ ...this.index, pending: record })
    return record
  }

  private resumes(step: UndoStep): boolean {
    const pending = this.index.pending
    return pending !== null && pending.from !== null && sameRecord(pending.from, step.from) && sameRecord(pending.to, step.to)
  }

  // The step must start from what TARGET holds, with nothing else pending, on a device of the history's size.
  private checkStep({ from, to, runs }: UndoStep): void {
    const pending = this.index.pending
    if (pending) {
      throw new InvalidInputError(
        `${this.dir}: an earlier write of ${describeGeneration(pending.to)} onto ${this.target.path} was not confirmed, so ${this.target.path} may hold part of it; ` +
          `finish that write first (apply the delta ${describeGeneration(pending.from)} -> ${describeGeneration(pending.to)} again), not ${describeGeneration(from)} -> ${describeGeneration(to)}`,
      )
    }
    if (!sameRecord(from, this.current())) {
      throw new InvalidInputError(
        `${this.dir}: the delta starts from ${describeGeneration(from)}, but ${this.target.path} holds ${describeGeneration(this.current())}: ` +
          'apply the deltas in order, starting from the generation the target holds',
      )
    }
    if (runs.deviceSizeBytes !== this.target.sizeBytes) {
      throw new InvalidInputError(`the delta is for a ${runs.deviceSizeBytes}-byte device, the history's target ${this.target.path} has ${this.target.sizeBytes} bytes`)
    }
  }

  /** After TARGET was written and flushed: the pending generation becomes the current one. */
  async commitGeneration(): Promise<GenerationRecord> {
    const pending = this.index.pending
    if (!pending) throw new InvalidInputError(`${this.dir}: no generation is pending: call beginGeneration before writing the target`)
    const committed = { ...pending, appliedAt: new Date().toISOString() }
    await this.replaceIndex({ ...this.index, generations: [...this.index.generations, committed], pending: null })
    return committed
  }

  /**
   * Keeps the `keep` most recent earlier generations and the current one. The
   * index without the others is flushed first; their undo records are removed
   * only then, so a crash in between leaves unreferenced files, never an index
   * naming missing ones.
   */
  async prune(keep: number): Promise<PruneResult> {
    if (!Number.isSafeInteger(keep) || keep < 0) throw new UsageError(`--keep ${keep}: expected a whole number of generations, 0 or more`)
    const all = this.index.generations
    const drop = Math.max(0, all.length - 1 - keep)
    if (drop === 0) return { removed: [], freedBytes: 0 }
    const kept = all.slice(drop)
    const removed = all.slice(0, drop)
    // The new oldest is restored by nothing older: its own undo record goes too.
    const freedBytes = [...removed, kept[0]].reduce((sum, g) => sum + (g.undo?.bytes ?? 0), 0)
    kept[0] = { ...kept[0], undo: null }
    await this.replaceIndex({ ...this.index, generations: kept })
    await removeUnreferenced(this.dir, this.index)
    return { removed, freedBytes }
  }

  /** Opens (and checks) the undo record of `generation`. */
  openUndo(generation: GenerationRecord): Promise<UndoFile> {
    if (!generation.undo) throw new InvalidInputError(`generation ${generation.seq} has no undo record`)
    return UndoFile.open(undoPath(this.dir, generation.undo.file), {
      seq: generation.seq,
      deviceSizeBytes: this.target.sizeBytes,
      headerSha256: generation.undo.headerSha256,
    })
  }

  private newest(): GenerationRecord {
    return this.index.generations[this.index.generations.length - 1]
  }

  private async replaceIndex(index: HistoryIndex): Promise<void> {
    await writeHistoryIndex(this.dir, index)
    this.index = index
  }
}

/** Opens the history in `dir`; refuses one of another target (size or identity differ). Writes nothing. */
export async function openHistory(dir: string, target: TargetFacts): Promise<History> {
  await checkHistoryDir(dir)
  const index = await readHistoryIndex(dir)
  if (!index) throw new InvalidInputError(`${dir} holds no history (no history.json): create one with the first apply, or check the path`)
  const recorded = index.target
  if (recorded.identity !== target.identity || recorded.sizeBytes !== target.sizeBytes) {
    throw new InvalidInputError(
      `${dir} is the history of ${recorded.path} (${recorded.sizeBytes} bytes, ${recorded.identity}), not of ${target.path} ` +
        `(${target.sizeBytes} bytes, ${target.identity}): give the history directory of this target, or a new directory`,
    )
  }
  return new History(dir, index)
}

/** Opens the history in `dir` for the target it records, checked as it is now. */
export async function openRecordedHistory(dir: string): Promise<History> {
  await checkHistoryDir(dir)
  const index = await readHistoryIndex(dir)
  if (!index) throw new InvalidInputError(`${dir} holds no history (no history.json): check the path`)
  return openHistory(dir, await describeTarget(index.target.path))
}

/** Starts a history of `target` in `dir` (created 0700 if missing), TARGET holding `base`; refuses a dir that has one. */
export async function createHistory(dir: string, options: { target: TargetFacts; base: SnapshotIdentity }): Promise<History> {
  await ensureHistoryDir(dir)
  if (await readHistoryIndex(dir)) throw new InvalidInputError(`${dir} already holds a history: open it instead, or give an empty directory`)
  const { target, base } = options
  const index: HistoryIndex = {
    format: HISTORY_FORMAT,
    version: HISTORY_VERSION,
    target: { path: target.path, sizeBytes: target.sizeBytes, identity: target.identity },
    generations: [{ seq: 0, from: null, to: base, appliedAt: new Date().toISOString(), runs: 0, changedBytes: 0, undo: null }],
    pending: null,
  }
  await writeHistoryIndex(dir, index)
  return new History(dir, index)
}
