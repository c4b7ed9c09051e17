// A fresh backup for every timed copy: the same size as the snapshot, holes
// except in the runs, where it holds the old snapshot's bytes (old-bytes.ts),
// as a real backup of the base does. apply's content check reads them, from
// the disk: the page cache is dropped after they are written.
import { BenchContext } from './context'
import { firstDifferingRun } from './copy-floor'
import { RunsGeneration } from './generation-inputs'
import { writeSparseFile } from './inputs'
import { SNAPDELTA } from './mounts'
import { writeOldBytesInRuns } from './old-bytes'
import { runOk } from './shell'

/**
 * Drops the page cache, then reads the programs back in (node, snapdelta's
 * modules, dd): a real backup starts with cold data, not with a cold node
 * installation, which would otherwise cost apply some 0.3 s the floor never pays.
 */
export async function coldDataWarmPrograms(context: BenchContext): Promise<void> {
  await context.coldCache()
  await runOk(process.execPath, [SNAPDELTA, '--version'])
  await runOk('dd', ['--version'])
}

/** Makes `backup` a backup of the generation's base: holes, and the old bytes in every run; flushed. */
export async function writeBaseBackup(gen: RunsGeneration, backup: string): Promise<void> {
  await writeSparseFile(backup, gen.sizeBytes)
  await writeOldBytesInRuns(backup, gen.runs)
}

/** Writes a fresh base backup, drops the cache, times `copy`, then checks every run arrived. */
export async function timeOntoFreshBackup(context: BenchContext, gen: RunsGeneration, backup: string, copy: () => Promise<number>): Promise<number> {
  await writeBaseBackup(gen, backup)
  await coldDataWarmPrograms(context)
  const seconds = await copy()
  const wrong = await firstDifferingRun(gen.snapshotPath, backup, gen.runs)
  if (wrong) throw new Error(`the backup differs from the snapshot in the run at byte ${wrong.offsetBytes}`)
  return seconds
}
