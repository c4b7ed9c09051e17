// Item 4: `backup --ssh HOST --to=--version` made the remote run
// `snapdelta receive --version`, which exits 0; the incremental run then
// removed the previous snapshot although nothing was received. TARGET and
// HOST are never options now, and the remote side must confirm what it
// received: an exit status of 0 alone is not trusted.
import { promises as fsp, readFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { FakeVolume, jsonOf, LOOPBACK_SSH } from '../integration/backup-fixture'
import { CliResult, runCli } from '../helpers/cli'
import { scratchDir } from '../helpers/tmp'

const MiB = 1024 * 1024

interface RemoteSetup {
  vol: FakeVolume
  /** The remote user's home: where the fake ssh runs the remote command. */
  home: string
  /** The fake ssh's argv, one JSON line per call. */
  sshLog: string
  /** The snapshot the first backup left: it must survive every failed increment. */
  base: string
}

// `backup --ssh backuphost --to=TARGET` through the fake ssh, with `env` added.
function remoteBackup(setup: Omit<RemoteSetup, 'base'>, target: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const { vol, home, sshLog } = setup
  const args = ['backup', `${vol.vg}/${vol.lv}`, `--to=${target}`, '--state-dir', vol.stateDir, '--json', '--ssh', 'backuphost', '--ssh-command', LOOPBACK_SSH]
  return runCli(args, { env: { ...vol.env, SNAPDELTA_FAKE_SSH_HOME: home, SNAPDELTA_FAKE_SSH_LOG: sshLog, ...env } })
}

// A volume whose first (full) backup went to TARGET in the remote home, then a change for the next increment.
async function firstBackupDone(label: string, target: string): Promise<RemoteSetup> {
  const vol = await new FakeVolume(label).create(MiB)
  const home = scratchDir(`${label}-home`)
  const setup = { vol, home, sshLog: path.join(vol.dir, 'ssh-argv.log') }
  await fsp.writeFile(path.join(home, target), Buffer.alloc(MiB))
  expect(jsonOf(await remoteBackup(setup, target))).toMatchObject({ mode: 'full', bytesCopied: MiB })
  const base = await vol.expectBackedUp(path.join(home, target))
  await vol.write(8192, 4096, 41)
  return { ...setup, base }
}

// A `snapdelta` first on the remote PATH that is not a receiver; returns the PATH to use.
async function remoteImpostor(setup: RemoteSetup, script: string): Promise<string> {
  const bin = path.join(setup.vol.dir, 'impostor-bin')
  await fsp.mkdir(bin, { recursive: true })
  await fsp.writeFile(path.join(bin, 'snapdelta'), `#!/bin/sh\n${script}\n`, { mode: 0o755 })
  return `${bin}:${setup.vol.env.PATH}`
}

// The increment failed and left the previous snapshot; the state never passed the copy.
function expectNothingTrusted(setup: RemoteSetup, result: CliResult): void {
  expect(result.exitCode).not.toBe(0)
  expect(setup.vol.snapshotNames()).toContain(setup.base)
  expect(setup.vol.state()).toMatchObject({ base: setup.base, pending: { step: 'copy-started' } })
}

export const attacks: Attack[] = [
  {
    item: 4,
    title: '--to=--version: ssh gets `-- HOST`, the remote `receive ... -- --version`; a failed receive keeps the previous snapshot',
    run: async () => {
      // The first backup shows `--version` is a file name in the remote home, never an option.
      const setup = await firstBackupDone('ssh-version', '--version')
      await fsp.rm(path.join(setup.home, '--version'))
      const result = await remoteBackup(setup, '--version')
      expectNothingTrusted(setup, result)
      expect(result.exitCode).toBe(7)
      expect(result.stderr).toContain('cannot open the target')
      const argv: string[][] = readFileSync(setup.sshLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      for (const call of argv) {
        // The history options (backup keeps one by default) come before the `--` that ends them.
        expect(call.slice(-3)).toEqual(['--', 'backuphost', expect.stringMatching(/^snapdelta receive --json --quiet --history=\S+ --keep 7 --full-restarts-history -- --version$/)])
      }
    },
  },
  {
    item: 4,
    title: 'a remote `snapdelta` that exits 0 without receiving (`true`, `cat >/dev/null`, a made-up summary) is not trusted',
    run: async () => {
      const setup = await firstBackupDone('ssh-impostor', 'backup.img')
      const madeUp = JSON.stringify({ target: 'backup.img', header: { identity: '00'.repeat(32) }, records: 1, bytesWritten: 4096 })
      for (const [script, exitCode, message] of [
        // Gone before or after the pipe took the small stream: either way an exit 7 that says why.
        ['exit 0', 7, /printed nothing on stdout|closed the stream early/],
        ['cat >/dev/null', 7, /printed nothing on stdout/],
        ['cat >/dev/null; echo ok', 7, /printed `ok` on stdout/],
        [`cat >/dev/null; echo '${madeUp}'`, 5, /does not match the stream sent \(identityHex/],
      ] as const) {
        const result = await remoteBackup(setup, 'backup.img', { PATH: await remoteImpostor(setup, script) })
        expectNothingTrusted(setup, result)
        expect(result.exitCode).toBe(exitCode)
        expect(result.stderr).toMatch(message)
      }
      // The real receiver then finishes the increment, and only now the previous snapshot goes.
      expect(jsonOf(await remoteBackup(setup, 'backup.img'))).toMatchObject({ mode: 'delta', resumed: true, removedSnapshot: setup.base })
      await setup.vol.expectBackedUp(path.join(setup.home, 'backup.img'))
    },
  },
  {
    item: 4,
    title: 'an ssh host that starts with - is refused before anything runs',
    run: async () => {
      const vol = await new FakeVolume('ssh-host-option').create(MiB)
      const result = await vol.backup(['--ssh', '-oProxyCommand=touch pwned', '--ssh-command', LOOPBACK_SSH])
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toContain("a host cannot start with '-'")
      expect(vol.calls()).toEqual([])
    },
  },
]
