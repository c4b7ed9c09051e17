// Item 3: sequential dd of full.img with a cold page cache, against a C
// libfuse pass-through and the bare fuse-native pass-through serving the same
// file, and plain dd of the file; the servers' CPU time per GiB read.
import path from 'path'
import { cPassthroughBinary } from '../c-passthrough'
import { BenchContext, BenchItem } from '../context'
import { randomGeneration } from '../generation-inputs'
import { cpuSeconds, mountPassthrough, mountSnapdelta, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { ddRead, mibPerSecond } from '../shell'

// Each reading is the best of this many cold runs: one slow run is noise, not the mount.
const ROUNDS = 3

type Reader = 'plain' | 'c' | 'bare' | 'snapdelta'
const READERS: readonly Reader[] = ['plain', 'c', 'bare', 'snapdelta']

export const fullRead: BenchItem = {
  name: 'read',
  title: 'Read throughput of full.img',
  needs: ['mount'],
  async run(context: BenchContext): Promise<Figure[]> {
    const gen = await randomGeneration(context)
    const cMnt = context.workspace.file('mnt-c')
    const bareMnt = context.workspace.file('mnt-bare')
    const mnt = context.workspace.file('mnt-read')
    const cServer = await mountPassthrough(cMnt, gen.snapshotPath, 'full.img', [await cPassthroughBinary(context.workspace)])
    const bareServer = await mountPassthrough(bareMnt, gen.snapshotPath, 'full.img')
    const snapdeltaServer = await mountSnapdelta(mnt, [{ cow: gen.cowPath, snapshot: gen.snapshotPath, name: 'gen' }])
    const files: Record<Reader, string> = {
      plain: gen.snapshotPath,
      c: path.join(cMnt, 'full.img'),
      bare: path.join(bareMnt, 'full.img'),
      snapdelta: path.join(mnt, 'gen', 'full.img'),
    }
    const pids: Record<Reader, number | undefined> = { plain: undefined, c: cServer.pid, bare: bareServer.pid, snapdelta: snapdeltaServer.pid }
    const seconds: Record<Reader, number[]> = { plain: [], c: [], bare: [], snapdelta: [] }
    // The servers' CPU time per GiB does not depend on what else the machine runs, unlike throughput.
    const cpu: Record<Reader, number> = { plain: 0, c: 0, bare: 0, snapdelta: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, so a slow spell of the disk hits all alike.
      for (const reader of READERS) {
        await context.coldCache()
        const pid = pids[reader]
        const before = pid ? cpuSeconds(pid) ?? 0 : 0
        seconds[reader].push(await ddRead(files[reader]))
        cpu[reader] += pid ? (cpuSeconds(pid) ?? 0) - before : 0
      }
    }
    await unmount(mnt)
    await unmount(bareMnt)
    await unmount(cMnt)
    const rate = (s: number) => mibPerSecond(gen.sizeBytes, s)
    const best = (reader: Reader) => rate(Math.min(...seconds[reader]))
    const cpuPerGiB = (reader: Reader) => cpu[reader] / ((ROUNDS * gen.sizeBytes) / 2 ** 30)
    context.note(`dd bs=1M of ${gen.sizeBytes} bytes, cold page cache, best of ${ROUNDS}`)
    context.note(`each run, MiB/s: ${READERS.map((r) => `${r} ${seconds[r].map((s) => rate(s).toFixed(0)).join(' / ')}`).join('; ')}`)
    return [
      figure('full.img read throughput', best('snapdelta'), 'MiB/s', {
        baseline: { name: 'C libfuse pass-through', value: best('c') },
        target: '>= 0.8x C pass-through',
        meets: (_v, ratio) => ratio !== undefined && ratio >= 0.8,
      }),
      figure('full.img read throughput, against fuse-native', best('snapdelta'), 'MiB/s', {
        baseline: { name: 'bare fuse-native pass-through', value: best('bare') },
      }),
      figure('server CPU time per GiB read', cpuPerGiB('snapdelta'), 's', {
        baseline: { name: 'C pass-through server', value: cpuPerGiB('c') },
      }),
      figure('bare fuse-native server CPU time per GiB read', cpuPerGiB('bare'), 's', {
        baseline: { name: 'C pass-through server', value: cpuPerGiB('c') },
      }),
      figure('C pass-through read throughput', best('c'), 'MiB/s', {
        baseline: { name: 'plain dd of the file, no FUSE', value: best('plain') },
      }),
    ]
  },
}
