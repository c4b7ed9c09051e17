// receive --history (issue 9): base -> gen1 -> gen2 on the real-kernel
// fixture f, each write journaled; the history mount shows every generation
// cmp-identical to its snapshot; deltas for another base are refused by the
// identity check before a byte is read or written; a delta TARGET already
// holds is a no-op; a live history mount blocks writers; and kill -9 at every
// step of a journaled write leaves a history that the next run completes.
import { copyFileSync, readFileSync } from 'fs'
import path from 'path'
import { CRASH_ENV } from '../../src/crash-hook'
import { createHistory } from '../../src/history/history-store'
import { describeTarget } from '../../src/history/target-identity'
import { runCli } from '../helpers/cli'
import { CheckedStreams, writeCheckedStreams } from '../helpers/checked-streams'
import { forceUnmount, mountWithCli, strictUnmount } from '../helpers/mount'
import { expectGenerations } from '../helpers/history'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'
import { sha256File } from './copy-helpers'

jest.setTimeout(120_000)

let streams: CheckedStreams

beforeAll(async () => {
  streams = await writeCheckedStreams(scratchDir('history-streams'))
})
afterAll(removeScratchRoot)

function freshTarget(label: string): { dir: string; target: string; history: string } {
  const dir = scratchDir(label)
  const target = path.join(dir, 'backup.img')
  copyFileSync(streams.fixture.base, target)
  return { dir, target, history: path.join(dir, 'history') }
}

function receive(target: string, history: string, stream: string, env?: NodeJS.ProcessEnv) {
  return runCli(['receive', '--quiet', '--history', history, '--from', stream, target], { env })
}


test('base -> gen1 -> gen2 through receive --history: every generation restorable, cmp-identical to its snapshot', async () => {
  const { target, history } = freshTarget('chain')
  expect((await receive(target, history, streams.gen1)).exitCode).toBe(0)
  const second = await runCli(['receive', '--json', '--history', history, '--from', streams.gen2, target])
  expect(second.exitCode).toBe(0)
  expect(JSON.parse(second.stdout).history).toMatchObject({ seq: 2, created: false, pruned: 0 })
  expect(sha256File(target)).toBe(sha256File(streams.fixture.origin))
  const list = JSON.parse((await runCli(['history', 'list', '--json', history])).stdout)
  expect(list.generations.map((g: { to: { name: string } }) => g.to.name)).toEqual(['snap1', 'snap2', 'snap3'])
  await expectGenerations(history, [streams.fixture.base, streams.fixture.snap2, streams.fixture.origin])
})

test('gen1 replayed after gen2 is refused by the identity check (exit 3), TARGET and history untouched; gen2 again is a no-op', async () => {
  const { target, history } = freshTarget('replay')
  expect((await receive(target, history, streams.gen1)).exitCode).toBe(0)
  expect((await receive(target, history, streams.gen2)).exitCode).toBe(0)
  const before = { target: sha256File(target), index: readFileSync(path.join(history, 'history.json'), 'utf8') }
  const replay = await receive(target, history, streams.gen1)
  expect(replay.exitCode).toBe(3)
  expect(replay.stderr).toMatch(/needs a target holding snap1 \(uuid LVM-fx-snap1\), but .* holds snap3 \(uuid LVM-fx-snap3\): refusing to write; nothing was written/)
  const again = await runCli(['receive', '--history', history, '--from', streams.gen2, target])
  expect(again.exitCode).toBe(0)
  expect(again.stderr).toMatch(/already holds snap3 .*nothing written/)
  expect({ target: sha256File(target), index: readFileSync(path.join(history, 'history.json'), 'utf8') }).toEqual(before)
})

test('gen2 onto a target whose history says it holds snap1 is refused by the identity check, before any run is read (exit 3)', async () => {
  const { target, history } = freshTarget('wrong-base')
  await createHistory(history, { target: await describeTarget(target), base: { name: 'snap1', uuid: 'LVM-fx-snap1' } })
  const before = { target: sha256File(target), index: readFileSync(path.join(history, 'history.json'), 'utf8') }
  const wrong = await receive(target, history, streams.gen2)
  expect(wrong.exitCode).toBe(3)
  expect(wrong.stderr).toMatch(/needs a target holding snap2 \(uuid LVM-fx-snap2\), but .* holds snap1 \(uuid LVM-fx-snap1\)/)
  expect(wrong.stderr).not.toContain('holds neither')
  expect({ target: sha256File(target), index: readFileSync(path.join(history, 'history.json'), 'utf8') }).toEqual(before)
})

test('a live history mount makes writers wait: receive --history exits 6 and writes nothing', async () => {
  const { dir, target, history } = freshTarget('readers')
  expect((await receive(target, history, streams.gen1)).exitCode).toBe(0)
  const mountpoint = path.join(dir, 'mnt')
  const mounted = await mountWithCli(mountpoint, ['--mkdir', '--history', history])
  try {
    const before = sha256File(target)
    const blocked = await receive(target, history, streams.gen2)
    expect(blocked.exitCode).toBe(6)
    expect(blocked.stderr).toContain(`is being read by mount ${mountpoint}`)
    expect(sha256File(target)).toBe(before)
    await strictUnmount(mounted)
  } finally {
    await forceUnmount(mounted)
  }
  // The refused run left a pending step (its undo record is flushed before readers are checked): the same delta resumes it.
  expect((await receive(target, history, streams.gen2)).exitCode).toBe(0)
  await expectGenerations(history, [streams.fixture.base, streams.fixture.snap2, streams.fixture.origin])
})

test('--keep 1: the oldest generation is gone, the others still match', async () => {
  const { target, history } = freshTarget('keep')
  expect((await receive(target, history, streams.gen1)).exitCode).toBe(0)
  const pruned = await runCli(['receive', '--json', '--history', history, '--keep', '1', '--from', streams.gen2, target])
  expect(pruned.exitCode).toBe(0)
  expect(JSON.parse(pruned.stdout).history.pruned).toBe(1)
  await expectGenerations(history, [streams.fixture.snap2, streams.fixture.origin])
  expect((await runCli(['receive', '--keep', '1', '--from', streams.gen2, target])).exitCode).toBe(2)
})

test.each(['history-undo-written', 'history-mid-write', 'history-written'])(
  'kill -9 at %s: the next run completes, and every generation of the history still matches',
  async (point) => {
    const { target, history } = freshTarget(`crash-${point}`)
    expect((await receive(target, history, streams.gen1)).exitCode).toBe(0)
    const killed = await receive(target, history, streams.gen2, { ...process.env, [CRASH_ENV]: point })
    expect(killed.exitCode).toBe(128)
    // Whatever the crash left, the generations the history records still read right.
    await expectGenerations(history, [streams.fixture.base, streams.fixture.snap2])
    expect((await receive(target, history, streams.gen2)).exitCode).toBe(0)
    expect(sha256File(target)).toBe(sha256File(streams.fixture.origin))
    await expectGenerations(history, [streams.fixture.base, streams.fixture.snap2, streams.fixture.origin])
  },
)
