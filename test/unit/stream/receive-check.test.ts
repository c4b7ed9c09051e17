// receive's content check (version-2 deltas), version-1 streams, full
// streams: TARGET must hold the base or the new data in every range before
// anything is written; anything else leaves TARGET byte-identical.
import { createHash } from 'crypto'
import { promises as fsp } from 'fs'
import path from 'path'
import { receiveStream } from '../../../src/stream/receive'
import { sendStream } from '../../../src/stream/send'
import { snapshotRunsSource } from '../../../src/backup/volume-source'
import { wholeDeviceRuns } from '../../../src/map/chunk-runs'
import { IncompleteStreamError, InvalidInputError } from '../../../src/errors'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { CHECK_ENTRY_BYTES, CheckTableChecksum } from '../../../src/stream/check-table'
import { decodeRecordHeader, RECORD_HEADER_BYTES, RecordKind } from '../../../src/stream/stream-format'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { MemorySource } from '../vfs/memory-source'
import { layoutOf, sampleGeneration, sentBytes, v1StreamBytes } from './stream-test-data'

afterAll(removeScratchRoot)

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function* inPieces(bytes: Buffer, pieceBytes = 65536): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += pieceBytes) yield bytes.subarray(at, at + pieceBytes)
}

async function targetFile(content: Buffer): Promise<string> {
  const file = path.join(scratchDir('receive-check'), 'backup.img')
  await fsp.writeFile(file, content)
  return file
}

test('a TARGET holding another snapshot in one run is refused (exit 3) before any write, naming the run and the base', async () => {
  const { source, base } = sampleGeneration()
  const stream = await sentBytes(source)
  // Another generation's write landed in the 1.5 MiB run (its second record) and nowhere else.
  const other = Buffer.from(base)
  pseudoRandomBytes(4096, 77).copy(other, 2 * 1024 * 1024)
  const target = await targetFile(other)
  const error = await receiveStream(inPieces(stream), 'gen.stream', target).catch((e) => e)
  expect(error).toBeInstanceOf(InvalidInputError)
  expect(error.message).toContain('gen.stream is a delta from vg-snap1 (uuid LVM-snap1) to vg-snap2 (uuid LVM-snap2), and needs vg-snap1 (uuid LVM-snap1) as its base')
  expect(error.message).toContain(`neither that base's bytes nor the stream's new bytes in the run at byte ${1024 * 1024} (the 524288 bytes at byte ${2 * 1024 * 1024})`)
  expect(error.message).toMatch(/nothing was written/)
  expect(sha256(await fsp.readFile(target))).toBe(sha256(other))
})

test('runs already new count as such: a TARGET with some runs new and the rest base is completed', async () => {
  const { source, base, expected } = sampleGeneration()
  const stream = await sentBytes(source)
  const mixed = Buffer.from(base)
  expected.copy(mixed, 0, 0, 4096)
  // Half of the 1.5 MiB run: a cut after its first record.
  expected.copy(mixed, 1024 * 1024, 1024 * 1024, 2 * 1024 * 1024)
  const target = await targetFile(mixed)
  const summary = await receiveStream(inPieces(stream), 'stream', target)
  expect(summary).toMatchObject({ contentChecked: true, runsAlreadyNew: 1 })
  expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
})

test('every flipped byte of the check table or its checksum is refused as a corrupted stream, with nothing written (even onto a wrong base)', async () => {
  const { source, base } = sampleGeneration()
  const stream = await sentBytes(source)
  const layout = layoutOf(source)
  const wrong = Buffer.from(base)
  wrong[0] ^= 1
  for (let at = layout.tableOffsetBytes; at < layout.recordsOffsetBytes; at += at < layout.tableChecksumOffsetBytes ? 7 : 1) {
    for (const content of at % 3 === 0 ? [base, wrong] : [base]) {
      const bad = Buffer.from(stream)
      bad[at] ^= 0x10
      const target = await targetFile(content)
      const error = await receiveStream(inPieces(bad), 'flipped', target).catch((e) => e)
      expect([at, error]).toEqual([at, expect.any(IncompleteStreamError)])
      expect(error.message).toMatch(/nothing was written/)
      expect(sha256(await fsp.readFile(target))).toBe(sha256(content))
    }
  }
})

test('a table entry moved, dropped or duplicated with its checksum recomputed still does not match the header: refused, nothing written', async () => {
  const { source, base } = sampleGeneration()
  const stream = await sentBytes(source)
  const layout = layoutOf(source)
  const entries = stream.subarray(layout.tableOffsetBytes, layout.tableChecksumOffsetBytes)
  const second = entries.subarray(CHECK_ENTRY_BYTES, 2 * CHECK_ENTRY_BYTES)
  // Entry 1 covers the second run (8 KiB); saying 12 KiB keeps the count of entries and the order.
  const longer = Buffer.from(entries)
  longer.writeBigUInt64LE(12288n, CHECK_ENTRY_BYTES + 8)
  const swapped = Buffer.concat([entries.subarray(0, CHECK_ENTRY_BYTES), entries.subarray(2 * CHECK_ENTRY_BYTES, 3 * CHECK_ENTRY_BYTES), second, entries.subarray(3 * CHECK_ENTRY_BYTES)])
  for (const table of [longer, swapped]) {
    const sum = new CheckTableChecksum(layout.header.identity)
    for (let i = 0; i < table.length; i += CHECK_ENTRY_BYTES) sum.add(table.subarray(i, i + CHECK_ENTRY_BYTES))
    const bad = Buffer.concat([stream.subarray(0, layout.tableOffsetBytes), table, sum.digest(), stream.subarray(layout.recordsOffsetBytes)])
    const target = await targetFile(base)
    const error = await receiveStream(inPieces(bad), 'crafted', target).catch((e) => e)
    expect(error).toBeInstanceOf(IncompleteStreamError)
    expect(error.message).toMatch(/check table entry 2 is out of place|does not match the header/)
    expect(sha256(await fsp.readFile(target))).toBe(sha256(base))
  }
})

test('a version-1 stream is still received, and says no content check was possible', async () => {
  const { source, base, expected } = sampleGeneration()
  const stream = await v1StreamBytes(source)
  expect(stream.readUInt32LE(16)).toBe(1)
  const target = await targetFile(base)
  const summary = await receiveStream(inPieces(stream), 'v1', target)
  expect(summary).toMatchObject({ streamVersion: 1, kind: 'delta', contentChecked: false, runsAlreadyNew: 0, from: { name: null, uuid: null } })
  expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
})

test('a delta sent without the old snapshot has no check table: received unchecked, and the summary says so', async () => {
  const { base, expected } = sampleGeneration()
  const { source } = sampleGeneration()
  const unchecked = { ...source, readOld: undefined }
  const stream = await sentBytes(unchecked)
  expect(stream.length).toBe(layoutOf(unchecked).sizeBytes)
  const target = await targetFile(base)
  expect(await receiveStream(inPieces(stream), 's', target)).toMatchObject({ streamVersion: 2, contentChecked: false })
  expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
})

test('a full stream onto a zeroed TARGET gives exactly the snapshot; all-zero pieces travel as zero records', async () => {
  const sizeBytes = 3 * 1024 * 1024 + 512
  const snapshot = pseudoRandomBytes(sizeBytes, 9)
  snapshot.fill(0, 1024 * 1024, 2 * 1024 * 1024)
  const memory = new MemorySource(snapshot)
  const source = snapshotRunsSource(memory, wholeDeviceRuns(4096, sizeBytes), { name: 'vg-snap3', uuid: null })
  const parts: Buffer[] = []
  const { header } = await sendStream(source, async (chunk) => void parts.push(Buffer.from(chunk)))
  const stream = Buffer.concat(parts)
  expect(header).toMatchObject({ kind: 'full', checkEntries: null, records: 4, from: { name: null, uuid: null }, to: { name: 'vg-snap3' } })
  expect(decodeRecordHeader(stream.subarray(1024 + RECORD_HEADER_BYTES + 1024 * 1024))).toMatchObject({ kind: RecordKind.zero, offsetBytes: 1024 * 1024 })
  expect(stream.length).toBe(1024 + 5 * RECORD_HEADER_BYTES + sizeBytes - 1024 * 1024)
  const target = await targetFile(Buffer.alloc(sizeBytes))
  const summary = await receiveStream(inPieces(stream), 'full', target)
  expect(summary).toMatchObject({ kind: 'full', contentChecked: false, bytesWritten: sizeBytes })
  expect(sha256(await fsp.readFile(target))).toBe(sha256(snapshot))
  // A full stream needs no base: onto any content of the right size it gives the snapshot too.
  const other = await targetFile(pseudoRandomBytes(sizeBytes, 10))
  await receiveStream(inPieces(stream), 'full', other)
  expect(sha256(await fsp.readFile(other))).toBe(sha256(snapshot))
})
