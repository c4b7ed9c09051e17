// The kernel's mount table, read from /proc/self/mountinfo (asynchronously:
// the server reads it while it serves its own mount).
import { promises as fsp } from 'fs'
import { majorOf, minorOf } from '../io/device-number'

export interface MountEntry {
  /** The kernel's id of this mount: it stays when the mountpoint's directories are renamed. */
  mountId: number
  /** "MAJOR:MINOR" of the mounted filesystem (the st_dev of its files); with mountId, names one mount even if ids are reused. */
  device: string
  mountpoint: string
  fsType: string
  source: string
  /** Options of the filesystem itself; a FUSE mount's name its owner (user_id=UID). */
  superOptions: string
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
      superOptions: fields[dash + 3] ?? '',
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

/** The mount whose files have st_dev `dev`, or undefined. */
export async function findMountByDevice(dev: number): Promise<MountEntry | undefined> {
  const wanted = `${majorOf(dev)}:${minorOf(dev)}`
  return (await readMountTable()).find((entry) => entry.device === wanted)
}

/** The uid a FUSE mount belongs to (its user_id= option), or undefined for other mounts. */
export function fuseMountOwner(entry: MountEntry): number | undefined {
  const match = /(?:^|,)user_id=(\d+)(?:,|$)/.exec(entry.superOptions)
  return match ? Number(match[1]) : undefined
}

/** The mount `mountId` of filesystem `device` wherever it is now, or undefined once it is gone. */
export async function findMountById(mountId: number, device: string): Promise<MountEntry | undefined> {
  return (await readMountTable()).find((entry) => entry.mountId === mountId && entry.device === device)
}

/** True for a mount made by snapdelta (fsname and subtype "snapdelta"). */
export function isSnapdeltaMount(entry: MountEntry): boolean {
  return entry.fsType === 'fuse.snapdelta'
}
