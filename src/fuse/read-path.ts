// Which fuse-native serves the mount: snapdelta's fork (native/fuse-native),
// whose native read path serves described files by pread on libfuse's
// threads, or the npm fuse-native, where every read goes through JS. The
// fork is used when it is built and loads, unless SNAPDELTA_FAST_READ=0; the
// choice and its reason go to info.json and to DEBUG output.
import createDebug from 'debug'
import path from 'path'
import type Fuse from 'fuse-native'
import { ReadPath } from '../generation/generation-info'

const debug = createDebug('snapdelta:fuse')

/** The fork's native read path (native/fuse-native/fast-read.js). */
export interface FastRead {
  /** Serves every read of handle `fh` in C from now on, by the extents (see src/vfs/file-layout.ts). */
  describe(fh: number, fd: number, sizeBytes: number, extents: Float64Array): void
  /** Drops fh's description (release); true when it had one. */
  forget(fh: number): boolean
  /** Reads served and failed in C since the process started. */
  stats(): { served: number; failed: number }
  /** Whether failed reads are written to stderr (the server log). */
  setLog(on: boolean): void
}

export interface FuseBinding {
  Fuse: typeof Fuse
  /** Present on the native read path only. */
  fastRead?: FastRead
  readPath: ReadPath
}

/** Where the fork lives: native/ at the top of the checkout or package, two levels above dist/fuse/. */
export const FORK_DIR = path.join(__dirname, '..', '..', 'native', 'fuse-native')

let loaded: FuseBinding | undefined

/** Loads the fork, else the npm fuse-native; once a process. */
export function loadFuseBinding(): FuseBinding {
  loaded ??= load()
  return loaded
}

function load(): FuseBinding {
  const why = process.env.SNAPDELTA_FAST_READ === '0' ? 'SNAPDELTA_FAST_READ=0 in the environment' : undefined
  if (!why) {
    try {
      const fastRead = require(path.join(FORK_DIR, 'fast-read.js')) as FastRead
      const ForkFuse = require(FORK_DIR) as typeof Fuse
      fastRead.setLog(createDebug.enabled('snapdelta:fuse'))
      debug('read path: native (%s)', FORK_DIR)
      return { Fuse: ForkFuse, fastRead, readPath: { readPath: 'native', readPathReason: 'full.img, delta.img and changed/ are read by pread on libfuse threads' } }
    } catch (err) {
      return jsBinding(`the native read path did not load (${firstLine(err)}): build it with npm run build:native`)
    }
  }
  return jsBinding(why)
}

function jsBinding(reason: string): FuseBinding {
  debug('read path: js, because %s', reason)
  return { Fuse: require('fuse-native') as typeof Fuse, readPath: { readPath: 'js', readPathReason: reason } }
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0].trim()
}
