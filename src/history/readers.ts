// Readers of a history (a history mount) announce themselves in DIR/readers/,
// so a writer can refuse to write TARGET under them. A record names the
// process by pid, boot id and start time: one left by a killed reader, or
// whose pid now belongs to another process, is stale and ignored.
//
// The order that makes this safe: a reader registers, then reads history.json;
// a writer records its step as pending (beginGeneration), then calls
// liveReaders. Either the writer sees the reader and refuses, or the reader
// sees the pending step and reads every generation through its undo record
// (which holds all bytes the writer may change), never TARGET's mixed state.
import { randomBytes } from 'crypto'
import { constants, promises as fsp } from 'fs'
import path from 'path'
import { ioError } from '../errors'
import { currentProcessIdentity, isStillRunning, ProcessIdentity } from '../io/process-identity'
import { createNewFile } from '../io/private-file'
import { READERS_SUBDIR } from './history-dir-check'
import { syncDir } from './undo-file'

export interface ReaderRecord extends ProcessIdentity {
  /** What reads: "mount /mnt/history". */
  what: string
  startedAt: string
}

export interface ReaderRegistration {
  readonly file: string
  /** Removes the record; call once reading is over. */
  unregister(): Promise<void>
}

/** Records this process as a reader of the history in `dir`, durably. */
export async function registerReader(dir: string, what: string): Promise<ReaderRegistration> {
  const readersDir = path.join(dir, READERS_SUBDIR)
  const record: ReaderRecord = { ...(await currentProcessIdentity()), what, startedAt: new Date().toISOString() }
  const file = path.join(readersDir, `${process.pid}-${randomBytes(4).toString('hex')}.json`)
  try {
    const handle = await createNewFile(file)
    try {
      await handle.writeFile(JSON.stringify(record) + '\n')
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw ioError('registering as a reader of the history in', readersDir, err)
  }
  await syncDir(readersDir)
  let done = false
  return {
    file,
    unregister: async () => {
      if (done) return
      done = true
      await fsp.rm(file, { force: true })
    },
  }
}

/** The readers of the history in `dir` whose process still runs; stale records are removed. */
export async function liveReaders(dir: string): Promise<ReaderRecord[]> {
  const readersDir = path.join(dir, READERS_SUBDIR)
  const names = await fsp.readdir(readersDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[]
    throw ioError('listing the readers of the history in', readersDir, err)
  })
  const live: ReaderRecord[] = []
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(readersDir, name)
    const record = await readRecord(file)
    // An unreadable record is counted as live: refusing a write is the safe mistake.
    if (!record) live.push({ pid: 0, what: `an unreadable reader record ${file} (remove it if no history mount runs)`, startedAt: '' })
    else if (await isStillRunning(record)) live.push(record)
    else await fsp.rm(file, { force: true })
  }
  return live
}

async function readRecord(file: string): Promise<ReaderRecord | undefined> {
  try {
    const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const record = JSON.parse(await handle.readFile('utf8')) as ReaderRecord
      return Number.isSafeInteger(record.pid) && record.pid > 0 ? record : undefined
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}
