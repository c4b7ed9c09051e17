// Every command answers --help (exit 0, its usage line), and the top-level
// help lists every command and the exit codes.
import { buildProgram } from '../../src/cli/main'
import { runCli } from '../helpers/cli'

const names = buildProgram().commands.map((c) => c.name())

test('the command list is complete', () => {
  expect(names.sort()).toEqual(['apply', 'backup', 'demo', 'history', 'list', 'map', 'mount', 'receive', 'send', 'umount', 'verify'])
})

test('a run loads only the command it names', () => {
  expect(buildProgram(['node', 'snapdelta', 'map', '--cow', 'x']).commands.map((c) => c.name())).toEqual(['map'])
  expect(buildProgram(['node', 'snapdelta', '--version']).commands).toEqual([])
  expect(buildProgram(['node', 'snapdelta', 'frobnicate']).commands.map((c) => c.name()).sort()).toEqual([...names].sort())
})

test.each(names)('snapdelta %s --help', async (name) => {
  const result = await runCli([name, '--help'])
  expect(result.exitCode).toBe(0)
  expect(result.stdout).toMatch(new RegExp(`^Usage: snapdelta ${name} `))
})

test.each(['list', 'prune'])('snapdelta history %s --help', async (name) => {
  const result = await runCli(['history', name, '--help'])
  expect(result.exitCode).toBe(0)
  expect(result.stdout).toMatch(new RegExp(`^Usage: snapdelta history ${name} `))
})

test('snapdelta --help lists the commands and the exit codes; an unknown command is a usage error', async () => {
  const help = await runCli(['--help'])
  expect(help.exitCode).toBe(0)
  for (const name of names) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'))
  expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 verify found differences, 2 usage, 3 bad input/)
  const unknown = await runCli(['frobnicate'])
  expect(unknown.exitCode).toBe(2)
  expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/)
})

test.each([
  [['frobnicate'], /^error: unknown command 'frobnicate'$/],
  [['map', '--bogus'], /^error: (unknown option '--bogus'|required option '--cow <path>' not specified)$/],
  [['apply', 'only-one'], /^error: missing required argument 'TARGET'$/],
])('a usage error (%j) is one line and a pointer to --help, not the whole help', async (args, message) => {
  const r = await runCli(args)
  expect(r.exitCode).toBe(2)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(2)
  expect(lines[0]).toMatch(message)
  expect(lines[1]).toBe('(add --help for usage)')
})
