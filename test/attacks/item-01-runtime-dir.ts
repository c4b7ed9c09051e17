// Item 1: without XDG_RUNTIME_DIR (cron, sudo -u, runuser) the mount server's
// log and pid record go to $TMPDIR/snapdelta-UID, a name any user can take
// first. An attacker who made that directory, full of symlinks named like the
// victim's log and record, got the victim's files appended to or overwritten.
import { createHash } from 'crypto'
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { realKernelFixture } from '../helpers/fixtures'
import { FakeVolume } from '../integration/backup-fixture'
import { forceUnmount, isMounted } from '../helpers/mount'
import { ATTACKER_UID, copyReadable, runAs, runCliAs, VICTIM_UID } from '../helpers/other-user'
import { scratchDir } from '../helpers/tmp'

interface Scene {
  tmp: string
  runtime: string
  mountpoint: string
  images: string[]
  /** A file of the victim's that the attacker wants changed. */
  victimFile: string
  /** Base name of the files snapdelta keeps for `mountpoint` (name-hash), as anyone can work it out. */
  filesBase: string
}

function setScene(): Scene {
  const dir = scratchDir('runtime-dir')
  chmodSync(dir, 0o755)
  const tmp = path.join(dir, 'tmp')
  mkdirSync(tmp)
  chmodSync(tmp, 0o1777)
  const mountpoint = path.join(dir, 'mnt')
  mkdirSync(mountpoint)
  chownSync(mountpoint, VICTIM_UID, VICTIM_UID)
  const f = realKernelFixture('a-random-4k')
  const images = copyReadable(path.join(dir, 'images'), [f.cow1, f.snap2])
  const victimFile = path.join(dir, 'victim-notes')
  writeFileSync(victimFile, "the victim's notes\n")
  chownSync(victimFile, VICTIM_UID, VICTIM_UID)
  const hash = createHash('sha256').update(mountpoint).digest('hex').slice(0, 12)
  return { tmp, runtime: path.join(tmp, `snapdelta-${VICTIM_UID}`), mountpoint, images, victimFile, filesBase: `mnt-${hash}` }
}

// The attacker's symlinks, named like the victim's log and pid record, pointing at the victim's file.
async function plantSymlinks(scene: Scene): Promise<void> {
  for (const ext of ['log', 'json']) {
    const planted = await runAs(ATTACKER_UID, 'ln', ['-s', scene.victimFile, path.join(scene.runtime, `${scene.filesBase}.${ext}`)])
    expect(planted.stderr).toBe('')
  }
}

// The victim mounts as cron would run it: no XDG_RUNTIME_DIR, TMPDIR shared with the attacker.
async function victimMounts(scene: Scene): Promise<{ exitCode: number; stderr: string; mounted: boolean }> {
  const [cow, snapshot] = scene.images
  const result = await runCliAs(VICTIM_UID, ['mount', scene.mountpoint, '--cow', cow, '--snapshot', snapshot, '--json'], { TMPDIR: scene.tmp })
  const mounted = await isMounted(scene.mountpoint)
  await forceUnmount({ mountpoint: scene.mountpoint, pid: result.exitCode === 0 ? JSON.parse(result.stdout).pid : undefined })
  return { exitCode: result.exitCode, stderr: result.stderr, mounted }
}

export const attacks: Attack[] = [
  {
    item: 1,
    title: "another user's $TMPDIR/snapdelta-UID full of symlinks is refused; the victim's file is untouched",
    run: async () => {
      const scene = setScene()
      const made = await runAs(ATTACKER_UID, 'mkdir', ['-m', '0777', scene.runtime])
      expect(made.exitCode).toBe(0)
      await plantSymlinks(scene)
      const result = await victimMounts(scene)
      expect(readFileSync(scene.victimFile, 'utf8')).toBe("the victim's notes\n")
      expect(result.mounted).toBe(false)
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain(`refusing the runtime directory ${scene.runtime}: it is owned by uid ${ATTACKER_UID}`)
      expect(result.stderr).toMatch(/remove it .* or set XDG_RUNTIME_DIR/)
    },
  },
  {
    item: 1,
    title: "the victim's own $TMPDIR/snapdelta-UID with mode 0777 is refused too",
    run: async () => {
      const scene = setScene()
      mkdirSync(scene.runtime)
      chmodSync(scene.runtime, 0o777)
      chownSync(scene.runtime, VICTIM_UID, VICTIM_UID)
      await plantSymlinks(scene)
      const result = await victimMounts(scene)
      expect(readFileSync(scene.victimFile, 'utf8')).toBe("the victim's notes\n")
      expect(result.mounted).toBe(false)
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain(`refusing the runtime directory ${scene.runtime}: it has mode 0777: writable by group or others`)
    },
  },
  {
    item: 1,
    title: 'a runtime directory snapdelta creates itself is private and holds a private log',
    run: async () => {
      const scene = setScene()
      const result = await victimMounts(scene)
      // Without access to /dev/fuse the mount itself fails (exit 7), after the log was written.
      expect(result.stderr).not.toMatch(/refusing/)
      const dir = lstatSync(scene.runtime)
      expect(dir.isDirectory()).toBe(true)
      expect([dir.uid, dir.mode & 0o7777]).toEqual([VICTIM_UID, 0o700])
      if (result.exitCode !== 0) {
        const log = lstatSync(path.join(scene.runtime, `${scene.filesBase}.log`))
        expect([log.isFile(), log.uid, log.mode & 0o777]).toEqual([true, VICTIM_UID, 0o600])
      }
    },
  },
  {
    item: 1,
    title: "a backup --state-dir that another user can write is refused before any snapshot is made",
    run: async () => {
      const vol = await new FakeVolume('state-dir').create(1 << 20)
      mkdirSync(vol.stateDir)
      chmodSync(vol.stateDir, 0o777)
      chownSync(vol.stateDir, ATTACKER_UID, ATTACKER_UID)
      const result = await vol.backup()
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain(`refusing the backup state directory ${vol.stateDir}: it is owned by uid ${ATTACKER_UID}`)
      expect(vol.calls().filter((c) => c[0] === 'lvcreate')).toHaveLength(0)
    },
  },
]
