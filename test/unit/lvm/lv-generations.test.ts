import { planGenerations } from '../../../src/lvm/lv-generations'
import { CowSnapshotInfo } from '../../../src/lvm/snapshots'

function snapshot(name: string, problem: string | null = null): CowSnapshotInfo {
  return {
    kind: 'cow',
    lv: {
      name, vg: 'vg-x', attr: 'swi-a-s---', origin: 'data', sizeBytes: 8 << 20, createdAt: new Date(0), chunkSizeBytes: 4096,
      snapPercent: 1, uuid: name, dmPath: `/dev/mapper/vg--x-${name}`, path: `/dev/vg-x/${name}`, poolLv: '', thinId: null,
    },
    cowPath: `/dev/mapper/vg--x-${name}-cow`,
    snapshotPath: `/dev/mapper/vg--x-${name}`,
    problem,
    kernelExceptions: 0,
  }
}

describe('planGenerations', () => {
  it('makes one delta per adjacent pair (older COW, newer data) and the newest in full, named in time order', () => {
    const plans = planGenerations([snapshot('a'), snapshot('b'), snapshot('c')])
    expect(plans.map((p) => [p.kind, p.name])).toEqual([
      ['delta', '0001-a..b'],
      ['delta', '0002-b..c'],
      ['full', '0003-c'],
    ])
    const first = plans[0]
    if (first.kind !== 'delta' || first.older.kind !== 'cow') throw new Error('expected a COW delta')
    expect(first.older.cowPath).toBe('/dev/mapper/vg--x-a-cow')
    expect(first.newer.snapshotPath).toBe('/dev/mapper/vg--x-b')
    expect([...plans.map((p) => p.name)].sort()).toEqual(plans.map((p) => p.name))
  })

  it('turns every generation touching an unusable snapshot into an error that says why, never a delta', () => {
    const plans = planGenerations([snapshot('a'), snapshot('b', 'LVM marks it invalid'), snapshot('c')])
    expect(plans.map((p) => p.kind)).toEqual(['error', 'error', 'full'])
    expect(plans[0]).toMatchObject({ message: 'no delta into snapshot vg-x/b: LVM marks it invalid' })
    expect(plans[1]).toMatchObject({ message: 'no delta from snapshot vg-x/b: LVM marks it invalid' })
  })

  it('shows an unusable newest snapshot as an error instead of its full image', () => {
    const plans = planGenerations([snapshot('a', 'it is not active')])
    expect(plans).toEqual([{ kind: 'error', name: '0001-a', message: 'snapshot vg-x/a cannot be read: it is not active' }])
  })

  it('plans nothing without snapshots', () => {
    expect(planGenerations([])).toEqual([])
  })
})
