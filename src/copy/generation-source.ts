// Where apply, verify and send read a generation's changed bytes from: an
// opened Generation (COW + snapshot), a generation directory on a mount
// (chunks.map + delta.img), or a copy of one without delta.img (chunks.map +
// changed/). All three answer the same question: the new snapshot's bytes
// inside the runs.
import { promises as fsp } from 'fs'
import path from 'path'
import createDebug from 'debug'
import { BlockSource } from '../io/block-source'
import { FileSource } from '../io/file-source'
import { identityOfPath, NamedIdentity } from '../io/device-identity'
import { readTextFile } from '../io/read-text-file'
import { ChunkRuns, chunkRunsFromByteRanges } from '../map/chunk-runs'
import { Generation } from '../generation/generation'
import { GenerationIdentities, SnapshotIdentity, UNKNOWN_SNAPSHOT } from '../generation/generation-identity'
import { changedFileName, parseChangedFileName, parseChunksMap } from '../format/chunks-map-text'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'
import { confirmedMountedSnapshot, MAX_INFO_JSON_BYTES } from './mounted-snapshot'
import { lazyOldContent } from '../cow/old-content'
import { BaseSums, parseBaseSums } from '../format/base-sums-text'

const debug = createDebug('snapdelta:copy')

// A chunks.map of ten million runs is about 300 MB; past this a string cannot hold it anyway.
const MAX_CHUNKS_MAP_BYTES = 512 * 1024 * 1024

export interface GenerationSource {
  /** What to name in messages: a directory or "COW + snapshot". */
  readonly description: string
  readonly runs: ChunkRuns
  /** Fills `target` with the new snapshot's bytes at `offsetBytes`; the range must lie inside one run. */
  readChanged(target: Buffer, offsetBytes: number): Promise<void>
  /** The whole new snapshot when this source has it (full.img, or the snapshot itself). */
  readonly full: BlockSource | undefined
  /** Every file or device the generation is read from or names (snapshot, COW, images): never a TARGET. */
  readonly inputs: readonly NamedIdentity[]
  /** The snapshot the delta starts from and the one it leads to, as far as known. */
  readonly identities: GenerationIdentities
  /**
   * Fills `target` with the OLD snapshot's bytes at `offsetBytes` (inside one
   * run): what a backup holding the base has there. Present only where the
   * source can read them (it has the old snapshot's COW).
   */
  readonly readOld?: (target: Buffer, offsetBytes: number) => Promise<void>
  /**
   * The parsed base.sha256 of a generation directory that cannot read the old
   * snapshot (a copy): rejects when the file is missing or unusable.
   */
  readonly readBaseSums?: () => Promise<BaseSums>
  close(): Promise<void>
}

/**
 * A source over an opened Generation; closing it closes the old snapshot's
 * COW if readOld opened it, and leaves the Generation open.
 */
export function sourceFromGeneration(generation: Generation): GenerationSource {
  const { runs } = generation
  const old = lazyOldContent(generation.cowPath, {
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: runs.deviceSizeBytes,
    identity: generation.table.cowIdentity,
  })
  return {
    description: `${generation.cowPath} + ${generation.snapshotPath}`,
    runs,
    readChanged: (target, offsetBytes) => generation.snapshot.readInto(target, offsetBytes),
    full: generation.snapshot,
    inputs: generationInputs(generation),
    identities: generation.identities,
    readOld: old.readOld,
    close: old.close,
  }
}

/** The snapshot and the COW of `generation`, as far as their identities are known. */
export function generationInputs(generation: Generation): NamedIdentity[] {
  const inputs: NamedIdentity[] = []
  if (generation.snapshot.identity) inputs.push({ path: generation.snapshotPath, identity: generation.snapshot.identity })
  if (generation.table.cowIdentity) inputs.push({ path: generation.cowPath, identity: generation.table.cowIdentity })
  return inputs
}

/**
 * Opens a generation directory (mounted or copied): chunks.map, then the
 * snapshot itself when the directory is on a live snapdelta mount that
 * confirms it (mounted-snapshot.ts), else delta.img, else changed/.
 */
export async function openGenerationDir(dir: string): Promise<GenerationSource> {
  const mapPath = path.join(dir, 'chunks.map')
  let map
  try {
    map = await readTextFile(mapPath, MAX_CHUNKS_MAP_BYTES)
  } catch (err) {
    throw new InvalidInputError(`${dir} is not a generation directory: cannot read ${mapPath}: ${(err as Error).message}`, { cause: err })
  }
  const runs = runsFromChunksMap(map.text, mapPath)
  const { named, identities } = await readInfo(dir)
  // Checked first: with the snapshot at hand, full.img and delta.img are not needed.
  const mounted = await confirmedMountedSnapshot(dir, map.stats.dev, runs.deviceSizeBytes)
  // What a directory read through its own files checks TARGET with: its base.sha256.
  const readBaseSums = () => readBaseSumsFile(dir)
  if (mounted) {
    const { snapshot, cowPath } = mounted
    // The confirmed mount's COW: the old bytes themselves, not their checksums.
    const old = cowPath
      ? lazyOldContent(cowPath, { chunkSizeBytes: runs.chunkSizeBytes, deviceSizeBytes: runs.deviceSizeBytes, identity: mounted.cowIdentity })
      : undefined
    return {
      description: `${dir} (data read from ${snapshot.path})`,
      runs,
      readChanged: (target, offsetBytes) => snapshot.readInto(target, offsetBytes),
      full: snapshot,
      inputs: [{ path: snapshot.path, identity: snapshot.identity }, ...named],
      identities,
      ...(old ? { readOld: old.readOld } : { readBaseSums }),
      close: async () => {
        await Promise.all([snapshot.close(), old?.close()])
      },
    }
  }
  const full = await openIfPresent(path.join(dir, 'full.img'))
  if (full && full.sizeBytes !== runs.deviceSizeBytes) {
    await full.close()
    throw new InvalidInputError(`${full.path} is ${full.sizeBytes} bytes but ${mapPath} says the device is ${runs.deviceSizeBytes} bytes`)
  }
  const delta = await openIfPresent(path.join(dir, 'delta.img'))
  const images = [full, delta].flatMap((image) => (image ? [{ path: image.path, identity: image.identity }] : []))
  if (delta) {
    if (delta.sizeBytes !== runs.deviceSizeBytes) {
      await Promise.all([delta.close(), full?.close()])
      throw new InvalidInputError(`${delta.path} is ${delta.sizeBytes} bytes but ${mapPath} says the device is ${runs.deviceSizeBytes} bytes`)
    }
    return {
      description: dir,
      runs,
      readChanged: (target, offsetBytes) => delta.readInto(target, offsetBytes),
      full,
      inputs: [...images, ...named],
      identities,
      readBaseSums,
      close: async () => {
        await Promise.all([delta.close(), full?.close()])
      },
    }
  }
  const files = await changedFiles(dir, runs).catch(async (err) => {
    await full?.close()
    throw err
  })
  return {
    description: dir,
    runs,
    readChanged: (target, offsetBytes) => readFromChangedFile(files, runs, target, offsetBytes),
    full,
    inputs: [...images, ...named],
    identities,
    readBaseSums,
    close: async () => {
      await full?.close()
    },
  }
}

/** Reads and parses GEN/base.sha256; a copy without it is refused with the recipe that copies it along. */
async function readBaseSumsFile(dir: string): Promise<BaseSums> {
  const file = path.join(dir, 'base.sha256')
  let text: string
  try {
    text = (await readTextFile(file, MAX_CHUNKS_MAP_BYTES)).text
  } catch (err) {
    throw new InvalidInputError(
      `cannot read ${file}: ${(err as Error).message}. Without it (or the mounted generation, which reads the old snapshot's COW) ` +
        'apply cannot check that the target holds the base of this delta, and refuses to write. ' +
        'Copy base.sha256 along with the delta, e.g. rsync -a --delete GEN/changed GEN/chunks.map GEN/base.sha256 host:/srv/delta/',
      { cause: err },
    )
  }
  return parseBaseSums(text, file)
}

/**
 * What info.json says of the generation: the snapshot and COW it names, and
 * the identities of its two ends. The paths are only ever used to refuse a
 * TARGET, so an info.json copied or written by anyone is good enough for
 * that: it can make snapdelta refuse more, never write more. The identities
 * are checked against a history; the content check guards the rest.
 */
async function readInfo(dir: string): Promise<{ named: NamedIdentity[]; identities: GenerationIdentities }> {
  const unknown = { named: [], identities: { from: UNKNOWN_SNAPSHOT, to: UNKNOWN_SNAPSHOT } }
  let info: { snapshotPath?: unknown; cowPath?: unknown; from?: unknown; to?: unknown } | null
  try {
    info = JSON.parse((await readTextFile(path.join(dir, 'info.json'), MAX_INFO_JSON_BYTES)).text)
  } catch (err) {
    debug('%s: no usable info.json (%s)', dir, (err as Error).message)
    return unknown
  }
  if (typeof info !== 'object' || info === null) return unknown
  const named: NamedIdentity[] = []
  for (const candidate of [info.snapshotPath, info.cowPath]) {
    if (typeof candidate !== 'string') continue
    const identity = await identityOfPath(candidate)
    if (identity) named.push({ path: candidate, identity })
  }
  return { named, identities: { from: snapshotIdentityOf(info.from), to: snapshotIdentityOf(info.to) } }
}

// A {name, uuid} object of info.json; anything else is an unknown snapshot.
function snapshotIdentityOf(value: unknown): SnapshotIdentity {
  const v = value as { name?: unknown; uuid?: unknown } | null
  if (typeof v !== 'object' || v === null) return UNKNOWN_SNAPSHOT
  return { name: typeof v.name === 'string' ? v.name : null, uuid: typeof v.uuid === 'string' ? v.uuid : null }
}

/** Parses chunks.map text into runs; the device size comes from its device_size_bytes header. */
export function runsFromChunksMap(text: string, source: string): ChunkRuns {
  const parsed = parseChunksMap(text, source)
  const chunkSizeBytes = headerNumber(parsed.comments, 'chunk_size_bytes', source)
  const deviceSizeBytes = headerNumber(parsed.comments, 'device_size_bytes', source)
  const ranges: Array<[number, number]> = []
  parsed.offsets.forEach((offset, i) => {
    const length = parsed.lengths[i]
    const end = offset + length
    // Runs are whole chunks, except a last one cut by the device's end.
    if (offset % chunkSizeBytes !== 0 || (length % chunkSizeBytes !== 0 && end !== deviceSizeBytes) || end > deviceSizeBytes) {
      throw new InvalidInputError(
        `${source}: run "${offset} ${length}" is not made of whole ${chunkSizeBytes}-byte chunks inside the ${deviceSizeBytes}-byte device`,
      )
    }
    ranges.push([offset, length])
  })
  return chunkRunsFromByteRanges(chunkSizeBytes, deviceSizeBytes, ranges)
}

function headerNumber(comments: Map<string, string>, key: string, source: string): number {
  const value = comments.get(key)
  if (value === undefined || !/^\d+$/.test(value) || Number(value) === 0) {
    throw new InvalidInputError(`${source}: expected a "# ${key} N" header line with a positive number, got ${value === undefined ? 'none' : `"${value}"`}`)
  }
  return Number(value)
}

async function openIfPresent(file: string): Promise<FileSource | undefined> {
  try {
    await fsp.access(file)
  } catch {
    return undefined
  }
  return FileSource.open(file)
}

/** Maps each run to its file in changed/ and checks that every file is there with the run's size. */
async function changedFiles(dir: string, runs: ChunkRuns): Promise<Map<number, string>> {
  const changedDir = path.join(dir, 'changed')
  let names: string[]
  try {
    names = await fsp.readdir(changedDir)
  } catch (err) {
    if (runs.count === 0) return new Map()
    throw new InvalidInputError(`${dir} has neither delta.img nor a readable changed/ folder: ${(err as Error).message}`, { cause: err })
  }
  const byOffset = new Map<number, string>()
  for (const name of names) {
    const offset = parseChangedFileName(name)
    if (offset >= 0) byOffset.set(offset, path.join(changedDir, name))
  }
  for (let i = 0; i < runs.count; i++) {
    const file = byOffset.get(runs.offsetBytes(i))
    const expected = `${changedDir}/${changedFileName(runs.offsetBytes(i))}`
    if (!file) throw new InvalidInputError(`${expected} is missing: the copy of the generation is incomplete (chunks.map lists it)`)
    const stats = await fsp.stat(file)
    if (stats.size !== runs.lengthBytes(i)) {
      throw new InvalidInputError(`${file} is ${stats.size} bytes, but chunks.map says ${runs.lengthBytes(i)}: the copy is incomplete or stale`)
    }
  }
  return byOffset
}

async function readFromChangedFile(files: Map<number, string>, runs: ChunkRuns, target: Buffer, offsetBytes: number): Promise<void> {
  const run = runs.findRun(offsetBytes)
  if (run < 0 || offsetBytes + target.length > runs.endBytes(run)) {
    throw new DeviceIoError(`read of ${target.length} bytes at ${offsetBytes} is not inside one run of chunks.map`)
  }
  const file = files.get(runs.offsetBytes(run)) as string
  // One open per read: pieces are megabytes, and concurrent readers never share a handle's lifetime.
  const source = await FileSource.open(file).catch((err) => {
    throw ioError('opening', file, err)
  })
  try {
    await source.readInto(target, offsetBytes - runs.offsetBytes(run))
  } finally {
    await source.close()
  }
}
