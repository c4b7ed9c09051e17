// Item 3: sequential dd of full.img with a cold page cache, against the bare
// pass-through filesystem serving the same file, and plain dd of the file.
import path from 'path'
import { BenchContext, BenchItem } from '../context'
import { randomGeneration } from '../generation-inputs'
import { cpuSeconds, mountPassthrough, mountSnapdelta, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { ddRead, mibPerSecond } from '../shell'

// Each reading is the best of this many cold runs: one slow run is noise, not the mount.
const ROUNDS = 3

export const fullRead: BenchItem = {
  name: 'read',
  title: 'Read throughput of full.img',
  needs: ['mount'],
  async run(context: BenchContext): Promise<Figure[]> {
    const gen = await randomGeneration(context)
    const bare = context.workspace.file('mnt-bare')
    const mnt = context.workspace.file('mnt-read')
    const bareServer = await mountPassthrough(bare, gen.snapshotPath, 'full.img')
    const snapdeltaServer = await mountSnapdelta(mnt, [{ cow: gen.cowPath, snapshot: gen.snapshotPath, name: 'gen' }])
    const best = { plain: Infinity, bare: Infinity, snapdelta: Infinity }
    const cpu = { bare: 0, snapdelta: 0 }
    // The servers' CPU time per GiB does not depend on what else the machine runs, unlike throughput.
    const timeServer = async (pid: number | undefined, file: string): Promise<[seconds: number, cpu: number]> => {
      const before = pid ? cpuSeconds(pid) ?? 0 : 0
      const seconds = await ddRead(file)
      return [seconds, pid ? (cpuSeconds(pid) ?? 0) - before : 0]
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, so a slow spell of the disk hits all three alike.
      await context.coldCache()
      best.plain = Math.min(best.plain, await ddRead(gen.snapshotPath))
      await context.coldCache()
      const [bareSeconds, bareCpu] = await timeServer(bareServer.pid, path.join(bare, 'full.img'))
      best.bare = Math.min(best.bare, bareSeconds)
      cpu.bare += bareCpu
      await context.coldCache()
      const [snapdeltaSeconds, snapdeltaCpu] = await timeServer(snapdeltaServer.pid, path.join(mnt, 'gen', 'full.img'))
      best.snapdelta = Math.min(best.snapdelta, snapdeltaSeconds)
      cpu.snapdelta += snapdeltaCpu
    }
    await unmount(mnt)
    await unmount(bare)
    const rate = (seconds: number) => mibPerSecond(gen.sizeBytes, seconds)
    const cpuPerGiB = (seconds: number) => seconds / ((ROUNDS * gen.sizeBytes) / 2 ** 30)
    context.note(`dd bs=1M of ${gen.sizeBytes} bytes, cold page cache, best of ${ROUNDS}`)
    return [
      figure('full.img read throughput', rate(best.snapdelta), 'MiB/s', {
        baseline: { name: 'bare fuse-native pass-through', value: rate(best.bare) },
        target: '>= 0.9x pass-through',
        meets: (_v, ratio) => ratio !== undefined && ratio >= 0.9,
      }),
      figure('server CPU time per GiB read', cpuPerGiB(cpu.snapdelta), 's', {
        baseline: { name: 'bare pass-through server', value: cpuPerGiB(cpu.bare) },
      }),
      figure('bare pass-through read throughput', rate(best.bare), 'MiB/s', {
        baseline: { name: 'plain dd of the file, no FUSE', value: rate(best.plain) },
      }),
    ]
  },
}
