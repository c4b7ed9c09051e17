// The rules that name a generation's two ends, without devices: what lvs
// says wins, then what device-mapper says, then --base-name and the name.
import { InvalidInputError, UsageError } from '../../../src/errors'
import { MAX_BASE_NAME_BYTES, resolveFrom, resolveIdentities } from '../../../src/generation/resolve-identities'
import { MAX_SNAPSHOT_NAME_BYTES } from '../../../src/stream/snapshot-slot'

const S1 = { name: 'home-snap1', uuid: 'Qr78St-90Uv-12Wx-34Yz-56Ab-78Cd-90Ef12' }
const S2 = { name: 'home-snap2', uuid: 'ZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZ' }
const cowPath = '/dev/mapper/vg0-home--snap1-cow'

test('files: the from-name is --base-name (else unknown), the to-name the generation name', () => {
  expect(resolveIdentities({ cowPath, baseName: 's1' }, 's2')).toEqual({ from: { name: 's1', uuid: null }, to: { name: 's2', uuid: null } })
  expect(resolveIdentities({ cowPath }, 's2')).toEqual({ from: { name: null, uuid: null }, to: { name: 's2', uuid: null } })
})

test('devices name both ends over the names; lvs over the devices', () => {
  expect(resolveIdentities({ cowPath, cowDevice: S1, snapshotDevice: S2 }, 'byhand')).toEqual({ from: S1, to: S2 })
  const lvs = { name: 'other', uuid: 'u' }
  expect(resolveIdentities({ cowPath, from: lvs, cowDevice: S1, snapshotDevice: S2 }, 'g').from).toBe(lvs)
})

test('a --base-name the COW contradicts is refused naming both; one it agrees with is fine', () => {
  const conflict = () => resolveIdentities({ cowPath, baseName: 'home-snap0', cowDevice: S1, snapshotDevice: S2 }, 'g')
  expect(conflict).toThrow(UsageError)
  expect(conflict).toThrow(`--base-name home-snap0: the COW ${cowPath} belongs to the snapshot home-snap1`)
  expect(resolveFrom({ cowPath, baseName: 'home-snap1', cowDevice: S1 })).toEqual(S1)
})

test('a generation from a snapshot to itself is refused: as a usage error when named by hand, else as the wrong COW', () => {
  expect(() => resolveIdentities({ cowPath: 'cow.img', baseName: 'snap2' }, 'snap2')).toThrow(UsageError)
  expect(() => resolveIdentities({ cowPath: 'cow.img', baseName: 'snap2' }, 'snap2')).toThrow(/--base-name snap2 is also the generation's name/)
  const sameLv = () => resolveIdentities({ cowPath: '/dev/mapper/vg0-home--snap2-cow', cowDevice: S2, snapshotDevice: S2 }, 'g')
  expect(sameLv).toThrow(InvalidInputError)
  expect(sameLv).toThrow(/both are home-snap2 \(uuid ZZZZZZ/)
})

test('--base-name must fit a stream header slot: 1 to 255 bytes, no NUL', () => {
  expect(MAX_BASE_NAME_BYTES).toBe(MAX_SNAPSHOT_NAME_BYTES)
  for (const bad of ['', 'a\0b', 'x'.repeat(256), '\u20ac'.repeat(86)]) {
    expect(() => resolveFrom({ cowPath, baseName: bad })).toThrow(UsageError)
  }
  expect(resolveFrom({ cowPath, baseName: 'y'.repeat(255) }).name).toHaveLength(255)
})
