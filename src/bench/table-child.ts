// Child process of the table-reading benchmark (run with --expose-gc and the
// CLI's UV_THREADPOOL_SIZE): `table COW SNAPSHOT_BYTES` reads one COW's table
// and builds its runs, then prints time and memory as JSON; `areas-only COW
// AREAS` times the bare reads of its metadata areas. A fresh process, so the
// memory figures are this work's alone.
import { readFileSync } from 'fs'
import { readExceptionTableFromPath, runsForSnapshot } from '../cow/exception-table'
import { ChunkRuns } from '../map/chunk-runs'
import { DirectReader } from '../io/direct-reader'
import { areaChunk } from '../format/cow-layout'
import { parseCowHeader } from '../format/cow-header'

// The table reader's reads in flight (src/cow/exception-table.ts): the baseline reads the same way.
const AREAS_IN_FLIGHT = 64

export interface TableChildResult {
  seconds: number
  readSeconds: number
  /** CPU time (user + system) of the work: unlike the wall time, it holds on a busy machine. */
  cpuSeconds: number
  exceptions: number
  areasRead: number
  runs: number
  changedChunks: number
  /** Resident memory still held with the runs kept, beyond the idle process. */
  retainedBytes: number
  /** Peak resident memory beyond the idle process (VmHWM). */
  peakBytes: number
}

// V8 frees the memory of dead typed arrays on a background task after a GC,
// so collect and wait until that memory stops shrinking before reading RSS.
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with node --expose-gc')
  let previous = Infinity
  for (let i = 0; i < 20; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const held = process.memoryUsage().arrayBuffers
    if (held >= previous) return
    previous = held
  }
}

// VmHWM, the peak resident size, is only in /proc: process.memoryUsage has no peak.
function peakResidentBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

async function run(cowPath: string, snapshotSizeBytes: number): Promise<TableChildResult> {
  await collectGarbage()
  const idleBytes = process.memoryUsage.rss()
  const start = process.hrtime.bigint()
  const cpuBefore = process.cpuUsage()
  let table: Awaited<ReturnType<typeof readExceptionTableFromPath>> | undefined = await readExceptionTableFromPath(cowPath)
  const read = process.hrtime.bigint()
  const runs: ChunkRuns = runsForSnapshot(table, 'snapshot', snapshotSizeBytes)
  const end = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpuBefore)
  const { exceptions, areasRead } = table
  table = undefined
  await collectGarbage()
  const retainedBytes = process.memoryUsage.rss() - idleBytes
  return {
    seconds: Number(end - start) / 1e9,
    readSeconds: Number(read - start) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    exceptions,
    areasRead,
    runs: runs.count,
    changedChunks: runs.changedChunks,
    retainedBytes,
    peakBytes: peakResidentBytes() - idleBytes,
  }
}

/** The baseline: every metadata area read with O_DIRECT, as many in flight as the reader keeps, nothing decoded. */
async function readAreasOnly(cowPath: string, areas: number, inFlight: number): Promise<number> {
  const device = await DirectReader.open(cowPath)
  try {
    const first = await device.allocAligned(4096)
    await device.readInto(first, 0)
    const { chunkSizeBytes, exceptionsPerArea } = parseCowHeader(first)
    let next = 0
    const start = process.hrtime.bigint()
    const worker = async () => {
      const buffer = await device.allocAligned(chunkSizeBytes)
      for (let a = next++; a < areas; a = next++) await device.readInto(buffer, areaChunk(a, exceptionsPerArea) * chunkSizeBytes)
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    return Number(process.hrtime.bigint() - start) / 1e9
  } finally {
    await device.close()
  }
}

const [mode, cowPath, size] = process.argv.slice(2)
const work =
  mode === 'areas-only'
    ? readAreasOnly(cowPath, Number(size), AREAS_IN_FLIGHT).then((seconds) => ({ seconds }))
    : run(cowPath, Number(size))
work.then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n'),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`)
    process.exit(1)
  },
)
