// Issue 9: two writers on one TARGET at once both exited 0 and left a mix of
// two generations. apply, receive and backup now take TARGET's write lock
// (src/copy/target-lock.ts); a second writer is refused with exit 6 and
// writes nothing, and a lock whose owner is gone (kill -9) is taken over.
import { execFileSync, spawn } from 'child_process'
import { createHash } from 'crypto'
import { readFileSync, statSync, writeFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { scratchGeneration, snapdelta } from './attack-helpers'
import { lockTarget } from '../../src/copy/target-lock'
import { runtimeDir } from '../../src/io/runtime-dir'
import { writeGenerationFolder } from '../integration/copy-helpers'
import { CLI } from '../helpers/cli'

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

export const attacks: Attack[] = [
  {
    item: 20,
    title: 'apply and receive: a second writer on the same TARGET is refused with exit 6 and writes nothing',
    run: async () => {
      const g = scratchGeneration('one-writer')
      const folder = path.join(g.dir, 'gen')
      await writeGenerationFolder(folder, g.fixture.cow1, g.snapshot)
      const stream = path.join(g.dir, 'delta.stream')
      execFileSync('sh', ['-c', `"${process.execPath}" "${CLI}" send -q "${folder}" > "${stream}"`])
      const before = sha256(g.target)
      // Another run holds the lock: this test process, alive, with its boot id and start time.
      const held = await lockTarget(g.target, `file:${statSync(g.target).dev}:${statSync(g.target).ino}`)
      try {
        for (const args of [['apply', folder, g.target], ['receive', '--from', stream, g.target]]) {
          const result = await snapdelta(args)
          expect(result.exitCode).toBe(6)
          expect(result.stderr).toContain(`another snapdelta write to ${g.target} is running (pid ${process.pid}`)
        }
        // A symlink to TARGET is the same TARGET.
        const link = path.join(g.dir, 'link.img')
        execFileSync('ln', ['-s', '--', g.target, link])
        expect((await snapdelta(['apply', folder, link])).exitCode).toBe(6)
        expect(sha256(g.target)).toBe(before)
      } finally {
        await held.release()
      }
      const applied = await snapdelta(['apply', folder, g.target])
      expect(applied.exitCode).toBe(0)
      expect(sha256(g.target)).toBe(sha256(g.fixture.snap2))
    },
  },
  {
    item: 20,
    title: "a TARGET lock left by a writer killed with kill -9 is taken over",
    run: async () => {
      const g = scratchGeneration('stale-writer')
      const folder = path.join(g.dir, 'gen')
      await writeGenerationFolder(folder, g.fixture.cow1, g.snapshot)
      // A process that really ran, then died: its lock names a pid that no longer exists.
      const child = spawn('sleep', ['60'])
      const pid = child.pid as number
      child.kill('SIGKILL')
      await new Promise((resolve) => child.on('exit', resolve))
      const key = createHash('sha256').update(`file:${statSync(g.target).dev}:${statSync(g.target).ino}`).digest('hex').slice(0, 16)
      writeFileSync(path.join(runtimeDir(), `target-${key}.lock`), JSON.stringify({ pid }) + '\n')
      const applied = await snapdelta(['apply', '--quiet', folder, g.target])
      expect(applied.stderr).toBe('')
      expect(applied.exitCode).toBe(0)
      expect(sha256(g.target)).toBe(sha256(g.fixture.snap2))
    },
  },
]
