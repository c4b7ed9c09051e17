// What an admin's scheduler sees (issue 11, item 3): progress on a real
// terminal is a bar; TERM=dumb and no terminal get no bar, and --progress
// lines instead; the systemd units and the cron example pass their checkers.
import { copyFileSync, readFileSync, symlinkSync } from 'fs'
import path from 'path'
import { CLI, runCli, runCommand } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'

jest.setTimeout(60_000)
afterAll(removeScratchRoot)

const EXAMPLES = path.join(__dirname, '..', '..', 'examples')
// The shades of cli-progress's bar.
const BAR = /\u2588|\u2591/

// `snapdelta send` of a fixture generation into a file, with stderr on a pseudo-terminal made by script(1).
async function sendOnTerminal(term: string, extra: string): Promise<string> {
  const fixture = realKernelFixture('f-lvm2-4k-64k')
  const out = path.join(scratchDir('progress'), 'delta.stream')
  const command = `TERM=${term} "${process.execPath}" "${CLI}" send --cow "${fixture.cow1}" --snapshot "${fixture.snap2}" ${extra} > "${out}"`
  const r = await runCommand('script', ['-qec', command, '/dev/null'])
  expect(r.exitCode).toBe(0)
  return r.stdout
}

test('a terminal gets a bar; TERM=dumb gets none, and --progress lines there', async () => {
  expect(await sendOnTerminal('xterm', '')).toMatch(BAR)
  const dumb = await sendOnTerminal('dumb', '')
  expect(dumb).not.toMatch(BAR)
  expect(dumb).not.toMatch(/send: \d+%/)
  const lines = await sendOnTerminal('dumb', '--progress')
  expect(lines).not.toMatch(BAR)
  expect(lines).toMatch(/^send: 100% \(.+ of .+\), .+\/s in \d+:\d\d\r?$/m)
})

test('without a terminal: nothing on stderr, unless --progress', async () => {
  const fixture = realKernelFixture('f-lvm2-4k-64k')
  const args = ['send', '--cow', fixture.cow1, '--snapshot', fixture.snap2]
  const plain = await runCli(args)
  expect(plain.exitCode).toBe(0)
  expect(plain.stderr).toBe('')
  const withLines = await runCli([...args, '--progress'])
  expect(withLines.exitCode).toBe(0)
  expect(withLines.stderr).toMatch(/^send: 100% .* in \d+:\d\d\n$/)
})

test('the systemd service and timer templates pass systemd-analyze verify, as an instance', async () => {
  const dir = scratchDir('units')
  for (const unit of ['snapdelta-backup@.service', 'snapdelta-backup@.timer']) {
    copyFileSync(path.join(EXAMPLES, 'systemd', unit), path.join(dir, unit))
    symlinkSync(unit, path.join(dir, unit.replace('@.', '@vg0-home.')))
  }
  const r = await runCommand('systemd-analyze', ['verify', '--man=no', path.join(dir, 'snapdelta-backup@vg0-home.service'), path.join(dir, 'snapdelta-backup@vg0-home.timer')])
  // Warnings (an unknown key, a bad value) come on stderr with exit 0: none allowed.
  expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' })
  const service = readFileSync(path.join(dir, 'snapdelta-backup@.service'), 'utf8')
  const execStart = /^ExecStart=\/usr\/bin\/env snapdelta (backup .*)$/m.exec(service)?.[1] ?? ''
  // Every option the unit passes exists.
  const help = (await runCli(['backup', '--help'])).stdout
  for (const option of execStart.match(/--[a-z-]+/g) ?? []) expect(help).toContain(option)
  expect(execStart).toContain('--progress')
})

test('the cron example is one /etc/cron.d line whose command snapdelta accepts', async () => {
  const lines = readFileSync(path.join(EXAMPLES, 'cron', 'snapdelta-backup'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.includes('='))
  expect(lines).toHaveLength(1)
  const fields = lines[0].split(/\s+/)
  expect(fields.slice(5, 8)).toEqual(['root', 'snapdelta', 'backup'])
  const help = (await runCli(['backup', '--help'])).stdout
  for (const option of fields.filter((f) => f.startsWith('--'))) expect(help).toContain(option)
})
