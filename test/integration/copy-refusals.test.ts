// What the copy commands refuse, and how: a TARGET of the wrong size is
// refused before any write; a cut or corrupted stream is refused as an
// incomplete backup (exit 5) and the same stream applied again completes it.
import { copyFileSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { writeScenario, ScenarioFiles } from '../../src/cow/scenario'
import { StreamLayout } from '../../src/stream/stream-layout'
import { RECORD_HEADER_BYTES } from '../../src/stream/stream-format'
import { streamOptionsFor } from '../../src/stream/stream-source'
import { runCli, runCommand } from '../helpers/cli'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { generatedScenarios, identical, sh, sha256File, toolsOnPath, writeGenerationFolder } from './copy-helpers'
import { openGenerationDir } from '../../src/copy/generation-dir-source'

jest.setTimeout(120000)

let files: ScenarioFiles
let folder: string
let stream: Buffer
let streamFile: string
const tools = toolsOnPath()

beforeAll(async () => {
  const [, spec] = generatedScenarios()[0]
  files = await writeScenario(scratchDir('refusals'), spec)
  folder = path.join(scratchDir('copied-generation'), 'gen')
  await writeGenerationFolder(folder, files.cow1, files.snap2)
  // As a copy of a mounted directory has it: the stream names the snapshots info.json names.
  writeFileSync(path.join(folder, 'info.json'), JSON.stringify({ from: { name: null, uuid: null }, to: { name: 'snap2', uuid: null } }))
  streamFile = path.join(scratchDir('stream'), 'delta.stream')
  const sent = await sh(`snapdelta send "${folder}" > "${streamFile}"`, tools.env)
  expect(sent.exitCode).toBe(0)
  stream = readFileSync(streamFile)
})
afterAll(removeScratchRoot)

function backup(label: string, sizeBytes?: number): string {
  const target = path.join(scratchDir(label), 'backup.img')
  if (sizeBytes === undefined) copyFileSync(files.base, target)
  else writeFileSync(target, Buffer.concat([readFileSync(files.base), Buffer.alloc(8192, 0x55)]).subarray(0, sizeBytes))
  return target
}

test('a copied folder (chunks.map + changed/) sends the same stream as the COW and snapshot', async () => {
  const direct = path.join(scratchDir('direct'), 'direct.stream')
  expect((await sh(`snapdelta send --cow "${files.cow1}" --snapshot "${files.snap2}" > "${direct}"`, tools.env)).exitCode).toBe(0)
  expect(await identical(direct, streamFile)).toBe(true)
})

test('a TARGET of another size is refused before any write, by apply and receive (exit 3)', async () => {
  const size = readFileSync(files.base).length
  for (const wrong of [size - 512, size + 4096]) {
    const target = backup('wrong-size', wrong)
    const before = sha256File(target)
    const apply = await runCli(['apply', folder, target])
    expect(apply.exitCode).toBe(3)
    expect(apply.stderr).toMatch(new RegExp(`the target .* is ${wrong} bytes .* but the snapshot is ${size} bytes .*refusing to write`))
    const fromFile = await runCli(['receive', target, '--from', streamFile])
    expect(fromFile.exitCode).toBe(3)
    const fromStdin = await runCli(['receive', target], { input: stream })
    expect(fromStdin.exitCode).toBe(3)
    expect(fromStdin.stderr).toMatch(/refusing to write/)
    expect(sha256File(target)).toBe(before)
  }
})

test('a missing TARGET is not created', async () => {
  const target = path.join(scratchDir('missing'), 'nothing.img')
  const result = await runCli(['apply', folder, target])
  expect(result.exitCode).toBe(3)
  expect(result.stderr).toMatch(/it must exist: snapdelta never creates or truncates it/)
  expect((await sh(`test -e "${target}"`)).exitCode).not.toBe(0)
})

test('a stream cut at record boundaries or random bytes, or with a flipped byte, exits 5 saying the backup is incomplete; the whole stream then completes it', async () => {
  const source = await openGenerationDir(folder)
  const layout = new StreamLayout(source.runs, streamOptionsFor(source))
  await source.close()
  const damaged: Array<[string, Buffer]> = [['cut at 0', stream.subarray(0, 0)], ['cut after the header', stream.subarray(0, layout.recordsOffsetBytes)]]
  for (let i = 0; i < layout.header.records; i++) {
    const end = layout.record(i).streamOffsetBytes + RECORD_HEADER_BYTES + layout.record(i).lengthBytes
    damaged.push([`cut after record ${i}`, stream.subarray(0, end)])
  }
  for (const at of [1000, 777777, stream.length - 1]) damaged.push([`cut at byte ${at}`, stream.subarray(0, at)])
  for (const at of [50, 700, layout.recordsOffsetBytes + 100, Math.floor(stream.length / 2), stream.length - 10]) {
    const bad = Buffer.from(stream)
    bad[at] ^= 0x80
    damaged.push([`byte ${at} flipped`, bad])
  }
  const target = backup('cut')
  for (const [what, bytes] of damaged) {
    const result = await runCli(['receive', target], { input: bytes })
    expect([what, result.exitCode]).toEqual([what, 5])
    expect(result.stderr).toMatch(/The backup .* is incomplete .*Apply the same stream again, whole/)
  }
  // Cut at its last byte, the stream had written every record: only the end record proved it complete.
  const whole = await runCli(['receive', target, '--from', streamFile, '--json'])
  expect(whole.exitCode).toBe(0)
  expect(JSON.parse(whole.stdout)).toMatchObject({ records: layout.header.records })
  expect(await identical(target, files.snap2)).toBe(true)
  expect((await runCli(['verify', folder, target, '--snapshot', files.snap2])).exitCode).toBe(0)
})

test('something that is not a stream is refused (exit 3); verify of a folder without full.img needs --snapshot (exit 2)', async () => {
  const target = backup('junk')
  const before = sha256File(target)
  const junk = await runCli(['receive', target, '--from', files.base])
  expect(junk.exitCode).toBe(3)
  expect(junk.stderr).toMatch(/is not a snapdelta stream/)
  expect(sha256File(target)).toBe(before)
  const verify = await runCli(['verify', folder, target])
  expect(verify.exitCode).toBe(2)
  expect(verify.stderr).toMatch(/has no full.img: give the new snapshot with --snapshot PATH, or use --changed-only/)
})

test('apply and receive onto a block device (a loop device over the backup): its size comes from the kernel', async () => {
  const size = readFileSync(files.base).length
  for (const [label, sizeBytes] of [['right', undefined], ['wrong', size + 4096]] as const) {
    const file = backup(`loop-${label}`, sizeBytes)
    const before = sha256File(file)
    const loop = await runCommand('losetup', ['-f', '--show', file])
    expect(loop.exitCode).toBe(0)
    const device = loop.stdout.trim()
    try {
      const apply = await runCli(['apply', folder, device])
      const receive = await runCli(['receive', device, '--from', streamFile])
      if (label === 'right') {
        expect([apply.exitCode, receive.exitCode]).toEqual([0, 0])
        expect((await runCli(['verify', folder, device, '--snapshot', files.snap2])).exitCode).toBe(0)
      } else {
        expect([apply.exitCode, receive.exitCode]).toEqual([3, 3])
        expect(apply.stderr).toMatch(new RegExp(`the target ${device} is ${size + 4096} bytes`))
      }
    } finally {
      await runCommand('losetup', ['-d', device])
    }
    expect(await identical(file, files.snap2)).toBe(label === 'right')
    if (label === 'wrong') expect(sha256File(file)).toBe(before)
  }
})
