// Item 5: a FIFO (or another special file) given where snapdelta reads or
// writes data hung map, mount, apply, receive and verify in open(2), waiting
// for the other end. Every such path is now refused at once: exit 3 and a
// message saying what the path is and what was expected.
import { execFileSync } from 'child_process'
import { mkdirSync, writeFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { scratchGeneration, snapdelta } from './attack-helpers'
import { isMounted } from '../helpers/mount'

function fifo(dir: string, name: string): string {
  const file = path.join(dir, name)
  execFileSync('mkfifo', ['--', file])
  return file
}

async function expectRefused(args: string[], what: RegExp): Promise<void> {
  const result = await snapdelta(args, 15_000)
  expect(result.timedOut).toBe(false)
  expect(result.exitCode).toBe(3)
  expect(result.stderr).toMatch(what)
}

const FIFO_MESSAGE = /is a FIFO \(named pipe\): expected a regular file( or a block device)?/

export const attacks: Attack[] = [
  {
    item: 5,
    title: 'a FIFO as --cow, --snapshot, TARGET, --from or a generation file is refused at once, never waited on',
    run: async () => {
      const g = scratchGeneration('fifos')
      const pipe = fifo(g.dir, 'pipe')
      const mountpoint = path.join(g.dir, 'mnt')
      mkdirSync(mountpoint)
      await expectRefused(['map', '--cow', pipe], FIFO_MESSAGE)
      await expectRefused(['map', '--cow', g.fixture.cow1, '--snapshot', pipe], FIFO_MESSAGE)
      await expectRefused(['mount', mountpoint, '--cow', g.fixture.cow1, '--snapshot', pipe], FIFO_MESSAGE)
      await expectRefused(['mount', mountpoint, '--cow', pipe, '--snapshot', g.snapshot], FIFO_MESSAGE)
      expect(await isMounted(mountpoint)).toBe(false)
      await expectRefused(['send', '--cow', g.fixture.cow1, '--snapshot', pipe], FIFO_MESSAGE)

      // A copied generation folder whose files are FIFOs, and FIFO targets.
      const folder = path.join(g.dir, 'gen')
      mkdirSync(folder)
      fifo(folder, 'chunks.map')
      await expectRefused(['apply', folder, g.target], FIFO_MESSAGE)
      await expectRefused(['verify', '--changed-only', folder, g.target], FIFO_MESSAGE)
      const good = path.join(g.dir, 'good')
      const sent = await snapdelta(['map', '--cow', g.fixture.cow1, '--snapshot', g.snapshot])
      mkdirSync(good)
      writeFileSync(path.join(good, 'chunks.map'), sent.stdout)
      fifo(good, 'delta.img')
      await expectRefused(['apply', good, g.target], FIFO_MESSAGE)
      const stream = path.join(g.dir, 'delta.stream')
      execFileSync('sh', ['-c', `"${process.execPath}" "${path.join(__dirname, '..', '..', 'bin', 'snapdelta.js')}" send -q --cow "${g.fixture.cow1}" --snapshot "${g.snapshot}" > "${stream}"`])
      await expectRefused(['receive', '--from', stream, pipe], FIFO_MESSAGE)
      await expectRefused(['receive', '--from', pipe, g.target], FIFO_MESSAGE)
      await expectRefused(['verify', '--snapshot', g.snapshot, good, pipe], FIFO_MESSAGE)
    },
  },
  {
    item: 5,
    title: 'a directory or a character device is refused as a data file too',
    run: async () => {
      const g = scratchGeneration('special')
      await expectRefused(['map', '--cow', g.dir], /is a directory: expected a regular file or a block device/)
      await expectRefused(['map', '--cow', '/dev/zero'], /is a character device: expected a regular file or a block device/)
      await expectRefused(['map', '--cow', g.fixture.cow1, '--snapshot', '/dev/zero'], /is a character device/)
    },
  },
]
