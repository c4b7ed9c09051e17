// Item 11 (backup --ssh): every back-pressure wait on ssh's stdin added a
// 'close' listener that was never removed, so a large copy printed
// MaxListenersExceededWarning and kept one closure per wait alive.
import { Attack } from './attack'
import { FakeVolume, jsonOf, LOOPBACK_SSH } from '../integration/backup-fixture'
import { promises as fsp } from 'fs'

const MiB = 1024 * 1024

export const attacks: Attack[] = [
  {
    item: 11,
    title: 'a 32 MiB backup --ssh (dozens of back-pressure waits) prints no MaxListenersExceededWarning',
    run: async () => {
      const vol = await new FakeVolume('ssh-listeners').create(32 * MiB)
      await fsp.writeFile(vol.target, Buffer.alloc(32 * MiB))
      const result = await vol.backup(['--json', '--ssh', 'backuphost', '--ssh-command', LOOPBACK_SSH])
      expect(jsonOf(result)).toMatchObject({ mode: 'full', bytesCopied: 32 * MiB })
      expect(result.stderr).not.toMatch(/MaxListenersExceededWarning/)
      await vol.expectBackedUp()
    },
  },
]
