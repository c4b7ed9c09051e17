// The newcomer's path: run the demo, follow the dd recipe it prints, and get a
// backup identical to the newest snapshot.
import { readFileSync } from 'fs'
import path from 'path'
import { runCli, runCommand } from '../helpers/cli'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'

const cwd = scratchDir('demo')
const mnt = path.join(cwd, 'demo', 'mnt')

afterAll(async () => {
  // Strict unmount first; a lazy one if the test failed half-way.
  const strict = await runCli(['umount', mnt])
  if (strict.exitCode !== 0) await runCommand('fusermount', ['-uz', mnt])
  removeScratchRoot()
})

test('the printed dd recipe brings the backup from snap1 to snap3 through the mount', async () => {
  const demo = await runCli(['demo', 'demo'], { cwd })
  expect(demo.stderr).toBe('')
  expect(demo.exitCode).toBe(0)
  expect(readFileSync('/proc/mounts', 'utf8')).toContain(mnt)
  const text = demo.stdout
  const recipe = text.slice(text.indexOf('  for g in gen1 gen2'), text.indexOf('\nOr with snapdelta'))
  expect(recipe).toMatch(/iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc/)
  const backup = path.join(cwd, 'demo', 'backup.img')
  const snap3 = path.join(cwd, 'demo', 'snap3.img')
  expect(readFileSync(backup).equals(readFileSync(snap3))).toBe(false)
  const result = await runCommand('bash', ['-euo', 'pipefail', '-c', recipe], { cwd })
  expect(result.stderr).toBe('')
  expect(result.stdout.trim()).toBe('backup == snap3')
  expect(readFileSync(backup).equals(readFileSync(snap3))).toBe(true)
})

test('--no-mount only writes the images', async () => {
  const dir = scratchDir('demo-nomount')
  const demo = await runCli(['demo', dir, '--no-mount', '--json'])
  expect(demo.exitCode).toBe(0)
  const json = JSON.parse(demo.stdout)
  expect(json.mountpoint).toBeNull()
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(dir)
  expect(readFileSync(json.snap1).equals(readFileSync(json.backup))).toBe(true)
})
