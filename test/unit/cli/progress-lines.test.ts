// Progress without a terminal (--progress): a line every interval while work
// goes on, and a last one when it stops; nothing when nothing was done.
import { startLines } from '../../../src/cli/progress'

beforeEach(() => jest.useFakeTimers())
afterEach(() => jest.useRealTimers())

test('a line per interval with percent, bytes, rate and time left; a last line with the time taken', () => {
  const lines: string[] = []
  const progress = startLines('apply', 4 * 1024 * 1024, (l) => lines.push(l), 5000)
  progress.advance(1024 * 1024)
  jest.advanceTimersByTime(5000)
  expect(lines).toEqual([expect.stringMatching(/^apply: 25% \(1 MiB of 4 MiB\), [\d.]+ KiB\/s, 0:15 left\n$/)])
  progress.advance(3 * 1024 * 1024)
  jest.advanceTimersByTime(2000)
  progress.stop()
  progress.stop()
  expect(lines).toHaveLength(2)
  expect(lines[1]).toMatch(/^apply: 100% \(4 MiB of 4 MiB\), [\d.]+ KiB\/s in 0:07\n$/)
  jest.advanceTimersByTime(20000)
  expect(lines).toHaveLength(2)
})

test('stopped before any work: no line', () => {
  const lines: string[] = []
  startLines('verify', 100, (l) => lines.push(l), 5000).stop()
  jest.advanceTimersByTime(10000)
  expect(lines).toEqual([])
})
