// The README's "JSON output" table is the schema scripts rely on: the keys
// each command prints must be exactly the ones it lists.
import { copyFileSync, readFileSync } from 'fs'
import path from 'path'
import { runCli, runCommand, CLI } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { forceUnmount, Mounted, mountWithCli } from '../helpers/mount'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'

jest.setTimeout(60_000)

const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8')
let mounted: Mounted | undefined

afterAll(async () => {
  if (mounted) await forceUnmount(mounted)
  removeScratchRoot()
})

// The keys the README lists for `command` (the first list in its row, before any parenthesis or semicolon).
function documentedKeys(command: string): string[] {
  const row = README.split('\n').find((l) => l.startsWith(`| \`${command}\` |`))
  if (!row) throw new Error(`README has no JSON row for ${command}`)
  const cell = row.split('|')[2]
  const first = /`([^`]+)`/.exec(cell.replace(/^ *a snapdelta stream: /, ''))![1]
  return first.split(',').map((k) => k.trim()).sort()
}

const keysOf = (stdout: string) => Object.keys(JSON.parse(stdout)).sort()

test('map, mount, apply, verify and receive print the keys the README lists', async () => {
  const f = realKernelFixture('f-lvm2-4k-64k')
  const dir = scratchDir('json')
  const map = await runCli(['map', '--cow', f.cow1, '--snapshot', f.snap2, '--json'])
  expect(keysOf(map.stdout)).toEqual(documentedKeys('map'))

  mounted = await mountWithCli(path.join(dir, 'mnt'), ['--mkdir', '--cow', f.cow1, '--snapshot', f.snap2, '--name', 'g'])
  const mountKeys = Object.keys(mounted.summary).sort()
  expect(mountKeys).toEqual(documentedKeys('mount'))
  const gen = path.join(mounted.mountpoint, 'g')

  const target = path.join(dir, 'target.img')
  copyFileSync(f.base, target)
  expect(keysOf((await runCli(['apply', '--json', gen, target])).stdout)).toEqual(documentedKeys('apply'))
  expect(keysOf((await runCli(['verify', '--json', gen, target])).stdout)).toEqual(documentedKeys('verify'))
  copyFileSync(f.base, target)
  const received = await runCommand('sh', ['-c', `"${process.execPath}" "${CLI}" send "${gen}" | "${process.execPath}" "${CLI}" receive --json "${target}"`])
  expect(keysOf(received.stdout)).toEqual(documentedKeys('receive'))
})
