// apply --history (issue 9) from mounted generations of the real-kernel
// fixture f: base -> gen1 -> gen2, every generation restorable through the
// history mount and cmp-identical to its snapshot; a replay refused, the
// same generation again a no-op; kill -9 at every journaled step completes
// on the next run.
import { copyFileSync, existsSync } from 'fs'
import path from 'path'
import { CRASH_ENV } from '../../src/crash-hook'
import { runCli } from '../helpers/cli'
import { realKernelFixture, RealKernelFixture } from '../helpers/fixtures'
import { forceUnmount, Mounted, mountWithCli } from '../helpers/mount'
import { expectGenerations } from '../helpers/history'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'
import { sha256File } from './copy-helpers'

jest.setTimeout(120_000)

let fixture: RealKernelFixture
let generations: Mounted

beforeAll(async () => {
  fixture = realKernelFixture('f-lvm2-4k-64k')
  const mountpoint = path.join(scratchDir('history-apply-gens'), 'gens')
  generations = await mountWithCli(mountpoint, [
    '--mkdir',
    '--cow', fixture.cow1, '--snapshot', fixture.snap2, '--name', 'snap2',
    '--cow', fixture.cow2, '--snapshot', fixture.origin, '--name', 'snap3',
  ])
})
afterAll(async () => {
  await forceUnmount(generations)
  removeScratchRoot()
})

const gen = (name: string) => `${generations.mountpoint}/${name}`

function freshTarget(label: string): { target: string; history: string } {
  const dir = scratchDir(label)
  const target = path.join(dir, 'backup.img')
  copyFileSync(fixture.base, target)
  return { target, history: path.join(dir, 'history') }
}

function apply(target: string, history: string, name: string, env?: NodeJS.ProcessEnv) {
  return runCli(['apply', '--quiet', '--history', history, gen(name), target], { env })
}


test('base -> gen1 -> gen2 through apply --history; a replay of gen1 is refused, gen2 again writes nothing', async () => {
  const { target, history } = freshTarget('apply-chain')
  expect((await apply(target, history, 'snap2')).exitCode).toBe(0)
  const second = await runCli(['apply', '--json', '--history', history, gen('snap3'), target])
  expect(second.exitCode).toBe(0)
  expect(JSON.parse(second.stdout).history).toMatchObject({ seq: 2, created: false })
  expect(sha256File(target)).toBe(sha256File(fixture.origin))
  await expectGenerations(history, [fixture.base, fixture.snap2, fixture.origin])

  const replay = await apply(target, history, 'snap2')
  expect(replay.exitCode).toBe(3)
  expect(sha256File(target)).toBe(sha256File(fixture.origin))
  const again = await runCli(['apply', '--history', history, gen('snap3'), target])
  expect(again.exitCode).toBe(0)
  expect(again.stderr).toMatch(/already holds snap3 .*nothing written/)
})

test('a delta refused by the content check starts no history: the new directory is gone, TARGET unchanged', async () => {
  const { target, history } = freshTarget('apply-refused-new-history')
  const refused = await apply(target, history, 'snap3')
  expect(refused.exitCode).toBe(3)
  expect(refused.stderr).toMatch(/holds neither the old nor the new snapshot's data/)
  expect(existsSync(history)).toBe(false)
  expect(sha256File(target)).toBe(sha256File(fixture.base))
})

test.each(['history-undo-written', 'history-mid-write', 'history-written'])(
  'apply --history killed at %s: the next run completes and every generation still matches',
  async (point) => {
    const { target, history } = freshTarget(`apply-crash-${point}`)
    expect((await apply(target, history, 'snap2')).exitCode).toBe(0)
    expect((await apply(target, history, 'snap3', { ...process.env, [CRASH_ENV]: point })).exitCode).toBe(128)
    await expectGenerations(history, [fixture.base, fixture.snap2])
    expect((await apply(target, history, 'snap3')).exitCode).toBe(0)
    await expectGenerations(history, [fixture.base, fixture.snap2, fixture.origin])
  },
)
