import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'fs'
import path from 'path'
import { InvalidInputError } from '../../../src/errors'
import { checkPrivateDir, ensurePrivateDir } from '../../../src/io/private-dir'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const PURPOSE = { what: 'test directory', remedy: 'remove it' }
// Tests run as root; this uid stands for another user.
const OTHER_UID = 65534

describe('ensurePrivateDir', () => {
  it('creates a missing directory, with missing parents, with mode 0700', async () => {
    const dir = path.join(scratchDir('private'), 'a', 'b')
    await ensurePrivateDir(dir, PURPOSE)
    expect(lstatSync(dir).mode & 0o7777).toBe(0o700)
    expect(lstatSync(path.dirname(dir)).mode & 0o7777).toBe(0o700)
  })

  it('accepts an existing directory of this user that others can read but not write', async () => {
    const dir = path.join(scratchDir('private'), 'state')
    mkdirSync(dir, { mode: 0o755 })
    await ensurePrivateDir(dir, PURPOSE)
  })

  it('accepts a sticky world-writable ancestor owned by root, like /tmp', async () => {
    const sticky = path.join(scratchDir('private'), 'tmp')
    mkdirSync(sticky)
    chmodSync(sticky, 0o1777)
    await ensurePrivateDir(path.join(sticky, 'snapdelta-0'), PURPOSE)
  })

  it('refuses a symlink, even to a private directory of this user', async () => {
    const base = scratchDir('private')
    mkdirSync(path.join(base, 'real'), { mode: 0o700 })
    symlinkSync(path.join(base, 'real'), path.join(base, 'link'))
    await expect(ensurePrivateDir(path.join(base, 'link'), PURPOSE)).rejects.toThrow(`refusing the test directory ${base}/link: it is a symlink`)
  })

  it('refuses a file', async () => {
    const file = path.join(scratchDir('private'), 'file')
    writeFileSync(file, '')
    await expect(ensurePrivateDir(file, PURPOSE)).rejects.toThrow('it is not a directory')
  })

  it("refuses another user's directory, naming its owner, mode and the remedy", async () => {
    const dir = path.join(scratchDir('private'), 'theirs')
    mkdirSync(dir, { mode: 0o700 })
    chownSync(dir, OTHER_UID, OTHER_UID)
    await expect(ensurePrivateDir(dir, PURPOSE)).rejects.toThrow(InvalidInputError)
    await expect(ensurePrivateDir(dir, PURPOSE)).rejects.toThrow(
      `refusing the test directory ${dir}: it is owned by uid ${OTHER_UID} (mode 0700), so another user could plant symlinks in it`,
    )
    await expect(ensurePrivateDir(dir, PURPOSE)).rejects.toThrow(/only you can write; remove it$/)
  })

  it('refuses a directory writable by group or others', async () => {
    for (const mode of [0o770, 0o703, 0o1777]) {
      const dir = path.join(scratchDir('private'), 'open')
      mkdirSync(dir)
      chmodSync(dir, mode)
      await expect(checkPrivateDir(dir, PURPOSE)).rejects.toThrow(`it has mode 0${mode.toString(8)}: writable by group or others`)
    }
  })

  it('refuses a directory whose parent another user owns (they could swap it)', async () => {
    const parent = path.join(scratchDir('private'), 'parent')
    mkdirSync(parent, { mode: 0o755 })
    chownSync(parent, OTHER_UID, OTHER_UID)
    await expect(ensurePrivateDir(path.join(parent, 'mine'), PURPOSE)).rejects.toThrow(`its ancestor ${parent} is owned by uid ${OTHER_UID}, neither root nor you`)
  })

  it('refuses a directory whose parent others can write without the sticky bit', async () => {
    const parent = path.join(scratchDir('private'), 'parent')
    mkdirSync(parent)
    chmodSync(parent, 0o777)
    await expect(ensurePrivateDir(path.join(parent, 'mine'), PURPOSE)).rejects.toThrow(`its ancestor ${parent} has mode 0777: writable by group or others, and not sticky`)
  })

  it("refuses a path through another user's symlink, and checks where it leads", async () => {
    const base = scratchDir('private')
    mkdirSync(path.join(base, 'real'), { mode: 0o755 })
    symlinkSync(path.join(base, 'real'), path.join(base, 'link'))
    lchownSync(path.join(base, 'link'), OTHER_UID, OTHER_UID)
    await expect(ensurePrivateDir(path.join(base, 'link', 'mine'), PURPOSE)).rejects.toThrow(`its ancestor ${base}/link is owned by uid ${OTHER_UID}`)
    // The symlink is ours now, but it leads into a directory of theirs.
    lchownSync(path.join(base, 'link'), 0, 0)
    chownSync(path.join(base, 'real'), OTHER_UID, OTHER_UID)
    await expect(ensurePrivateDir(path.join(base, 'link', 'mine'), PURPOSE)).rejects.toThrow(`its ancestor ${base}/real is owned by uid ${OTHER_UID}`)
  })
})
