// Pairing mount's per-generation options into --cow/--snapshot groups.
import { GroupOption, pairGenerationOptions } from '../../../../src/cli/mount/request'

const pair = (...args: string[]) => {
  const options: Array<[GroupOption, string]> = []
  for (let i = 0; i < args.length; i += 2) options.push([args[i].slice(2) as GroupOption, args[i + 1]])
  return pairGenerationOptions(options)
}

test('--name and --base-name go to the group of the --cow/--snapshot around them, in order', () => {
  const specs = pair('--base-name', 's1', '--cow', 'c1', '--snapshot', 'n1', '--name', 's2', '--cow', 'c2', '--snapshot', 'n2', '--base-name', 's2')
  expect(specs.map((s) => [s.baseName, s.name])).toEqual([['s1', 's2'], ['s2', undefined]])
})

test('a --base-name outside any group is named as such', () => {
  expect(() => pair('--base-name', 's1')).toThrow('--base-name s1 is not part of a --cow/--snapshot group')
  expect(() => pair('--name', 'g')).toThrow('--name g is not part of a --cow/--snapshot group')
})
