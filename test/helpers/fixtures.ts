// The COW devices written by a real kernel (test/fixtures/real-kernel, copied
// from shared/fixtures), decompressed once per test process.
import { execFileSync } from 'child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'fs'
import os from 'os'
import path from 'path'

export const REAL_KERNEL_DIR = path.join(__dirname, '..', 'fixtures', 'real-kernel')
// One copy per jest run (SNAPDELTA_TEST_RUN, from global-setup.js), shared by
// its workers and removed by the global teardown.
const CACHE = path.join(os.tmpdir(), `snapdelta-fixtures-${process.env.SNAPDELTA_TEST_RUN ?? `solo${process.pid}`}`)

export interface RealKernelFixture {
  name: string
  dir: string
  base: string
  cow1: string
  snap2: string
  cow2: string
  origin: string
  meta: {
    cow1: { valid: number; chunk_bytes: number; exceptions: number }
    cow2: { valid: number; chunk_bytes: number; exceptions: number }
    expected_changed_chunks: { cow1: number; cow2: number }
    origin_bytes: number
    images: Record<string, { bytes: number; sha256: string }>
  }
}

/** Names of every scenario folder. */
export function realKernelFixtureNames(): string[] {
  return readdirSync(REAL_KERNEL_DIR).filter((n) => existsSync(path.join(REAL_KERNEL_DIR, n, 'meta.json')))
}

/** Decompresses scenario `name` (once) and returns its paths and meta.json. */
export function realKernelFixture(name: string): RealKernelFixture {
  const src = path.join(REAL_KERNEL_DIR, name)
  const dir = path.join(CACHE, name)
  mkdirSync(dir, { recursive: true })
  for (const img of ['base', 'cow1', 'snap2', 'cow2', 'origin']) {
    const out = path.join(dir, `${img}.img`)
    if (!existsSync(out)) {
      // Decompressed aside and renamed into place: another worker may be reading `out` already.
      const partial = `${out}.${process.pid}`
      execFileSync('zstd', ['-qdf', path.join(src, `${img}.img.zst`), '-o', partial])
      renameSync(partial, out)
    }
  }
  const file = (img: string) => path.join(dir, `${img}.img`)
  return {
    name,
    dir,
    base: file('base'),
    cow1: file('cow1'),
    snap2: file('snap2'),
    cow2: file('cow2'),
    origin: file('origin'),
    meta: JSON.parse(readFileSync(path.join(src, 'meta.json'), 'utf8')),
  }
}

/** Scenarios whose cow1 is valid (all but the overflowed one). */
export function validRealKernelFixtureNames(): string[] {
  return realKernelFixtureNames().filter((n) => realKernelFixture(n).meta.cow1.valid === 1)
}
