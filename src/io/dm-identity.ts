// Which snapshot a device-mapper device is, from sysfs: its dm name and UUID.
// LVM names its devices "<vg>-<lv>[-<layer>]" with every '-' inside a VG or
// LV name doubled, and gives them the UUID "LVM-<32 chars VG uuid><32 chars
// LV uuid>[-<layer>]"; a snapshot's COW is the layer "cow" of the snapshot LV.
// So both the COW (the older snapshot) and the snapshot (the newer) name
// their LV, with the UUID `lvs -o lv_uuid` prints.
import { promises as fsp } from 'fs'
import path from 'path'
import { majorOf, minorOf } from './device-number'

/** The LVM VG, LV and layer of a dm name ("vg0-home--snap1-cow" is vg0, home-snap1, cow), or undefined for a name LVM does not make. */
export function parseLvmDmName(dmName: string): { vg: string; lv: string; layer: string | null } | undefined {
  const parts: string[] = ['']
  for (let i = 0; i < dmName.length; i++) {
    if (dmName[i] !== '-') parts[parts.length - 1] += dmName[i]
    else if (dmName[i + 1] === '-') {
      parts[parts.length - 1] += '-'
      i++
    } else parts.push('')
  }
  if (parts.length < 2 || parts.some((p) => p === '')) return undefined
  return { vg: parts[0], lv: parts[1], layer: parts.length > 2 ? parts.slice(2).join('-') : null }
}

/** The LV UUID in `lvs -o lv_uuid` form (6-4-4-4-4-4-6) of an LVM dm UUID ("LVM-" + VG id + LV id [+ "-layer"]), or undefined. */
export function lvUuidOfDmUuid(dmUuid: string): string | undefined {
  // After the two ids comes nothing, or a layer ("-cow", "-real", "-pool"): anything else is not LVM's.
  const ids = /^LVM-([A-Za-z0-9!#]{32})([A-Za-z0-9!#]{32})(?:-[^-].*)?$/.exec(dmUuid)
  if (!ids) return undefined
  const lv = ids[2]
  const groups = [6, 4, 4, 4, 4, 4, 6]
  let at = 0
  return groups.map((n) => lv.slice(at, (at += n))).join('-')
}

/**
 * The snapshot a device is, when it is a device-mapper device: for LVM the LV
 * (a COW's LV is the snapshot it belongs to), else the dm name and UUID.
 * `identity` is a device identity ("block:RDEV", src/io/device-identity.ts);
 * undefined for files, plain disks, or when sysfs says nothing.
 */
export async function snapshotIdentityOfDevice(identity: string | undefined, sysfsRoot = '/sys'): Promise<{ name: string; uuid: string | null } | undefined> {
  const block = identity ? /^block:(\d+)$/.exec(identity) : null
  if (!block) return undefined
  const rdev = Number(block[1])
  const dmDir = path.join(sysfsRoot, 'dev', 'block', `${majorOf(rdev)}:${minorOf(rdev)}`, 'dm')
  const read = (file: string) => fsp.readFile(path.join(dmDir, file), 'utf8').then((t) => t.trim(), () => '')
  const [dmName, dmUuid] = await Promise.all([read('name'), read('uuid')])
  if (!dmName) return undefined
  const lvUuid = lvUuidOfDmUuid(dmUuid)
  const lvm = lvUuid ? parseLvmDmName(dmName) : undefined
  if (lvUuid && lvm) return { name: lvm.lv, uuid: lvUuid }
  return { name: dmName, uuid: dmUuid || null }
}
