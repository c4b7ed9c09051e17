// Item 3: sequential dd of full.img with a cold page cache, against the bare
// pass-through filesystem serving the same file, and plain dd of the file.
import path from 'path'
import { BenchContext, BenchItem } from '../context'
import { randomGeneration } from '../generation-inputs'
import { mountPassthrough, mountSnapdelta, unmount } from '../mounts'
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
    await mountPassthrough(bare, gen.snapshotPath, 'full.img')
    await mountSnapdelta(mnt, [{ cow: gen.cowPath, snapshot: gen.snapshotPath, name: 'gen' }])
    const best = { plain: Infinity, bare: Infinity, snapdelta: Infinity }
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, so a slow spell of the disk hits all three alike.
      await context.coldCache()
      best.plain = Math.min(best.plain, await ddRead(gen.snapshotPath))
      await context.coldCache()
      best.bare = Math.min(best.bare, await ddRead(path.join(bare, 'full.img')))
      await context.coldCache()
      best.snapdelta = Math.min(best.snapdelta, await ddRead(path.join(mnt, 'gen', 'full.img')))
    }
    await unmount(mnt)
    await unmount(bare)
    const rate = (seconds: number) => mibPerSecond(gen.sizeBytes, seconds)
    context.note(`dd bs=1M of ${gen.sizeBytes} bytes, cold page cache, best of ${ROUNDS}`)
    return [
      figure('full.img read throughput', rate(best.snapdelta), 'MiB/s', {
        baseline: { name: 'bare fuse-native pass-through', value: rate(best.bare) },
        target: '>= 0.9x pass-through',
        meets: (_v, ratio) => ratio !== undefined && ratio >= 0.9,
      }),
      figure('bare pass-through read throughput', rate(best.bare), 'MiB/s', {
        baseline: { name: 'plain dd of the file, no FUSE', value: rate(best.plain) },
      }),
    ]
  },
}
