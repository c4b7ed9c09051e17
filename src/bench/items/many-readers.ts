// Item 6: four concurrent dd readers of full.img, delta.img and the changed/
// files; their aggregate throughput against one reader of full.img, and
// sha256 of what each read against the same bytes taken from the snapshot file.
import { createHash } from 'crypto'
import { promises as fsp } from 'fs'
import path from 'path'
import { ByteRun } from '../chunk-sets'
import { BenchContext, BenchItem } from '../context'
import { randomGeneration, RunsGeneration } from '../generation-inputs'
import { mountSnapdelta, unmount } from '../mounts'
import { figure, Figure } from '../report'
import { bash, ddRead, mibPerSecond, secondsSince } from '../shell'

const PIECE_BYTES = 16 << 20
// Each timing is the best of this many cold runs, interleaved: one and four readers.
const ROUNDS = 3

interface Reader {
  name: string
  script: string
  bytes: number
  expectedSha256: string
}

export const manyReaders: BenchItem = {
  name: 'readers',
  title: 'Many readers',
  needs: ['mount'],
  async run(context: BenchContext): Promise<Figure[]> {
    const gen = await randomGeneration(context)
    const expected = await expectedHashes(gen)
    const mnt = context.workspace.file('mnt-readers')
    const genDir = path.join(mnt, 'gen')
    await mountSnapdelta(mnt, [{ cow: gen.cowPath, snapshot: gen.snapshotPath, name: 'gen' }])

    // Timed pass: each dd writes to /dev/null itself, as the one reader does
    // (a pipe to cat would time cat's copies on a 2-core machine, not the
    // mount). Checked pass: piped to sha256sum; timing that would measure
    // sha256sum (about 200 MiB/s a core here).
    const readers = (hashed: boolean): Reader[] => {
      const out = hashed ? '' : ' of=/dev/null'
      const pipe = hashed ? ' | sha256sum' : ''
      const changedReader = (half: number): string =>
        `cd ${genDir}/changed && ls | awk 'NR % 2 == ${half}' | while read -r f; do dd if="$f" bs=1M status=none${out} || exit 1; done${pipe}`
      return [
        { name: 'full.img', script: `dd if=${genDir}/full.img bs=1M status=none${out}${pipe}`, bytes: gen.sizeBytes, expectedSha256: expected.full },
        { name: 'delta.img', script: `dd if=${genDir}/delta.img bs=1M status=none${out}${pipe}`, bytes: gen.sizeBytes, expectedSha256: expected.delta },
        { name: 'changed/ odd', script: changedReader(1), bytes: expected.changedBytes[0], expectedSha256: expected.changed[0] },
        { name: 'changed/ even', script: changedReader(0), bytes: expected.changedBytes[1], expectedSha256: expected.changed[1] },
      ]
    }
    const timed = readers(false)
    const singles: number[] = []
    const rounds: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      await context.coldCache()
      singles.push(await ddRead(path.join(genDir, 'full.img')))
      await context.coldCache()
      const start = process.hrtime.bigint()
      const timedRuns = await Promise.all(timed.map((r) => bash(`set -o pipefail; ${r.script}`)))
      rounds.push(secondsSince(start))
      // Each reader's own time shows which one holds the others back.
      context.note(`round ${round + 1}, per reader: ${timed.map((r, i) => `${r.name} ${r.bytes} bytes in ${timedRuns[i].seconds.toFixed(2)} s`).join(', ')}`)
    }
    const single = Math.min(...singles)
    const seconds = Math.min(...rounds)
    context.note(`one reader ${singles.map((s) => s.toFixed(2)).join(' / ')} s; four readers ${rounds.map((s) => s.toFixed(2)).join(' / ')} s`)
    const hashed = readers(true)
    await context.coldCache()
    const outputs = await Promise.all(hashed.map((r) => bash(`set -o pipefail; ${r.script}`)))
    await unmount(mnt)

    let identical = 0
    hashed.forEach((r, i) => {
      const got = outputs[i].stdout.split(/\s/)[0]
      if (got === r.expectedSha256) identical++
      else context.note(`${r.name}: sha256 ${got}, expected ${r.expectedSha256}`)
    })
    const totalBytes = timed.reduce((sum, r) => sum + r.bytes, 0)
    context.note(
      `${timed.length} concurrent readers (${timed.map((r) => r.name).join(', ')}), ${totalBytes} bytes in ${seconds.toFixed(2)} s, cold page cache; ` +
        `best of ${ROUNDS}; then the same four again, cold, each piped to sha256sum`,
    )
    return [
      figure('aggregate throughput of 4 readers', mibPerSecond(totalBytes, seconds), 'MiB/s', {
        baseline: { name: 'one dd of full.img', value: mibPerSecond(gen.sizeBytes, single) },
        target: '>= 1.5x one reader',
        meets: (_v, ratio) => ratio !== undefined && ratio >= 1.5,
      }),
      figure('readers whose sha256 matches the snapshot', identical, `of ${hashed.length}`, {
        target: 'all',
        meets: (v) => v === hashed.length,
      }),
    ]
  },
}

/** sha256 of full.img, delta.img, and the changed runs split odd/even as the readers split them. */
async function expectedHashes(gen: RunsGeneration): Promise<{ full: string; delta: string; changed: [string, string]; changedBytes: [number, number] }> {
  const full = createHash('sha256')
  const delta = createHash('sha256')
  const file = await fsp.open(gen.snapshotPath, 'r')
  try {
    const piece = Buffer.allocUnsafe(PIECE_BYTES)
    const zeroedOutsideRuns = Buffer.alloc(PIECE_BYTES)
    let run = 0
    for (let offset = 0; offset < gen.sizeBytes; offset += PIECE_BYTES) {
      const n = Math.min(PIECE_BYTES, gen.sizeBytes - offset)
      await readFully(file, piece.subarray(0, n), offset)
      full.update(piece.subarray(0, n))
      zeroedOutsideRuns.fill(0)
      while (run < gen.runs.length && gen.runs[run].offsetBytes + gen.runs[run].lengthBytes <= offset) run++
      for (let r = run; r < gen.runs.length && gen.runs[r].offsetBytes < offset + n; r++) {
        const from = Math.max(gen.runs[r].offsetBytes, offset) - offset
        const to = Math.min(gen.runs[r].offsetBytes + gen.runs[r].lengthBytes, offset + n) - offset
        piece.copy(zeroedOutsideRuns, from, from, to)
      }
      delta.update(zeroedOutsideRuns.subarray(0, n))
    }
    // ls lists changed/ in name order, which is offset order: odd lines are runs 0, 2, 4, ...
    const halves: [ByteRun[], ByteRun[]] = [gen.runs.filter((_, i) => i % 2 === 0), gen.runs.filter((_, i) => i % 2 === 1)]
    const changed = await Promise.all(halves.map((runs) => hashRuns(file, runs)))
    const changedBytes = halves.map((runs) => runs.reduce((sum, r) => sum + r.lengthBytes, 0)) as [number, number]
    return { full: full.digest('hex'), delta: delta.digest('hex'), changed: changed as [string, string], changedBytes }
  } finally {
    await file.close()
  }
}

async function hashRuns(file: fsp.FileHandle, runs: readonly ByteRun[]): Promise<string> {
  const hash = createHash('sha256')
  for (const run of runs) {
    const bytes = Buffer.allocUnsafe(run.lengthBytes)
    await readFully(file, bytes, run.offsetBytes)
    hash.update(bytes)
  }
  return hash.digest('hex')
}

async function readFully(file: fsp.FileHandle, target: Buffer, offsetBytes: number): Promise<void> {
  for (let done = 0; done < target.length; ) {
    const { bytesRead } = await file.read(target, done, target.length - done, offsetBytes + done)
    if (bytesRead === 0) throw new Error(`unexpected end of the snapshot at byte ${offsetBytes + done}`)
    done += bytesRead
  }
}
