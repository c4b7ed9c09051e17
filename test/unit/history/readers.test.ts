// The reader registry a writer checks before writing TARGET: live records
// count, stale ones (process gone, pid reused, another boot) are removed.
import { promises as fsp } from 'fs'
import path from 'path'
import { liveReaders, registerReader } from '../../../src/history/readers'
import { ensureHistoryDir } from '../../../src/history/history-dir-check'
import { readBootId, readStartTime } from '../../../src/io/process-identity'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(() => removeScratchRoot())

test('a registered reader is live until it unregisters; stale and unreadable records', async () => {
  const dir = path.join(scratchDir('readers'), 'history')
  await ensureHistoryDir(dir)
  expect(await liveReaders(dir)).toEqual([])
  const reader = await registerReader(dir, 'mount /mnt/h')
  expect(await liveReaders(dir)).toEqual([expect.objectContaining({ pid: process.pid, what: 'mount /mnt/h' })])

  const readers = path.join(dir, 'readers')
  const bootId = await readBootId()
  const startTime = await readStartTime(process.pid)
  const stale = {
    'reused-pid.json': { pid: process.pid, bootId, startTime: (startTime ?? 0) + 1, what: 'old', startedAt: '' },
    'other-boot.json': { pid: process.pid, bootId: 'another-boot', startTime, what: 'old', startedAt: '' },
    'gone.json': { pid: 2 ** 22 + 17, bootId, startTime: 1, what: 'old', startedAt: '' },
  }
  for (const [name, record] of Object.entries(stale)) await fsp.writeFile(path.join(readers, name), JSON.stringify(record))
  expect((await liveReaders(dir)).map((r) => r.what)).toEqual(['mount /mnt/h'])
  expect((await fsp.readdir(readers)).length).toBe(1)

  // Half written (or being written right now): counted as live, the safe mistake.
  await fsp.writeFile(path.join(readers, 'torn.json'), '{"pid"')
  expect((await liveReaders(dir)).map((r) => r.what)).toEqual(expect.arrayContaining([expect.stringMatching(/unreadable reader record .*torn\.json/)]))
  await fsp.rm(path.join(readers, 'torn.json'))

  await reader.unregister()
  expect(await liveReaders(dir)).toEqual([])
})
