// A generation directory as a GenerationSource (src/generation/generation-source.ts):
// one on a live mount (the snapshot itself, confirmed by the mount), one on a
// mount or a copy with delta.img (chunks.map + delta.img), or a copy without
// it (chunks.map + changed/).
import { promises as fsp } from 'fs'
import path from 'path'
import createDebug from 'debug'
import { FileSource } from '../io/file-source'
import { identityOfPath, NamedIdentity } from '../io/device-identity'
import { readTextFile } from '../io/read-text-file'
import { ChunkRuns, chunkRunsFromByteRanges } from '../map/chunk-runs'
import { RunKinds, runKindsFromNames } from '../map/run-kinds'
import { GenerationSource } from '../generation/generation-source'
import { GenerationIdentities, UNKNOWN_SNAPSHOT } from '../generation/generation-identity'
import { InfoReadBack, readGenerationInfo } from '../generation/read-generation-info'
import { changedFileName, parseChangedFileName, parseChunksMap } from '../format/chunks-map-text'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'
import { confirmedMountedSnapshot } from './mounted-snapshot'
import { lazyOldContent } from '../cow/old-content'
import { BaseSums, parseBaseSums } from '../format/base-sums-text'

const debug = createDebug('snapdelta:copy')

// A chunks.map of ten million runs is about 300 MB; past this a string cannot hold it anyway.
const MAX_CHUNKS_MAP_BYTES = 512 * 1024 * 1024

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
  const { runs, kinds } = runsFromChunksMap(map.text, mapPath)
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
      kinds,
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
      kinds,
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
    kinds,
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
  let info: InfoReadBack
  try {
    info = (await readGenerationInfo(dir)).info
  } catch (err) {
    debug('%s: no usable info.json (%s)', dir, (err as Error).message)
    return { named: [], identities: { from: UNKNOWN_SNAPSHOT, to: UNKNOWN_SNAPSHOT } }
  }
  const named: NamedIdentity[] = []
  // Everything the generation was read from: a thin one's metadata and older snapshot too.
  for (const candidate of [info.snapshotPath, info.cowPath, info.metadataPath, info.olderSnapshotPath]) {
    if (candidate === undefined) continue
    const identity = await identityOfPath(candidate)
    if (identity) named.push({ path: candidate, identity })
  }
  return { named, identities: { from: info.from, to: info.to } }
}

/** Parses chunks.map text into runs and their kinds; the device size comes from its device_size_bytes header. */
export function runsFromChunksMap(text: string, source: string): { runs: ChunkRuns; kinds: RunKinds | null } {
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
  return { runs: chunkRunsFromByteRanges(chunkSizeBytes, deviceSizeBytes, ranges), kinds: runKindsFromNames(parsed.kinds) }
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
