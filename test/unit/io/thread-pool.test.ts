import { defaultThreadPoolSize } from '../../../src/io/thread-pool'

test('four libuv threads a core, never fewer than libuv’s 4 nor more than 16', () => {
  expect([1, 2, 3, 4, 64].map(defaultThreadPoolSize)).toEqual([4, 8, 12, 16, 16])
})
