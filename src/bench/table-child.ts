// Child process of the table-reading benchmark (run with --expose-gc): reads
// one COW's table and builds its runs, then prints time and memory as JSON.
// A fresh process, so the memory figures are this work's alone.
import { readFileSync } from 'fs'
import { readExceptionTableFromPath, runsForSnapshot } from '../cow/exception-table'
import { ChunkRuns } from '../map/chunk-runs'

export interface TableChildResult {
  seconds: number
  readSeconds: number
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
  let table: Awaited<ReturnType<typeof readExceptionTableFromPath>> | undefined = await readExceptionTableFromPath(cowPath)
  const read = process.hrtime.bigint()
  const runs: ChunkRuns = runsForSnapshot(table, 'snapshot', snapshotSizeBytes)
  const end = process.hrtime.bigint()
  const { exceptions, areasRead } = table
  table = undefined
  await collectGarbage()
  const retainedBytes = process.memoryUsage.rss() - idleBytes
  return {
    seconds: Number(end - start) / 1e9,
    readSeconds: Number(read - start) / 1e9,
    exceptions,
    areasRead,
    runs: runs.count,
    changedChunks: runs.changedChunks,
    retainedBytes,
    peakBytes: peakResidentBytes() - idleBytes,
  }
}

run(process.argv[2], Number(process.argv[3])).then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n'),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`)
    process.exit(1)
  },
)
