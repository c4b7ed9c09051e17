import { promises as fsp } from 'fs'
import path from 'path'
import { spawnSync } from 'child_process'
import { acquireLock } from '../../../src/backup/lock-file'
import { LockedError } from '../../../src/errors'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

describe('acquireLock', () => {
  it('refuses a second holder while the first lives, and frees the lock on release', async () => {
    const lockPath = path.join(scratchDir('lock'), 'vg0-home.lock')
    const held = await acquireLock(lockPath, 'vg0/home')
    expect((await fsp.readFile(lockPath, 'utf8')).trim()).toBe(String(process.pid))
    await expect(acquireLock(lockPath, 'vg0/home')).rejects.toThrow(LockedError)
    await expect(acquireLock(lockPath, 'vg0/home')).rejects.toThrow(`another snapdelta backup of vg0/home is running (pid ${process.pid}`)
    await held.release()
    const again = await acquireLock(lockPath, 'vg0/home')
    await again.release()
  })

  it('takes over a lock whose owner died', async () => {
    const lockPath = path.join(scratchDir('lock'), 'stale.lock')
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim()
    await fsp.writeFile(lockPath, `${dead}\n`)
    const held = await acquireLock(lockPath, 'vg0/home')
    expect((await fsp.readFile(lockPath, 'utf8')).trim()).toBe(String(process.pid))
    await held.release()
  })
})
