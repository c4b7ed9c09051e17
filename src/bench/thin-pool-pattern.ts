// How the two thin devices of a benchmark pool differ: the virtual space cut
// into segments, each mapped the same in both, to different data blocks, in
// the left (older) device only, in the right (newer) one only, or in neither.
// Drawn from a seed, so every run measures the same pool.
import { seededRandom } from './chunk-sets'

/** Mapped in both devices to the same data blocks. */
export const SEGMENT_SAME = 0
/** Mapped in both, to different data blocks. */
export const SEGMENT_DIFFERENT = 1
/** Mapped in the left device only. */
export const SEGMENT_LEFT_ONLY = 2
/** Mapped in the right device only. */
export const SEGMENT_RIGHT_ONLY = 3
/** Mapped in neither. */
export const SEGMENT_UNMAPPED = 4

export interface ThinPoolPattern {
  /** What the pattern is, for the notes. */
  description: string
  /** Segments in ascending order of virtual block, from block 0, none empty. */
  kinds: Uint8Array
  lengthBlocks: Uint32Array
  virtualBlocks: number
  leftMappings: number
  rightMappings: number
  /** Blocks and segments that thin_delta must list as changed (different, left_only, right_only). */
  changedBlocks: number
  changedSegments: number
}

// Segment growth as in ThinDeltaRangesBuilder: doubling typed arrays.
class SegmentList {
  kinds = new Uint8Array(1024)
  lengths = new Uint32Array(1024)
  count = 0
  virtualBlocks = 0
  mapped = [0, 0]
  changedBlocks = 0
  changedSegments = 0

  add(kind: number, lengthBlocks: number): void {
    if (this.count === this.kinds.length) {
      const kinds = new Uint8Array(this.count * 2)
      kinds.set(this.kinds)
      const lengths = new Uint32Array(this.count * 2)
      lengths.set(this.lengths)
      this.kinds = kinds
      this.lengths = lengths
    }
    this.kinds[this.count] = kind
    this.lengths[this.count] = lengthBlocks
    this.count++
    this.virtualBlocks += lengthBlocks
    if (kind !== SEGMENT_RIGHT_ONLY && kind !== SEGMENT_UNMAPPED) this.mapped[0] += lengthBlocks
    if (kind !== SEGMENT_LEFT_ONLY && kind !== SEGMENT_UNMAPPED) this.mapped[1] += lengthBlocks
    if (kind !== SEGMENT_SAME && kind !== SEGMENT_UNMAPPED) {
      this.changedBlocks += lengthBlocks
      this.changedSegments++
    }
  }

  pattern(description: string): ThinPoolPattern {
    const n = this.count
    return {
      description,
      kinds: this.kinds.slice(0, n),
      lengthBlocks: this.lengths.slice(0, n),
      virtualBlocks: this.virtualBlocks,
      leftMappings: this.mapped[0],
      rightMappings: this.mapped[1],
      changedBlocks: this.changedBlocks,
      changedSegments: this.changedSegments,
    }
  }
}

/**
 * A volume between two daily snapshots, about 10% of its blocks changed: runs
 * of 1-180 shared blocks, then (1 time in 20) an unmapped gap of 1-256 blocks,
 * then a change of 1-64 blocks (short ones most often: a run of 2^k blocks
 * with k drawn from 0-6) that is different 8 times in 10, left_only
 * (discarded) or right_only (newly written) once each. Stops when the left
 * device has `leftMappings` mappings; changes never touch, so each is a run
 * of the map of its own.
 */
export function dailyChangesPattern(leftMappings: number, seed: number): ThinPoolPattern {
  const next = seededRandom(seed)
  const list = new SegmentList()
  const room = () => leftMappings - list.mapped[0]
  while (room() > 0) {
    list.add(SEGMENT_SAME, Math.min(1 + next(180), room()))
    if (room() === 0) break
    if (next(20) === 0) list.add(SEGMENT_UNMAPPED, 1 + next(256))
    const draw = next(10)
    const kind = draw === 0 ? SEGMENT_LEFT_ONLY : draw === 1 ? SEGMENT_RIGHT_ONLY : SEGMENT_DIFFERENT
    const length = 1 + next(2 ** next(7))
    list.add(kind, kind === SEGMENT_RIGHT_ONLY ? length : Math.min(length, room()))
  }
  return list.pattern('runs of 1-180 shared blocks, 1 in 20 followed by an unmapped gap of 1-256, then a change of 1-64 blocks: 80% different, 10% left_only, 10% right_only')
}

/** The worst case for thin_delta's output: every other block different, so every block is a line of it and every other one a run of the map. */
export function alternatingPattern(leftMappings: number): ThinPoolPattern {
  const list = new SegmentList()
  for (let block = 0; block < leftMappings; block++) list.add(block % 2 === 0 ? SEGMENT_SAME : SEGMENT_DIFFERENT, 1)
  return list.pattern('every other block different (same, different, same, ...)')
}
