// Ceph interop (issue 11, item 4): generations sent as "rbd diff v1" files,
// checked with Ceph's own client (`rbd merge-diff`, offline: no cluster),
// and received back onto a copy of the base; hostile diffs refused.
import { copyFileSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { runCli, runCommand } from '../helpers/cli'
import { realKernelFixture, RealKernelFixture } from '../helpers/fixtures'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'
import { sha256File } from './copy-helpers'
import { encodeEnd, encodeExtent, encodeSize, encodeSnapName, RBD_DIFF_HEADER, RBD_TAG } from '../../src/format/rbd-diff'

jest.setTimeout(60_000)
afterAll(removeScratchRoot)

async function sendDiff(args: string[], out: string): Promise<void> {
  const r = await runCommand('sh', ['-c', `"${process.execPath}" "${path.join(__dirname, '../../bin/snapdelta.js')}" send --format rbd-diff ${args.map((a) => `'${a}'`).join(' ')} > "${out}"`])
  expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' })
}

async function gens(f: RealKernelFixture, dir: string): Promise<[string, string]> {
  const g1 = path.join(dir, 'g1.diff')
  const g2 = path.join(dir, 'g2.diff')
  await sendDiff(['--cow', f.cow1, '--snapshot', f.snap2, '--from-snap', 's1', '--to-snap', 's2'], g1)
  await sendDiff(['--cow', f.cow2, '--snapshot', f.origin, '--from-snap', 's2', '--to-snap', 's3'], g2)
  return [g1, g2]
}

function baseCopy(f: RealKernelFixture, dir: string, name: string): string {
  const target = path.join(dir, name)
  copyFileSync(f.base, target)
  return target
}

test.each(['f-lvm2-4k-64k', 'c-zero-writes-8k'])('%s: rbd merge-diff of gen1 and gen2, received onto the base, gives snap3; each in turn too', async (name) => {
  const f = realKernelFixture(name)
  const dir = scratchDir(`rbd-${name}`)
  const [g1, g2] = await gens(f, dir)
  const merged = path.join(dir, 'merged.diff')
  const merge = await runCommand('rbd', ['merge-diff', '--no-progress', g1, g2, merged])
  expect(merge.exitCode).toBe(0)
  const target = baseCopy(f, dir, 'merged.img')
  const received = await runCli(['receive', '--json', '--from', merged, target])
  expect(received.exitCode).toBe(0)
  expect(JSON.parse(received.stdout)).toMatchObject({ format: 'rbd-diff', fromSnap: 's1', toSnap: 's3' })
  expect(sha256File(target)).toBe(sha256File(f.origin))

  const stepwise = baseCopy(f, dir, 'stepwise.img')
  const first = await runCli(['receive', '--json', '--from', g1, stepwise])
  expect(first.exitCode).toBe(0)
  expect(sha256File(stepwise)).toBe(sha256File(f.snap2))
  expect((await runCli(['receive', stepwise], { input: readFileSync(g2) })).exitCode).toBe(0)
  expect(sha256File(stepwise)).toBe(sha256File(f.origin))
  if (name === 'c-zero-writes-8k') {
    // Chunks written with zeros travel as zero records, no data.
    expect(JSON.parse(first.stdout).zeroRecords).toBeGreaterThan(0)
  }
  // Ceph's own check of the chain: gen2 does not start where gen1 ends the other way round.
  expect((await runCommand('rbd', ['merge-diff', '--no-progress', g2, g1, path.join(dir, 'wrong.diff')])).exitCode).not.toBe(0)
})

test('a delta whose base has no name needs --from-snap; --base-name gives it', async () => {
  const f = realKernelFixture('f-lvm2-4k-64k')
  const r = await runCli(['send', '--format', 'rbd-diff', '--cow', f.cow1, '--snapshot', f.snap2])
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toMatch(/give --from-snap NAME/)
  const dir = scratchDir('rbd-names')
  const out = path.join(dir, 'named.diff')
  await sendDiff(['--cow', f.cow1, '--snapshot', f.snap2, '--base-name', 'monday'], out)
  const bytes = readFileSync(out)
  expect(bytes.subarray(0, RBD_DIFF_HEADER.length + 11).toString('latin1')).toBe('rbd diff v1\nf\x06\0\0\0monday')
  expect((await runCli(['send', '--from-snap', 'x', '--cow', f.cow1, '--snapshot', f.snap2])).exitCode).toBe(2)
})

describe('a hostile or broken rbd diff', () => {
  const f = () => realKernelFixture('f-lvm2-4k-64k')
  const size = () => readFileSync(f().base).length
  const data = Buffer.alloc(4096, 0x5a)
  const diff = (...parts: Buffer[]) => Buffer.concat([RBD_DIFF_HEADER, ...parts])

  test.each([
    ['another image size', () => diff(encodeSize(size() * 2), encodeEnd()), 3, /is \d+ bytes|size/],
    ['an unknown tag before any write', () => diff(encodeSize(size()), Buffer.from('q')), 3, /unknown record tag 0x71.*nothing was written/],
    ['a data record before the size', () => diff(encodeExtent(RBD_TAG.write, 0, 4096), data, encodeEnd()), 3, /before the size record/],
    ['a record past the end', () => diff(encodeSize(size()), encodeExtent(RBD_TAG.zero, size() - 512, 4096), encodeEnd()), 3, /out of place/],
    ['a snapshot name of 1 GiB', () => diff(Buffer.from([RBD_TAG.from, 0, 0, 0, 0x40])), 3, /snapshot name of 1073741824 bytes/],
    ['an rbd diff v2 (export-format 2)', () => Buffer.concat([Buffer.from('rbd diff v2\n'), Buffer.alloc(200)]), 3, /not a snapdelta stream/],
  ])('%s: refused, the target unchanged', async (_what, make, exitCode, message) => {
    const dir = scratchDir('rbd-bad')
    const target = baseCopy(f(), dir, 't.img')
    const file = path.join(dir, 'bad.diff')
    writeFileSync(file, make())
    const r = await runCli(['receive', '--from', file, target])
    expect(r.exitCode).toBe(exitCode)
    expect(r.stderr).toMatch(message)
    expect(sha256File(target)).toBe(sha256File(f().base))
  })

  test('cut after a write, or records out of order after one: exit 5, the target said to be incomplete', async () => {
    const dir = scratchDir('rbd-cut')
    for (const bytes of [
      diff(encodeSnapName(RBD_TAG.to, 's2'), encodeSize(size()), encodeExtent(RBD_TAG.write, 8192, 4096), data),
      diff(encodeSize(size()), encodeExtent(RBD_TAG.write, 8192, 4096), data, encodeExtent(RBD_TAG.zero, 0, 4096), encodeEnd()),
      diff(encodeSize(size()), encodeExtent(RBD_TAG.zero, 0, 4096), encodeEnd(), Buffer.from('trailing')),
    ]) {
      const target = baseCopy(f(), dir, 't.img')
      const file = path.join(dir, 'cut.diff')
      writeFileSync(file, bytes)
      const r = await runCli(['receive', '--from', file, target])
      expect(r.exitCode).toBe(5)
      expect(r.stderr).toMatch(/is incomplete \(1 records were written\): apply the whole diff again/)
    }
  })

  test('--history is refused for an rbd diff: its ranges are not known before its data', async () => {
    const dir = scratchDir('rbd-history')
    const [g1] = await gens(f(), dir)
    const target = baseCopy(f(), dir, 't.img')
    const r = await runCli(['receive', '--history', path.join(dir, 'h'), '--from', g1, target])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/is an rbd diff: .*without --history/)
    expect(sha256File(target)).toBe(sha256File(f().base))
  })
})
