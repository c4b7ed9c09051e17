// The changed ranges of a thin delta in pool blocks, as three parallel typed
// arrays (17 bytes a range): thin_delta can report millions of them.

/** The kinds of changed range; a kind's code is its index here. */
export const THIN_DELTA_KINDS = ['different', 'left_only', 'right_only'] as const
export type ThinDeltaKind = (typeof THIN_DELTA_KINDS)[number]
/** Mapped in both snapshots, to different data blocks. */
export const KIND_DIFFERENT = 0
/** Mapped in the left (older) snapshot only: the right one reads zeros there. */
export const KIND_LEFT_ONLY = 1
/** Mapped in the right (newer) snapshot only. */
export const KIND_RIGHT_ONLY = 2

/** Ascending, non-overlapping ranges; touching ranges of one kind are merged. */
export interface ThinDeltaRanges {
  count: number
  beginBlocks: Float64Array
  lengthBlocks: Float64Array
  /** KIND_DIFFERENT, KIND_LEFT_ONLY or KIND_RIGHT_ONLY. */
  kinds: Uint8Array
}

/** Collects ranges in ascending order into growing typed arrays (the caller checks the order). */
export class ThinDeltaRangesBuilder {
  private count = 0
  private begins = new Float64Array(256)
  private lengths = new Float64Array(256)
  private kinds = new Uint8Array(256)

  /** Adds [beginBlocks, beginBlocks + lengthBlocks) of `kind`, merged into the last range when they touch and agree. */
  add(beginBlocks: number, lengthBlocks: number, kind: number): void {
    const last = this.count - 1
    if (last >= 0 && this.kinds[last] === kind && this.begins[last] + this.lengths[last] === beginBlocks) {
      this.lengths[last] += lengthBlocks
      return
    }
    if (this.count === this.begins.length) this.grow()
    this.begins[this.count] = beginBlocks
    this.lengths[this.count] = lengthBlocks
    this.kinds[this.count] = kind
    this.count++
  }

  /** Right-sized copies of the ranges added. */
  build(): ThinDeltaRanges {
    const n = this.count
    return { count: n, beginBlocks: this.begins.slice(0, n), lengthBlocks: this.lengths.slice(0, n), kinds: this.kinds.slice(0, n) }
  }

  private grow(): void {
    const size = this.begins.length * 2
    const begins = new Float64Array(size)
    begins.set(this.begins)
    const lengths = new Float64Array(size)
    lengths.set(this.lengths)
    const kinds = new Uint8Array(size)
    kinds.set(this.kinds)
    this.begins = begins
    this.lengths = lengths
    this.kinds = kinds
  }
}
