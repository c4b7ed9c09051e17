import { InvalidInputError } from '../../../src/errors'
import { MAX_THIN_ID, toThinId } from '../../../src/thin/thin-id'

describe('toThinId', () => {
  it('takes whole numbers from 0 to 2^24 - 1, as numbers or decimal text', () => {
    expect(toThinId(0, 'id')).toBe(0)
    expect(toThinId('42', 'id')).toBe(42)
    expect(toThinId(MAX_THIN_ID, 'id')).toBe(2 ** 24 - 1)
  })

  it.each([[-1], [2 ** 24], [1.5], [NaN], ['1e3'], ['-1'], [' 1'], ['0x10'], [''], ['123456789']])('refuses %p, saying what was expected', (value) => {
    expect(() => toThinId(value, '--from-id')).toThrow(InvalidInputError)
    expect(() => toThinId(value, '--from-id')).toThrow(/^--from-id: expected a thin device id \(a whole number from 0 to 16777215\), got `/)
  })
})
