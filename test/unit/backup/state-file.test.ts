import { promises as fsp } from 'fs'
import path from 'path'
import { BackupState, readState, writeState } from '../../../src/backup/state-file'
import { InvalidInputError } from '../../../src/errors'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const state: BackupState = {
  version: 1, volume: 'vg0/home', target: '/backup/home.img', ssh: null, base: 'home-snapdelta-20261126T063627Z',
  pending: { snapshot: 'home-snapdelta-20261126T070000Z', step: 'copy-started', mode: 'delta', startedAt: '2026-11-26T07:00:00.000Z' },
  lastBackup: null,
}

describe('state file', () => {
  it('reads back what was written, leaving no temporary file', async () => {
    const dir = scratchDir('state')
    const file = path.join(dir, 'vg0-home.json')
    expect(await readState(file)).toBeNull()
    await writeState(file, state)
    expect(await readState(file)).toEqual(state)
    await writeState(file, { ...state, pending: null })
    expect((await readState(file))?.pending).toBeNull()
    expect(await fsp.readdir(dir)).toEqual(['vg0-home.json'])
  })

  it('replaces a symlink planted at its temporary name instead of writing through it', async () => {
    const dir = scratchDir('state')
    const victim = path.join(dir, 'victim')
    await fsp.writeFile(victim, 'keep\n')
    const file = path.join(dir, 'vg0-home.json')
    await fsp.symlink(victim, `${file}.tmp-${process.pid}`)
    await writeState(file, state)
    expect(await fsp.readFile(victim, 'utf8')).toBe('keep\n')
    expect(await readState(file)).toEqual(state)
  })

  it('refuses a torn or foreign file with a message saying how to start over', async () => {
    const file = path.join(scratchDir('state'), 'x.json')
    await fsp.writeFile(file, '{"version":1,')
    await expect(readState(file)).rejects.toThrow(InvalidInputError)
    await expect(readState(file)).rejects.toThrow('move it away to start over with a full copy')
    await fsp.writeFile(file, '{"version":2}')
    await expect(readState(file)).rejects.toThrow('not a snapdelta backup state file of version 1')
  })
})
