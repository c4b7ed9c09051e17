// Each generation names the snapshot it starts from and the one it leads to
// (issue 9). Image files name nothing themselves: the to-name is the
// generation's --name and the from-name is --base-name, per --cow/--snapshot
// group; map --json, info.json and the delta stream all carry them.
import { readFileSync } from 'fs'
import path from 'path'
import { runCli, runCommand } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { forceUnmount, Mounted, mountWithCli, strictUnmount } from '../helpers/mount'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'

afterAll(removeScratchRoot)

const f = () => realKernelFixture('f-lvm2-4k-64k')

test('map --json --base-name: from and to', async () => {
  const result = await runCli(['map', '--json', '--cow', f().cow1, '--snapshot', f().snap2, '--base-name', 'home-snap1'])
  expect(result.exitCode).toBe(0)
  expect(JSON.parse(result.stdout)).toMatchObject({ from: { name: 'home-snap1', uuid: null }, to: { name: 'snap2', uuid: null } })
  const cowOnly = JSON.parse((await runCli(['map', '--json', '--cow', f().cow1])).stdout)
  expect(cowOnly).toMatchObject({ from: { name: null, uuid: null }, to: { name: null, uuid: null } })
})

test('mount: --name and --base-name pair with their --cow/--snapshot group; info.json and delta.stream carry both', async () => {
  const dir = scratchDir('identity-mount')
  let mounted: Mounted | undefined
  try {
    mounted = await mountWithCli(path.join(dir, 'mnt'), [
      '--mkdir',
      '--base-name', 's1', '--cow', f().cow1, '--snapshot', f().snap2, '--name', 's2',
      '--cow', f().cow2, '--snapshot', f().origin, '--name', 's3', '--base-name', 's2',
    ])
    const info = (g: string) => JSON.parse(readFileSync(`${mounted!.mountpoint}/${g}/info.json`, 'utf8'))
    expect(info('s2')).toMatchObject({ from: { name: 's1', uuid: null }, to: { name: 's2', uuid: null } })
    expect(info('s3')).toMatchObject({ from: { name: 's2', uuid: null }, to: { name: 's3', uuid: null } })
    const target = path.join(dir, 'backup.img')
    await runCommand('cp', ['--', f().base, target])
    const received = await runCli(['receive', '--json', '--from', `${mounted.mountpoint}/s2/delta.stream`, target])
    expect(JSON.parse(received.stdout)).toMatchObject({ streamVersion: 2, from: { name: 's1' }, to: { name: 's2' }, contentChecked: true })
    await strictUnmount(mounted)
  } finally {
    if (mounted) await forceUnmount(mounted)
  }
})

test("mount's summary names both ends: in JSON as {name, uuid}, in text as short names", async () => {
  const mountpoint = path.join(scratchDir('identity-summary'), 'm')
  const result = await runCli(['mount', mountpoint, '--mkdir', '--cow', f().cow1, '--snapshot', f().snap2, '--base-name', 's1', '--cow', f().cow2, '--snapshot', f().origin])
  try {
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/^  snap2\/: from s1 to snap2, .* changed in \d+ runs/m)
    expect(result.stdout).toMatch(/^  origin\/: from an unknown snapshot to origin, /m)
  } finally {
    await forceUnmount({ mountpoint })
  }
})

test('two --base-name in one group, one in no group, or --base-name with a generation directory or --full, are usage errors', async () => {
  const twice = await runCli(['mount', path.join(scratchDir('identity-twice'), 'm'), '--mkdir', '--cow', f().cow1, '--base-name', 'a', '--base-name', 'b', '--snapshot', f().snap2])
  expect(twice.exitCode).toBe(2)
  expect(twice.stderr).toContain('this generation already has --base-name "a"')
  const withDir = await runCli(['send', '--base-name', 'a', scratchDir('identity-dir')])
  expect(withDir.exitCode).toBe(2)
  const full = await runCli(['send', '--full', '--snapshot', f().snap2, '--base-name', 'a'])
  expect(full.exitCode).toBe(2)
  expect(full.stderr).toContain('a --full stream has none')
  const alone = await runCli(['mount', path.join(scratchDir('identity-alone'), 'm'), '--mkdir', '--base-name', 'a'])
  expect(alone.exitCode).toBe(2)
  expect(alone.stderr).toContain('--base-name a is not part of a --cow/--snapshot group')
})
