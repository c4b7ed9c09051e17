// The thin pools captured from a real kernel (test/fixtures/real-kernel-thin,
// copied from shared/fixtures). Images are decompressed on demand into a
// scratch directory (test/helpers/tmp.ts): the thin tools open them with
// O_DIRECT and refuse pipes, so it must be a real file on a filesystem that
// takes O_DIRECT (tmpfs does not before Linux 6.6).
import { execFileSync } from 'child_process'
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { ChunkRuns, chunkRunsFromByteRanges } from '../../src/map/chunk-runs'
import { isZeroRun, RunKinds } from '../../src/map/run-kinds'

export const REAL_KERNEL_THIN_DIR = path.join(__dirname, '..', 'fixtures', 'real-kernel-thin')

export type ThinKind = 'different' | 'left_only' | 'right_only'

export interface ThinFixturePair {
  left: string
  right: string
  left_thin_id: number
  right_thin_id: number
  delta_file: string
  changed_ranges_bytes: Array<[ThinKind, number, number]>
  thin_delta_counts_blocks: Record<ThinKind | 'same', number>
}

export interface ThinFixtureMeta {
  chunk_bytes: number
  data_block_size_sectors: number
  volume_bytes: number
  thin_ids: Record<string, number>
  pairs: ThinFixturePair[]
  images: Record<string, { bytes: number; sha256: string }>
}

/** Names of every scenario folder. */
export function thinFixtureNames(): string[] {
  return readdirSync(REAL_KERNEL_THIN_DIR).filter((n) => existsSync(path.join(REAL_KERNEL_THIN_DIR, n, 'meta.json')))
}

/** meta.json of scenario `name`. */
export function thinFixtureMeta(name: string): ThinFixtureMeta {
  return JSON.parse(readFileSync(path.join(REAL_KERNEL_THIN_DIR, name, 'meta.json'), 'utf8'))
}

/** A file of scenario `name` as stored (delta-*.xml, ...). */
export function thinFixtureFile(name: string, file: string): string {
  return path.join(REAL_KERNEL_THIN_DIR, name, file)
}

/** Decompresses `image` ("s1", "tmeta", "tmeta-held", ...) of scenario `name` into `dir` (once) and returns its path. */
export function thinFixtureImage(name: string, image: string, dir: string): string {
  const out = path.join(dir, `${name}-${image}.img`)
  if (!existsSync(out)) {
    assertDirectIo(dir)
    execFileSync('zstd', ['-qdf', thinFixtureFile(name, `${image}.img.zst`), '-o', out])
  }
  return out
}

// The failure thin_delta gives otherwise is "open: Invalid argument".
function assertDirectIo(dir: string): void {
  const probe = path.join(dir, '.o_direct-probe')
  writeFileSync(probe, Buffer.alloc(4096))
  try {
    closeSync(openSync(probe, constants.O_RDONLY | constants.O_DIRECT))
  } catch (err) {
    throw new Error(`${dir} does not take O_DIRECT (${(err as Error).message}), which the thin tools need: run the tests with TMPDIR on a real disk`)
  }
}

/** The runs of a thin delta that read as zeros in the newer snapshot (left_only), as runs of their own. */
export function zeroRunsOf({ runs, kinds }: { runs: ChunkRuns; kinds: RunKinds }): ChunkRuns {
  const ranges: Array<[number, number]> = []
  for (let i = 0; i < runs.count; i++) if (isZeroRun(kinds, i)) ranges.push([runs.offsetBytes(i), runs.lengthBytes(i)])
  return chunkRunsFromByteRanges(runs.chunkSizeBytes, runs.deviceSizeBytes, ranges)
}
