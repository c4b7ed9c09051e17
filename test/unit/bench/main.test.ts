// Runs the built benchmark (dist/, built by npm test's pretest) on its
// smallest item: the command line, the child process and the JSON line.
import path from 'path'
import { runCommand } from '../../helpers/cli'

const BENCH = path.join(__dirname, '..', '..', '..', 'dist', 'bench', 'main.js')

describe('npm run bench', () => {
  test('--quick --only table prints a table and a last line of JSON with the figures', async () => {
    const ran = await runCommand(process.execPath, [BENCH, '--quick', '--only', 'table'])
    expect(ran.exitCode).toBe(0)
    const lines = ran.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^machine: \d+ x /)
    expect(lines[2]).toMatch(/^item\s+figure\s+value\s+baseline\s+ratio\s+target\s+met$/)
    const report = JSON.parse(lines[lines.length - 1])
    expect(report.quick).toBe(true)
    expect(report.machine.cpus).toBeGreaterThan(0)
    expect(report.items).toHaveLength(1)
    const [item] = report.items
    expect(item).toMatchObject({ item: 'table', status: 'ok' })
    const time = item.figures.find((f: { name: string }) => f.name === 'time to build the map')
    expect(time.value).toBeGreaterThan(0)
    expect(time.baseline.value).toBeGreaterThan(0)
    expect(item.notes.join(' ')).toMatch(/reading and decoding \d+ areas/)
  })

  test('--quick --only thin times thin_delta alone and the map built from it, with the share and the target', async () => {
    const ran = await runCommand(process.execPath, [BENCH, '--quick', '--only', 'thin'])
    expect(ran.exitCode).toBe(0)
    const [item] = JSON.parse(ran.stdout.trim().split('\n').pop()!).items
    expect(item).toMatchObject({ item: 'thin', status: 'ok' })
    const command = item.figures.find((f: { name: string }) => /daily changes: snapdelta map --thin-meta/.test(f.name))
    expect(command.value).toBeGreaterThan(0)
    expect(command.baseline).toMatchObject({ name: 'thin_delta alone > /dev/null' })
    const share = item.figures.find((f: { name: string }) => /daily changes: snapdelta's share on top of thin_delta, in process/.test(f.name))
    expect(share).toMatchObject({ unit: '%', target: '< 50%' })
    expect(item.notes.join(' ')).toMatch(/thin_restore into a \d+ byte metadata file/)
  })

  test('an unknown item is a usage error', async () => {
    const ran = await runCommand(process.execPath, [BENCH, '--only', 'nope'])
    expect(ran.exitCode).toBe(2)
    expect(ran.stderr).toContain('no item called nope')
  })
})
