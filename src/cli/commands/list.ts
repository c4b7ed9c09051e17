// snapdelta list --lv VG/LV: the generations `mount --lv` would show, without mounting.
import { Command } from 'commander'
import { closeEntries } from '../../generation/root-entries'
import { listedGeneration } from '../../generation/generation-info'
import { openGenerationEntries, planVolumeGenerations } from '../../lvm/lv-generations'
import { parseVolumeRef } from '../../lvm/volume-ref'
import { lvIdentity } from '../../lvm/snapshots'
import { formatBytes } from '../../units'
import { printJson, writeStdout } from '../output'

interface ListOptions {
  lv: string
  json?: boolean
}

/** Registers `snapdelta list`. */
export function registerList(program: Command): void {
  program
    .command('list')
    .summary("list a logical volume's snapshots and the generations mount --lv shows")
    .description(
      "List a logical volume's snapshots (oldest first) and the generations `snapdelta mount --lv` shows: " +
        'one delta per pair of adjacent snapshots, plus the newest snapshot in full. Unusable snapshots ' +
        '(invalid, overflowed, merging, inactive) are listed with the reason. Reads COW tables with O_DIRECT; writes nothing.',
    )
    .requiredOption('--lv <VG/LV>', 'the origin volume, e.g. vg0/home')
    .option('--json', 'print JSON: the origin, its snapshots (with their LV UUIDs) and the generations (from and to as {name, uuid})')
    .action(async (opts: ListOptions) => {
      const ref = parseVolumeRef(opts.lv)
      const { origin, snapshots, plans } = await planVolumeGenerations(ref)
      const entries = await openGenerationEntries(plans)
      try {
        const generations = entries.map((entry, i) => {
          const plan = plans[i]
          if (entry.kind === 'delta' && plan.kind === 'delta') return listedGeneration(entry.generation)
          if (entry.kind === 'full' && plan.kind === 'full') {
            const { snapshot } = plan
            return { name: entry.name, kind: 'full' as const, snapshot: snapshot.lv.name, to: lvIdentity(snapshot), snapshotPath: entry.snapshot.path, deviceSizeBytes: entry.snapshot.sizeBytes }
          }
          return { name: plan.name, kind: 'error' as const, message: entry.kind === 'error' ? entry.message : 'unexpected entry' }
        })
        const result = {
          volume: `${ref.vg}/${ref.lv}`,
          origin: { name: origin.name, sizeBytes: origin.sizeBytes, path: origin.dmPath },
          snapshots: snapshots.map((s) => ({
            name: s.lv.name,
            uuid: s.lv.uuid,
            createdAt: s.lv.createdAt.toISOString(),
            cowPath: s.cowPath,
            snapshotPath: s.snapshotPath,
            chunkSizeBytes: s.lv.chunkSizeBytes,
            cowSizeBytes: s.lv.sizeBytes,
            snapPercent: s.lv.snapPercent,
            kernelExceptions: s.kernelExceptions,
            problem: s.problem,
          })),
          generations,
        }
        if (opts.json) {
          await printJson(result)
          return
        }
        let text = `${result.volume} (${formatBytes(origin.sizeBytes)}): ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}\n`
        for (const s of result.snapshots) {
          text += `  ${s.createdAt}  ${s.name}  ${s.problem ? `UNUSABLE: ${s.problem}` : `COW ${s.snapPercent ?? '?'}% full`}\n`
        }
        if (generations.length > 0) text += 'generations (mount --lv shows one directory each):\n'
        for (const g of generations) {
          if (g.kind === 'delta' || g.kind === 'thin') text += `  ${g.name}/  delta: ${formatBytes(g.changedBytes)} changed in ${g.runs} runs (COW ${g.cowPath}, data ${g.snapshotPath})\n`
          else if (g.kind === 'full') text += `  ${g.name}/  full: ${formatBytes(g.deviceSizeBytes)} (${g.snapshotPath})\n`
          else if ('message' in g) text += `  ${g.name}/  ERROR: ${g.message}\n`
        }
        await writeStdout(text)
      } finally {
        await closeEntries(entries)
      }
    })
}
