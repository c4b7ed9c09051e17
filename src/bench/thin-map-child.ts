// Child process of the thin-map item: `META LEFT RIGHT SNAPSHOT_BYTES` runs
// thin_delta through runThinDelta and builds the runs with thinDeltaRuns, as
// `snapdelta map` does, then prints time and memory as JSON. A fresh process,
// so its peak memory is this work's, and its CPU time (Node's own: the
// thin_delta child is not counted) is snapdelta's share alone.
import { runThinDelta } from '../thin/thin-delta-tool'
import { thinDeltaRuns } from '../thin/thin-delta-runs'
import { toThinId } from '../thin/thin-id'

export interface ThinMapChildResult {
  /** From starting thin_delta to the runs built. */
  seconds: number
  /** CPU time of this process alone (user + system) over the same span. */
  cpuSeconds: number
  /** Ranges thin_delta listed (same dropped), runs after merging, bytes they cover. */
  ranges: number
  runs: number
  changedBytes: number
  /** Resident size before the work, and the process's peak (ru_maxrss). */
  idleResidentBytes: number
  peakResidentBytes: number
}

async function run(metadataPath: string, left: string, right: string, snapshotBytes: number): Promise<ThinMapChildResult> {
  const idleResidentBytes = process.memoryUsage.rss()
  const start = process.hrtime.bigint()
  const cpuBefore = process.cpuUsage()
  const delta = await runThinDelta({ metadataPath, left: toThinId(left, 'left'), right: toThinId(right, 'right'), metadataSnapshot: false })
  const { runs } = thinDeltaRuns(delta, snapshotBytes)
  const cpu = process.cpuUsage(cpuBefore)
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ranges: delta.count,
    runs: runs.count,
    changedBytes: runs.changedBytes,
    idleResidentBytes,
    peakResidentBytes: process.resourceUsage().maxRSS * 1024,
  }
}

const [metadataPath, left, right, snapshotBytes] = process.argv.slice(2)
run(metadataPath, left, right, Number(snapshotBytes)).then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n'),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`)
    process.exit(1)
  },
)
