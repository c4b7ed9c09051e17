// What kind of change each run of a generation is, where its change source
// knows: thin_delta tells blocks mapped differently, only in the older or
// only in the newer snapshot. The names are chunks.map's third field; runs
// of the zero kind (mapped only in the older snapshot) read as zeros in the
// newer one, and travel in the stream as zero records, without data.
import { ChunkRuns } from './chunk-runs'
import { InvalidInputError } from '../errors'

const MAX_KINDS = 16

/** The kind name of runs the newer snapshot reads as zeros, as chunks.map writes it (thin_delta's own name). */
export const ZERO_RUN_KIND = 'left_only'

export interface RunKinds {
  /** The name of each kind code, as chunks.map writes it. */
  readonly names: readonly string[]
  /** One code per run of the runs they describe. */
  readonly codes: Uint8Array
  /** The code of the runs the newer snapshot reads as zeros, or -1. */
  readonly zeroCode: number
}

/** True when run `run` reads as zeros in the newer snapshot. */
export function isZeroRun(kinds: RunKinds | null | undefined, run: number): boolean {
  return kinds !== null && kinds !== undefined && kinds.codes[run] === kinds.zeroCode
}

/** Bytes of `runs` that read as zeros in the newer snapshot. */
export function zeroRunBytes(runs: ChunkRuns, kinds: RunKinds | null | undefined): number {
  if (!kinds) return 0
  let bytes = 0
  for (let i = 0; i < runs.count; i++) if (kinds.codes[i] === kinds.zeroCode) bytes += runs.lengthBytes(i)
  return bytes
}

/** The kind name of run `run`, or undefined without kinds. */
export function kindName(kinds: RunKinds | null | undefined, run: number): string | undefined {
  return kinds ? kinds.names[kinds.codes[run]] : undefined
}

/** Kinds from chunks.map's third fields (one per run), or null for a map without them. */
export function runKindsFromNames(perRun: readonly string[] | null): RunKinds | null {
  if (perRun === null) return null
  const names: string[] = []
  const codes = new Uint8Array(perRun.length)
  perRun.forEach((name, i) => {
    let code = names.indexOf(name)
    // A code is one byte; thin_delta has three kinds.
    if (code < 0 && names.length === MAX_KINDS) throw new InvalidInputError(`chunks.map names more than ${MAX_KINDS} kinds of change (a run of kind ${name}): expected thin_delta's few`)
    if (code < 0) code = names.push(name) - 1
    codes[i] = code
  })
  return { names, codes, zeroCode: names.indexOf(ZERO_RUN_KIND) }
}
