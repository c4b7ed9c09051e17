// snapdelta mount: serves generations as a read-only FUSE filesystem
// (src/cli/mount/server.ts), in the background unless --foreground.
import { Command } from 'commander'
import path from 'path'
import { GroupOption, MountRequest, pairGenerationOptions } from '../mount/request'
import { UsageError } from '../../errors'
import { GENERATION_ENTRIES } from '../../vfs/generation-dir'
import { mountInBackground, serveInForeground } from '../mount/server'
import { parseMountOptions } from '../mount/mount-options'
import { addThinOptions } from '../thin-options'
import { ThinGenerationOptions, wantsThin } from '../../thin/thin-generation'

interface MountCliOptions extends Omit<ThinGenerationOptions, 'snapshot'> {
  lv?: string
  history?: string
  foreground?: boolean
  allowOther?: boolean
  mkdir?: boolean
  json?: boolean
  options?: string
  sloppy?: boolean
}

/** Registers `snapdelta mount`. */
export function registerMount(program: Command): void {
  // The per-generation options in command-line order, to pair them into groups.
  const groupOptions: Array<[GroupOption, string]> = []
  const record = (kind: GroupOption) => (value: string) => {
    groupOptions.push([kind, value])
    return value
  }
  const command = program
    .command('mount')
    .summary('mount generations read-only as files (full.img, delta.img, chunks.map, changed/, delta.stream, ...)')
    .description(
      `Mount generations read-only at MOUNTPOINT: each is a directory GEN/ holding ${GENERATION_ENTRIES.map(([name]) => name).join(', ')} (changed is a directory: one file per run).\n` +
        'Repeat --cow/--snapshot[/--name/--base-name] for several generations (paired in order).\n' +
        'info.json names the older and the newer snapshot ("from", "to"): for LVM devices their LV names and UUIDs, ' +
        'found from device-mapper; for image files --base-name and --name.\n' +
        'Returns once the mount is ready; the server keeps running until `snapdelta umount MOUNTPOINT`.',
    )
    .argument('<mountpoint>', 'an existing empty directory')
    .option('--cow <path>', 'COW device or image of the older snapshot (e.g. /dev/mapper/vg-snap1-cow)', record('cow'))
    .option('--snapshot <path>', 'the newer snapshot (e.g. /dev/mapper/vg-snap2), never the live origin', record('snapshot'))
    .option('--name <name>', "the generation's directory name (default: the snapshot's base name)", record('name'))
    .option('--base-name <name>', 'the older snapshot\'s name (what the backup holds), recorded as the generation\'s "from" where the COW does not name it (LVM COWs do)', record('base-name'))
    .option('--lv <VG/LV>', "instead of --cow/--snapshot: one generation per pair of the volume's snapshots (classic, or thin through thin_delta), oldest first, plus the newest in full")
    .option('--history <dir>', 'instead of --cow/--snapshot/--lv: one directory NNNN-NAME per generation a history directory can restore (full.img, chunks.map, changed/, info.json)')
    .option('-f, --foreground', 'stay attached; Ctrl-C or SIGTERM unmounts and exits')
    .option('--allow-other', 'let every user read the mount (default: only the mounting user)')
    .option('--mkdir', 'create MOUNTPOINT if it does not exist')
    .option('--json', 'print the mount summary as JSON')
    .option('-o, --options <list>', 'these options as a FUSE-style comma-separated list: cow=PATH,snapshot=PATH,name=NAME,base-name=NAME, lv=VG/LV, history=DIR, allow_other, mkdir; mount(8)\'s own (ro, noauto, nofail, x-systemd.*, ...) are ignored')
    .option('--sloppy', 'ignore unknown -o options (mount -s)')
  addThinOptions(command).action(async (mountpoint: string, opts: MountCliOptions) => {
      const fromList = parseMountOptions(opts.options ?? '', !!opts.sloppy)
      const groups = [...groupOptions, ...fromList.groupOptions]
      const lv = opts.lv ?? fromList.lv
      // A thin generation is one --snapshot (offline form) and at most one --name, not --cow/--snapshot groups.
      const thin = wantsThin(opts) ? thinRequest(opts, groups) : undefined
      const request: MountRequest = {
        mountpoint: path.resolve(mountpoint),
        thin,
        generations: (lv && groups.length === 0) || thin ? [] : pairGenerationOptions(groups),
        lv,
        history: opts.history ?? fromList.history,
        allowOther: !!opts.allowOther || fromList.allowOther,
        mkdir: !!opts.mkdir || fromList.mkdir,
        json: !!opts.json,
      }
      if (opts.foreground) await serveInForeground(request)
      else await mountInBackground(request)
    })
}

function thinRequest(opts: MountCliOptions, groups: ReadonlyArray<[GroupOption, string]>): MountRequest['thin'] {
  const one = (kind: GroupOption) => {
    const values = groups.filter(([k]) => k === kind).map(([, v]) => v)
    if (values.length > 1) throw new UsageError(`--${kind}: a thin generation takes one, got ${values.length}`)
    return values[0]
  }
  if (one('cow') !== undefined) throw new UsageError('--cow names a dm-snapshot COW: a thin generation comes from the --thin options instead')
  const snapshot = one('snapshot')
  return { ...opts, snapshot: snapshot === undefined ? undefined : path.resolve(snapshot), name: one('name'), baseName: one('base-name') }
}
