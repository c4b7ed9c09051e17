// Where a mount server leaves its pid (and its log, when it runs in the
// background), so `snapdelta umount` can wait for it to exit. One small JSON
// file per mountpoint in a runtime directory: no xattrs, nothing in the mount.
import { createHash } from 'crypto'
import { promises as fsp } from 'fs'
import os from 'os'
import path from 'path'

export interface ServerRecord {
  pid: number
  mountpoint: string
  startedAt: string
  logPath?: string
}

/** /run/snapdelta for root, else $XDG_RUNTIME_DIR/snapdelta, else a per-user folder in the temp dir. */
export function runtimeDir(): string {
  const uid = process.getuid?.() ?? 0
  if (uid === 0) return '/run/snapdelta'
  if (process.env.XDG_RUNTIME_DIR) return path.join(process.env.XDG_RUNTIME_DIR, 'snapdelta')
  return path.join(os.tmpdir(), `snapdelta-${uid}`)
}

/** Base path (without extension) of the files kept for `mountpoint`. */
export function serverFilesBase(mountpoint: string): string {
  const absolute = path.resolve(mountpoint)
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 12)
  return path.join(runtimeDir(), `${path.basename(absolute) || 'root'}-${hash}`)
}

/** Path of the background server's log for `mountpoint`; creates the runtime dir. */
export async function serverLogPath(mountpoint: string): Promise<string> {
  await fsp.mkdir(runtimeDir(), { recursive: true, mode: 0o700 })
  return `${serverFilesBase(mountpoint)}.log`
}

/** Records the serving process of `mountpoint`. */
export async function writeServerRecord(record: ServerRecord): Promise<void> {
  await fsp.mkdir(runtimeDir(), { recursive: true, mode: 0o700 })
  await fsp.writeFile(`${serverFilesBase(record.mountpoint)}.json`, JSON.stringify(record) + '\n', { mode: 0o600 })
}

/** The record for `mountpoint`, or undefined when there is none. */
export async function readServerRecord(mountpoint: string): Promise<ServerRecord | undefined> {
  try {
    return JSON.parse(await fsp.readFile(`${serverFilesBase(mountpoint)}.json`, 'utf8')) as ServerRecord
  } catch {
    return undefined
  }
}

/** Removes the record (the server does it on exit). */
export async function removeServerRecord(mountpoint: string): Promise<void> {
  await fsp.rm(`${serverFilesBase(mountpoint)}.json`, { force: true })
}
