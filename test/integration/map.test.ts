// `snapdelta map` as users run it: the built CLI in a child process.
import { createHash } from 'crypto'
import { readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { writeCowImage } from '../../src/cow/cow-writer'
import { parseChunksMap } from '../../src/format/chunks-map-text'
import { CLI, runCli, runCommand } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'

afterAll(removeScratchRoot)

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

test('prints the chunks.map text of a real-kernel COW, and reads nothing it should not write', async () => {
  const fx = realKernelFixture('f-lvm2-4k-64k')
  const before = [sha256(fx.cow1), sha256(fx.snap2)]
  const result = await runCli(['map', '--cow', fx.cow1, '--snapshot', fx.snap2])
  expect(result.stderr).toBe('')
  expect(result.exitCode).toBe(0)
  const parsed = parseChunksMap(result.stdout, 'stdout')
  expect(parsed.comments.get('changed_chunks')).toBe(String(fx.meta.expected_changed_chunks.cow1))
  expect(parsed.comments.get('runs')).toBe(String(parsed.offsets.length))
  expect(parsed.lengths.reduce((a, b) => a + b, 0)).toBe(fx.meta.expected_changed_chunks.cow1 * 4096)
  expect([sha256(fx.cow1), sha256(fx.snap2)]).toEqual(before)
})

test('--json gives the runs for scripts', async () => {
  const fx = realKernelFixture('a-random-4k')
  const result = await runCli(['map', '--cow', fx.cow1, '--snapshot', fx.snap2, '--json'])
  expect(result.exitCode).toBe(0)
  const json = JSON.parse(result.stdout)
  expect(json.chunkSizeBytes).toBe(4096)
  expect(json.deviceSizeBytes).toBe(fx.meta.origin_bytes)
  expect(json.changedChunks).toBe(fx.meta.expected_changed_chunks.cow1)
  expect(json.runList.length).toBe(json.runs)
  expect(json.runList[0]).toEqual([0, 4096])
  expect(json.snapshotPath).toBe(fx.snap2)
})

test('without --snapshot: no unknown values (JSON null, header lines left out); --json-lines gives the same, a run per line', async () => {
  const fx = realKernelFixture('a-random-4k')
  const text = await runCli(['map', '--cow', fx.cow1])
  expect(text.exitCode).toBe(0)
  expect(text.stdout).not.toMatch(/unknown|not given/)
  expect(text.stdout).not.toMatch(/^# (device_size_bytes|snapshot) /m)
  const json = JSON.parse((await runCli(['map', '--cow', fx.cow1, '--json'])).stdout)
  expect(json).toMatchObject({ deviceSizeBytes: null, snapshotPath: null })
  const lines = (await runCli(['map', '--cow', fx.cow1, '--json-lines'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
  const { runList, ...fields } = json
  expect(lines[0]).toEqual(fields)
  expect(lines.slice(1)).toEqual(runList)
})

test('a map of 200,000 runs redirected into a file (written from the thread pool) equals the one through a pipe, appended after what the file held', async () => {
  const dir = scratchDir('map')
  const cow = path.join(dir, 'many.img')
  // Every other chunk in shuffled commit order: 200,000 runs, several of the command's 1 MiB buffers.
  const chunks = Array.from({ length: 200_000 }, (_, i) => ((i * 7919) % 200_000) * 2)
  await writeCowImage(cow, { chunkSizeSectors: 8, oldChunks: chunks })
  const piped = await runCli(['map', '--cow', cow])
  expect(piped.exitCode).toBe(0)
  expect(parseChunksMap(piped.stdout, 'stdout').offsets.length).toBe(200_000)
  const file = path.join(dir, 'many.map')
  writeFileSync(file, 'kept\n')
  const redirected = await runCommand('sh', ['-c', 'exec "$0" "$1" map --cow "$2" >> "$3"', process.execPath, CLI, cow, file])
  expect(redirected.stderr).toBe('')
  expect(redirected.exitCode).toBe(0)
  expect(readFileSync(file, 'utf8')).toBe(`kept\n${piped.stdout}`)
})

test('an invalid snapshot: exit 3, the file named, a full copy asked for, nothing on stdout', async () => {
  const fx = realKernelFixture('e-overflow-invalid-4k')
  const result = await runCli(['map', '--cow', fx.cow1, '--snapshot', fx.snap2])
  expect(result.exitCode).toBe(3)
  expect(result.stdout).toBe('')
  expect(result.stderr).toContain(fx.cow1)
  expect(result.stderr).toMatch(/invalid.*full copy/s)
})

test('a foreign device: exit 3 with what was expected', async () => {
  const dir = scratchDir('map')
  const cow = path.join(dir, 'foreign.img')
  await writeCowImage(cow, { chunkSizeSectors: 8, oldChunks: [1], magic: 0xdeadbeef })
  const result = await runCli(['map', '--cow', cow])
  expect(result.exitCode).toBe(3)
  expect(result.stderr).toMatch(new RegExp(`${cow}: not a dm-snapshot COW device: header magic is 0xdeadbeef, expected 0x70416e53`))
})

test('a missing file and a missing option are usage-level errors', async () => {
  const missing = await runCli(['map', '--cow', '/nonexistent/cow'])
  expect(missing.exitCode).toBe(3)
  expect(missing.stderr).toMatch(/\/nonexistent\/cow/)
  const noOption = await runCli(['map'])
  expect(noOption.exitCode).toBe(2)
  expect(noOption.stderr).toMatch(/--cow/)
})

test('--help works on the command', async () => {
  const result = await runCli(['map', '--help'])
  expect(result.exitCode).toBe(0)
  expect(result.stdout).toMatch(/--cow <path>/)
})
