// Item 2: apply and verify used to read "directly from the snapshot" that a
// copied generation directory's info.json names whenever device and inode
// numbers matched. Those are reused, so a copy whose snapshot file had been
// rewritten in place (same inode) was applied with the new content: wrong
// data, exit 0, and verify --changed-only said identical. Now only a live
// snapdelta mount's own directory is read from the snapshot directly.
import { execFileSync } from 'child_process'
import path from 'path'
import { Attack } from './attack'
import { scratchGeneration, snapdelta, withMount } from './attack-helpers'
import { runCommand } from '../helpers/cli'

async function cmp(a: string, b: string): Promise<boolean> {
  return (await runCommand('cmp', ['-s', a, b])).exitCode === 0
}

export const attacks: Attack[] = [
  {
    item: 2,
    title: "a copied generation directory is applied from its own changed/ files even after its snapshot was rewritten in place",
    run: async () => {
      const g = scratchGeneration('copied-info')
      const copy = path.join(g.dir, 'copy')
      await withMount(g, async (m) => {
        execFileSync('cp', ['-r', '--', `${m.mountpoint}/gen`, copy])
      })
      // Same path, same inode, same size, other content: what a reused inode or loop minor looks like.
      execFileSync('dd', [`if=${g.fixture.base}`, `of=${g.snapshot}`, 'conv=notrunc', 'status=none'])
      const applied = await snapdelta(['apply', '--json', copy, g.target])
      expect(applied.stderr).toBe('')
      expect(applied.exitCode).toBe(0)
      expect(JSON.parse(applied.stdout).source).not.toContain('data read from')
      expect(await cmp(g.target, g.fixture.snap2)).toBe(true)
      const verified = await snapdelta(['verify', '--changed-only', '--quiet', copy, g.target])
      expect(verified.exitCode).toBe(0)
      // And verify is not fooled the other way round: the untouched base differs from the copy's runs.
      expect((await snapdelta(['verify', '--changed-only', '--quiet', copy, g.fixture.base])).exitCode).toBe(1)
    },
  },
  {
    item: 2,
    title: "a live mount's own generation directory is still read straight from the snapshot it serves",
    run: async () => {
      const g = scratchGeneration('live-direct')
      await withMount(g, async (m) => {
        const applied = await snapdelta(['apply', '--json', `${m.mountpoint}/gen`, g.target])
        expect(applied.exitCode).toBe(0)
        expect(JSON.parse(applied.stdout).source).toContain(`data read from ${g.snapshot}`)
        expect(await cmp(g.target, g.fixture.snap2)).toBe(true)
      })
    },
  },
]
