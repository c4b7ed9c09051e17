import { promises as fsp } from 'fs'
import path from 'path'
import { spawn, spawnSync } from 'child_process'
import { acquireLock, formatLockOwner, parseLockOwner, removeStaleLock } from '../../../src/io/lock-file'
import { readBootId, readStartTime } from '../../../src/io/process-identity'
import { LockedError } from '../../../src/errors'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

describe('acquireLock', () => {
  it('refuses a second holder while the first lives, and frees the lock on release', async () => {
    const lockPath = path.join(scratchDir('lock'), 'vg0-home.lock')
    const held = await acquireLock(lockPath, 'backup of vg0/home')
    expect(parseLockOwner(await fsp.readFile(lockPath, 'utf8'))).toEqual({ pid: process.pid, bootId: await readBootId(), startTime: await readStartTime(process.pid) })
    await expect(acquireLock(lockPath, 'backup of vg0/home')).rejects.toThrow(LockedError)
    await expect(acquireLock(lockPath, 'backup of vg0/home')).rejects.toThrow(`another snapdelta backup of vg0/home is running (pid ${process.pid}`)
    await held.release()
    const again = await acquireLock(lockPath, 'backup of vg0/home')
    await again.release()
  })

  it('takes over a lock whose owner died', async () => {
    const lockPath = path.join(scratchDir('lock'), 'stale.lock')
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim()
    await fsp.writeFile(lockPath, `${dead}\n`)
    const held = await acquireLock(lockPath, 'backup of vg0/home')
    expect(parseLockOwner(await fsp.readFile(lockPath, 'utf8'))).toEqual({ pid: process.pid, bootId: await readBootId(), startTime: await readStartTime(process.pid) })
    await held.release()
  })
})

describe('a lock naming a live process', () => {
  // An unrelated process that lives through the test: its pid stands for one reused after a reboot.
  let sleeper: ReturnType<typeof spawn>
  let pid: number
  beforeAll(() => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' })
    pid = sleeper.pid!
  })
  afterAll(() => {
    sleeper.kill('SIGKILL')
  })

  async function lockNaming(owner: { bootId: string; startTime: number }): Promise<string> {
    const lockPath = path.join(scratchDir('lock'), 'reused.lock')
    await fsp.writeFile(lockPath, formatLockOwner({ pid, ...owner }))
    return lockPath
  }

  it('is taken over when that pid started at another time than the owner did (reused pid)', async () => {
    const lockPath = await lockNaming({ bootId: await readBootId(), startTime: (await readStartTime(pid))! + 1 })
    const held = await acquireLock(lockPath, 'backup of vg0/home')
    expect(parseLockOwner(await fsp.readFile(lockPath, 'utf8'))?.pid).toBe(process.pid)
    await held.release()
  })

  it('is taken over when it was taken before a reboot (another boot id)', async () => {
    const lockPath = await lockNaming({ bootId: '00000000-0000-0000-0000-000000000000', startTime: (await readStartTime(pid))! })
    const held = await acquireLock(lockPath, 'backup of vg0/home')
    await held.release()
  })

  it('is refused (exit 6) while that very process holds it', async () => {
    const lockPath = await lockNaming({ bootId: await readBootId(), startTime: (await readStartTime(pid))! })
    const refused = acquireLock(lockPath, 'backup of vg0/home')
    await expect(refused).rejects.toThrow(`another snapdelta backup of vg0/home is running (pid ${pid}, lock ${lockPath})`)
    await expect(refused).rejects.toMatchObject({ exitCode: 6 })
  })

  it('in the old form, a bare pid, is refused as before', async () => {
    const lockPath = path.join(scratchDir('lock'), 'old.lock')
    await fsp.writeFile(lockPath, `${pid}\n`)
    await expect(acquireLock(lockPath, 'backup of vg0/home')).rejects.toThrow(LockedError)
  })
})

describe('parseLockOwner', () => {
  it('reads both forms and rejects what names no process', () => {
    expect(parseLockOwner('123\n')).toEqual({ pid: 123 })
    expect(parseLockOwner('{"pid":123,"bootId":"b","startTime":456}\n')).toEqual({ pid: 123, bootId: 'b', startTime: 456 })
    for (const text of ['', '0\n', '-5', 'abc', '{"pid":"123"}', '{"bootId":"b"}']) expect(parseLockOwner(text)).toBeNull()
  })
})

describe('removeStaleLock', () => {
  it('puts back a lock that a faster run took over in the meantime', async () => {
    const lockPath = path.join(scratchDir('lock'), 'raced.lock')
    // What this run read as stale was pid 999999; by now another live run owns the lock.
    await fsp.writeFile(lockPath, `${process.pid}\n`)
    await removeStaleLock(lockPath, '999999\n')
    expect((await fsp.readFile(lockPath, 'utf8')).trim()).toBe(String(process.pid))
    expect((await fsp.readdir(path.dirname(lockPath))).sort()).toEqual(['raced.lock'])
  })

  it('removes the lock the dead owner left, and nothing else', async () => {
    const lockPath = path.join(scratchDir('lock'), 'dead.lock')
    await fsp.writeFile(lockPath, '999999\n')
    await removeStaleLock(lockPath, '999999\n')
    expect(await fsp.readdir(path.dirname(lockPath))).toEqual([])
  })
})

it('two runs racing for a stale lock: exactly one gets it', async () => {
  const lockPath = path.join(scratchDir('lock'), 'race.lock')
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim()
  await fsp.writeFile(lockPath, `${dead}\n`)
  const results = await Promise.allSettled([acquireLock(lockPath, 'backup of vg0/home'), acquireLock(lockPath, 'backup of vg0/home')])
  // Both run in this process, so the loser sees a live owner (this pid) and is refused.
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
})
