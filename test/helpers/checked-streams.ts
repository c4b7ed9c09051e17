// Version-2 delta streams of the real-kernel fixture f-lvm2-4k-64k, with
// their check tables, written to files for the CLI tests. The old content
// comes from the fixture's images (base.img is what snap1 held, snap2.img
// what snap2 held): what the COW reader (GenerationSource.readOld) will give
// `snapdelta send --cow ... --snapshot ...` once it lands.
import { promises as fsp } from 'fs'
import path from 'path'
import { openGeneration } from '../../src/generation/generation'
import { sourceFromGeneration, GenerationSource } from '../../src/generation/generation-source'
import { FileSource } from '../../src/io/file-source'
import { sendStream } from '../../src/stream/send'
import { realKernelFixture, RealKernelFixture } from './fixtures'

export const CHECKED_FIXTURE = 'f-lvm2-4k-64k'

export interface CheckedStreams {
  fixture: RealKernelFixture
  /** base -> snap2 (cow1, snap2.img). */
  gen1: string
  /** snap2 -> snap3 (cow2, origin.img). */
  gen2: string
  /** Runs of each, as [offset, length]. */
  gen1Runs: Array<[number, number]>
  gen2Runs: Array<[number, number]>
}

/** Writes gen1's and gen2's checked streams into `dir`. */
export async function writeCheckedStreams(dir: string): Promise<CheckedStreams> {
  const fixture = realKernelFixture(CHECKED_FIXTURE)
  const gen1 = await writeStream(path.join(dir, 'gen1.stream'), fixture.cow1, fixture.snap2, fixture.base, ['snap1', 'snap2'])
  const gen2 = await writeStream(path.join(dir, 'gen2.stream'), fixture.cow2, fixture.origin, fixture.snap2, ['snap2', 'snap3'])
  return { fixture, gen1: gen1.file, gen2: gen2.file, gen1Runs: gen1.runs, gen2Runs: gen2.runs }
}

async function writeStream(file: string, cowPath: string, snapshotPath: string, oldPath: string, [from, to]: string[]) {
  const generation = await openGeneration({ cowPath, snapshotPath })
  const old = await FileSource.open(oldPath)
  try {
    const source: GenerationSource = {
      ...sourceFromGeneration(generation),
      identities: { from: { name: from, uuid: `LVM-fx-${from}` }, to: { name: to, uuid: `LVM-fx-${to}` } },
      readOld: (target, offsetBytes) => old.readInto(target, offsetBytes),
    }
    const handle = await fsp.open(file, 'w')
    try {
      await sendStream(source, async (chunk) => void (await handle.write(chunk)))
    } finally {
      await handle.close()
    }
    const runs: Array<[number, number]> = []
    for (let i = 0; i < generation.runs.count; i++) runs.push([generation.runs.offsetBytes(i), generation.runs.lengthBytes(i)])
    return { file, runs }
  } finally {
    await old.close()
    await generation.close()
  }
}
