import { parseThinPoolStatus, thinPoolProblem } from '../../../src/lvm/thin-pool-status'
import { tpoolDmName } from '../../../src/lvm/thin-pool'

// Status lines printed by a real kernel (Debian 6.1; shared/fixtures/real-kernel-thin/*/meta.json).
describe('parseThinPoolStatus', () => {
  it('reads a pool with no metadata snapshot held', () => {
    expect(parseThinPoolStatus('0 131072 thin-pool 4 123/1024 385/1024 - rw discard_passdown queue_if_no_space - 256 \n')).toEqual({
      state: 'ok',
      transactionId: 4,
      metadataUsedBlocks: 123,
      metadataTotalBlocks: 1024,
      dataUsedBlocks: 385,
      dataTotalBlocks: 1024,
      heldMetadataRoot: null,
      mode: 'rw',
      needsCheck: false,
      text: '0 131072 thin-pool 4 123/1024 385/1024 - rw discard_passdown queue_if_no_space - 256',
    })
  })

  it('reads the held metadata root (field 7)', () => {
    expect(parseThinPoolStatus('0 131072 thin-pool 4 124/1024 385/1024 266 rw discard_passdown queue_if_no_space - 256 ')).toMatchObject({ state: 'ok', heldMetadataRoot: 266 })
  })

  it('reads the modes and flags the kernel prints', () => {
    expect(parseThinPoolStatus('0 8 thin-pool 1 1/2 2/2 - out_of_data_space no_discard_passdown error_if_no_space needs_check 256')).toMatchObject({
      mode: 'out_of_data_space',
      needsCheck: true,
    })
    expect(parseThinPoolStatus('0 8 thin-pool 1 1/2 1/2 - ro ignore_discard queue_if_no_space - 256')).toMatchObject({ mode: 'ro', needsCheck: false })
  })

  it.each([
    ['0 131072 thin-pool Fail', 'fail'],
    ['0 131072 thin-pool Error', 'error'],
    ['0 131072 linear ', 'unknown'],
    ['0 131072 thin-pool 4 123/1024 385/1024 - rw some_new_flag queue_if_no_space - 256', 'unknown'],
    ['0 131072 thin-pool 4 123/1024 385/1024 x266 rw discard_passdown queue_if_no_space - 256', 'unknown'],
  ])('%p is %p, never a guess', (line, state) => {
    expect(parseThinPoolStatus(line).state).toBe(state)
  })
})

describe('tpoolDmName', () => {
  it('doubles the hyphens inside names, as device-mapper does', () => {
    expect(tpoolDmName({ vg: 'tva', lv: 'pool' })).toBe('tva-pool-tpool')
    expect(tpoolDmName({ vg: 'tv-b', lv: 'my-pool' })).toBe('tv--b-my--pool-tpool')
  })
})

describe('thinPoolProblem', () => {
  const status = (fields: string) => parseThinPoolStatus(`0 131072 thin-pool ${fields}`)

  it('finds nothing wrong with a healthy pool, held metadata snapshot or not', () => {
    expect(thinPoolProblem(status('4 123/1024 385/1024 - rw discard_passdown queue_if_no_space - 256'))).toBeNull()
    expect(thinPoolProblem(status('4 123/1024 385/1024 266 rw discard_passdown queue_if_no_space - 256'))).toBeNull()
  })

  it('refuses new snapshots in a full or read-only pool, whose mappings still hold', () => {
    expect(thinPoolProblem(status('4 123/1024 1024/1024 - out_of_data_space discard_passdown queue_if_no_space - 256'))).toEqual({
      reason: expect.stringMatching(/^the thin pool is out of data space \(1024\/1024 blocks used\) \(dmsetup status: /),
      metadataTrusted: true,
    })
    expect(thinPoolProblem(status('4 123/1024 1024/1024 - rw discard_passdown queue_if_no_space - 256'))?.reason).toMatch(/out of data space/)
    expect(thinPoolProblem(status('4 1024/1024 385/1024 - rw discard_passdown queue_if_no_space - 256'))?.reason).toMatch(/out of metadata space \(1024\/1024/)
    expect(thinPoolProblem(status('4 1024/1024 385/1024 - ro discard_passdown queue_if_no_space - 256'))).toEqual({ reason: expect.stringMatching(/read-only/), metadataTrusted: true })
  })

  it('distrusts the mappings of a pool flagged needs_check, failed, or in a state it does not know', () => {
    expect(thinPoolProblem(status('4 123/1024 385/1024 - rw discard_passdown queue_if_no_space needs_check 256'))).toEqual({
      reason: expect.stringMatching(/needs_check: its metadata must be repaired first \(lvconvert --repair\)/),
      metadataTrusted: false,
    })
    expect(thinPoolProblem(status('Fail'))).toEqual({ reason: expect.stringMatching(/failed \(dmsetup status: 0 131072 thin-pool Fail\)/), metadataTrusted: false })
    expect(thinPoolProblem(status('4 123/1024 385/1024 - sideways discard_passdown queue_if_no_space - 256'))?.metadataTrusted).toBe(false)
  })
})
