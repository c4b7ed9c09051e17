// Where a mount server leaves its pid (and its log, when it runs in the
// background), so `snapdelta umount` can wait for it to exit. One small JSON
// file per mountpoint in a runtime directory: no xattrs, nothing in the mount.
// The names are guessable, so the directory must be private (src/io/private-dir.ts)
// and files are only ever created new in it (src/io/private-file.ts).
import { createHash } from 'crypto'
import { constants, promises as fsp } from 'fs'
import path from 'path'
import { ensureRuntimeDir, runtimeDir } from '../io/runtime-dir'
import { openReplacing, writeFileReplacing } from '../io/private-file'

export interface ServerRecord {
  pid: number
  /** Which process `pid` was (io/process-identity.ts): mount ids, devices and pids are all reused, so a record of a killed server must never name a live stranger. */
  bootId?: string
  startTime?: number
  mountpoint: string
  startedAt: string
  logPath?: string
  /** The kernel's mount id and device (src/fuse/mount-table.ts): find the record after the mount moved. */
  mountId?: number
  device?: string
}

/** Base path (without extension) of the files kept for `mountpoint`. */
export function serverFilesBase(mountpoint: string): string {
  const absolute = path.resolve(mountpoint)
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 12)
  return path.join(runtimeDir(), `${path.basename(absolute) || 'root'}-${hash}`)
}

/** A fresh, empty log for the background server of `mountpoint` (replacing the last mount's), open for writing. */
export async function openServerLog(mountpoint: string): Promise<{ logPath: string; file: fsp.FileHandle }> {
  await ensureRuntimeDir()
  const logPath = `${serverFilesBase(mountpoint)}.log`
  return { logPath, file: await openReplacing(logPath) }
}

/** Removes a server's log; only ever one in the runtime dir, whatever `logPath` says. */
export async function removeServerLog(logPath: string): Promise<void> {
  if (path.dirname(logPath) === runtimeDir() && logPath.endsWith('.log')) await fsp.rm(logPath, { force: true })
}

/** Records the serving process of `mountpoint`. */
export async function writeServerRecord(record: ServerRecord): Promise<void> {
  await ensureRuntimeDir()
  await writeFileReplacing(`${serverFilesBase(record.mountpoint)}.json`, JSON.stringify(record) + '\n')
}

/** The record for `mountpoint`, or undefined when there is none. */
export function readServerRecord(mountpoint: string): Promise<ServerRecord | undefined> {
  return readRecordFile(`${serverFilesBase(mountpoint)}.json`)
}

/** Every record in the runtime dir, keyed by where each mount was first mounted. */
export async function listServerRecords(): Promise<ServerRecord[]> {
  const names = await fsp.readdir(runtimeDir()).catch(() => [])
  const records = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readRecordFile(path.join(runtimeDir(), n))))
  return records.filter((r): r is ServerRecord => r !== undefined)
}

async function readRecordFile(recordPath: string): Promise<ServerRecord | undefined> {
  try {
    return JSON.parse(await fsp.readFile(recordPath, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW })) as ServerRecord
  } catch {
    return undefined
  }
}

/** Removes the record (the server does it on exit). */
export async function removeServerRecord(mountpoint: string): Promise<void> {
  await fsp.rm(`${serverFilesBase(mountpoint)}.json`, { force: true })
}
