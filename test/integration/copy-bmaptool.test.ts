// delta.bmap as bmaptool 3.6 reads it, without a mount: the map made from the
// runs copies exactly the changed ranges onto a loop device, and bmaptool
// checks the range checksums we include (a wrong one stops the copy).
import { createHash } from 'crypto'
import { copyFileSync, writeFileSync } from 'fs'
import path from 'path'
import { writeScenario, ScenarioFiles } from '../../src/cow/scenario'
import { openGeneration } from '../../src/generation/generation'
import { sourceFromGeneration } from '../../src/generation/generation-source'
import { formatBmap } from '../../src/bmap/bmap-xml'
import { runChecksums } from '../../src/bmap/range-checksums'
import { runCommand } from '../helpers/cli'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { generatedScenarios, identical, sha256File } from './copy-helpers'

jest.setTimeout(60000)

let files: ScenarioFiles
let bmapText: string

beforeAll(async () => {
  const [, spec] = generatedScenarios()[0]
  files = await writeScenario(scratchDir('bmap'), spec)
  const generation = await openGeneration({ cowPath: files.cow1, snapshotPath: files.snap2 })
  try {
    bmapText = formatBmap(generation.runs, await runChecksums(sourceFromGeneration(generation)))
  } finally {
    await generation.close()
  }
})
afterAll(removeScratchRoot)

/** Runs bmaptool copy with `bmap` from snap2.img (its bytes inside the runs are delta.img's) onto a loop device over a copy of base.img. */
async function bmaptoolCopy(bmap: string): Promise<{ exitCode: number; stderr: string; target: string }> {
  const dir = scratchDir('bmaptool')
  const target = path.join(dir, 'backup.img')
  const bmapPath = path.join(dir, 'delta.bmap')
  copyFileSync(files.base, target)
  writeFileSync(bmapPath, bmap)
  const loop = await runCommand('losetup', ['-f', '--show', target])
  expect(loop.exitCode).toBe(0)
  const device = loop.stdout.trim()
  try {
    const result = await runCommand('bmaptool', ['copy', '--bmap', bmapPath, files.snap2, device])
    return { exitCode: result.exitCode, stderr: result.stderr, target }
  } finally {
    await runCommand('losetup', ['-d', device])
  }
}

test('bmaptool copies exactly the mapped runs, zero-filled ones included', async () => {
  const result = await bmaptoolCopy(bmapText)
  expect(result.exitCode).toBe(0)
  expect(await identical(result.target, files.snap2)).toBe(true)
})

test('bmaptool verifies the range checksums: a wrong one fails the copy', async () => {
  const sums = [...bmapText.matchAll(/chksum="([0-9a-f]{64})"/g)].map((m) => m[1])
  const wrong = sums[1].replace(/^./, (c) => (c === '0' ? '1' : '0'))
  // Recompute the file checksum so only the range checksum is wrong.
  const zeroed = bmapText.replace(sums[1], wrong).replace(/<BmapFileChecksum> [0-9a-f]{64} /, `<BmapFileChecksum> ${'0'.repeat(64)} `)
  const fileSum = createHash('sha256').update(zeroed).digest('hex')
  const result = await bmaptoolCopy(zeroed.replace('0'.repeat(64), fileSum))
  expect(result.exitCode).not.toBe(0)
  expect(result.stderr).toMatch(/checksum mismatch for blocks range/)
})

test('bmaptool verifies BmapFileChecksum: an edited map is refused before any write', async () => {
  const edited = bmapText.replace('</Range>', ' </Range>')
  const result = await bmaptoolCopy(edited)
  expect(result.exitCode).not.toBe(0)
  expect(result.stderr).toMatch(/checksum mismatch for bmap file/)
  expect(sha256File(result.target)).toBe(sha256File(files.base))
})
