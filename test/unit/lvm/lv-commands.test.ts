import { sizeArgs } from '../../../src/lvm/lv-commands'
import { UsageError } from '../../../src/errors'

describe('sizeArgs', () => {
  it('passes percentages as extents and absolute sizes as sizes', () => {
    expect(sizeArgs('10%ORIGIN')).toEqual(['--extents', '10%ORIGIN'])
    expect(sizeArgs('2G')).toEqual(['--size', '2G'])
    expect(sizeArgs('512m')).toEqual(['--size', '512m'])
  })

  it('refuses anything else before running lvcreate', () => {
    expect(() => sizeArgs('lots')).toThrow(UsageError)
    expect(() => sizeArgs('10%')).toThrow('expected a snapshot size like 2G, 512M or 10%ORIGIN, got `10%`')
  })
})
