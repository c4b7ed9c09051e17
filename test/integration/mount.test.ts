// A real FUSE mount of every valid real-kernel fixture plus a generated
// scenario with a partial last chunk, all as generations of one mount, read
// with real tools: cmp, dd, rsync, ls, hexdump, du, stat.
import { createHash } from 'crypto'
import { chmodSync, createReadStream, mkdirSync } from 'fs'
import path from 'path'
import { realKernelFixture, validRealKernelFixtureNames } from '../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { runCommand } from '../helpers/cli'
import { forceUnmount, isMounted, isRunning, Mounted, mountWithCli, strictUnmount } from '../helpers/mount'
import { writeScenario, pseudoRandomBytes } from '../../src/cow/scenario'

interface Gen {
  name: string
  base: string
  snap2: string
  cow1: string
  expectedChangedChunks?: number
}

const gens: Gen[] = []
let mounted: Mounted | undefined
let mnt: string
let work: string
const hashesBefore = new Map<string, string>()

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject)
  })
}

function bash(script: string, ...args: string[]) {
  return runCommand('bash', ['-euo', 'pipefail', '-c', script, 'bash', ...args])
}

beforeAll(async () => {
  for (const name of validRealKernelFixtureNames()) {
    const f = realKernelFixture(name)
    gens.push({ name, base: f.base, snap2: f.snap2, cow1: f.cow1, expectedChangedChunks: f.meta.expected_changed_chunks.cow1 })
  }
  // 1 MiB + 1000 bytes: a partial last chunk, changed; and a changed chunk that became all zeros.
  const scenario = await writeScenario(scratchDir('scenario'), {
    deviceSizeBytes: (1 << 20) + 1000,
    chunkSizeSectors: 16,
    writes: [
      { offsetBytes: 0, data: pseudoRandomBytes(3000, 11) },
      { offsetBytes: 40_000, data: Buffer.alloc(8192) },
      { offsetBytes: 300_000, data: pseudoRandomBytes(50_000, 12) },
      { offsetBytes: (1 << 20) + 10, data: pseudoRandomBytes(500, 13) },
    ],
  })
  gens.push({ name: 'scenario', base: scenario.base, snap2: scenario.snap2, cow1: scenario.cow1 })
  for (const g of gens) for (const file of [g.cow1, g.snap2]) hashesBefore.set(file, await sha256(file))

  work = scratchDir('mount')
  mnt = path.join(work, 'mnt')
  mkdirSync(mnt)
  // Let `nobody` reach the mountpoint, so only the mount itself can refuse it.
  chmodSync(path.dirname(work), 0o755)
  chmodSync(work, 0o755)
  const args = gens.flatMap((g) => ['--cow', g.cow1, '--snapshot', g.snap2, '--name', g.name])
  mounted = await mountWithCli(mnt, args)
}, 120_000)

afterAll(async () => {
  if (mounted) await forceUnmount(mounted)
  removeScratchRoot()
})

test('the root holds one directory per generation, each with the documented files', async () => {
  const root = await runCommand('ls', ['-1', mnt])
  expect(root.stdout.trim().split('\n')).toEqual(gens.map((g) => g.name).sort())
  const gen = await runCommand('ls', ['-1', path.join(mnt, 'scenario')])
  expect(gen.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['changed', 'chunks.map', 'delta.img', 'full.img', 'info.json']))
})

describe.each(['a-random-4k', 'c-zero-writes-8k', 'f-lvm2-4k-64k', 'scenario'])('generation %s', (name) => {
  const gen = () => gens.find((g) => g.name === name)!
  const dir = () => path.join(mnt, name)

  test('full.img is the new snapshot byte for byte (cmp)', async () => {
    const r = await runCommand('cmp', [path.join(dir(), 'full.img'), gen().snap2])
    expect(r.stderr + r.stdout).toBe('')
    expect(r.exitCode).toBe(0)
  })

  test('dd driven by chunks.map onto a copy of base.img gives snap2.img', async () => {
    const copy = path.join(work, `${name}-dd.img`)
    const r = await bash(
      `cp "$1" "$3"
       grep -v '^#' "$2/chunks.map" | while read -r off len rest; do
         dd if="$2/delta.img" of="$3" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc \
            skip="$off" seek="$off" count="$len" status=none
       done
       cmp "$3" "$4"`,
      gen().base,
      dir(),
      copy,
      gen().snap2,
    )
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
  })

  test('rsync -a of changed/ and chunks.map elsewhere, then applied with dd, gives snap2.img', async () => {
    const elsewhere = path.join(work, `${name}-rsync`)
    const copy = path.join(work, `${name}-rsync.img`)
    const r = await bash(
      `mkdir -p "$3"
       rsync -a "$2/changed/" "$3/changed/"
       rsync -a "$2/chunks.map" "$3/"
       cp "$1" "$4"
       grep -v '^#' "$3/chunks.map" | while read -r off len rest; do
         f="$3/changed/$(printf '%016x' "$off")"
         test "$(stat -c %s "$f")" -eq "$len"
         dd if="$f" of="$4" bs=1M oflag=seek_bytes conv=notrunc seek="$off" status=none
       done
       cmp "$4" "$5"`,
      gen().base,
      dir(),
      elsewhere,
      copy,
      gen().snap2,
    )
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
  })

  test('ls changed/ lists exactly the offsets of chunks.map, in hex', async () => {
    const ls = await runCommand('ls', [path.join(dir(), 'changed')])
    const map = await runCommand('grep', ['-v', '^#', path.join(dir(), 'chunks.map')])
    const offsets = map.stdout.trim().split('\n').map((line) => Number(line.split(' ')[0]))
    expect(offsets.length).toBeGreaterThan(0)
    expect(ls.stdout.trim().split('\n')).toEqual(offsets.map((o) => o.toString(16).padStart(16, '0')))
  })

  test('hexdump -C of the first and last changed files shows the snapshot bytes there', async () => {
    const map = await runCommand('grep', ['-v', '^#', path.join(dir(), 'chunks.map')])
    const lines = map.stdout.trim().split('\n')
    for (const line of [lines[0], lines[lines.length - 1]]) {
      const [off, len] = line.split(' ')
      const file = path.join(dir(), 'changed', Number(off).toString(16).padStart(16, '0'))
      const shown = await runCommand('hexdump', ['-C', file])
      const expected = await bash(
        'dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none | hexdump -C',
        gen().snap2,
        off,
        len,
      )
      expect(shown.exitCode).toBe(0)
      expect(shown.stdout).toBe(expected.stdout)
      expect(shown.stdout.length).toBeGreaterThan(0)
    }
  })

  test('delta.img: st_blocks and du count only the changed bytes; info.json agrees', async () => {
    const info = JSON.parse((await runCommand('cat', [path.join(dir(), 'info.json')])).stdout)
    if (gen().expectedChangedChunks !== undefined) expect(info.changedChunks).toBe(gen().expectedChangedChunks)
    const stat = await runCommand('stat', ['-c', '%s %b %B', path.join(dir(), 'delta.img')])
    const [size, blocks, blockBytes] = stat.stdout.trim().split(' ').map(Number)
    expect(size).toBe(info.deviceSizeBytes)
    expect(blocks * blockBytes).toBe(Math.ceil(info.changedBytes / 512) * 512)
    const du = await runCommand('du', ['-B1', path.join(dir(), 'delta.img')])
    expect(Number(du.stdout.split('\t')[0])).toBe(Math.ceil(info.changedBytes / 512) * 512)
    expect(info.changedBytes).toBeLessThan(size)
    if (name === 'scenario') {
      // The partial last chunk is changed: the last run ends at the device's end, not a chunk boundary.
      const last = (await runCommand('tail', ['-n1', path.join(dir(), 'chunks.map')])).stdout.trim().split(' ').map(Number)
      expect(last[0] + last[1]).toBe(size)
      expect(size % info.chunkSizeBytes).not.toBe(0)
    }
  })
})

test('the zero-chunk hazard: dd conv=sparse of the whole delta.img leaves stale data, the chunks.map recipe does not', async () => {
  // c-zero-writes-8k has changed chunks that are all zeros in snap2: skipping
  // zero blocks skips real changes.
  const g = gens.find((x) => x.name === 'c-zero-writes-8k')!
  const copy = path.join(work, 'sparse.img')
  const r = await bash(
    'cp "$1" "$3"; dd if="$2/delta.img" of="$3" bs=8k conv=sparse,notrunc status=none; cmp -s "$3" "$4" && echo same || echo differs',
    g.base,
    path.join(mnt, g.name),
    copy,
    g.snap2,
  )
  expect(r.stdout.trim()).toBe('differs')
})

test('every modifying operation fails with "Read-only file system"', async () => {
  const dir = path.join(mnt, 'scenario')
  const attempts: Array<[string, string[]]> = [
    ['bash', ['-c', `echo x > "${dir}/full.img"`]],
    ['bash', ['-c', `echo x >> "${dir}/chunks.map"`]],
    ['truncate', ['-s', '0', `${dir}/delta.img`]],
    ['touch', [`${dir}/new-file`]],
    ['touch', [`${dir}/full.img`]],
    ['rm', ['-f', `${dir}/info.json`]],
    ['rm', ['-f', `${dir}/changed/0000000000000000`]],
    ['mv', [`${dir}/full.img`, `${dir}/moved.img`]],
    ['chmod', ['666', `${dir}/full.img`]],
    ['mkdir', [`${dir}/d`]],
    ['ln', ['-s', 'full.img', `${dir}/link`]],
    ['rmdir', [`${dir}/changed`]],
    ['dd', ['if=/dev/zero', `of=${dir}/delta.img`, 'bs=4k', 'count=1', 'conv=notrunc']],
  ]
  for (const [cmd, args] of attempts) {
    const r = await runCommand(cmd, args)
    expect({ cmd, args, failed: r.exitCode !== 0, stderr: r.stderr }).toMatchObject({
      failed: true,
      stderr: expect.stringContaining('Read-only file system'),
    })
  }
  expect(await runCommand('cmp', [path.join(dir, 'full.img'), gens.find((g) => g.name === 'scenario')!.snap2])).toMatchObject({
    exitCode: 0,
  })
})

test('private by default: another user cannot read the mount', async () => {
  const asNobody = (cmd: string[]) => runCommand('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd])
  // The path up to the mountpoint is open to nobody; the mount itself is not.
  expect((await asNobody(['ls', work])).exitCode).toBe(0)
  for (const cmd of [['ls', mnt], ['cat', path.join(mnt, 'scenario', 'chunks.map')], ['stat', path.join(mnt, 'scenario')]]) {
    const r = await asNobody(cmd)
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toContain('Permission denied')
  }
  const perms = await runCommand('stat', ['-c', '%a %u', mnt, path.join(mnt, 'scenario', 'full.img')])
  expect(perms.stdout.trim().split('\n')).toEqual([`500 ${process.getuid!()}`, `400 ${process.getuid!()}`])
})

test('umount unmounts, the server exits, and the inputs are byte-identical to before', async () => {
  const m = mounted!
  await strictUnmount(m)
  mounted = undefined
  expect(await isMounted(mnt)).toBe(false)
  expect(await isRunning(m.pid)).toBe(false)
  for (const [file, hash] of hashesBefore) expect(await sha256(file)).toBe(hash)
})
