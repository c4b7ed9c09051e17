// Every copy path of issue 3, end to end with the real tools, on a real FUSE
// mount: from a copy of base.img, each path must give a TARGET that cmp finds
// identical to snap2.img, and verify must agree (exit 1 before, 0 after).
import { copyFileSync, readFileSync } from 'fs'
import path from 'path'
import { writeScenario } from '../../src/cow/scenario'
import { runCli } from '../helpers/cli'
import { realKernelFixture, validRealKernelFixtureNames } from '../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { forceUnmount, Mounted, strictUnmount } from '../helpers/mount'
import { EXAMPLES, generatedScenarios, identical, mountGenerations, sh, toolsOnPath } from './copy-helpers'

jest.setTimeout(120000)

interface Case {
  name: string
  base: string
  cow1: string
  snap2: string
}

const fixtureNames = validRealKernelFixtureNames()
const scenarios = generatedScenarios()
const caseNames = [...fixtureNames, ...scenarios.map(([name]) => name)]
const cases = new Map<string, Case>()
let mount: Mounted | undefined
const tools = toolsOnPath()

beforeAll(async () => {
  for (const name of fixtureNames) {
    const fx = realKernelFixture(name)
    cases.set(name, { name, base: fx.base, cow1: fx.cow1, snap2: fx.snap2 })
  }
  for (const [name, spec] of scenarios) {
    const files = await writeScenario(scratchDir(name), spec)
    cases.set(name, { name, base: files.base, cow1: files.cow1, snap2: files.snap2 })
  }
  mount = await mountGenerations([...cases.values()].map((c) => ({ name: c.name, cow: c.cow1, snapshot: c.snap2 })))
})

afterAll(async () => {
  try {
    if (mount) await strictUnmount(mount)
  } finally {
    if (mount) await forceUnmount(mount)
    removeScratchRoot()
  }
})

/** A fresh copy of the case's base.img: the backup holding the previous snapshot. */
function freshTarget(c: Case, label: string): string {
  const target = path.join(scratchDir(`${c.name}-${label}`), 'backup.img')
  copyFileSync(c.base, target)
  return target
}

const gen = (c: Case) => path.join((mount as Mounted).mountpoint, c.name)

async function expectCopied(c: Case, target: string): Promise<void> {
  expect(await identical(target, c.snap2)).toBe(true)
  const whole = await runCli(['verify', gen(c), target, '--quiet'])
  expect(whole.stderr).toBe('')
  expect(whole.exitCode).toBe(0)
}

describe.each(caseNames)('%s', (name) => {
  const c = () => cases.get(name) as Case

  test('verify says a backup of the old snapshot differs (exit 1, ranges listed)', async () => {
    const target = freshTarget(c(), 'old')
    const result = await runCli(['verify', gen(c()), target])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/differs from the whole device of .*differing ranges.*\n  \d+ \d+/)
    const changed = await runCli(['verify', '--changed-only', gen(c()), target, '--json'])
    expect(changed.exitCode).toBe(1)
    expect(JSON.parse(changed.stdout)).toMatchObject({ identical: false, scope: 'changed-only' })
  })

  test('apply from the mount', async () => {
    const target = freshTarget(c(), 'apply')
    const result = await runCli(['apply', gen(c()), target, '--json'])
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toMatchObject({ bytesWritten: Number(/# changed_bytes (\d+)/.exec(readFileSync(path.join(gen(c()), 'chunks.map'), 'utf8'))?.[1]) })
    await expectCopied(c(), target)
    expect((await runCli(['verify', '--changed-only', gen(c()), target])).exitCode).toBe(0)
  })

  test('the dd recipe driven by chunks.map (examples/copy-with-dd.sh)', async () => {
    const target = freshTarget(c(), 'dd')
    const result = await sh(`"${EXAMPLES}/copy-with-dd.sh" "${gen(c())}" "${target}"`, tools.env)
    expect(result.stderr).toBe('')
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    await expectCopied(c(), target)
  })

  test('rsync of changed/ + chunks.map, then apply from the copy (examples/copy-with-rsync.sh)', async () => {
    const target = freshTarget(c(), 'rsync')
    const copy = path.join(scratchDir(`${name}-rsynced`), 'delta')
    // No snapdelta on PATH, as right after the README's setup: the example finds the checkout's bin/snapdelta.js.
    const bare = { ...process.env, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` }
    const result = await sh(`"${EXAMPLES}/copy-with-rsync.sh" "${gen(c())}" "${copy}" "${target}"`, bare)
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    await expectCopied(c(), target)
    // The copy has no full.img: the whole-device check needs the snapshot named.
    expect((await runCli(['verify', copy, target, '--snapshot', c().snap2])).exitCode).toBe(0)
  })

  // From the mounted directory: the stream names the generation as the mount does (--name), which send --cow/--snapshot cannot.
  test('send GENDIR > file gives the bytes of the mounted delta.stream; receive --from it (examples/copy-with-stream.sh)', async () => {
    const dir = scratchDir(`${name}-stream`)
    const sent = path.join(dir, 'sent.stream')
    const result = await sh(`snapdelta send "${gen(c())}" > "${sent}"`, tools.env)
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    expect(await identical(sent, path.join(gen(c()), 'delta.stream'))).toBe(true)
    const fromFile = freshTarget(c(), 'from-file')
    expect((await runCli(['receive', fromFile, '--from', sent])).exitCode).toBe(0)
    await expectCopied(c(), fromFile)
    const target = freshTarget(c(), 'stream-recipe')
    const recipe = await sh(`"${EXAMPLES}/copy-with-stream.sh" "${gen(c())}" "${path.join(dir, 'copied')}" "${target}"`, tools.env)
    expect(recipe.exitCode).toBe(0)
    await expectCopied(c(), target)
  })

  test('send | receive through a pipe', async () => {
    const target = freshTarget(c(), 'pipe')
    const result = await sh(`snapdelta send --cow "${c().cow1}" --snapshot "${c().snap2}" | snapdelta receive "${target}"`, tools.env)
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    await expectCopied(c(), target)
  })

  test('delta.stream through an ssh pipe, over loopback (examples/copy-over-ssh.sh)', async () => {
    const target = freshTarget(c(), 'ssh')
    const result = await sh(`"${EXAMPLES}/copy-over-ssh.sh" "${gen(c())}" backuphost "${target}"`, tools.env)
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    expect(readFileSync(tools.sshLog, 'utf8')).toContain(`backuphost snapdelta receive ${target}`)
    await expectCopied(c(), target)
  })

  test('bmaptool copy onto a loop device over the backup file (examples/copy-with-bmaptool.sh)', async () => {
    const target = freshTarget(c(), 'bmaptool')
    const result = await sh(`"${EXAMPLES}/copy-with-bmaptool.sh" "${gen(c())}" "${target}"`, tools.env)
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' })
    expect(result.stderr).toMatch(/copying image 'delta.img' to block device '\/dev\/loop\d+' using bmap file 'delta.bmap'/)
    await expectCopied(c(), target)
  })
})
