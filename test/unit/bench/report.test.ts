import { figure, formatTable, round3 } from '../../../src/bench/report'

describe('bench report', () => {
  test('a figure carries its ratio to the baseline and whether it met its target', () => {
    const f = figure('apply', 3, 's', { baseline: { name: 'floor', value: 2 }, target: '<= 1.5x', meets: (_v, r) => r! <= 1.5 })
    expect(f.ratio).toBe(1.5)
    expect(f.met).toBe(true)
    expect(figure('x', 1, 's', { baseline: { name: 'zero', value: 0 } }).ratio).toBeUndefined()
  })

  test('the table shows every figure, a missed target plainly, and skipped items with their reason', () => {
    const table = formatTable([
      { item: 'table', title: 't', status: 'ok', seconds: 1, notes: ['a note'], figures: [figure('time', 4.2, 's', { target: '<= 3 s', meets: (v) => v <= 3 })] },
      { item: 'copy', title: 'c', status: 'skipped', seconds: 0, notes: ['snapdelta has no apply command yet'], figures: [] },
      { item: 'read', title: 'r', status: 'error', seconds: 0, notes: [], figures: [], error: 'Error: dd exited 1\n    at stack frame' },
    ])
    expect(table).toMatch(/table\s+time\s+4\.20 s\s+<= 3 s\s+NO/)
    expect(table).toMatch(/copy\s+SKIPPED\s+snapdelta has no apply command yet/)
    expect(table).toContain('[table] a note')
    expect(table).toMatch(/read\s+ERROR\s+Error: dd exited 1$/m)
    expect(table).not.toContain('stack frame')
  })

  test('round3 keeps three significant digits', () => {
    expect(round3(1234.5)).toBe('1235')
    expect(round3(0.012345)).toBe('0.0123')
    expect(round3(4)).toBe('4')
  })
})
