// "VG/LV" on the command line, and the names device-mapper gives LVM volumes.
import { UsageError } from '../errors'

export interface VolumeRef {
  vg: string
  lv: string
}

// LVM's allowed name characters (lvm(8), "VALID NAMES").
const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/

/** Parses "VG/LV" (or "/dev/VG/LV"); refuses anything LVM would not accept as a name. */
export function parseVolumeRef(text: string): VolumeRef {
  const parts = text.replace(/^\/dev\//, '').split('/')
  if (parts.length !== 2 || !LVM_NAME.test(parts[0]) || !LVM_NAME.test(parts[1])) {
    throw new UsageError(`expected a logical volume as VG/LV (e.g. vg0/home), got \`${text}\``)
  }
  return { vg: parts[0], lv: parts[1] }
}

/** The device-mapper name LVM gives VG/LV: each '-' inside a name is doubled, then joined with '-'. */
export function dmName(ref: VolumeRef): string {
  return `${ref.vg.replace(/-/g, '--')}-${ref.lv.replace(/-/g, '--')}`
}

/** "VG/LV", for messages and lvm arguments. */
export function formatVolumeRef(ref: VolumeRef): string {
  return `${ref.vg}/${ref.lv}`
}
