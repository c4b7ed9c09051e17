// Item 4: the incremental copy of a large snapshot with 1% changed in
// scattered runs, onto a backup file, with a cold page cache: snapdelta apply
// from the mount, the documented dd-per-line recipe, a full dd copy, and the
// physical floor (pread/pwrite of exactly the runs, then fsync).
import path from 'path'
import { BenchContext, BenchItem } from '../context'
import { copyRunsFloor, firstDifferingRun } from '../copy-floor'
import { copyGeneration, randomGeneration, RunsGeneration } from '../generation-inputs'
import { writeSparseFile } from '../inputs'
import { mountSnapdelta, SNAPDELTA, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { bash, runOk, secondsSince } from '../shell'

export const incrementalCopy: BenchItem = {
  name: 'copy',
  title: 'Incremental copy',
  needs: ['mount', 'apply'],
  async run(context: BenchContext): Promise<Figure[]> {
    const gen = await copyGeneration(context)
    const backup = context.workspace.file('copy-backup.img')
    const mnt = context.workspace.file('mnt-copy')
    const genDir = path.join(mnt, 'gen')

    const floor = await timeOntoFreshBackup(context, gen, backup, () => copyRunsFloor(gen.snapshotPath, backup, gen.runs))
    const mounted = await mountSnapdelta(mnt, [{ cow: gen.cowPath, snapshot: gen.snapshotPath, name: 'gen' }])
    let applyInProcess = 0
    const apply = await timeOntoFreshBackup(context, gen, backup, async () => {
      const ran = await runOk(process.execPath, [SNAPDELTA, 'apply', '--json', genDir, backup])
      applyInProcess = (JSON.parse(ran.stdout) as { seconds: number }).seconds
      return ran.seconds
    })
    // The floor's loop again, reading delta.img through the mount: what FUSE alone adds.
    const floorThroughMount = await timeOntoFreshBackup(context, gen, backup, () => copyRunsFloor(path.join(genDir, 'delta.img'), backup, gen.runs))
    const startup = (await runOk(process.execPath, [SNAPDELTA, '--version'])).seconds
    context.note(
      `apply took ${apply.toFixed(2)} s as a command, ${applyInProcess.toFixed(2)} s by its own clock (--json); ` +
        `starting snapdelta (--version, programs cached) takes ${startup.toFixed(2)} s; the mount took ${mounted.mountSeconds.toFixed(2)} s, not counted`,
    )
    const recipe = await timeDdRecipe(context, gen, genDir, backup)
    await unmount(mnt)
    const full = await timeFullCopy(context, gen.sizeBytes)

    return [
      figure('snapdelta apply from the mount', apply, 's', {
        baseline: { name: 'floor: pread/pwrite of the runs + fsync', value: floor },
        target: '<= 1.5x floor',
        meets: (_v, ratio) => ratio !== undefined && ratio <= 1.5,
      }),
      figure('apply, its own clock (no process start)', applyInProcess, 's', { baseline: { name: 'floor', value: floor } }),
      figure('the floor loop reading delta.img through the mount', floorThroughMount, 's', { baseline: { name: 'floor', value: floor } }),
      figure('dd per chunks.map line from delta.img', recipe, 's', { baseline: { name: 'floor', value: floor } }),
      figure('speed-up of apply over a full dd copy', full / apply, 'x'),
      figure('speed-up of the floor over a full dd copy', full / floor, 'x'),
      figure('full dd bs=4M copy of the snapshot', full, 's', { baseline: { name: 'floor', value: floor } }),
    ]
  },
}

/**
 * Drops the page cache, then reads the programs back in (node, snapdelta's
 * modules, dd): a real backup starts with cold data, not with a cold node
 * installation, which would otherwise cost apply some 0.3 s the floor never pays.
 */
async function coldDataWarmPrograms(context: BenchContext): Promise<void> {
  await context.coldCache()
  await runOk(process.execPath, [SNAPDELTA, '--version'])
  await runOk('dd', ['--version'])
}

/** Creates an empty (sparse) backup, drops the cache, times `copy`, then checks every run arrived. */
async function timeOntoFreshBackup(context: BenchContext, gen: RunsGeneration, backup: string, copy: () => Promise<number>): Promise<number> {
  await writeSparseFile(backup, gen.sizeBytes)
  await coldDataWarmPrograms(context)
  const seconds = await copy()
  const wrong = await firstDifferingRun(gen.snapshotPath, backup, gen.runs)
  if (wrong) throw new Error(`the backup differs from the snapshot in the run at byte ${wrong.offsetBytes}`)
  return seconds
}

/** The README's recipe: one dd per chunks.map line, reading delta.img; scaled when there are too many runs. */
async function timeDdRecipe(context: BenchContext, gen: RunsGeneration, genDir: string, backup: string): Promise<number> {
  const max = context.sizes.ddRecipeMaxRuns
  const lines = Math.min(max, gen.runs.length)
  const script =
    `grep -v '^#' ${genDir}/chunks.map | head -n ${lines} | while read -r off len rest; do ` +
    `dd if=${genDir}/delta.img of=${backup} bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc ` +
    'skip="$off" seek="$off" count="$len" status=none || exit 1; done && ' +
    `sync ${backup}`
  await writeSparseFile(backup, gen.sizeBytes)
  await coldDataWarmPrograms(context)
  const start = process.hrtime.bigint()
  await bash(script)
  const seconds = secondsSince(start)
  const wrong = await firstDifferingRun(gen.snapshotPath, backup, gen.runs.slice(0, lines))
  if (wrong) throw new Error(`the dd recipe left the run at byte ${wrong.offsetBytes} different from the snapshot`)
  if (lines === gen.runs.length) return seconds
  context.note(`dd recipe timed on the first ${lines} of ${gen.runs.length} runs and scaled linearly`)
  return (seconds * gen.runs.length) / lines
}

/** A full dd copy of real (random) data, timed on a sample and scaled linearly to `sizeBytes`. */
async function timeFullCopy(context: BenchContext, sizeBytes: number): Promise<number> {
  const sample = await randomGeneration(context)
  const sampleBytes = Math.min(sample.sizeBytes, context.sizes.fullCopySampleBytes, sizeBytes)
  const target = context.workspace.file('full-copy.img')
  await context.coldCache()
  const start = process.hrtime.bigint()
  await runOk('dd', [`if=${sample.snapshotPath}`, `of=${target}`, 'bs=4M', `count=${sampleBytes / (4 << 20)}`, 'conv=fsync', 'status=none'])
  const seconds = secondsSince(start)
  await runOk('rm', ['-f', target])
  if (sampleBytes === sizeBytes) return seconds
  context.note(
    `full copy timed on ${sampleBytes} bytes of random data (${seconds.toFixed(2)} s) and scaled linearly to ${sizeBytes} bytes: ` +
      'a full copy of the mostly-sparse benchmark snapshot would read holes, not data',
  )
  return (seconds * sizeBytes) / sampleBytes
}
