// Every generation of a history at once, for the mount and for restores:
// the undo records opened once and shared, each generation a BlockSource.
// A pending step's undo record is included as the newest layer: TARGET may
// hold part of that write, and the record holds the bytes it replaced.
import { InvalidInputError } from '../errors'
import { BlockSource } from '../io/block-source'
import { ChunkRuns } from '../map/chunk-runs'
import { GenerationRecord } from './history-index'
import { History } from './history-store'
import { ReconstructedSource } from './reconstruct'
import { UndoFile } from './undo-file'

export class HistoryView {
  private constructor(
    readonly history: History,
    readonly target: BlockSource,
    /** The generations shown, oldest first (the committed ones). */
    readonly generations: readonly GenerationRecord[],
    /** undos[k]: the undo record of generations[k] (undefined for the oldest); then the pending one's, if any. */
    private readonly undos: ReadonlyArray<UndoFile | undefined>,
  ) {}

  /** Opens and checks every undo record of `history`; `target` must be its TARGET. */
  static async open(history: History, target: BlockSource): Promise<HistoryView> {
    if (target.sizeBytes !== history.target.sizeBytes) {
      throw new InvalidInputError(`${target.path} has ${target.sizeBytes} bytes, the history's target had ${history.target.sizeBytes}`)
    }
    const records = [...history.generations(), ...(history.pending() ? [history.pending()!] : [])]
    const undos: Array<UndoFile | undefined> = []
    try {
      for (const record of records) undos.push(record.undo ? await history.openUndo(record) : undefined)
    } catch (err) {
      await Promise.all(undos.map((u) => u?.close()))
      throw err
    }
    return new HistoryView(history, target, history.generations(), undos)
  }

  /** The content TARGET had at generation `seq`. Its close() runs `onClose` (by default nothing: the view stays open). */
  reconstruct(seq: number, onClose?: () => Promise<void>): BlockSource {
    const k = this.indexOf(seq)
    const layers = this.undos.slice(k + 1) as UndoFile[]
    return new ReconstructedSource(`${this.history.dir} generation ${seq}`, layers, this.target, onClose)
  }

  /** What generation `seq` overwrote (from its undo record); undefined for the oldest. */
  runsOf(seq: number): ChunkRuns | undefined {
    return this.undos[this.indexOf(seq)]?.runs
  }

  /** Path of the undo record of generation `seq`, if any. */
  undoPathOf(seq: number): string | undefined {
    return this.undos[this.indexOf(seq)]?.path
  }

  /** Closes the undo records (not the target). */
  async close(): Promise<void> {
    await Promise.all(this.undos.map((u) => u?.close()))
  }

  private indexOf(seq: number): number {
    const k = this.generations.findIndex((g) => g.seq === seq)
    if (k < 0) {
      const seqs = this.generations.map((g) => g.seq)
      throw new InvalidInputError(`${this.history.dir} has no generation ${seq}: it can restore generations ${seqs[0]} to ${seqs[seqs.length - 1]}`)
    }
    return k
  }
}

/** The content TARGET had at generation `seq`, as one source that closes what it opened (not `target`). */
export async function reconstruct(history: History, seq: number, target: BlockSource): Promise<BlockSource> {
  const view = await HistoryView.open(history, target)
  try {
    return view.reconstruct(seq, () => view.close())
  } catch (err) {
    await view.close()
    throw err
  }
}
