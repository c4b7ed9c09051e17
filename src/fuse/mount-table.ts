// The kernel's mount table, read from /proc/self/mountinfo (asynchronously:
// the server reads it while it serves its own mount).
import { promises as fsp } from 'fs'

export interface MountEntry {
  /** The kernel's id of this mount: it stays when the mountpoint's directories are renamed. */
  mountId: number
  /** "MAJOR:MINOR" of the mounted filesystem; with mountId, names one mount even if ids are reused. */
  device: string
  mountpoint: string
  fsType: string
  source: string
}

/** Decodes the octal escapes (\040 for a space) of a mountinfo field. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/** Every mount visible to this process. */
export async function readMountTable(): Promise<MountEntry[]> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8')
  const entries: MountEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
    const fields = line.split(' ')
    const dash = fields.indexOf('-', 6)
    if (dash < 0) continue
    entries.push({
      mountId: Number(fields[0]),
      device: fields[2],
      mountpoint: unescapeField(fields[4]),
      fsType: fields[dash + 1],
      source: unescapeField(fields[dash + 2]),
    })
  }
  return entries
}

/** The mount at exactly `mountpoint` (the last one, if stacked), or undefined. */
export async function findMount(mountpoint: string): Promise<MountEntry | undefined> {
  const entries = await readMountTable()
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].mountpoint === mountpoint) return entries[i]
  return undefined
}

/** The mount `mountId` of filesystem `device` wherever it is now, or undefined once it is gone. */
export async function findMountById(mountId: number, device: string): Promise<MountEntry | undefined> {
  return (await readMountTable()).find((entry) => entry.mountId === mountId && entry.device === device)
}

/** True for a mount made by snapdelta (fsname and subtype "snapdelta"). */
export function isSnapdeltaMount(entry: MountEntry): boolean {
  return entry.fsType === 'fuse.snapdelta'
}
