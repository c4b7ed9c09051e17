// Thin generations from the real-kernel thin pools (issue 10), offline form
// (--thin-meta, what a quiet pool's metadata or an image allows): map's runs
// are thin_delta's ranges in bytes (left_only included), the mounted
// full.img is the newer snapshot, and every copy path (apply, delta.stream
// and send --thin-meta into receive, a copied directory's stream, the dd and
// bmaptool recipes) brings a copy of the older one to the newer byte for
// byte, left_only ranges rewritten as zeros; the chain s1 -> s2 -> s3 too.
import { execFileSync } from 'child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'fs'
import path from 'path'
import { decodeStreamHeader, RECORD_HEADER_BYTES, recordsStartBytes, STREAM_V2_HEADER_BYTES } from '../../src/stream/stream-format'
import { CLI, runCli } from '../helpers/cli'
import { forceUnmount, Mounted, mountWithCli, strictUnmount } from '../helpers/mount'
import { thinFixtureImage, thinFixtureMeta, thinFixtureNames } from '../helpers/thin-fixtures'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'
import { EXAMPLES, sh, sha256File } from './copy-helpers'

jest.setTimeout(120_000)
afterAll(removeScratchRoot)

const mounts: Mounted[] = []
afterEach(async () => {
  for (const m of mounts.splice(0)) await forceUnmount(m)
})

// thin_delta's ranges, those of one kind merged where they touch, as chunks.map lists runs.
function mergedRanges(ranges: Array<[string, number, number]>): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = []
  for (const [kind, offset, length] of [...ranges].sort((a, b) => a[1] - b[1])) {
    const last = out[out.length - 1]
    if (last && last[0] === kind && last[1] + last[2] === offset) last[2] += length
    else out.push([kind, offset, length])
  }
  return out
}

describe.each(thinFixtureNames())('%s', (name) => {
  const meta = thinFixtureMeta(name)
  const dir = scratchDir(`thin-${name}`)
  const image = (i: string) => thinFixtureImage(name, i, dir)
  const thinArgs = (left: string, right: string) => [
    '--thin-meta', image('tmeta'), '--from-id', String(meta.thin_ids[left]), '--to-id', String(meta.thin_ids[right]), '--snapshot', image(right),
  ]

  test.each(meta.pairs.map((p) => [p.left, p.right]))('map %s -> %s: the runs are thin_delta\'s ranges in bytes', async (left, right) => {
    const pair = meta.pairs.find((p) => p.left === left && p.right === right)!
    const r = await runCli(['map', ...thinArgs(left, right), '--json'])
    expect(r.stderr).toBe('')
    const json = JSON.parse(r.stdout)
    const expected = mergedRanges(pair.changed_ranges_bytes)
    expect(json.runList).toEqual(expected.map(([k, o, l]) => [o, l, k]))
    expect(json.chunkSizeBytes).toBe(meta.data_block_size_sectors * 512)
    // The text map: the kind after OFFSET LENGTH, and a header line naming the kinds.
    const text = await runCli(['map', ...thinArgs(left, right)])
    expect(text.stdout.split('\n').filter((l) => /^\d/.test(l))).toEqual(expected.map(([k, o, l]) => `${o} ${l} ${k}`))
    expect(text.stdout).toMatch(/^# kinds different left_only right_only \(third field; left_only: reads as zeros in the new snapshot, copy it too\)$/m)
  })

  test('send with the --thin options | receive turns a copy of s1 into s2, zeros of left_only included, checked against s1', async () => {
    const target = path.join(dir, 'sent.img')
    copyFileSync(image('s1'), target)
    const stream = execFileSync(process.execPath, [CLI, 'send', ...thinArgs('s1', 's2'), '--base-snapshot', image('s1')], { maxBuffer: 1 << 28 })
    const received = await runCli(['receive', '--json', target], { input: stream })
    expect(received.stderr).toBe('')
    expect(JSON.parse(received.stdout)).toMatchObject({ contentChecked: true, kind: 'delta' })
    expect(sha256File(target)).toBe(sha256File(image('s2')))
    const full = await runCli(['send', '--full', ...thinArgs('s1', 's2')])
    expect(full.exitCode).toBe(2)
    expect(full.stderr).toMatch(/the --thin options name a delta/)
  })

  test('mount s1 -> s2: full.img is s2, info.json says thin; apply (checked against s1) turns a copy of s1 into s2, then s2 -> s3 into s3', async () => {
    const mounted = await mountWithCli(path.join(dir, 'mnt'), ['--mkdir', ...thinArgs('s1', 's2'), '--base-snapshot', image('s1'), '--name', 'g1'])
    mounts.push(mounted)
    const gen = path.join(mounted.mountpoint, 'g1')
    expect(sha256File(path.join(gen, 'full.img'))).toBe(sha256File(image('s2')))
    const info = JSON.parse(readFileSync(path.join(gen, 'info.json'), 'utf8'))
    expect(info).toMatchObject({ kind: 'thin', fromThinId: meta.thin_ids.s1, toThinId: meta.thin_ids.s2, dataBlockSizeBytes: meta.data_block_size_sectors * 512 })
    // The older snapshot is a source too: never a target.
    const ontoSource = await runCli(['apply', gen, image('s1')])
    expect(ontoSource.exitCode).toBe(3)
    const target = path.join(dir, 'backup.img')
    copyFileSync(image('s1'), target)
    const applied = await runCli(['apply', '--json', gen, target])
    expect(applied.stderr).toBe('')
    // base.sha256 holds the older snapshot's sums, read from --base-snapshot.
    expect(JSON.parse(applied.stdout)).toMatchObject({ baseCheckedBy: 'base.sha256' })
    // Equal to s2 also where s2 reads zeros and s1 did not (left_only).
    expect(sha256File(target)).toBe(sha256File(image('s2')))
    // The stream path: delta.stream (with its check table from s1) received onto another copy of s1.
    const streamed = path.join(dir, 'streamed.img')
    copyFileSync(image('s1'), streamed)
    const received = await runCli(['receive', '--json', '--from', path.join(gen, 'delta.stream'), streamed])
    expect(received.stderr).toBe('')
    expect(JSON.parse(received.stdout)).toMatchObject({ contentChecked: true })
    expect(sha256File(streamed)).toBe(sha256File(image('s2')))
    // left_only runs travel as zero records: the stream carries every changed byte but those.
    const streamBytes = readFileSync(path.join(gen, 'delta.stream'))
    const decoded = decodeStreamHeader(streamBytes.subarray(0, STREAM_V2_HEADER_BYTES))
    if (!decoded.ok) throw new Error(decoded.reason)
    const { header } = decoded
    expect(info.leftOnlyBytes).toBeGreaterThan(0)
    expect(streamBytes.length).toBe(recordsStartBytes(header) + (header.records + 1) * RECORD_HEADER_BYTES + header.changedBytes - info.leftOnlyBytes)
    // A copy of the directory (chunks.map with its kinds, changed/) sends the same stream.
    const copyDir = path.join(dir, 'g1-copy')
    mkdirSync(path.join(copyDir, 'changed'), { recursive: true })
    for (const f of ['chunks.map', 'info.json', 'base.sha256']) copyFileSync(path.join(gen, f), path.join(copyDir, f))
    for (const f of readdirSync(path.join(gen, 'changed'))) copyFileSync(path.join(gen, 'changed', f), path.join(copyDir, 'changed', f))
    const sent = execFileSync(process.execPath, [CLI, 'send', copyDir], { maxBuffer: 1 << 28 })
    expect(sent.equals(streamBytes)).toBe(true)
    // The recipes that read the mount: dd driven by chunks.map (three fields now), and bmaptool on a loop device.
    for (const recipe of ['copy-with-dd.sh', 'copy-with-bmaptool.sh']) {
      const copy = path.join(dir, `${recipe}.img`)
      copyFileSync(image('s1'), copy)
      const ran = await sh(`"${EXAMPLES}/${recipe}" "${gen}" "${copy}"`)
      expect({ recipe, exitCode: ran.exitCode, stderr: ran.exitCode === 0 ? '' : ran.stderr }).toEqual({ recipe, exitCode: 0, stderr: '' })
      expect(sha256File(copy)).toBe(sha256File(image('s2')))
    }
    await strictUnmount(mounted)

    const second = await mountWithCli(path.join(dir, 'mnt2'), ['--mkdir', ...thinArgs('s2', 's3'), '--base-snapshot', image('s2'), '--name', 'g2'])
    mounts.push(second)
    expect((await runCli(['apply', path.join(second.mountpoint, 'g2'), target])).exitCode).toBe(0)
    expect(sha256File(target)).toBe(sha256File(image('s3')))
    // s1 -> s2 again onto a target holding s3: the content check refuses, nothing written.
    const replay = await mountWithCli(path.join(dir, 'mnt3'), ['--mkdir', ...thinArgs('s1', 's2'), '--base-snapshot', image('s1'), '--name', 'g1'])
    mounts.push(replay)
    const refused = await runCli(['apply', path.join(replay.mountpoint, 'g1'), target])
    expect(refused.exitCode).toBe(3)
    expect(sha256File(target)).toBe(sha256File(image('s3')))
  })
})

test('bad thin input: a half of the offline form, a mix of the two forms, an id the pool does not have, a file that is not thin metadata', async () => {
  const [name] = thinFixtureNames()
  const dir = scratchDir('thin-bad')
  const meta = thinFixtureMeta(name)
  const tmeta = thinFixtureImage(name, 'tmeta', dir)
  const s2 = thinFixtureImage(name, 's2', dir)
  const half = await runCli(['map', '--thin-meta', tmeta, '--from-id', '2'])
  expect(half.exitCode).toBe(2)
  expect(half.stderr).toMatch(/needs --thin-meta FILE --from-id A --to-id B --snapshot S2/)
  const mixed = await runCli(['map', '--thin-meta', tmeta, '--thin-from', 'vg/s1', '--from-id', '2', '--to-id', '3'])
  expect(mixed.exitCode).toBe(2)
  const missing = await runCli(['map', '--thin-meta', tmeta, '--from-id', '2', '--to-id', '99', '--snapshot', s2])
  expect(missing.exitCode).toBe(3)
  const notMeta = await runCli(['map', '--thin-meta', s2, '--from-id', '2', '--to-id', String(meta.thin_ids.s2), '--snapshot', s2])
  expect(notMeta.exitCode).toBe(3)
  expect(notMeta.stderr).toContain(s2)
})
