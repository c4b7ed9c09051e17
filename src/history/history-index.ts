// DIR/history.json: which target the history belongs to, and its generations
// oldest first. Parsed strictly (a half-written or hand-edited index is
// refused, never guessed at) and replaced atomically: temp file created new
// (O_EXCL|O_NOFOLLOW), written, fsynced, renamed, directory fsynced.
import { constants, promises as fsp } from 'fs'
import path from 'path'
import { randomBytes } from 'crypto'
import { InvalidInputError, ioError } from '../errors'
import { createNewFile } from '../io/private-file'
import { syncDir, UndoFileFacts } from './undo-file'
import { describeSnapshot, SnapshotIdentity } from '../generation/generation-identity'

export const HISTORY_FORMAT = 'snapdelta-history'
export const HISTORY_VERSION = 1
export const INDEX_FILE = 'history.json'
// history.json of 100 000 generations is about 50 MB; more is not an index snapdelta wrote.
const MAX_INDEX_BYTES = 64 * 1024 * 1024

export interface TargetRecord {
  /** As given when the history was created. */
  path: string
  sizeBytes: number
  /** dm uuid, or file:DEV:INO, or block:MAJ:MIN (src/history/target-identity.ts). */
  identity: string
}

export interface GenerationRecord {
  seq: number
  /** null for the oldest: what TARGET held when the history starts. */
  from: SnapshotIdentity | null
  to: SnapshotIdentity
  appliedAt: string
  runs: number
  changedBytes: number
  /** What TARGET held before this generation was written (the undo to seq - 1); null for the oldest. */
  undo: UndoFileFacts | null
}

export interface HistoryIndex {
  format: typeof HISTORY_FORMAT
  version: typeof HISTORY_VERSION
  target: TargetRecord
  generations: GenerationRecord[]
  /** Undo record written and flushed; TARGET's write not confirmed yet. */
  pending: GenerationRecord | null
}


/** A recorded identity for messages; null is a generation with nothing recorded. */
export function describeGeneration(g: SnapshotIdentity | null): string {
  return g ? describeSnapshot(g) : 'nothing recorded'
}

/** Parses history.json text; refuses anything but a complete index of a version this snapdelta reads. */
export function parseHistoryIndex(text: string, source: string): HistoryIndex {
  const bad = (what: string) =>
    new InvalidInputError(`${source}: ${what}; this is not a history index snapdelta can use (if a run was killed while writing it, restore it from a backup or start a new history directory)`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`)
  }
  const o = value as Record<string, unknown>
  if (!isObject(o) || o.format !== HISTORY_FORMAT) throw bad(`expected "format": "${HISTORY_FORMAT}"`)
  if (typeof o.version !== 'number' || o.version > HISTORY_VERSION) {
    throw new InvalidInputError(`${source}: history format version ${String(o.version)} is newer than this snapdelta reads (${HISTORY_VERSION}): upgrade snapdelta`)
  }
  if (o.version !== HISTORY_VERSION) throw bad(`unknown version ${o.version}`)
  const t = o.target as Record<string, unknown>
  if (!isObject(t) || typeof t.path !== 'string' || !isCount(t.sizeBytes) || typeof t.identity !== 'string') throw bad('"target" must have path, sizeBytes and identity')
  if (!Array.isArray(o.generations) || o.generations.length === 0) throw bad('"generations" must be a non-empty list')
  const generations = o.generations.map((g, i) => checkGeneration(g, `generations[${i}]`, bad))
  generations.forEach((g, i) => {
    if (i > 0 && g.seq !== generations[i - 1].seq + 1) throw bad(`generations[${i}] has seq ${g.seq}, expected ${generations[i - 1].seq + 1}`)
    if ((i === 0) !== (g.undo === null)) throw bad(`generations[${i}]: only the oldest generation has no undo record`)
  })
  const pending = o.pending === null ? null : checkGeneration(o.pending, 'pending', bad)
  const newest = generations[generations.length - 1]
  if (pending && (pending.seq !== newest.seq + 1 || pending.undo === null)) throw bad(`"pending" must be generation ${newest.seq + 1} with an undo record`)
  return { format: HISTORY_FORMAT, version: HISTORY_VERSION, target: { path: t.path, sizeBytes: t.sizeBytes, identity: t.identity }, generations, pending }
}

function checkGeneration(value: unknown, where: string, bad: (what: string) => Error): GenerationRecord {
  const g = value as Record<string, unknown>
  if (!isObject(g)) throw bad(`${where} is not an object`)
  if (!isCount(g.seq) || !isCount(g.runs) || !isCount(g.changedBytes) || typeof g.appliedAt !== 'string') {
    throw bad(`${where} must have seq, runs, changedBytes (non-negative integers) and appliedAt`)
  }
  const from = g.from === null ? null : checkIdentity(g.from, `${where}.from`, bad)
  const to = checkIdentity(g.to, `${where}.to`, bad)
  let undo: UndoFileFacts | null = null
  if (g.undo !== null) {
    const u = g.undo as Record<string, unknown>
    if (!isObject(u) || typeof u.file !== 'string' || !/^\d{6,}\.undo$/.test(u.file) || !isCount(u.bytes) || typeof u.headerSha256 !== 'string') {
      throw bad(`${where}.undo must be null or { file: "NNNNNN.undo", bytes, headerSha256 }`)
    }
    undo = { file: u.file, bytes: u.bytes, headerSha256: u.headerSha256 }
  }
  return { seq: g.seq, from, to, appliedAt: g.appliedAt, runs: g.runs, changedBytes: g.changedBytes, undo }
}

function checkIdentity(value: unknown, where: string, bad: (what: string) => Error): SnapshotIdentity {
  const v = value as Record<string, unknown>
  const ok = (x: unknown) => x === null || typeof x === 'string'
  // Both null: a snapshot nothing is known of (the base of a history started by a delta that does not name it).
  if (!isObject(v) || !ok(v.name) || !ok(v.uuid)) throw bad(`${where} must be { name, uuid }, each a string or null`)
  return { name: v.name as string | null, uuid: v.uuid as string | null }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

/** Reads DIR/history.json (never through a symlink); undefined when there is none. */
export async function readHistoryIndex(dir: string): Promise<HistoryIndex | undefined> {
  const file = path.join(dir, INDEX_FILE)
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP') throw new InvalidInputError(`${file} is a symlink: refusing to read a history index through it; replace it with the real file`)
    throw ioError('opening the history index', file, err)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new InvalidInputError(`${file} is not a regular file: expected the history index`)
    if (stats.size > MAX_INDEX_BYTES) throw new InvalidInputError(`${file} is ${stats.size} bytes, more than a history index can be (${MAX_INDEX_BYTES})`)
    const text = await handle.readFile('utf8').catch((err) => { throw ioError('reading the history index', file, err) })
    return parseHistoryIndex(text, file)
  } finally {
    await handle.close()
  }
}

/** Replaces DIR/history.json with `index`, durably: readers see the old or the new index, never a part. */
export async function writeHistoryIndex(dir: string, index: HistoryIndex): Promise<void> {
  const file = path.join(dir, INDEX_FILE)
  const temp = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const handle = await createNewFile(temp)
    try {
      await handle.writeFile(JSON.stringify(index, null, 2) + '\n')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fsp.rename(temp, file)
  } catch (err) {
    await fsp.rm(temp, { force: true }).catch(() => undefined)
    throw ioError('writing the history index', file, err)
  }
  await syncDir(dir)
}

/** True for a name writeHistoryIndex may leave behind when killed. */
export function isPartialIndexName(name: string): boolean {
  return name.startsWith(`${INDEX_FILE}.new-`)
}
