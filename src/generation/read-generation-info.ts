// Reading back a generation directory's info.json (its type and writer:
// generation-info.ts). Anyone can write or copy an info.json, so every field
// is checked against its type, and what a reader does with it must be safe
// for any value: refuse more, never write more.
import { Stats } from 'fs'
import path from 'path'
import { readTextFile } from '../io/read-text-file'
import { InvalidInputError } from '../errors'
import { GenerationInfo } from './generation-info'
import { SnapshotIdentity, UNKNOWN_SNAPSHOT } from './generation-identity'

// info.json is a page of facts.
const MAX_INFO_JSON_BYTES = 1024 * 1024

/** What the readers take from an info.json; a field is absent where the file lacks it or gives it another type. */
export type InfoReadBack = Partial<Pick<GenerationInfo, 'kind' | 'snapshotPath' | 'snapshotIdentity' | 'cowPath' | 'cowIdentity' | 'metadataPath'>> & {
    /** A thin generation's older snapshot (null in info.json when none was given). */
    olderSnapshotPath?: string
  } &
  Pick<GenerationInfo, 'from' | 'to'>

/** Parses info.json text from `source`: the fields the readers use, each checked against its GenerationInfo type. */
export function parseGenerationInfo(text: string, source: string): InfoReadBack {
  const value: unknown = JSON.parse(text)
  if (typeof value !== 'object' || value === null) throw new InvalidInputError(`${source}: expected a JSON object`)
  const info = value as { [K in keyof GenerationInfo]?: unknown }
  return {
    kind: info.kind === 'delta' || info.kind === 'thin' ? info.kind : undefined,
    snapshotPath: textOf(info.snapshotPath),
    snapshotIdentity: textOf(info.snapshotIdentity),
    cowPath: textOf(info.cowPath),
    cowIdentity: textOf(info.cowIdentity),
    metadataPath: textOf(info.metadataPath),
    olderSnapshotPath: textOf(info.olderSnapshotPath),
    from: snapshotIdentityOf(info.from),
    to: snapshotIdentityOf(info.to),
  }
}

/** Reads and parses DIR/info.json; `stats` (its fstat) tells which filesystem served it. */
export async function readGenerationInfo(dir: string): Promise<{ info: InfoReadBack; stats: Stats }> {
  const file = path.join(dir, 'info.json')
  const { text, stats } = await readTextFile(file, MAX_INFO_JSON_BYTES)
  return { info: parseGenerationInfo(text, file), stats }
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

// A {name, uuid} object of info.json; anything else is an unknown snapshot.
function snapshotIdentityOf(value: unknown): SnapshotIdentity {
  const v = value as { name?: unknown; uuid?: unknown } | null
  if (typeof v !== 'object' || v === null) return UNKNOWN_SNAPSHOT
  return { name: typeof v.name === 'string' ? v.name : null, uuid: typeof v.uuid === 'string' ? v.uuid : null }
}
