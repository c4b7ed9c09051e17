// snapdelta backup with fake LVM tools: rotation, fallbacks, lock, errors, remote.
import { promises as fsp } from 'fs'
import path from 'path'
import { removeScratchRoot } from '../helpers/tmp'
import { FakeVolume, jsonOf, LOOPBACK_SSH } from './backup-fixture'

afterAll(removeScratchRoot)

const MiB = 1024 * 1024
const CHUNK = 4096

describe('backup rotation', () => {
  const vol = new FakeVolume('rotation')
  let previous = ''

  beforeAll(() => vol.create(4 * MiB))

  it('first run: snapshots the volume, creates the missing target with its size and copies it whole', async () => {
    const summary = jsonOf(await vol.backup(['--json']))
    expect(summary).toMatchObject({ volume: 'vg-test/my-data', mode: 'full', resumed: false, bytesCopied: 4 * MiB, bytesVerified: 4 * MiB, removedSnapshot: null })
    expect((await fsp.stat(vol.target)).size).toBe(4 * MiB)
    previous = await vol.expectBackedUp()
    expect(summary.snapshot).toBe(previous)
    // A full copy starts from no snapshot; the new one is named as lvs names it.
    expect(summary.from).toEqual({ name: null, uuid: null })
    expect(summary.to).toEqual({ name: previous, uuid: vol.volumes().find((v) => v.name === previous)!.uuid })
    expect(previous).toMatch(/^my-data-snapdelta-\d{8}T\d{6}Z(-\d+)?$/)
    const lvcreate = vol.calls().find((c) => c[0] === 'lvcreate')
    expect(lvcreate).toEqual(['lvcreate', '--yes', '--snapshot', '--extents', '10%ORIGIN', '--chunksize', '4k', '--name', previous, '--', 'vg-test/my-data'])
  })

  it.each([
    ['random writes', [[10_000, 50_000, 3]], 13 * CHUNK],
    ['chunks that became zero', [[CHUNK * 100, CHUNK * 2, 0]], 2 * CHUNK],
    ['the last chunk and the first', [[4 * MiB - CHUNK, CHUNK, 5], [0, 1, 6]], 2 * CHUNK],
  ])('increment with %s: copies only the changed chunks from the new snapshot, verifies, removes the previous snapshot', async (_what, writes, changedBytes) => {
    for (const [offset, length, seed] of writes) await vol.write(offset, length, seed)
    const base = { name: previous, uuid: vol.volumes().find((v) => v.name === previous)!.uuid }
    const summary = jsonOf(await vol.backup(['--json']))
    expect(summary).toMatchObject({ mode: 'delta', bytesCopied: changedBytes, bytesVerified: changedBytes, removedSnapshot: previous, from: base })
    const current = await vol.expectBackedUp()
    expect(summary.to).toEqual({ name: current, uuid: vol.volumes().find((v) => v.name === current)!.uuid })
    expect(vol.calls().filter((c) => c[0] === 'lvremove').pop()).toEqual(['lvremove', '--yes', '--', `vg-test/${previous}`])
    previous = current
  })

  it('passes --snapshot-size and --chunk-size to lvcreate; prints a summary without --json', async () => {
    await vol.write(0, 100, 9)
    const r = await vol.cli(['backup', 'vg-test/my-data', '--to', vol.target, '--state-dir', vol.stateDir, '--snapshot-size', '1M', '--chunk-size', '8k'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^vg-test\/my-data -> .*backup\.img: delta copy, 4 KiB in 1 runs, verified \(4 KiB read back\)/)
    expect(r.stdout).toContain(`removed ${previous}`)
    const current = await vol.expectBackedUp()
    expect(vol.calls().filter((c) => c[0] === 'lvcreate').pop()).toEqual(
      ['lvcreate', '--yes', '--snapshot', '--size', '1M', '--chunksize', '8k', '--name', current, '--', 'vg-test/my-data'],
    )
    // The next delta comes from that snapshot's COW: 8 KiB chunks.
    await vol.write(0, 100, 10)
    expect(jsonOf(await vol.backup(['--json']))).toMatchObject({ mode: 'delta', bytesCopied: 8192 })
    await vol.expectBackedUp()
  })
})

describe('backup falls back when the previous snapshot is unusable', () => {
  const vol = new FakeVolume('fallback')

  beforeAll(async () => {
    await vol.create(2 * MiB)
    jsonOf(await vol.backup(['--json']))
  })

  it('an invalid (overflowed) previous snapshot: says so and makes a full copy', async () => {
    const [base] = vol.snapshotNames()
    await vol.write(CHUNK * 3, 10, 11)
    await vol.fake('invalidate', vol.vg, base)
    const r = await vol.backup(['--json'])
    expect(jsonOf(r)).toMatchObject({ mode: 'full', bytesCopied: 2 * MiB, removedSnapshot: base })
    expect(r.stderr).toContain(`the previous snapshot vg-test/${base} cannot be used: LVM marks it invalid`)
    expect(r.stderr).toContain('falling back to a full copy')
    await vol.expectBackedUp()
  })

  it('an overflow caused by writes: the COW fills up, the next run says so and falls back', async () => {
    jsonOf(await vol.backup(['--json', '--snapshot-size', '128k']))
    const [base] = vol.snapshotNames()
    // 128 KiB of COW holds 30 chunks of 4 KiB besides its header and first metadata area.
    await vol.write(0, 40 * CHUNK, 12)
    expect(vol.volumes().find((v) => v.name === base)?.attr).toBe('swi-I-s---')
    const r = await vol.backup(['--json'])
    expect(jsonOf(r)).toMatchObject({ mode: 'full', removedSnapshot: base })
    expect(r.stderr).toContain('cannot be used: LVM marks it invalid')
    await vol.expectBackedUp()
  })

  it('a previous snapshot the kernel invalidated after LVM last looked (header valid = 0): full copy', async () => {
    const [base] = vol.snapshotNames()
    await vol.write(CHUNK, 10, 15)
    const cow = await fsp.open(vol.image(base) + '-cow', 'r+')
    await cow.write(Buffer.alloc(4), 0, 4, 4)
    await cow.close()
    const r = await vol.backup(['--json'])
    expect(jsonOf(r)).toMatchObject({ mode: 'full', removedSnapshot: base })
    expect(r.stderr).toContain(`the previous snapshot vg-test/${base} became invalid`)
    await vol.expectBackedUp()
  })

  it('with --resync: compares every block and copies only the differing ones', async () => {
    const [base] = vol.snapshotNames()
    await vol.write(CHUNK * 7, CHUNK * 3, 13)
    await vol.fake('invalidate', vol.vg, base)
    const r = await vol.backup(['--json', '--resync'])
    expect(jsonOf(r)).toMatchObject({ mode: 'resync', bytesCopied: 3 * CHUNK, runs: 1 })
    await vol.expectBackedUp()
  })

  it('a previous snapshot that someone renamed or removed: full copy, the renamed one left alone', async () => {
    const [renamed] = vol.snapshotNames()
    expect((await vol.tool('lvrename', vol.vg, renamed, 'kept-by-admin')).exitCode).toBe(0)
    await vol.write(5, 5, 16)
    const r1 = await vol.backup(['--json'])
    expect(jsonOf(r1)).toMatchObject({ mode: 'full', removedSnapshot: null })
    expect(r1.stderr).toContain(`the previous snapshot vg-test/${renamed} no longer exists`)
    expect(vol.snapshotNames()).toContain('kept-by-admin')
    expect((await vol.tool('lvremove', '-y', `${vol.vg}/kept-by-admin`)).exitCode).toBe(0)
    await vol.expectBackedUp()

    const [base] = vol.snapshotNames()
    expect((await vol.tool('lvremove', '-y', `${vol.vg}/${base}`)).exitCode).toBe(0)
    await vol.write(5, 5, 14)
    const r = await vol.backup(['--json'])
    expect(jsonOf(r)).toMatchObject({ mode: 'full', removedSnapshot: null })
    expect(r.stderr).toContain(`the previous snapshot vg-test/${base} no longer exists`)
    await vol.expectBackedUp()
  })
})

describe('backup refuses', () => {
  const vol = new FakeVolume('refuse')

  beforeAll(() => vol.create(MiB))

  it('a run while another holds the lock (exit 6), and takes over a stale lock', async () => {
    const lock = path.join(vol.stateDir, 'vg--test-my--data.lock')
    await fsp.mkdir(vol.stateDir, { recursive: true })
    await fsp.writeFile(lock, `${process.pid}\n`)
    const r = await vol.backup()
    expect(r.exitCode).toBe(6)
    expect(r.stderr).toContain(`another snapdelta backup of vg-test/my-data is running (pid ${process.pid}`)
    expect(vol.calls().filter((c) => c[0] === 'lvcreate')).toHaveLength(0)
    await fsp.writeFile(lock, '999999999\n')
    expect((await vol.backup()).exitCode).toBe(0)
    await vol.expectBackedUp()
  })

  it('a target of the wrong size, before writing anything (exit 3)', async () => {
    const other = new FakeVolume('refuse-size')
    await other.create(MiB)
    await fsp.writeFile(other.target, Buffer.alloc(MiB + CHUNK))
    const r = await other.backup()
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toContain('refusing to write')
    expect((await fsp.readFile(other.target)).equals(Buffer.alloc(MiB + CHUNK))).toBe(true)
  })

  it('another target with the same state directory (exit 2)', async () => {
    const r = await vol.cli(['backup', 'vg-test/my-data', '--to', path.join(vol.dir, 'other.img'), '--state-dir', vol.stateDir])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('needs one --state-dir per target')
  })

  it('a volume that does not exist, or is a snapshot', async () => {
    const missing = await vol.cli(['backup', 'vg-test/nope', '--to', vol.target, '--state-dir', path.join(vol.dir, 's2')])
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr).toContain('logical volume vg-test/nope not found')
    const [snap] = vol.snapshotNames()
    const snapshot = await vol.cli(['backup', `vg-test/${snap}`, '--to', vol.target, '--state-dir', path.join(vol.dir, 's3')])
    expect(snapshot.exitCode).toBe(2)
    expect(snapshot.stderr).toContain('is itself a snapshot (of my-data); give its origin volume')
  })

  it('--resync with --ssh (exit 2)', async () => {
    const r = await vol.backup(['--resync', '--ssh', 'backuphost'])
    expect(r.exitCode).toBe(2)
  })
})

describe('backup to a remote host (loopback ssh stand-in)', () => {
  const vol = new FakeVolume('remote')
  const remote = ['--ssh', 'backuphost', '--ssh-command', LOOPBACK_SSH]

  beforeAll(async () => {
    await vol.create(2 * MiB)
    await fsp.writeFile(vol.target, Buffer.alloc(2 * MiB))
  })

  it('streams the full copy, then deltas, into `snapdelta receive` on the host', async () => {
    const first = jsonOf(await vol.backup(['--json', ...remote]))
    expect(first).toMatchObject({ mode: 'full', host: 'backuphost', verifiedBy: 'stream checksums', bytesCopied: 2 * MiB })
    await vol.expectBackedUp()
    await vol.write(CHUNK * 5, CHUNK, 21)
    await vol.write(CHUNK * 9, CHUNK, 0)
    const second = jsonOf(await vol.backup(['--json', ...remote]))
    expect(second).toMatchObject({ mode: 'delta', bytesCopied: 2 * CHUNK, runs: 2 })
    await vol.expectBackedUp()
    expect(vol.state().ssh).toBe('backuphost')
  })

  it('reports the receiver failure (missing remote target) as an external command failure, keeping the snapshot', async () => {
    const [base] = vol.snapshotNames()
    await fsp.rename(vol.target, `${vol.target}.away`)
    await vol.write(0, 10, 22)
    const r = await vol.backup(remote)
    expect(r.exitCode).toBe(7)
    expect(r.stderr).toContain('cannot open the target')
    expect(vol.snapshotNames()).toContain(base)
    await fsp.rename(`${vol.target}.away`, vol.target)
    const retry = jsonOf(await vol.backup(['--json', ...remote]))
    expect(retry).toMatchObject({ mode: 'delta', resumed: true, removedSnapshot: base })
    await vol.expectBackedUp()
  })
})
