// A target that fails writes (a sparse file on a full filesystem): receive and
// apply stop with an I/O error (exit 4) naming the target, and say nothing of success.
import { execFileSync } from 'child_process'
import { mkdirSync, writeFileSync, truncateSync } from 'fs'
import path from 'path'
import { runCli, runCommand } from '../helpers/cli'
import { writeCowImage } from '../../src/cow/cow-writer'
import { pseudoRandomBytes } from '../../src/cow/scenario'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'

const dir = scratchDir('write-errors')
const small = path.join(dir, 'small-fs')

beforeAll(() => {
  mkdirSync(small)
  // 256 KiB of space: the delta (over 1 MiB) cannot fit in a sparse target there.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small])
})

afterAll(async () => {
  await runCommand('umount', ['-l', small])
  removeScratchRoot()
})

function fullTarget(name: string, sizeBytes: number): string {
  const target = path.join(small, name)
  writeFileSync(target, '')
  truncateSync(target, sizeBytes)
  return target
}

// Both writers check first that TARGET holds the base: here the base is all
// zeros (the COW's saved chunks are holes), like the sparse target, so the
// check passes and the writes are what fails.
async function zeroBaseGeneration(): Promise<{ cow: string; snapshot: string; deviceBytes: number }> {
  const deviceBytes = 4 * 1024 * 1024
  const cow = path.join(dir, 'zero-base-cow.img')
  const snapshot = path.join(dir, 'zero-base-snap.img')
  await writeCowImage(cow, { chunkSizeSectors: 8, oldChunks: Array.from({ length: 512 }, (_, i) => i * 2) })
  writeFileSync(snapshot, pseudoRandomBytes(deviceBytes, 5))
  return { cow, snapshot, deviceBytes }
}

test('receive onto a target whose writes fail: exit 4, the target named, no success reported', async () => {
  const { cow, snapshot, deviceBytes } = await zeroBaseGeneration()
  const stream = path.join(dir, 'delta.stream')
  const sent = await runCommand('sh', ['-c', `node "$0" send --cow "$1" --snapshot "$2" > "$3"`, path.join(__dirname, '..', '..', 'bin', 'snapdelta.js'), cow, snapshot, stream])
  expect(sent.exitCode).toBe(0)
  const target = fullTarget('receive.img', deviceBytes)
  const result = await runCli(['receive', '--from', stream, target])
  expect(result.exitCode).toBe(4)
  expect(result.stderr).toContain(target)
  expect(result.stderr).toMatch(/ENOSPC|no space/i)
  expect(result.stderr).toMatch(/is incomplete \(\d+ of \d+ records were written\).*apply the same stream again/)
  expect(result.stdout).toBe('')
})

test('apply onto a target whose writes fail: exit 4, the target named', async () => {
  const { cow, snapshot, deviceBytes } = await zeroBaseGeneration()
  const gen = path.join(dir, 'gen')
  const { writeGenerationFolder } = await import('./copy-helpers')
  await writeGenerationFolder(gen, cow, snapshot)
  const target = fullTarget('apply.img', deviceBytes)
  const result = await runCli(['apply', '--quiet', gen, target])
  expect(result.exitCode).toBe(4)
  expect(result.stderr).toContain(target)
  expect(result.stdout).toBe('')
})
