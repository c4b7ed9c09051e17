// What `snapdelta mount` was asked to serve: the generation groups of the
// command line (or an LVM volume), opened and validated before anything is mounted.
import path from 'path'
import { UsageError } from '../../errors'
import { openThinGeneration, ThinGenerationOptions } from '../../thin/thin-generation'
import { CowGenerationSpec, defaultGenerationName, openGeneration } from '../../generation/generation'
import { checkGenerationName, closeEntries, RootEntry } from '../../generation/root-entries'
import { lvMountEntries } from '../../lvm/lv-generations'
import { parseVolumeRef } from '../../lvm/volume-ref'
import { historyMountEntries } from '../../history/history-mount-entries'

export interface MountRequest {
  mountpoint: string
  /** --cow/--snapshot/--name groups, paired in order. */
  generations: CowGenerationSpec[]
  /** --lv VG/LV: the generations come from the volume's LVM snapshots instead. */
  lv?: string
  /** --history DIR: the generations of a history directory instead. */
  history?: string
  /** The --thin options: one generation of two thin snapshots instead (its --snapshot and --name are in thinName/thin.snapshot). */
  thin?: ThinGenerationOptions & { name?: string; baseName?: string }
  allowOther: boolean
  mkdir: boolean
  json: boolean
}

export type GroupOption = 'cow' | 'snapshot' | 'name' | 'base-name'

/** Pairs --cow, --snapshot, --name and --base-name, given in any interleaving, into generations. */
export function pairGenerationOptions(options: ReadonlyArray<[GroupOption, string]>): CowGenerationSpec[] {
  const groups: Array<Partial<CowGenerationSpec>> = []
  let current = 0
  for (const [kind, value] of options) {
    if (kind === 'name' || kind === 'base-name') {
      const group = (groups[current] ??= {})
      const key = kind === 'name' ? 'name' : 'baseName'
      if (group[key] !== undefined) {
        throw new UsageError(`--${kind} ${value}: this generation already has --${kind} "${group[key]}"; give one --${kind} per --cow/--snapshot group`)
      }
      group[key] = value
      continue
    }
    const key = kind === 'cow' ? 'cowPath' : 'snapshotPath'
    current = groups.findIndex((g) => g[key] === undefined)
    if (current < 0) current = groups.push({}) - 1
    groups[current][key] = path.resolve(value)
  }
  const cows = options.filter(([k]) => k === 'cow').length
  const snapshots = options.filter(([k]) => k === 'snapshot').length
  if (cows !== snapshots) {
    throw new UsageError(
      `expected one --snapshot for each --cow (paired in order), got ${cows} --cow and ${snapshots} --snapshot`,
    )
  }
  const orphan = groups.find((g) => g.cowPath === undefined || g.snapshotPath === undefined)
  if (orphan) {
    const option = orphan.name !== undefined ? `--name ${orphan.name}` : `--base-name ${orphan.baseName}`
    throw new UsageError(`${option} is not part of a --cow/--snapshot group`)
  }
  const specs = groups as CowGenerationSpec[]
  const names = new Set<string>()
  for (const spec of specs) {
    const name = spec.name ?? defaultGenerationName(spec.snapshotPath)
    checkGenerationName(name)
    if (names.has(name)) throw new UsageError(`two generations would both be named "${name}": give each a distinct --name`)
    names.add(name)
  }
  return specs
}

/** Opens and validates every generation of the request; closes them all if any fails. */
export async function resolveMountEntries(request: MountRequest): Promise<RootEntry[]> {
  if (request.history) {
    if (request.lv || request.generations.length > 0) throw new UsageError('give either --history or --cow/--snapshot groups or --lv, not several')
    return historyMountEntries(path.resolve(request.history), `mount ${request.mountpoint}`)
  }
  if (request.thin) {
    if (request.lv || request.generations.length > 0) throw new UsageError('give either the --thin options or --cow/--snapshot groups or --lv, not several')
    const { name, baseName, ...thin } = request.thin
    const spec = await openThinGeneration(thin)
    if (name !== undefined) checkGenerationName(name)
    return [{ kind: 'delta', generation: await openGeneration({ ...spec, name, baseName }) }]
  }
  if (request.lv) {
    if (request.generations.length > 0) throw new UsageError('give either --lv or --cow/--snapshot groups, not both')
    return lvMountEntries(parseVolumeRef(request.lv))
  }
  const entries: RootEntry[] = []
  try {
    for (const spec of request.generations) entries.push({ kind: 'delta', generation: await openGeneration(spec) })
  } catch (err) {
    await closeEntries(entries)
    throw err
  }
  if (entries.length === 0) throw new UsageError('nothing to mount: give --cow OLD_COW --snapshot NEW_SNAPSHOT (or --lv VG/LV)')
  return entries
}

