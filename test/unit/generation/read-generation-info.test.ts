import { InvalidInputError } from '../../../src/errors'
import { parseGenerationInfo } from '../../../src/generation/read-generation-info'

const UNKNOWN = { name: null, uuid: null }

test('the fields the readers use come back with their types', () => {
  const text = JSON.stringify({
    name: 'g', kind: 'delta', from: { name: 's1', uuid: 'u1' }, to: { name: 's2', uuid: null }, runs: 3,
    cowPath: '/c', cowIdentity: 'block:1', snapshotPath: '/s', snapshotIdentity: 'block:2',
  })
  expect(parseGenerationInfo(text, 'info.json')).toEqual({
    kind: 'delta', snapshotPath: '/s', snapshotIdentity: 'block:2', cowPath: '/c', cowIdentity: 'block:1',
    from: { name: 's1', uuid: 'u1' }, to: { name: 's2', uuid: null },
  })
})

test('a field of another type is left out; missing ends are unknown snapshots; a non-object is refused', () => {
  const parsed = parseGenerationInfo(JSON.stringify({ kind: 'full', snapshotPath: 7, cowPath: ['x'], from: 'snap1', to: { name: 5 } }), 'info.json')
  expect(parsed).toEqual({ kind: undefined, snapshotPath: undefined, snapshotIdentity: undefined, cowPath: undefined, cowIdentity: undefined, from: UNKNOWN, to: UNKNOWN })
  expect(() => parseGenerationInfo('null', 'x/info.json')).toThrow(InvalidInputError)
  expect(() => parseGenerationInfo('[', 'x/info.json')).toThrow(SyntaxError)
})
