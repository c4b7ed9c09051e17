// snapdelta backup keeps a history (issue 9): four runs with writes between
// them, --keep 2; the history mount shows the generations kept, each
// cmp-identical to a copy of its snapshot saved before rotation removed it.
// A fallback full copy restarts the history; --no-history keeps none.
import { copyFileSync, existsSync, promises as fsp } from 'fs'
import path from 'path'
import { expectGenerations } from '../helpers/history'
import { removeScratchRoot } from '../helpers/tmp'
import { FakeVolume, jsonOf, LOOPBACK_SSH } from './backup-fixture'

jest.setTimeout(120_000)
afterAll(removeScratchRoot)

const CHUNK = 4096


test('four backups with --keep 2: the history restores the two earlier generations kept and the newest, each equal to its snapshot', async () => {
  const vol = await new FakeVolume('backup-history').create(64 * CHUNK)
  const saved: string[] = []
  let history = ''
  for (let run = 0; run < 4; run++) {
    if (run > 0) {
      await vol.write(run * 7 * CHUNK, 3 * CHUNK, 30 + run)
      await vol.write(CHUNK, 100, 40 + run)
    }
    const summary = jsonOf(await vol.backup(['--json', '--keep', '2']))
    history = (summary.history as { dir: string }).dir
    const snapshot = await vol.expectBackedUp()
    const copy = path.join(vol.dir, `saved-${run}.img`)
    copyFileSync(vol.image(snapshot), copy)
    saved.push(copy)
  }
  expect(history).toBe(path.join(vol.stateDir, 'vg--test-my--data.history'))
  // --keep 2: two earlier generations and the current one.
  await expectGenerations(history, saved.slice(1))
})

test('a fallback full copy restarts the history; --no-history keeps none', async () => {
  const vol = await new FakeVolume('backup-history-full').create(32 * CHUNK)
  jsonOf(await vol.backup(['--json']))
  await vol.write(0, CHUNK, 5)
  jsonOf(await vol.backup(['--json']))
  const history = path.join(vol.stateDir, 'vg--test-my--data.history')
  const [base] = vol.snapshotNames()
  // The previous snapshot gone: the next run copies everything, and the old undo records describe nothing any more.
  expect((await vol.tool('lvremove', '-y', `${vol.vg}/${base}`)).exitCode).toBe(0)
  await vol.write(CHUNK, CHUNK, 6)
  expect(jsonOf(await vol.backup(['--json']))).toMatchObject({ mode: 'full' })
  const snapshot = await vol.expectBackedUp()
  await expectGenerations(history, [vol.image(snapshot)])

  const other = await new FakeVolume('backup-no-history').create(16 * CHUNK)
  expect(jsonOf(await other.backup(['--json', '--no-history']))).toMatchObject({ history: null })
  expect(existsSync(path.join(other.stateDir, 'vg--test-my--data.history'))).toBe(false)
})

test('over ssh the receiver keeps the history on the host: a cut-off receive resumes, a fallback full copy restarts it', async () => {
  const vol = await new FakeVolume('backup-history-ssh').create(32 * CHUNK)
  await fsp.writeFile(vol.target, Buffer.alloc(32 * CHUNK))
  // On the loopback host: a directory of the "remote" side, named by --history-dir.
  const history = path.join(vol.dir, 'remote-history')
  const remote = ['--ssh', 'backuphost', '--ssh-command', LOOPBACK_SSH, '--history-dir', history, '--keep', '3']
  const saved: string[] = []
  const save = async () => {
    const copy = path.join(vol.dir, `saved-${saved.length}.img`)
    copyFileSync(vol.image(await vol.expectBackedUp()), copy)
    saved.push(copy)
  }
  expect(jsonOf(await vol.backup(['--json', ...remote]))).toMatchObject({ mode: 'full', history: { dir: history, created: true, seq: 0 } })
  await save()
  await vol.write(3 * CHUNK, 2 * CHUNK, 51)
  expect(jsonOf(await vol.backup(['--json', ...remote]))).toMatchObject({ mode: 'delta', history: { dir: history, seq: 1 } })
  await save()

  // The receiver killed after TARGET was flushed, before its history recorded the generation: the next run completes both.
  await vol.write(9 * CHUNK, CHUNK, 52)
  const cut = await vol.backup(remote, { SNAPDELTA_TEST_CRASH_AT: 'history-written' })
  expect(cut.exitCode).toBe(7)
  expect(jsonOf(await vol.backup(['--json', ...remote]))).toMatchObject({ mode: 'delta', resumed: true, history: { seq: 2 } })
  await save()
  await expectGenerations(history, saved)

  // The base gone: a full copy, and a history holding only the new generation.
  const [base] = vol.snapshotNames()
  expect((await vol.tool('lvremove', '-y', `${vol.vg}/${base}`)).exitCode).toBe(0)
  await vol.write(0, CHUNK, 53)
  expect(jsonOf(await vol.backup(['--json', ...remote]))).toMatchObject({ mode: 'full', history: { created: true, seq: 0 } })
  await expectGenerations(history, [vol.image(await vol.expectBackedUp())])
})
