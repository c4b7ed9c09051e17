// Which fuse-native serves the mount: the fork with its native read path when
// it loads, else the npm fuse-native, always with the reason for info.json.
import path from 'path'
import type { FuseBinding } from '../../../src/fuse/read-path'

const FORK_DIR = path.join(__dirname, '..', '..', '..', 'native', 'fuse-native')

/** loadFuseBinding in a fresh module registry: it chooses once a process. */
function loadFresh(env: string | undefined, brokenFork = false): FuseBinding {
  const saved = process.env.SNAPDELTA_FAST_READ
  if (env === undefined) delete process.env.SNAPDELTA_FAST_READ
  else process.env.SNAPDELTA_FAST_READ = env
  try {
    let binding: FuseBinding | undefined
    jest.isolateModules(() => {
      if (brokenFork) {
        jest.doMock(path.join(FORK_DIR, 'fast-read.js'), () => {
          throw new Error('No native build was found for platform=linux\n    loaded from: ' + FORK_DIR)
        })
      }
      binding = (require('../../../src/fuse/read-path') as typeof import('../../../src/fuse/read-path')).loadFuseBinding()
    })
    return binding!
  } finally {
    if (saved === undefined) delete process.env.SNAPDELTA_FAST_READ
    else process.env.SNAPDELTA_FAST_READ = saved
  }
}

test('the fork, built by npm run build:native, is the read path by default', () => {
  const binding = loadFresh(undefined)
  expect(binding.readPath.readPath).toBe('native')
  expect(binding.fastRead?.stats()).toEqual({ served: expect.any(Number), failed: expect.any(Number) })
})

test('SNAPDELTA_FAST_READ=0 forces the JS read path, and says so', () => {
  const binding = loadFresh('0')
  expect(binding.fastRead).toBeUndefined()
  expect(binding.readPath).toEqual({ readPath: 'js', readPathReason: 'SNAPDELTA_FAST_READ=0 in the environment' })
})

test('a fork that does not load leaves the npm fuse-native, with the loader\'s reason and what to do', () => {
  const binding = loadFresh(undefined, true)
  expect(binding.fastRead).toBeUndefined()
  expect(binding.readPath.readPath).toBe('js')
  expect(binding.readPath.readPathReason).toMatch(/did not load \(No native build was found for platform=linux\): build it with npm run build:native/)
})
