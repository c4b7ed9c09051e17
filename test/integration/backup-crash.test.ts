// A backup killed (SIGKILL, via the SNAPDELTA_TEST_CRASH_AT hook) at every step
// boundary: the next run finishes the increment, the target ends equal to the
// newest snapshot, and the previous snapshot is never removed before the
// target was verified against the new one.
import { promises as fsp } from 'fs'
import { removeScratchRoot } from '../helpers/tmp'
import { FakeVolume, jsonOf } from './backup-fixture'

afterAll(removeScratchRoot)

const MiB = 1024 * 1024
const KILLED = 128

// Crash point -> the step the state file holds afterwards.
const POINTS: Array<[string, string]> = [
  ['creating-snapshot', 'creating-snapshot'],
  ['lvcreate-done', 'creating-snapshot'],
  ['snapshot-created', 'snapshot-created'],
  ['copy-started', 'copy-started'],
  ['mid-copy', 'copy-started'],
  ['copied', 'copied'],
  ['verified', 'verified'],
  ['old-removed', 'verified'],
]

describe('killed during an increment', () => {
  const vol = new FakeVolume('crash')
  let seed = 100

  beforeAll(async () => {
    await vol.create(2 * MiB)
    jsonOf(await vol.backup(['--json']))
  })

  it.each(POINTS)('at %s: the next run finishes it', async (point, step) => {
    const [previous] = vol.snapshotNames()
    const before = await fsp.readFile(vol.target)
    // Two runs far apart, so a kill after the first piece leaves a half-copied target.
    await vol.write(4096 * 3, 8192, seed++)
    await vol.write(MiB + 4096 * 5, 4096, seed++)
    const killed = await vol.backup(['--quiet'], { SNAPDELTA_TEST_CRASH_AT: point })
    expect(killed.exitCode).toBe(KILLED)
    expect(vol.state().pending).toMatchObject({ step })
    if (point !== 'old-removed') expect(vol.snapshotNames()).toContain(previous)
    if (['creating-snapshot', 'lvcreate-done', 'snapshot-created', 'copy-started'].includes(point)) {
      expect((await fsp.readFile(vol.target)).equals(before)).toBe(true)
    }
    const lvcreates = vol.calls().filter((c) => c[0] === 'lvcreate').length

    const recovered = await vol.backup(['--json'])
    expect(jsonOf(recovered)).toMatchObject({ mode: 'delta', resumed: true, removedSnapshot: point === 'old-removed' ? null : previous })
    expect(recovered.stderr).toContain(`resuming the interrupted backup into snapshot`)
    await vol.expectBackedUp()
    // The snapshot made before the kill is the one used: never a second one.
    const expectedCreates = point === 'creating-snapshot' ? lvcreates + 1 : lvcreates
    expect(vol.calls().filter((c) => c[0] === 'lvcreate')).toHaveLength(expectedCreates)
  })
})

describe('killed during the first (full) backup', () => {
  it.each(['lvcreate-done', 'mid-copy', 'copied', 'verified'])('at %s: the next run finishes the full copy', async (point) => {
    const vol = new FakeVolume(`crash-first-${point}`)
    await vol.create(MiB, 42)
    expect((await vol.backup(['--quiet'], { SNAPDELTA_TEST_CRASH_AT: point })).exitCode).toBe(KILLED)
    await vol.write(0, 4096, 43)
    expect(jsonOf(await vol.backup(['--json']))).toMatchObject({ mode: 'full', resumed: true, removedSnapshot: null })
    await vol.expectBackedUp()
  })
})
