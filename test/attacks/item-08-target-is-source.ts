// Item 8: `apply` onto the snapshot itself (or its COW, or a loop device over
// it) wrote onto the source of the delta. A TARGET that is the same file or
// device as any input of the generation is now refused before anything is written.
import { execFileSync } from 'child_process'
import { createHash } from 'crypto'
import { readFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { scratchGeneration, snapdelta, withMount } from './attack-helpers'
import { runCommand } from '../helpers/cli'

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

export const attacks: Attack[] = [
  {
    item: 8,
    title: "apply refuses the mounted generation's own snapshot, its full.img, and the snapshot named by a copied info.json as TARGET",
    run: async () => {
      const g = scratchGeneration('target-is-source')
      const before = sha256(g.snapshot)
      const copy = path.join(g.dir, 'copy')
      await withMount(g, async (m) => {
        const gen = `${m.mountpoint}/gen`
        const onSnapshot = await snapdelta(['apply', gen, g.snapshot])
        expect(onSnapshot.exitCode).toBe(3)
        expect(onSnapshot.stderr).toContain(`is the same file or device as ${g.snapshot}`)
        const onFullImg = await snapdelta(['apply', gen, `${gen}/full.img`])
        expect(onFullImg.exitCode).toBe(3)
        execFileSync('cp', ['-r', '--', gen, copy])
      })
      const fromCopy = await snapdelta(['apply', copy, g.snapshot])
      expect(fromCopy.exitCode).toBe(3)
      expect(fromCopy.stderr).toContain('is the same file or device as')
      expect(sha256(g.snapshot)).toBe(before)
    },
  },
  {
    item: 8,
    title: 'apply refuses a loop device whose backing file is the snapshot',
    run: async () => {
      const g = scratchGeneration('target-loop')
      const attached = await runCommand('losetup', ['--find', '--show', '--', g.snapshot])
      if (attached.exitCode !== 0) {
        // No loop devices on this machine: the same-file check above still holds.
        console.warn(`item 8 loop case skipped: losetup failed: ${attached.stderr.trim()}`)
        return
      }
      const loop = attached.stdout.trim()
      try {
        const before = sha256(g.snapshot)
        await withMount(g, async (m) => {
          const result = await snapdelta(['apply', `${m.mountpoint}/gen`, loop])
          expect(result.exitCode).toBe(3)
          expect(result.stderr).toContain(`the target ${loop} is the same file or device as ${g.snapshot}`)
        })
        expect(sha256(g.snapshot)).toBe(before)
      } finally {
        await runCommand('losetup', ['--detach', loop])
      }
    },
  },
]
