import { committedExceptions, parseSnapshotStatus } from '../../../src/lvm/dm-status'

// Status lines printed by a real kernel (Debian 6.1, through vm.sh).
describe('parseSnapshotStatus', () => {
  it('reads allocated, total and metadata sectors of a live snapshot', () => {
    expect(parseSnapshotStatus('0 131072 snapshot 96/16384 16\n')).toEqual({ state: 'ok', sectorsAllocated: 96, totalSectors: 16384, metadataSectors: 16 })
  })

  it.each([
    ['0 131072 snapshot Invalid', 'invalid'],
    ['0 131072 snapshot Overflow', 'overflow'],
    ['0 131072 snapshot Merge failed', 'merge-failed'],
    ['0 131072 snapshot-merge 16/8192 16', 'merging'],
    ['0 131072 linear ', 'unknown'],
  ])('%p is %p', (line, state) => {
    expect(parseSnapshotStatus(line).state).toBe(state)
  })
})

describe('committedExceptions', () => {
  it('counts data chunks beyond header and metadata areas', () => {
    // 10 writes of 4 KiB after the snapshot: "96/16384 16" at 8 sectors a chunk.
    expect(committedExceptions({ sectorsAllocated: 96, metadataSectors: 16 }, 8)).toBe(10)
    expect(committedExceptions({ sectorsAllocated: 16, metadataSectors: 16 }, 8)).toBe(0)
  })
})
