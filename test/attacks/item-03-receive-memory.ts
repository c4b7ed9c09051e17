// Item 3: a stream header may claim records of up to 4 GiB; a 768 MiB record
// then made `receive` grow to 1.6 GB before it refused. Records are capped at
// 16 MiB whatever the header says, so receive of any input stays under a
// fixed memory ceiling. The streams are made with the pure encoders (valid
// header checksums: what refuses them is the cap) and fed lazily through a
// pipe, so this test never holds them either.
import { spawn } from 'child_process'
import { createHash } from 'crypto'
import { createReadStream, promises as fsp } from 'fs'
import path from 'path'
import { Writable } from 'stream'
import { Attack } from './attack'
import {
  encodeRecordHeader,
  encodeRecordStart,
  encodeStreamHeader,
  EndChecksum,
  endRecordStart,
  IdentityHasher,
  recordChecksum,
  RecordKind,
  StreamHeader,
} from '../../src/stream/stream-format'
import { CLI } from '../helpers/cli'
import { UNKNOWN_SNAPSHOT } from '../../src/generation/generation-identity'
import { scratchDir } from '../helpers/tmp'

const MiB = 1024 * 1024
/** The ceiling on receive's peak resident memory, whatever it is fed. */
const RSS_CEILING_BYTES = 200 * 1000 * 1000
const ZEROS = Buffer.alloc(MiB)

interface Received {
  exitCode: number
  stderr: string
  peakRssBytes: number
}

// `snapdelta receive TARGET` under /usr/bin/time (its peak RSS), fed `parts` until it stops reading.
async function receiveMeasured(target: string, parts: Iterable<Buffer>): Promise<Received> {
  const rssFile = `${target}.rss`
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, CLI, 'receive', '--quiet', target], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
  await feed(child.stdin, parts)
  const exitCode = await exited
  const peakRssBytes = Number((await fsp.readFile(rssFile, 'utf8')).trim().split('\n').pop()) * 1024
  return { exitCode, stderr, peakRssBytes }
}

// Writes one part at a time, each once the pipe took the previous; stops when the reader has gone.
async function feed(stdin: Writable, parts: Iterable<Buffer>): Promise<void> {
  stdin.on('error', () => {})
  try {
    for (const part of parts) await new Promise<void>((resolve, reject) => stdin.write(part, (err) => (err ? reject(err) : resolve())))
    stdin.end()
  } catch {
    stdin.destroy()
  }
}

// The header of a stream writing one run [0, changedBytes) of a device of that size.
function oneRunHeader(changedBytes: number, records: number, maxRecordDataBytes: number): StreamHeader {
  const identity = new IdentityHasher(4096, changedBytes)
  identity.addRun(0, changedBytes)
  return {
    version: 1,
    kind: 'delta',
    chunkSizeBytes: 4096,
    deviceSizeBytes: changedBytes,
    runs: 1,
    records,
    changedBytes,
    maxRecordDataBytes,
    checkEntries: null,
    from: UNKNOWN_SNAPSHOT,
    to: UNKNOWN_SNAPSHOT,
    identity: identity.digest(),
  }
}

async function sparseTarget(label: string, sizeBytes: number): Promise<string> {
  const target = path.join(scratchDir(label), 'backup.img')
  const file = await fsp.open(target, 'w')
  await file.truncate(sizeBytes)
  await file.close()
  return target
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

function* repeated(part: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i++) yield part
}

export const attacks: Attack[] = [
  {
    item: 3,
    title: 'a header allowing 4 GiB records, then a 768 MiB record: refused at the header (exit 3), TARGET unchanged, RSS under 200 MB',
    run: async () => {
      const recordBytes = 768 * MiB
      const target = await sparseTarget('receive-memory-4g', recordBytes)
      const before = await sha256Of(target)
      // 4 GiB - 1: the largest the 32-bit field holds.
      const header = oneRunHeader(recordBytes, 1, 2 ** 32 - 1)
      const start = encodeRecordStart(RecordKind.data, 0, 0, recordBytes)
      // The record's checksum is never reached: a wrong one keeps this test from hashing 768 MiB.
      const stream = [encodeStreamHeader(header), encodeRecordHeader(start, Buffer.alloc(32)), ...repeated(ZEROS, recordBytes / MiB)]
      const result = await receiveMeasured(target, stream)
      expect(result.stderr).toMatch(/allows records of up to 4294967295 bytes; this snapdelta accepts records of at most 16777216 bytes/)
      expect(result.exitCode).toBe(3)
      expect(result.peakRssBytes).toBeLessThan(RSS_CEILING_BYTES)
      expect(await sha256Of(target)).toBe(before)
    },
  },
  {
    item: 3,
    title: 'the largest records accepted (16 MiB each) are received whole under the same ceiling',
    run: async () => {
      const recordBytes = 16 * MiB
      const records = 4
      const data = Buffer.alloc(recordBytes, 0x5a)
      const target = await sparseTarget('receive-memory-16m', records * recordBytes)
      const header = oneRunHeader(records * recordBytes, records, recordBytes)
      const end = new EndChecksum(header)
      const stream: Buffer[] = [encodeStreamHeader(header)]
      for (let i = 0; i < records; i++) {
        const start = encodeRecordStart(RecordKind.data, i, i * recordBytes, recordBytes)
        const checksum = recordChecksum(header.identity, start, data)
        end.add(checksum)
        stream.push(encodeRecordHeader(start, checksum), data)
      }
      stream.push(encodeRecordHeader(endRecordStart(header), end.digest()))
      const result = await receiveMeasured(target, stream)
      expect(result.stderr).toBe('')
      expect(result.exitCode).toBe(0)
      expect(result.peakRssBytes).toBeLessThan(RSS_CEILING_BYTES)
      const expected = createHash('sha256')
      for (let i = 0; i < records; i++) expected.update(data)
      expect(await sha256Of(target)).toBe(expected.digest('hex'))
    },
  },
]
