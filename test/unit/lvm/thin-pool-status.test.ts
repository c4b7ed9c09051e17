import { parseThinPoolStatus } from '../../../src/lvm/thin-pool-status'
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
