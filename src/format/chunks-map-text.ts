// chunks.map: the text contract users' scripts rely on. Lines starting with '#'
// are comments; every other line starts with "OFFSET LENGTH" in bytes, decimal,
// ascending, merged, non-overlapping; more fields may follow in later versions.
import { InvalidInputError } from '../errors'
import { decimalDigits, writeDecimal } from './decimal-ascii'
import { ZERO_RUN_KIND } from '../map/run-kinds'

export const CHUNKS_MAP_VERSION = 1

export interface ChunksMapHeader {
  chunkSizeBytes: number
  /** null when unknown (a map printed without the snapshot): the line is left out, never a non-number. */
  deviceSizeBytes: number | null
  changedChunks: number
  runs: number
  changedBytes: number
  cowPath: string
  /** null when no snapshot was given: the line is left out. */
  snapshotPath: string | null
  /** The kinds a third field names (thin), or null when lines have two fields (a COW says no kind). */
  kindNames: readonly string[] | null
}

/** The comment block at the top of chunks.map. Keys are stable: parseChunksMap reads them back. */
export function formatChunksMapHeader(h: ChunksMapHeader): string {
  return (
    `# snapdelta chunks.map version ${CHUNKS_MAP_VERSION}\n` +
    '# each line: OFFSET LENGTH (bytes, decimal); copy these ranges from the new snapshot onto the backup\n' +
    `# chunk_size_bytes ${h.chunkSizeBytes}\n` +
    (h.deviceSizeBytes === null ? '' : `# device_size_bytes ${h.deviceSizeBytes}\n`) +
    `# changed_chunks ${h.changedChunks}\n` +
    `# runs ${h.runs}\n` +
    `# changed_bytes ${h.changedBytes}\n` +
    `# cow ${h.cowPath}\n` +
    (h.snapshotPath === null ? '' : `# snapshot ${h.snapshotPath}\n`) +
    (h.kindNames === null ? '' : `# kinds ${h.kindNames.join(' ')} (third field; ${ZERO_RUN_KIND}: reads as zeros in the new snapshot, copy it too)\n`)
  )
}

/** One run's line; `kind` is the third field, where the change source gives one. */
export function formatChunksMapLine(offsetBytes: number, lengthBytes: number, kind?: string): string {
  return kind === undefined ? `${offsetBytes} ${lengthBytes}\n` : `${offsetBytes} ${lengthBytes} ${kind}\n`
}

/** The most bytes one line takes: two 16-digit numbers, a space and a newline, and a kind of at most 32 bytes after a space. */
export const CHUNKS_MAP_LINE_MAX_BYTES = 34 + 33

/** Writes one run's line at `buf[pos]` (CHUNKS_MAP_LINE_MAX_BYTES of room); returns the position after it. */
export function writeChunksMapLine(buf: Uint8Array, pos: number, offsetBytes: number, lengthBytes: number, kind?: Uint8Array): number {
  pos = writeDecimal(buf, pos, offsetBytes)
  buf[pos++] = SPACE
  pos = writeDecimal(buf, pos, lengthBytes)
  if (kind !== undefined) {
    buf[pos++] = SPACE
    buf.set(kind, pos)
    pos += kind.length
  }
  buf[pos++] = NEWLINE
  return pos
}

/** The field separator and line end of a chunks.map line, as bytes. */
export const SPACE = 0x20
export const NEWLINE = 0x0a

/** Length in bytes of formatChunksMapLine's result, without building the string. */
export function chunksMapLineBytes(offsetBytes: number, lengthBytes: number, kind?: string): number {
  return decimalDigits(offsetBytes) + decimalDigits(lengthBytes) + 2 + (kind === undefined ? 0 : kind.length + 1)
}

export interface ParsedChunksMap {
  /** Values of '# key value' comments (header fields). */
  comments: Map<string, string>
  offsets: number[]
  lengths: number[]
  /** The third field of each line, or null when no line has one. */
  kinds: string[] | null
}

/** Parses chunks.map text; `source` names it in errors. Checks order and overlap. */
export function parseChunksMap(text: string, source: string): ParsedChunksMap {
  const comments = new Map<string, string>()
  const offsets: number[] = []
  const lengths: number[] = []
  const kinds: string[] = []
  let previousEnd = 0
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    if (line === '') return
    if (line.startsWith('#')) {
      const m = /^#\s*(\w+)\s+(.*)$/.exec(line)
      if (m) comments.set(m[1], m[2])
      return
    }
    const fields = line.split(/\s+/)
    const offset = Number(fields[0])
    const length = Number(fields[1])
    if (!/^\d+$/.test(fields[0] ?? '') || !/^\d+$/.test(fields[1] ?? '') || length === 0) {
      throw new InvalidInputError(`${source}: line ${i + 1}: expected "OFFSET LENGTH" in decimal bytes, got "${line}"`)
    }
    if (offset < previousEnd) {
      throw new InvalidInputError(`${source}: line ${i + 1}: run at ${offset} overlaps or precedes the run ending at ${previousEnd}; runs must be ascending`)
    }
    if (fields[2] !== undefined && !/^[a-z_]{1,32}$/.test(fields[2])) {
      throw new InvalidInputError(`${source}: line ${i + 1}: expected the kind of change (lowercase letters and _, at most 32) as the third field, got "${fields[2]}"`)
    }
    previousEnd = offset + length
    offsets.push(offset)
    lengths.push(length)
    kinds.push(fields[2] ?? '')
  })
  const withKind = kinds.filter((k) => k !== '').length
  if (withKind !== 0 && withKind !== kinds.length) {
    throw new InvalidInputError(`${source}: ${withKind} of ${kinds.length} lines have a third field (the kind of change): expected all or none`)
  }
  return { comments, offsets, lengths, kinds: withKind === 0 ? null : kinds }
}

/** Name of a changed/ file: the run's offset as 16 lowercase hex digits. */
export function changedFileName(offsetBytes: number): string {
  return offsetBytes.toString(16).padStart(16, '0')
}

/** Offset encoded in a changed/ file name (a '-' suffix is allowed), or -1. */
export function parseChangedFileName(name: string): number {
  const m = /^([0-9a-f]{16})(-.*)?$/.exec(name)
  return m ? parseInt(m[1], 16) : -1
}
