// The simulated thin pool of the fake LVM tools (test/fakes/thin-sim.js) is
// only useful if it behaves like dm-thin + LVM where snapdelta can see it: the
// REAL thin_delta, run with -m on a metadata snapshot held through the fake
// dmsetup, must report every kind of change where dm-thin would, and its
// ranges must turn a copy of the older snapshot into the newer one byte for
// byte (shared/docs/lvm-thin.md). Also: the held root's round trip, EBUSY and
// EINVAL, lvremove freeing blocks, pool status, and LVM's lv_attr.
import { copyFileSync, mkdirSync, readFileSync } from 'fs'
import path from 'path'
import { CliResult, runCommand } from '../helpers/cli'
import { removeScratchRoot } from '../helpers/tmp'
import { FakeVolume } from './backup-fixture'

jest.setTimeout(60_000)

// Hyphens in both names: device-mapper doubles them.
const VG = 'tv-b'
const POOL = 'my-pool'
const TPOOL = 'tv--b-my--pool-tpool'
const B = 64 * 1024
const VOLUME_BLOCKS = 128
const SEED = 7

type Kind = 'different' | 'left_only' | 'right_only'
interface Range {
  kind: Kind | 'same'
  begin: number
  length: number
}

let fake: FakeVolume
let tmeta: string

const ok = (r: CliResult, what: string): CliResult => {
  if (r.exitCode !== 0) throw new Error(`${what}: exit ${r.exitCode}: ${r.stderr}`)
  return r
}
const lvcreate = (...args: string[]) => fake.tool('lvcreate', ...args)
const dmsetup = (...args: string[]) => fake.tool('dmsetup', ...args)
const reserve = () => dmsetup('message', '--', TPOOL, '0', 'reserve_metadata_snap')
const release = () => dmsetup('message', '--', TPOOL, '0', 'release_metadata_snap')
const poolStatus = async () => ok(await dmsetup('status', '--', TPOOL), 'dmsetup status').stdout
const write = (lv: string, offset: number, length: number, seed: number) => fake.fake('write', VG, lv, String(offset), String(length), String(seed))
const discard = (lv: string, offset: number, length: number) => fake.fake('discard', VG, lv, String(offset), String(length))

async function lvs(name: string, fields: string[]): Promise<Record<string, string>> {
  const r = ok(await fake.tool('lvs', '-a', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', fields.join(','), '--', `${VG}/${name}`), 'lvs')
  return JSON.parse(r.stdout).report[0].lv[0]
}
const thinId = async (lv: string) => (await lvs(lv, ['thin_id'])).thin_id

/** The ranges of thin_delta's output, `same` included. */
function parseDelta(xml: string): Range[] {
  return [...xml.matchAll(/<(same|different|left_only|right_only) begin="(\d+)" length="(\d+)"\/>/g)].map((m) => ({ kind: m[1] as Range['kind'], begin: Number(m[2]), length: Number(m[3]) }))
}
async function thinDelta(args: string[]): Promise<Range[]> {
  return parseDelta(ok(await runCommand('thin_delta', args, { env: fake.env }), `thin_delta ${args.join(' ')}`).stdout)
}
/** thin_delta -m between two LVs, with the metadata snapshot reserved and released through the fake dmsetup. */
async function heldDelta(left: string, right: string): Promise<Range[]> {
  ok(await reserve(), 'reserve')
  try {
    return await thinDelta(['-m', '--snap1', await thinId(left), '--snap2', await thinId(right), tmeta])
  } finally {
    ok(await release(), 'release')
  }
}
/** block -> kind of every block thin_delta reports changed. */
function changedBlocks(ranges: Range[]): Map<number, Kind> {
  const out = new Map<number, Kind>()
  for (const r of ranges) if (r.kind !== 'same') for (let b = r.begin; b < r.begin + r.length; b++) out.set(b, r.kind)
  return out
}
const blocksOf = (kind: Kind, blocks: number[]) => blocks.map((b) => [b, kind] as [number, Kind])

beforeAll(async () => {
  fake = new FakeVolume('fake-thin-pool', VG, 'thin')
  mkdirSync(fake.lvmRoot, { recursive: true })
  tmeta = fake.image(`${POOL}_tmeta`)
  await fake.fake('create-sim-thin-pool', VG, POOL, String(B), '1024')
  await fake.fake('create-sim-thin', VG, 'thin', POOL, String(VOLUME_BLOCKS * B), String(SEED))
  // Blocks 100-109 never mapped in s1.
  await discard('thin', 100 * B, 10 * B)

  // s1 the way snapdelta will make it: active, read-only.
  ok(await lvcreate('--yes', '--snapshot', '--setactivationskip', 'n', '--permission', 'r', '--name', 's1', '--', `${VG}/thin`), 'lvcreate s1')
  await write('thin', 0, B, SEED) // the same bytes again
  await write('thin', 3 * B + 1000, 512, 11)
  await write('thin', 5 * B, B, 0) // zeros over data
  await write('thin', 8 * B - 100, 200, 12) // straddles blocks 7 and 8
  await discard('thin', 20 * B, 3 * B)
  await discard('thin', 30 * B + 512, B) // parts of blocks 30 and 31: ignored
  await write('thin', 105 * B + 4096, 100, 13) // into an unmapped block
  await write('thin', 106 * B, 4096, 0) // zeros into an unmapped block
  await write('thin', 40 * B, B, 14)
  await discard('thin', 40 * B, B) // written, then discarded
  await discard('thin', 50 * B, B)
  await write('thin', 50 * B + 8192, 4096, 15) // discarded, then written in part

  ok(await lvcreate('--yes', '--snapshot', '--name', 's2', '--', `${VG}/thin`), 'lvcreate s2')
  await write('thin', 3 * B, 100, 21) // shared with s2 again
  await discard('thin', 105 * B, B)
  await write('thin', 60 * B + 100, 100, 22)
  await write('thin', 60 * B + 60000, 100, 23) // the same block again, now unshared: in place
  await discard('thin', 70 * B, 2 * B)
  await write('thin', 101 * B, B, 24)

  ok(await lvcreate('--yes', '--snapshot', '-kn', '-pr', '--name', 's3', '--', `${VG}/thin`), 'lvcreate s3')
  await write('thin', 90 * B, 10, 31) // after s3: in no snapshot
})
afterAll(removeScratchRoot)

const EXPECTED: Record<string, Array<[number, Kind]>> = {
  's1->s2': [...blocksOf('different', [0, 3, 5, 7, 8, 50]), ...blocksOf('left_only', [20, 21, 22, 40]), ...blocksOf('right_only', [105, 106])],
  's2->s3': [...blocksOf('different', [3, 60]), ...blocksOf('left_only', [70, 71, 105]), ...blocksOf('right_only', [101])],
  // 105 is unmapped in both: reported nowhere.
  's1->s3': [...blocksOf('different', [0, 3, 5, 7, 8, 50, 60]), ...blocksOf('left_only', [20, 21, 22, 40, 70, 71]), ...blocksOf('right_only', [101, 106])],
}

describe.each([
  ['s1', 's2'],
  ['s2', 's3'],
  ['s1', 's3'],
])('the real thin_delta -m from %s to %s', (left, right) => {
  let ranges: Range[]
  beforeAll(async () => {
    ranges = await heldDelta(left, right)
  })

  test('reports each change dm-thin would, as different, left_only or right_only', () => {
    expect([...changedBlocks(ranges)].sort((a, b) => a[0] - b[0])).toEqual([...EXPECTED[`${left}->${right}`]].sort((a, b) => a[0] - b[0]))
  })

  test('gives the same ranges as thin_delta without -m on the image with nothing held', async () => {
    expect(await thinDelta(['--snap1', await thinId(left), '--snap2', await thinId(right), tmeta])).toEqual(ranges)
  })

  test(`a copy of ${left} with every listed range copied from ${right} is ${right}; ranges not listed are equal`, () => {
    const a = readFileSync(fake.image(left))
    const b = readFileSync(fake.image(right))
    const rebuilt = Buffer.from(a)
    const listed = new Uint8Array(VOLUME_BLOCKS)
    for (const r of ranges) {
      if (r.kind === 'same') continue
      b.copy(rebuilt, r.begin * B, r.begin * B, (r.begin + r.length) * B)
      listed.fill(1, r.begin, r.begin + r.length)
    }
    expect(rebuilt.equals(b)).toBe(true)
    for (let blk = 0; blk < VOLUME_BLOCKS; blk++) {
      if (!listed[blk]) expect([blk, a.subarray(blk * B, (blk + 1) * B).equals(b.subarray(blk * B, (blk + 1) * B))]).toEqual([blk, true])
    }
  })
})

test('the device files read what dm-thin returns: zeros in unmapped blocks and in the unwritten part of newly mapped ones', () => {
  const s2 = readFileSync(fake.image('s2'))
  const s1 = readFileSync(fake.image('s1'))
  const zeros = (buf: Buffer, from: number, to: number) => buf.subarray(from, to).every((x) => x === 0)
  expect(zeros(s2, 20 * B, 23 * B)).toBe(true)
  expect(zeros(s2, 105 * B, 105 * B + 4096)).toBe(true)
  expect(zeros(s2, 105 * B + 4196, 106 * B)).toBe(true)
  expect(zeros(s2, 50 * B, 50 * B + 8192)).toBe(true)
  // The partial discard left blocks 30 and 31 as they were, and the identical rewrite block 0.
  expect(s2.subarray(30 * B, 32 * B).equals(s1.subarray(30 * B, 32 * B))).toBe(true)
  expect(s2.subarray(0, B).equals(s1.subarray(0, B))).toBe(true)
})

test('the held root: dmsetup status and the image agree; a second reserve is EBUSY, a release with none held EINVAL', async () => {
  const heldRootOfImage = () => Number(readFileSync(tmeta).readBigUInt64LE(56))
  const fields = async () => (await poolStatus()).trim().split(' ')
  const before = await fields()
  expect(before[6]).toBe('-')
  expect(heldRootOfImage()).toBe(0)
  ok(await reserve(), 'reserve')
  const held = await fields()
  expect(Number(held[6])).toBeGreaterThan(0)
  expect(heldRootOfImage()).toBe(Number(held[6]))
  // The superblock copy takes one more metadata block, as the kernel's does.
  expect(Number(held[4].split('/')[0])).toBe(Number(before[4].split('/')[0]) + 1)
  expect(await runCommand('thin_delta', ['--snap1', '2', '--snap2', '3', tmeta], { env: fake.env })).toMatchObject({ exitCode: 0 })
  expect(await runCommand('thin_check', [tmeta], { env: fake.env })).toMatchObject({ exitCode: 0 })

  const again = await reserve()
  expect(again.exitCode).toBe(1)
  expect(again.stderr).toContain(`device-mapper: message ioctl on ${TPOOL}  failed: Device or resource busy`)
  ok(await release(), 'release')
  expect((await fields())[6]).toBe('-')
  expect(heldRootOfImage()).toBe(0)
  expect(await runCommand('thin_delta', ['-m', '--snap1', '2', '--snap2', '3', tmeta], { env: fake.env })).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('no current metadata snap') })
  const none = await release()
  expect(none.exitCode).toBe(1)
  expect(none.stderr).toContain('failed: Invalid argument')
})

test('while a metadata snapshot is held, mapping changes are refused and in-place writes allowed', async () => {
  ok(await reserve(), 'reserve')
  try {
    const refused = await lvcreate('--yes', '--snapshot', '--name', 'while-held', '--', `${VG}/thin`)
    expect(refused.exitCode).toBe(5)
    expect(refused.stderr).toMatch(/metadata snapshot held .*release it first/)
    await expect(write('thin', 10 * B, 1, 41)).rejects.toThrow(/metadata snapshot held/)
    // Block 90 was written after s3: unshared, written in place, no mapping changes.
    await write('thin', 90 * B + 100, 10, 42)
  } finally {
    ok(await release(), 'release')
  }
})

test('lvcreate of a thin snapshot: LVM lv_attr for each option form, next thin id, the origin shared, LVM output', async () => {
  expect(await lvs('s1', ['lv_attr', 'thin_id', 'pool_lv', 'origin', 'chunk_size', 'lv_size'])).toEqual({ lv_attr: 'Vri-a-tz--', thin_id: '2', pool_lv: POOL, origin: 'thin', chunk_size: '0', lv_size: String(VOLUME_BLOCKS * B) })
  expect(await lvs('s2', ['lv_attr', 'data_percent'])).toEqual({ lv_attr: 'Vwi---tz-k', data_percent: '' })
  expect((await lvs('s3', ['lv_attr'])).lv_attr).toBe('Vri-a-tz--')
  const made = ok(await lvcreate('--yes', '--snapshot', '-pr', '--name', 's4', '--', `${VG}/thin`), 'lvcreate s4')
  expect(made.stdout).toBe('  Logical volume "s4" created.\n')
  expect(await lvs('s4', ['lv_attr', 'thin_id'])).toEqual({ lv_attr: 'Vri---tz-k', thin_id: '5' })
  expect(readFileSync(fake.image('s4')).equals(readFileSync(fake.image('thin')))).toBe(true)
  expect((await thinDelta(['--snap1', '1', '--snap2', '5', tmeta])).every((r) => r.kind === 'same')).toBe(true)
  const uuids = await Promise.all(['thin', 's1', 's2', 's3', 's4', POOL, `${POOL}_tmeta`].map(async (lv) => (await lvs(lv, ['lv_uuid'])).lv_uuid))
  expect(new Set(uuids).size).toBe(uuids.length)
  for (const uuid of uuids) expect(uuid).toMatch(/^[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}$/)
  ok(await fake.tool('lvremove', '--yes', '--', `${VG}/s4`), 'lvremove s4')
})

test('lvs reports the pool, its metadata LV and thin LVs as LVM does', async () => {
  const pool = await lvs(POOL, ['lv_attr', 'chunk_size', 'metadata_lv', 'lv_size', 'data_percent', 'metadata_percent', 'thin_id', 'pool_lv'])
  expect(pool).toMatchObject({ lv_attr: 'twi-aotz--', chunk_size: String(B), metadata_lv: `[${POOL}_tmeta]`, lv_size: String(1024 * B), thin_id: '', pool_lv: '' })
  expect(pool.data_percent).toMatch(/^\d+\.\d\d$/)
  const status = (await poolStatus()).trim().split(' ')
  const [dataUsed, dataTotal] = status[5].split('/').map(Number)
  expect(pool.data_percent).toBe(((100 * dataUsed) / dataTotal).toFixed(2))
  expect(await lvs(`${POOL}_tmeta`, ['lv_name', 'lv_dm_path'])).toEqual({ lv_name: `[${POOL}_tmeta]`, lv_dm_path: tmeta })
  // Discarded and not written since: 20-22, 40, 70-71, and 100-109 but 101 and 106.
  const mapped = VOLUME_BLOCKS - 14
  expect(await lvs('thin', ['data_percent', 'lv_dm_path', 'lv_path'])).toEqual({ data_percent: ((mapped / VOLUME_BLOCKS) * 100).toFixed(2), lv_dm_path: fake.image('thin'), lv_path: `/dev/${VG}/thin` })
  expect(ok(await dmsetup('status', '--', 'tv--b-thin'), 'dmsetup status thin').stdout).toBe(`0 ${(VOLUME_BLOCKS * B) / 512} thin ${(mapped * B) / 512} ${(VOLUME_BLOCKS * B) / 512 - 1}\n`)
})

test('set-pool-status shows in dmsetup status and lvs; a read-only or failed pool refuses messages', async () => {
  const healthy = await poolStatus()
  expect(healthy).toMatch(new RegExp(`^0 ${(1024 * B) / 512} thin-pool \\d+ \\d+/1024 \\d+/1024 - rw discard_passdown queue_if_no_space - 256 \\n$`))
  await fake.fake('set-pool-status', VG, POOL, 'ro', 'needs_check', '900/1024', '1000/1024')
  expect(await poolStatus()).toMatch(/ thin-pool \d+ 1000\/1024 900\/1024 - ro discard_passdown queue_if_no_space needs_check 256 \n$/)
  expect(await lvs(POOL, ['lv_attr', 'data_percent', 'metadata_percent'])).toEqual({ lv_attr: 'twi-aotzM-', data_percent: '87.89', metadata_percent: '97.66' })
  expect((await reserve()).stderr).toContain('Operation not supported')
  await expect(write('thin', 11 * B, 1, 51)).rejects.toThrow(/ro mode/)
  await fake.fake('set-pool-status', VG, POOL, 'out_of_data_space', '-')
  expect(await poolStatus()).toMatch(/ thin-pool \d+ \d+\/1024 \d+\/1024 - out_of_data_space discard_passdown queue_if_no_space - 256 \n$/)
  await fake.fake('set-pool-status', VG, POOL, 'Fail', '-')
  expect(await poolStatus()).toBe(`0 ${(1024 * B) / 512} thin-pool Fail\n`)
  expect((await lvs(POOL, ['lv_attr'])).lv_attr).toBe('twi-aotzF-')
  await fake.fake('set-pool-status', VG, POOL, 'rw', '-')
  expect(await poolStatus()).toBe(healthy)
})

test('lvremove drops a snapshot: the data blocks only it mapped are free, thin_check passes, the next id is highest + 1', async () => {
  const used = async () => Number((await poolStatus()).split(' ')[5].split('/')[0])
  const before = await used()
  ok(await fake.tool('lvremove', '--yes', '--', `${VG}/s1`), 'lvremove s1')
  // s1 alone mapped the old data of blocks 0, 3, 5, 7, 8, 50 and of 20-22 and 40.
  expect(await used()).toBe(before - 10)
  expect(await runCommand('thin_check', [tmeta], { env: fake.env })).toMatchObject({ exitCode: 0 })
  const dump = ok(await runCommand('thin_dump', [tmeta], { env: fake.env }), 'thin_dump').stdout
  expect([...dump.matchAll(/dev_id="(\d+)"/g)].map((m) => m[1])).toEqual(['1', '3', '4'])
  // The origin goes too: its snapshots keep their data and lose their origin, as LVM's do.
  const s2 = readFileSync(fake.image('s2'))
  ok(await fake.tool('lvremove', '--yes', '--', `${VG}/thin`), 'lvremove thin')
  expect((await lvs('s2', ['origin'])).origin).toBe('')
  expect(readFileSync(fake.image('s2')).equals(s2)).toBe(true)
  ok(await lvcreate('--yes', '--snapshot', '-kn', '--name', 's5', '--', `${VG}/s2`), 'lvcreate s5')
  expect((await lvs('s5', ['thin_id'])).thin_id).toBe('5')
  const ranges = await heldDelta('s2', 's5')
  expect(ranges.every((r) => r.kind === 'same')).toBe(true)
})

test('a full pool: a write that needs new blocks fails with ENOSPC and changes nothing; LVM warns of over-provisioning', async () => {
  await fake.fake('create-sim-thin-pool', VG, 'small', String(B), '16')
  await fake.fake('create-sim-thin', VG, 'full', 'small', String(16 * B), '3')
  const made = ok(await lvcreate('--yes', '--snapshot', '--name', 'full-snap', '--', `${VG}/full`), 'lvcreate full-snap')
  expect(made.stderr).toContain(`WARNING: Sum of all thin volume sizes (2.00 MiB) exceeds the size of thin pool ${VG}/small.`)
  const image = readFileSync(fake.image('full'))
  await expect(write('full', 0, 1, 61)).rejects.toThrow(/No space left on device/)
  expect(readFileSync(fake.image('full')).equals(image)).toBe(true)
  expect(ok(await dmsetup('status', '--', 'tv--b-small-tpool'), 'status').stdout).toMatch(/ 16\/16 - rw /)
})

test('discards to a thin LV with a classic snapshot are dropped, as the snapshot-origin target drops them', async () => {
  await fake.fake('create-sim-thin', VG, 'with-cow', POOL, String(4 * B), '4')
  ok(await lvcreate('--yes', '--snapshot', '-L', '1m', '--name', 'cow', '--', `${VG}/with-cow`), 'lvcreate -L')
  const image = readFileSync(fake.image('with-cow'))
  await discard('with-cow', 0, 4 * B)
  expect(readFileSync(fake.image('with-cow')).equals(image)).toBe(true)
  copyFileSync(tmeta, path.join(fake.dir, 'tmeta-copy'))
  expect(await runCommand('thin_check', [path.join(fake.dir, 'tmeta-copy')], { env: fake.env })).toMatchObject({ exitCode: 0 })
})
