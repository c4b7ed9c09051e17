// Making an inactive thin snapshot readable without letting it change. A thin
// snapshot is writable, and a write after the delta was computed makes the
// delta stale: so read-only permission first (lvchange -pr; LVM's
// read_only_volume_list does not work with thin pools), then activation past
// the activation-skip flag that `lvcreate -s` sets (plain `lvchange -ay`
// returns 0 and does nothing).
import { ExternalCommandError } from '../errors'
import { runTool } from './run-tool'
import { findThinVolume, ThinVolume } from './thin-pool'
import { formatVolumeRef } from './volume-ref'

export interface ActivationChange {
  /** True when this call activated it (a caller may deactivate it again when done). */
  activated: boolean
  /** True when this call set its permission to read-only. */
  madeReadOnly: boolean
  volume: ThinVolume
}

/** Activates an inactive thin snapshot read-only; an active one is left as it is (see `volume.readOnly`). */
export async function activateThinReadOnly(volume: ThinVolume): Promise<ActivationChange> {
  if (volume.active) return { activated: false, madeReadOnly: false, volume }
  const name = formatVolumeRef(volume.ref)
  if (!volume.readOnly) await runTool('lvchange', ['--permission', 'r', '--', name])
  await runTool('lvchange', ['--activate', 'y', '--ignoreactivationskip', '--', name])
  const after = await findThinVolume(volume.ref)
  if (!after.active || !after.readOnly) {
    throw new ExternalCommandError(`lvchange reported success but ${name} is not active and read-only (lv_attr ${after.attr}); expected lv_attr like Vri-a-tz--`)
  }
  return { activated: true, madeReadOnly: !volume.readOnly, volume: after }
}
