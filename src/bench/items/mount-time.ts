// Item 2: `snapdelta mount` of a TiB snapshot whose COW lists millions of
// chunks, until `ls MOUNTPOINT/GEN/` answers, against mounting the bare
// pass-through filesystem over the same snapshot.
import { BenchContext, BenchItem } from '../context'
import { mountPassthrough, mountSnapdelta, residentBytes, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { tableInput } from '../table-input'

export const mountTime: BenchItem = {
  name: 'mount',
  title: 'Time to mount',
  needs: ['mount'],
  async run(context: BenchContext): Promise<Figure[]> {
    const input = await tableInput(context)
    const bare = context.workspace.file('mnt-bare')
    await context.coldCache()
    const passthrough = await mountPassthrough(bare, input.snapshotPath, 'full.img')
    await unmount(bare)
    const mnt = context.workspace.file('mnt-table')
    await context.coldCache()
    const mounted = await mountSnapdelta(mnt, [{ cow: input.cowPath, snapshot: input.snapshotPath, name: 'gen' }])
    const rss = mounted.pid ? residentBytes(mounted.pid) : undefined
    await unmount(mnt)
    const figures = [
      figure('time to mount until ls answers', mounted.mountSeconds, 's', {
        baseline: { name: 'bare pass-through mount', value: passthrough.mountSeconds },
        target: '<= 5 s',
        meets: (v) => v <= 5,
      }),
    ]
    if (rss !== undefined) figures.push(figure('server resident memory per changed chunk', rss / input.exceptions, 'B'))
    else context.note('server pid not found: its memory is not reported')
    return figures
  },
}
