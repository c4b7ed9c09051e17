// Item 5: `ls changed/` of a generation with a million runs (time, and the
// server's memory before and after), against reading the same list as
// chunks.map; 1 GiB of holes read from delta.img against the bare
// pass-through reading the same holes of the snapshot file; and a dd of
// full.img while `ls changed/` runs, against the same dd alone.
import path from 'path'
import { writeCowImage } from '../../cow/cow-writer'
import { stridedChunks } from '../chunk-sets'
import { BenchContext, BenchItem } from '../context'
import { writeSparseFile } from '../inputs'
import { mountPassthrough, mountSnapdelta, residentBytes, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { bash, ddRead, mibPerSecond } from '../shell'
import { timeReadDuringListing } from '../read-during-listing'

const CHUNK_BYTES = 4096
const MiB = 1 << 20
const LISTINGS = 4

export const changedListing: BenchItem = {
  name: 'changed',
  title: 'changed/ listing and delta.img holes',
  needs: ['mount'],
  async run(context: BenchContext): Promise<Figure[]> {
    const { workspace, sizes } = context
    // Every other chunk changed: each chunk is a run of its own, all below holeOffset.
    const runs = sizes.listingRuns
    const holeOffsetBytes = Math.ceil((runs * 2 * CHUNK_BYTES) / MiB) * MiB
    const cowPath = workspace.file('listing-cow.img')
    const snapshotPath = workspace.file('listing-snapshot.img')
    await writeCowImage(cowPath, { chunkSizeSectors: CHUNK_BYTES / 512, oldChunks: stridedChunks(runs, 2, 4) })
    await writeSparseFile(snapshotPath, holeOffsetBytes + sizes.holeReadBytes)

    const mnt = workspace.file('mnt-listing')
    const genDir = path.join(mnt, 'gen')
    const mounted = await mountSnapdelta(mnt, [{ cow: cowPath, snapshot: snapshotPath, name: 'gen' }])
    const rssBefore = mounted.pid ? residentBytes(mounted.pid) : undefined
    const listed = await bash(`ls ${genDir}/changed/ | wc -l`)
    const rssAfter = mounted.pid ? residentBytes(mounted.pid) : undefined
    if (Number(listed.stdout.trim()) !== runs) throw new Error(`ls changed/ listed ${listed.stdout.trim()} files, expected ${runs}`)
    // More listings must not grow the server again: its memory is bounded, not growing per listing.
    for (let i = 1; i < LISTINGS; i++) await bash(`ls ${genDir}/changed/ > /dev/null`)
    const rssAgain = mounted.pid ? residentBytes(mounted.pid) : undefined
    const mapped = await bash(`grep -vc '^#' ${genDir}/chunks.map`)
    if (Number(mapped.stdout.trim()) !== runs) throw new Error(`chunks.map has ${mapped.stdout.trim()} lines, expected ${runs}`)
    const holeOperands = ['bs=1M', `skip=${holeOffsetBytes / MiB}`, `count=${sizes.holeReadBytes / MiB}`]
    await context.coldCache()
    const deltaHoles = await ddRead(path.join(genDir, 'delta.img'), holeOperands)
    const during = await timeReadDuringListing(context, genDir, holeOperands)
    await unmount(mnt)

    const bare = workspace.file('mnt-bare')
    await mountPassthrough(bare, snapshotPath, 'snapshot.img')
    await context.coldCache()
    const bareHoles = await ddRead(path.join(bare, 'snapshot.img'), holeOperands)
    await unmount(bare)

    const figures = [
      figure(`ls changed/ (${runs} runs)`, listed.seconds, 's', {
        baseline: { name: 'grep of the same list in chunks.map', value: mapped.seconds },
        target: '< 5 s',
        meets: (v) => v < 5,
      }),
    ]
    if (rssBefore !== undefined && rssAfter !== undefined && rssAgain !== undefined) {
      figures.push(figure('server resident memory after ls', rssAfter / MiB, 'MiB', { baseline: { name: 'before ls', value: rssBefore / MiB } }))
      figures.push(
        figure(`server resident memory after ${LISTINGS} ls`, rssAgain / MiB, 'MiB', { baseline: { name: 'after the first', value: rssAfter / MiB } }),
      )
    } else {
      context.note('server pid not found: its memory is not reported')
    }
    const rate = (seconds: number) => mibPerSecond(sizes.holeReadBytes, seconds)
    const list = (values: number[]) => values.map((s) => s.toFixed(2)).join(' / ')
    context.note(
      `dd of ${sizes.holeReadBytes} bytes of full.img, cold, best of ${during.alone.length}: alone ${list(during.alone)} s; ` +
        `during ls changed/ in a loop ${list(during.duringListing)} s (${during.listings} listings finished meanwhile)`,
    )
    figures.push(
      figure('dd of full.img during ls changed/', Math.min(...during.duringListing), 's', {
        baseline: { name: 'the same dd alone', value: Math.min(...during.alone) },
        target: '<= 1.2x alone',
        meets: (_v, ratio) => ratio !== undefined && ratio <= 1.2,
      }),
    )
    figures.push(
      figure('delta.img holes read throughput', rate(deltaHoles), 'MiB/s', {
        baseline: { name: 'bare pass-through reading holes', value: rate(bareHoles) },
        target: '>= 1x pass-through',
        meets: (_v, ratio) => ratio !== undefined && ratio >= 1,
      }),
    )
    return figures
  },
}
