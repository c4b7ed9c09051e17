// A history built as a user builds one: a volume of random data and a backup
// of it; then, generation after generation, writes to scattered runs of the
// volume (whose old content goes into the old snapshot's COW, as the kernel
// saves it), a mount of the generation (that COW + the volume as the new
// snapshot), and `snapdelta apply --history DIR GEN TARGET` from the mount.
// The volume file plays each new snapshot in turn, changed in place: only
// two volume-sized files on disk, however many generations (writeSnapshotChain
// in src/cow/scenario.ts keeps the whole device in memory, too much at GiB sizes).
import { promises as fsp } from 'fs'
import path from 'path'
import { writeCowImage } from '../cow/cow-writer'
import { ByteRun, chunksOfRuns, scatteredRuns } from './chunk-sets'
import { BenchContext } from './context'
import { runSnapdeltaCounted } from './io-counters'
import { writeRandomFile, writeRandomInRuns } from './inputs'
import { mountSnapdelta, unmount } from './mounts'
import { runOk, secondsSince } from './shell'

export interface HistoryChain {
  /** The volume as the newest snapshot: TARGET's content now. */
  volumePath: string
  /** The COW of the snapshot before the newest: with volumePath, the newest generation. */
  lastCowPath: string
  targetPath: string
  historyDir: string
  sizeBytes: number
  /** sha256 (hex) of the volume before the first generation: what the oldest generation's full.img must hold. */
  firstSha256: string
  /** Changed bytes of each generation, oldest first. */
  changedBytes: number[]
  /** Seconds of each `apply --history` (page cache as the build left it). */
  applySeconds: number[]
}

/** The history of `sizes.historyGenerations` generations of a `sizes.historyVolumeBytes` volume, made once per run. */
export function historyChain(context: BenchContext): Promise<HistoryChain> {
  const { workspace, sizes } = context
  return workspace.once('history', async () => {
    const start = process.hrtime.bigint()
    const sizeBytes = sizes.historyVolumeBytes
    const chunkBytes = sizes.copyChunkBytes
    const volumePath = workspace.file('history-volume.img')
    const targetPath = workspace.file('history-target.img')
    const historyDir = workspace.file('history-dir')
    await writeRandomFile(volumePath, sizeBytes)
    await runOk('cp', [volumePath, targetPath])
    await runOk('sync', [targetPath])
    const firstSha256 = (await runOk('sha256sum', [volumePath])).stdout.split(' ')[0]
    const chain: HistoryChain = { volumePath, lastCowPath: '', targetPath, historyDir, sizeBytes, firstSha256, changedBytes: [], applySeconds: [] }
    const mnt = workspace.file('mnt-history-build')
    for (let g = 1; g <= sizes.historyGenerations; g++) {
      const runs = scatteredRuns(sizeBytes, chunkBytes, sizes.copyChangedFraction, sizes.copyMaxRunChunks, 100 + g)
      const cowPath = workspace.file(`history-cow${g}.img`)
      const saved = await readRuns(volumePath, runs, chunkBytes)
      await writeCowImage(cowPath, { chunkSizeSectors: chunkBytes / 512, oldChunks: chunksOfRuns(runs, chunkBytes, g), savedData: (chunk) => saved.get(chunk)! })
      await writeRandomInRuns(volumePath, runs)
      const name = `vol-gen${g}`
      await mountSnapdelta(mnt, [{ cow: cowPath, snapshot: volumePath, name }])
      const ran = await runSnapdeltaCounted(['apply', '--json', '--history', historyDir, path.join(mnt, name), targetPath], workspace.file('history-apply-io.json'))
      await unmount(mnt)
      chain.applySeconds.push(ran.seconds)
      chain.changedBytes.push(runs.reduce((sum, r) => sum + r.lengthBytes, 0))
      // Only the newest COW is needed later (the live generation); the others go.
      if (chain.lastCowPath) await fsp.rm(chain.lastCowPath)
      chain.lastCowPath = cowPath
    }
    context.note(
      `input history: ${sizeBytes} byte volume of random data and its backup; ${sizes.historyGenerations} generations, each ` +
        `${(sizes.copyChangedFraction * 100).toFixed(0)}% changed in scattered runs of 1-${sizes.copyMaxRunChunks} chunks of ${chunkBytes} bytes ` +
        `(${chain.changedBytes.join(', ')} bytes), applied with apply --history from a mount in ${chain.applySeconds.map((s) => s.toFixed(2)).join(', ')} s; ` +
        `made in ${secondsSince(start).toFixed(1)} s`,
    )
    return chain
  })
}

// The current bytes of every chunk of `runs`, by chunk index: what the old snapshot's COW saves.
async function readRuns(filePath: string, runs: readonly ByteRun[], chunkBytes: number): Promise<Map<number, Buffer>> {
  const chunks = new Map<number, Buffer>()
  const file = await fsp.open(filePath, 'r')
  try {
    for (const run of runs) {
      for (let at = run.offsetBytes; at < run.offsetBytes + run.lengthBytes; at += chunkBytes) {
        const data = Buffer.alloc(chunkBytes)
        await file.read(data, 0, chunkBytes, at)
        chunks.set(at / chunkBytes, data)
      }
    }
  } finally {
    await file.close()
  }
  return chunks
}
