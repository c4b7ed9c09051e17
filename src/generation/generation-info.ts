// What a delta generation says of itself: info.json, which the mount writes
// (and read-generation-info.ts reads back for apply, verify and send), and
// the parts of it that `list` and the mount summary print. generationFacts is
// the one place these facts are put together; GenerationInfo is the one type
// of info.json, for its writer and its readers.
import { Generation } from './generation'
import { CowDescription } from '../cow/cow-change-source'
import { ThinDescription } from '../thin/thin-change-source'
import { SnapshotIdentity } from './generation-identity'

/** Which read path serves a generation's files (src/fuse/read-path.ts), and why: info.json says it. */
export interface ReadPath {
  readPath: 'native' | 'js'
  readPathReason: string
}

/** What a node of a generation directory is built from. */
export interface GenerationContext {
  generation: Generation
  mountedAt: Date
  readPath: ReadPath
}

/** The facts of a delta generation: all of info.json but the time of the mount. */
export type GenerationFacts = {
  name: string
  /** A dm-snapshot delta ('delta', as always), or one of two LVM thin snapshots ('thin'). */
  kind: 'delta' | 'thin'
  from: SnapshotIdentity
  to: SnapshotIdentity
  chunkSizeBytes: number
  deviceSizeBytes: number
  changedChunks: number
  runs: number
  changedBytes: number
} & Partial<CowDescription> & Partial<ThinDescription> & {
    snapshotPath: string
    /** What snapshotPath named when it was opened (io/device-identity.ts). */
    snapshotIdentity: string | undefined
    openedAt: string
  }

/** info.json of a delta generation. */
export type GenerationInfo = GenerationFacts & { mountedAt: string } & ReadPath

/** The facts of `generation`, in info.json's order. */
export function generationFacts(generation: Generation): GenerationFacts {
  const { runs } = generation
  return {
    name: generation.name,
    kind: generation.changes.kind === 'thin' ? 'thin' : 'delta',
    from: generation.identities.from,
    to: generation.identities.to,
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: runs.deviceSizeBytes,
    changedChunks: runs.changedChunks,
    runs: runs.count,
    changedBytes: runs.changedBytes,
    ...generation.changes.description,
    snapshotPath: generation.snapshotPath,
    snapshotIdentity: generation.snapshot.identity,
    openedAt: generation.openedAt.toISOString(),
  }
}

/** The facts info.json shows. */
export function generationInfo({ generation, mountedAt, readPath }: GenerationContext): GenerationInfo {
  return { ...generationFacts(generation), mountedAt: mountedAt.toISOString(), ...readPath }
}

// What the mount summary and `list` print of the facts, each in the order it always has
// (cowPath and exceptions come from the COW's description: another kind of source needs its own lists).
const SUMMARY_FIELDS = ['name', 'kind', 'from', 'to', 'cowPath', 'snapshotPath', 'chunkSizeBytes', 'deviceSizeBytes', 'changedChunks', 'runs', 'changedBytes'] as const
const LIST_FIELDS = ['name', 'kind', 'from', 'to', 'cowPath', 'snapshotPath', 'chunkSizeBytes', 'deviceSizeBytes', 'exceptions', 'changedChunks', 'runs', 'changedBytes'] as const

// A thin generation has no COW: the pool and the thin ids say where its changes come from.
const THIN_FIELDS = ['name', 'kind', 'from', 'to', 'pool', 'fromThinId', 'toThinId', 'snapshotPath', 'chunkSizeBytes', 'deviceSizeBytes', 'changedChunks', 'runs', 'changedBytes'] as const

type Listed<K extends readonly (keyof GenerationFacts)[]> = Pick<GenerationFacts, K[number]>

/** A delta generation as the mount summary shows it. */
export function generationSummary(generation: Generation): Listed<typeof SUMMARY_FIELDS> {
  return pick(generationFacts(generation), generation.changes.kind === 'thin' ? THIN_FIELDS : SUMMARY_FIELDS) as Listed<typeof SUMMARY_FIELDS>
}

/** A delta generation as `list` shows it. */
export function listedGeneration(generation: Generation): Listed<typeof LIST_FIELDS> | Listed<typeof THIN_FIELDS> {
  return generation.changes.kind === 'thin' ? pick(generationFacts(generation), THIN_FIELDS) : pick(generationFacts(generation), LIST_FIELDS)
}

function pick<K extends keyof GenerationFacts>(value: GenerationFacts, keys: readonly K[]): Pick<GenerationFacts, K> {
  const picked = {} as Pick<GenerationFacts, K>
  for (const key of keys) picked[key] = value[key]
  return picked
}
