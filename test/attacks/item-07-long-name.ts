// Item 7: a --name that is not one valid path component (longer than 255
// bytes) used to mount a directory that ls shows truncated and nobody can open.
import { Attack } from './attack'
import { realKernelFixture } from '../helpers/fixtures'
import { runCli } from '../helpers/cli'
import { forceUnmount, isMounted } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'

async function mountNamed(name: string): Promise<{ exitCode: number; stderr: string; mounted: boolean }> {
  const f = realKernelFixture('a-random-4k')
  const mountpoint = scratchDir('long-name')
  const result = await runCli(['mount', mountpoint, '--cow', f.cow1, '--snapshot', f.snap2, '--name', name, '--json'])
  const mounted = await isMounted(mountpoint)
  await forceUnmount({ mountpoint, pid: result.exitCode === 0 ? JSON.parse(result.stdout).pid : undefined })
  return { exitCode: result.exitCode, stderr: result.stderr, mounted }
}

export const attacks: Attack[] = [
  {
    item: 7,
    title: 'a --name of 256 bytes (or 86 three-byte characters) is refused before mounting',
    run: async () => {
      for (const name of ['a'.repeat(256), '\u20ac'.repeat(86)]) {
        const result = await mountNamed(name)
        expect(result.mounted).toBe(false)
        expect(result.exitCode).toBe(2)
        expect(result.stderr).toMatch(/255 bytes/)
      }
    },
  },
  {
    item: 7,
    title: 'a --name of exactly 255 bytes still mounts',
    run: async () => {
      const result = await mountNamed('b'.repeat(255))
      expect(result.exitCode).toBe(0)
      expect(result.mounted).toBe(true)
    },
  },
]
