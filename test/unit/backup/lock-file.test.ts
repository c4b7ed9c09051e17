import { promises as fsp } from 'fs'
import path from 'path'
import { spawnSync } from 'child_process'
import { acquireLock, removeStaleLock } from '../../../src/backup/lock-file'
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

describe('removeStaleLock', () => {
  it('puts back a lock that a faster run took over in the meantime', async () => {
    const lockPath = path.join(scratchDir('lock'), 'raced.lock')
    // What this run read as stale was pid 999999; by now another live run owns the lock.
    await fsp.writeFile(lockPath, `${process.pid}\n`)
    await removeStaleLock(lockPath, 999999)
    expect((await fsp.readFile(lockPath, 'utf8')).trim()).toBe(String(process.pid))
    expect((await fsp.readdir(path.dirname(lockPath))).sort()).toEqual(['raced.lock'])
  })

  it('removes the lock the dead owner left, and nothing else', async () => {
    const lockPath = path.join(scratchDir('lock'), 'dead.lock')
    await fsp.writeFile(lockPath, '999999\n')
    await removeStaleLock(lockPath, 999999)
    expect(await fsp.readdir(path.dirname(lockPath))).toEqual([])
  })
})

it('two runs racing for a stale lock: exactly one gets it', async () => {
  const lockPath = path.join(scratchDir('lock'), 'race.lock')
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim()
  await fsp.writeFile(lockPath, `${dead}\n`)
  const results = await Promise.allSettled([acquireLock(lockPath, 'vg0/home'), acquireLock(lockPath, 'vg0/home')])
  // Both run in this process, so the loser sees a live owner (this pid) and is refused.
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
})
