// Checks a history directory the way a user restores from it: mount it with
// `snapdelta mount --history` and cmp every generation's full.img with the
// image it must equal, oldest first; never leaves the mount behind.
import path from 'path'
import { runCommand } from './cli'
import { forceUnmount, mountWithCli, strictUnmount } from './mount'

/** Asserts that the history in `history` restores exactly `expected` (image paths, oldest generation first). */
export async function expectGenerations(history: string, expected: string[]): Promise<void> {
  const mounted = await mountWithCli(path.join(path.dirname(history), `mnt-${process.hrtime.bigint()}`), ['--mkdir', '--history', history])
  try {
    const names = mounted.summary.generations.map((g) => g.name as string)
    expect(names.length).toBe(expected.length)
    for (let i = 0; i < expected.length; i++) {
      const cmp = await runCommand('cmp', ['--', `${mounted.mountpoint}/${names[i]}/full.img`, expected[i]])
      expect({ generation: names[i], cmp: cmp.exitCode, out: cmp.stdout }).toEqual({ generation: names[i], cmp: 0, out: '' })
    }
    await strictUnmount(mounted)
  } finally {
    await forceUnmount(mounted)
  }
}
