// Item 4: the incremental copy of a large snapshot with 1% changed in
// scattered runs, onto a backup file that holds the base (the old bytes in
// the runs, as the COW does), with a cold page cache: snapdelta apply from the
// mount (which checks TARGET against the COW before its first write), apply
// --history (which also journals the old bytes), the documented dd-per-line
// recipe, a full dd copy, and the physical floor (pread/pwrite of exactly the
// runs, then fsync).
import { promises as fsp } from 'fs'
import path from 'path'
import { BenchContext, BenchItem } from '../context'
import { copyRunsFloor, firstDifferingRun, journalRunsFloor } from '../copy-floor'
import { coldDataWarmPrograms, timeOntoFreshBackup, writeBaseBackup } from '../fresh-backup'
import { copyGeneration, randomGeneration, RunsGeneration } from '../generation-inputs'
import { IoCounters, runSnapdeltaCounted } from '../io-counters'
import { mountPassthrough, mountSnapdelta, SNAPDELTA, unmount } from '../mounts'
import { cPassthroughBinary } from '../c-passthrough'
import { figure, Figure } from '../report'
import { bash, runOk, secondsSince } from '../shell'

// Floor, apply and apply --history are timed in this many interleaved rounds, best of each kept.
const ROUNDS = 3

interface ApplyRun {
  seconds: number
  inProcess: number
  io: IoCounters
}

export const incrementalCopy: BenchItem = {
  name: 'copy',
  title: 'Incremental copy',
  needs: ['mount', 'apply', 'history'],
  async run(context: BenchContext): Promise<Figure[]> {
    const gen = await copyGeneration(context)
    const backup = context.workspace.file('copy-backup.img')
    const historyDir = context.workspace.file('copy-history')
    const mnt = context.workspace.file('mnt-copy')
    const genDir = path.join(mnt, 'gen')
    const mounted = await mountSnapdelta(mnt, [{ cow: gen.cowPath, snapshot: gen.snapshotPath, name: 'gen' }])
    // What a C file system gives the same loop: the snapshot itself through the C libfuse pass-through.
    const cMnt = context.workspace.file('mnt-copy-c')
    await mountPassthrough(cMnt, gen.snapshotPath, 'snapshot.img', [await cPassthroughBinary(context.workspace)])
    const applyOnce = async (extra: readonly string[]): Promise<ApplyRun> => {
      let run: ApplyRun | undefined
      const seconds = await timeOntoFreshBackup(context, gen, backup, async () => {
        const ran = await runSnapdeltaCounted(['apply', '--json', ...extra, genDir, backup], context.workspace.file('apply-io.json'))
        const summary = JSON.parse(ran.stdout) as { seconds: number; baseCheckedBy: string; runsAlreadyNew: number | null }
        // The figure is only about the check if the check read the old bytes and found them all.
        if (summary.baseCheckedBy !== 'old snapshot' || summary.runsAlreadyNew !== 0) {
          throw new Error(`apply checked TARGET by ${summary.baseCheckedBy}, ${summary.runsAlreadyNew} runs already new: expected the old snapshot, 0`)
        }
        run = { seconds: ran.seconds, inProcess: summary.seconds, io: ran.io }
        return ran.seconds
      })
      return { ...run!, seconds }
    }
    const floors: number[] = []
    const floorsThroughMount: number[] = []
    const floorsThroughC: number[] = []
    const applies: ApplyRun[] = []
    const histories: ApplyRun[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, so a slow spell of the disk hits all three alike.
      floors.push(await timeOntoFreshBackup(context, gen, backup, () => copyRunsFloor(gen.snapshotPath, backup, gen.runs)))
      // The floor's loop again, reading delta.img through the mount: what FUSE alone adds.
      floorsThroughMount.push(await timeOntoFreshBackup(context, gen, backup, () => copyRunsFloor(path.join(genDir, 'delta.img'), backup, gen.runs)))
      floorsThroughC.push(await timeOntoFreshBackup(context, gen, backup, () => copyRunsFloor(path.join(cMnt, 'snapshot.img'), backup, gen.runs)))
      applies.push(await applyOnce([]))
      await fsp.rm(historyDir, { recursive: true, force: true })
      histories.push(await applyOnce(['--history', historyDir]))
    }
    const floor = Math.min(...floors)
    const apply = best(applies)
    const history = best(histories)
    const floorThroughMount = Math.min(...floorsThroughMount)
    const floorThroughC = Math.min(...floorsThroughC)
    context.note(`the floor loop through the mount: ${floorsThroughMount.map((s) => s.toFixed(2)).join(' / ')} s`)
    context.note(`the floor loop through the C pass-through: ${floorsThroughC.map((s) => s.toFixed(2)).join(' / ')} s`)
    const journalFloor = await timeJournalFloor(context, gen, backup)
    const startup = (await runOk(process.execPath, [SNAPDELTA, '--version'])).seconds
    noteRuns(context, gen, floors, applies, histories, journalFloor)
    context.note(
      `starting snapdelta (--version, programs cached) takes ${startup.toFixed(2)} s; the mount took ${mounted.mountSeconds.toFixed(2)} s, not counted`,
    )
    const recipe = await timeDdRecipe(context, gen, genDir, backup)
    await unmount(mnt)
    await unmount(cMnt)
    const full = await timeFullCopy(context, gen.sizeBytes)

    return [
      figure('snapdelta apply (checked) from the mount', apply.seconds, 's', {
        baseline: { name: 'floor: pread/pwrite of the runs + fsync', value: floor },
        target: '<= 2x floor (checked)',
        meets: (_v, ratio) => ratio !== undefined && ratio <= 2,
      }),
      figure('apply, its own clock (no process start)', apply.inProcess, 's', { baseline: { name: 'floor', value: floor } }),
      figure('apply --history (checked, journalled)', history.seconds, 's', {
        baseline: { name: 'apply (checked) in the same run', value: apply.seconds },
        target: '<= 1.5x apply',
        meets: (_v, ratio) => ratio !== undefined && ratio <= 1.5,
      }),
      figure('apply --history, its own clock', history.inProcess, 's', { baseline: { name: "apply's own clock", value: apply.inProcess } }),
      figure('floor of the journal: read the runs of TARGET, write them to a new file, fsync', journalFloor.seconds, 's', {
        baseline: { name: 'floor', value: floor },
      }),
      figure('the floor loop reading delta.img through the mount', floorThroughMount, 's', {
        baseline: { name: 'floor', value: floor },
        target: '<= 1.2x floor',
        meets: (_v, ratio) => ratio !== undefined && ratio <= 1.2,
      }),
      figure('the floor loop reading the snapshot through the C libfuse pass-through', floorThroughC, 's', {
        baseline: { name: 'floor', value: floor },
      }),
      figure('the floor loop through the mount, against the C pass-through', floorThroughMount, 's', {
        baseline: { name: 'the same loop through the C pass-through', value: floorThroughC },
      }),
      figure('dd per chunks.map line from delta.img', recipe, 's', { baseline: { name: 'floor', value: floor } }),
      figure('speed-up of apply over a full dd copy', full / apply.seconds, 'x'),
      figure('speed-up of the floor over a full dd copy', full / floor, 'x'),
      figure('full dd bs=4M copy of the snapshot', full, 's', { baseline: { name: 'floor', value: floor } }),
    ]
  },
}

function best(runs: readonly ApplyRun[]): ApplyRun {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a))
}

/** The journal's floor onto a fresh base backup, cold: reading the runs, writing them to a new file, fsync; and a warm re-read. */
async function timeJournalFloor(context: BenchContext, gen: RunsGeneration, backup: string): Promise<{ seconds: number; rereadSeconds: number }> {
  await writeBaseBackup(gen, backup)
  await context.coldCache()
  const journal = context.workspace.file('journal-floor.undo')
  const timed = await journalRunsFloor(backup, journal, gen.runs)
  await fsp.rm(journal, { force: true })
  return timed
}

function noteRuns(
  context: BenchContext,
  gen: RunsGeneration,
  floors: readonly number[],
  applies: readonly ApplyRun[],
  histories: readonly ApplyRun[],
  journalFloor: { seconds: number; rereadSeconds: number },
): void {
  const list = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(', ')
  const perChanged = (bytes: number) => (bytes / gen.changedBytes).toFixed(2)
  const io = (r: ApplyRun) =>
    `read calls ${perChanged(r.io.rchar)}x, disk reads ${perChanged(r.io.read_bytes)}x, write calls ${perChanged(r.io.wchar)}x, ` +
    `disk writes ${perChanged(r.io.write_bytes)}x the changed bytes, CPU ${r.io.cpuSeconds.toFixed(2)} s`
  context.note(
    `best of ${ROUNDS} interleaved rounds, each onto a fresh backup holding the old bytes in the runs, cold data: ` +
      `floor ${list(floors)} s; apply ${list(applies.map((r) => r.seconds))} s (own clock ${list(applies.map((r) => r.inProcess))}); ` +
      `apply --history ${list(histories.map((r) => r.seconds))} s (own clock ${list(histories.map((r) => r.inProcess))}), a new history directory each time`,
  )
  context.note(`apply: ${io(best(applies))}`)
  context.note(`apply --history: ${io(best(histories))}`)
  context.note(
    `the journal's floor: reading the runs of the backup cold and writing them to a new file with fsync ${journalFloor.seconds.toFixed(2)} s; ` +
      `reading the runs again, from the page cache, ${journalFloor.rereadSeconds.toFixed(3)} s`,
  )
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
  await writeBaseBackup(gen, backup)
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
