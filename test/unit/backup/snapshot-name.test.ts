// Names of the snapshots snapdelta backup makes.
import { freeName, snapshotName } from '../../../src/backup/rotation'

describe('the name of a new snapshot', () => {
  test('never the recorded base, even one removed by hand within the same second', () => {
    const now = snapshotName('home', new Date())
    const noSnapshots = { kind: 'cow' as const, origin: {} as never, snapshots: [] }
    expect(freeName('home', noSnapshots, now)).not.toBe(now)
    expect(freeName('home', noSnapshots, null)).toMatch(/^home-snapdelta-\d{8}T\d{6}Z/)
  })
})
