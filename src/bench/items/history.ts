// Item 7: the history mount (issue 9). A backup with a history of several
// generations, built with apply --history from mounted generations
// (history-inputs.ts); then, cold, dd of full.img of the generation the
// oldest number of layers back through `snapdelta mount --history`, against
// full.img of a live generation of the same size (COW + snapshot) in the same
// run. Also: undo bytes on disk against the changed bytes, and what zstd
// would save on an undo record and on real files.
import path from 'path'
import { BenchContext, BenchItem } from '../context'
import { historyChain } from '../history-inputs'
import { cpuSeconds, mountSnapdelta, mountSnapdeltaHistory, SNAPDELTA, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { bash, ddRead, mibPerSecond, runOk } from '../shell'

// Each reading is the best of this many cold runs, interleaved, as in the read item.
const ROUNDS = 3
const MiB = 1 << 20

interface HistoryList {
  generations: Array<{ seq: number; directory: string; changedBytes: number; undo: { file: string; bytes: number } | null }>
  undoBytes: number
}

export const historyMount: BenchItem = {
  name: 'history',
  title: 'History: full.img of an old generation, undo space',
  needs: ['mount', 'apply', 'history'],
  async run(context: BenchContext): Promise<Figure[]> {
    const chain = await historyChain(context)
    const list = JSON.parse((await runOk(process.execPath, [SNAPDELTA, 'history', 'list', '--json', chain.historyDir])).stdout) as HistoryList
    const layers = list.generations.length - 1
    const oldest = list.generations[0]
    const newest = list.generations[layers]
    const hmnt = context.workspace.file('mnt-history')
    const lmnt = context.workspace.file('mnt-history-live')
    const historyServer = await mountSnapdeltaHistory(hmnt, chain.historyDir)
    const liveServer = await mountSnapdelta(lmnt, [{ cow: chain.lastCowPath, snapshot: chain.volumePath, name: 'live' }])
    const files = {
      old: path.join(hmnt, oldest.directory, 'full.img'),
      live: path.join(lmnt, 'live', 'full.img'),
      newest: path.join(hmnt, newest.directory, 'full.img'),
    }
    const best = { old: Infinity, live: Infinity, newest: Infinity }
    const all = { old: [] as number[], live: [] as number[], newest: [] as number[] }
    const cpu = { old: 0, live: 0 }
    const timeRead = async (pid: number | undefined, file: string): Promise<[seconds: number, cpu: number]> => {
      await context.coldCache()
      const before = pid ? cpuSeconds(pid) ?? 0 : 0
      const seconds = await ddRead(file)
      return [seconds, pid ? (cpuSeconds(pid) ?? 0) - before : 0]
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, so a slow spell of the disk hits all three alike.
      const [oldSeconds, oldCpu] = await timeRead(historyServer.pid, files.old)
      const [liveSeconds, liveCpu] = await timeRead(liveServer.pid, files.live)
      const [newestSeconds] = await timeRead(historyServer.pid, files.newest)
      all.old.push(oldSeconds)
      all.live.push(liveSeconds)
      all.newest.push(newestSeconds)
      best.old = Math.min(best.old, oldSeconds)
      best.live = Math.min(best.live, liveSeconds)
      best.newest = Math.min(best.newest, newestSeconds)
      cpu.old += oldCpu
      cpu.live += liveCpu
    }
    // What the oldest generation shows must be the volume before the first generation.
    const oldSha = (await bash(`sha256sum < ${files.old}`)).stdout.split(' ')[0]
    if (oldSha !== chain.firstSha256) throw new Error(`${files.old} has sha256 ${oldSha}, the volume before generation 1 had ${chain.firstSha256}`)
    await unmount(lmnt)
    await unmount(hmnt)
    const rate = (seconds: number) => mibPerSecond(chain.sizeBytes, seconds)
    const cpuPerGiB = (seconds: number) => seconds / ((ROUNDS * chain.sizeBytes) / 2 ** 30)
    const list3 = (values: number[]) => values.map((s) => rate(s).toFixed(0)).join(', ')
    context.note(
      `dd bs=1M of ${chain.sizeBytes} bytes, cold page cache, best of ${ROUNDS} interleaved rounds: ${oldest.directory} (${layers} layers back) ` +
        `${list3(all.old)} MiB/s; live generation ${list3(all.live)} MiB/s; ${newest.directory} (the newest: TARGET itself) ${list3(all.newest)} MiB/s; ` +
        `the oldest generation's full.img hashed equal to the volume before generation 1`,
    )
    const changedBytes = list.generations.reduce((sum, g) => sum + g.changedBytes, 0)
    context.note(
      `undo records: ${list.generations.filter((g) => g.undo).map((g) => `${g.undo!.file} ${g.undo!.bytes} bytes for ${g.changedBytes} changed`).join('; ')}`,
    )
    const compression = await measureCompression(context, path.join(chain.historyDir, 'undo', newest.undo!.file))

    return [
      figure(`full.img of a generation ${layers} layers back, history mount`, rate(best.old), 'MiB/s', {
        baseline: { name: 'full.img of a live generation (COW + snapshot)', value: rate(best.live) },
        target: '>= 0.8x live generation',
        meets: (_v, ratio) => ratio !== undefined && ratio >= 0.8,
      }),
      figure('server CPU time per GiB read, that old generation', cpuPerGiB(cpu.old), 's', {
        baseline: { name: 'live generation server', value: cpuPerGiB(cpu.live) },
      }),
      figure('full.img of the newest generation (TARGET), history mount', rate(best.newest), 'MiB/s', {
        baseline: { name: 'live generation', value: rate(best.live) },
      }),
      figure(`undo records on disk, ${layers} generations`, list.undoBytes / MiB, 'MiB', {
        baseline: { name: 'their changed bytes', value: changedBytes / MiB },
      }),
      figure('an undo record compressed by zstd -3', compression.undoCompressed / MiB, 'MiB', {
        baseline: { name: 'the undo record (random bench data)', value: compression.undoBytes / MiB },
      }),
      figure('real files (tar of /usr/lib) compressed by zstd -3', compression.sampleCompressed / MiB, 'MiB', {
        baseline: { name: 'the same bytes', value: compression.sampleBytes / MiB },
      }),
    ]
  },
}

interface Compression {
  undoBytes: number
  undoCompressed: number
  sampleBytes: number
  sampleCompressed: number
}

// zstd of one undo record (random data: it cannot shrink) and of real files,
// which say what compressing undo data could save on a real volume; with zstd's speed.
async function measureCompression(context: BenchContext, undoPath: string): Promise<Compression> {
  const timedSize = async (script: string): Promise<[bytes: number, seconds: number]> => {
    const ran = await bash(script)
    return [Number(ran.stdout.trim()), ran.seconds]
  }
  const [undoBytes] = await timedSize(`stat -c %s ${undoPath}`)
  const [undoCompressed, undoSeconds] = await timedSize(`zstd -3 -T1 -q -c ${undoPath} | wc -c`)
  const sampleBytes = context.sizes.compressionSampleBytes
  const sample = context.workspace.file('compression-sample.tar')
  await bash(`tar -cf - --ignore-failed-read /usr/lib 2>/dev/null | head -c ${sampleBytes} > ${sample}`)
  const [sampleCompressed, sampleSeconds] = await timedSize(`zstd -3 -T1 -q -c ${sample} | wc -c`)
  await runOk('rm', ['-f', sample])
  context.note(
    `zstd -3 on one core: the undo record ${undoBytes} -> ${undoCompressed} bytes in ${undoSeconds.toFixed(2)} s; ` +
      `the first ${sampleBytes} bytes of a tar of /usr/lib (real files, warm) -> ${sampleCompressed} bytes in ${sampleSeconds.toFixed(2)} s ` +
      `(${mibPerSecond(sampleBytes, sampleSeconds).toFixed(0)} MiB/s)`,
  )
  return { undoBytes, undoCompressed, sampleBytes, sampleCompressed }
}
