// What every benchmark item gets, and what it gives back.
import { Workspace } from './inputs'
import { Figure } from './report'
import { BenchSizes } from './sizes'

export interface BenchContext {
  workspace: Workspace
  sizes: BenchSizes
  /** Notes for the current item: how a figure was obtained, scaling, caveats. */
  note(text: string): void
  /** Drops the page cache before a cold read; notes once if it cannot. */
  coldCache(): Promise<void>
}

export interface BenchItem {
  name: string
  title: string
  /** Commands of `snapdelta` the item needs; it is skipped, with a note, while one is missing. */
  needs: readonly string[]
  run(context: BenchContext): Promise<Figure[]>
}
