// Item 6: `map --snapshot COW` printed a map although `mount` refuses the
// same COW as a snapshot. Both now make the same checks, through the same code.
import { Attack } from './attack'
import { scratchGeneration, snapdelta } from './attack-helpers'

export const attacks: Attack[] = [
  {
    item: 6,
    title: 'map refuses a COW device given as --snapshot, as mount does',
    run: async () => {
      const g = scratchGeneration('map-cow')
      const result = await snapdelta(['map', '--cow', g.fixture.cow1, '--snapshot', g.fixture.cow2])
      expect(result.exitCode).toBe(3)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/starts with a snapshot COW header: it is a COW device, not a snapshot/)
    },
  },
]
