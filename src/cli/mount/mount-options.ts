// `-o` options, as FUSE file systems take them (`-o ro,allow_other`) and as
// an /etc/fstab line hands them to the mount helper (bin/mount.fuse.snapdelta):
// what snapdelta mount's own options say, in key=value form, plus the options
// mount(8) and systemd keep for themselves, which are accepted and ignored.
import path from 'path'
import { UsageError } from '../../errors'
import { GroupOption } from './request'

export interface MountOptionSet {
  /** cow=, snapshot=, name=, base-name=, in the order given. */
  groupOptions: Array<[GroupOption, string]>
  lv?: string
  history?: string
  allowOther: boolean
  mkdir: boolean
}

const GROUP_KEYS: Record<string, GroupOption> = { cow: 'cow', snapshot: 'snapshot', name: 'name', 'base-name': 'base-name' }

// mount(8), fstab and systemd options that reach a helper and mean nothing to a read-only FUSE server.
const IGNORED = new Set([
  'ro', 'rw', 'defaults', 'auto', 'noauto', 'nofail', '_netdev', 'user', 'users', 'nouser', 'owner', 'group',
  'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'strictatime', 'sync', 'async',
  'default_permissions',
])

/** Parses a comma-separated `-o` list; `sloppy` (mount -s) ignores unknown options instead of refusing them. */
export function parseMountOptions(list: string, sloppy = false): MountOptionSet {
  const set: MountOptionSet = { groupOptions: [], allowOther: false, mkdir: false }
  for (const option of list.split(',')) {
    if (option === '') continue
    const eq = option.indexOf('=')
    const key = eq < 0 ? option : option.slice(0, eq)
    const value = eq < 0 ? undefined : option.slice(eq + 1)
    const needValue = () => {
      if (!value) throw new UsageError(`-o ${option}: expected ${key}=VALUE`)
      return value
    }
    if (key in GROUP_KEYS) set.groupOptions.push([GROUP_KEYS[key], needValue()])
    else if (key === 'lv') set.lv = needValue()
    else if (key === 'history') set.history = needValue()
    else if (key === 'allow_other' && value === undefined) set.allowOther = true
    else if (key === 'mkdir' && value === undefined) set.mkdir = true
    else if ((IGNORED.has(key) && value === undefined) || key.startsWith('x-') || key === 'comment') continue
    else if (!sloppy) {
      throw new UsageError(
        `-o ${option}: not an option of snapdelta mount; expected cow=PATH, snapshot=PATH, name=NAME, base-name=NAME, lv=VG/LV, history=DIR, ` +
          'allow_other, mkdir, or one of mount(8)\'s own (ro, noauto, nofail, x-systemd.*, ...)',
      )
    }
  }
  return set
}

/**
 * The arguments of `snapdelta mount` for mount(8)'s call of the helper:
 * `mount.fuse.snapdelta SOURCE MOUNTPOINT [-sfnv] [-N NS] [-o OPTIONS] [-t TYPE]`.
 * SOURCE is VG/LV with `-o lv`, the history directory with `-o history`, and
 * only a label otherwise (the generations come from cow=/snapshot=). Null
 * for a fake mount (-f: mount(8) only pretends).
 */
export function mountHelperArgs(argv: readonly string[]): string[] | null {
  const positional: string[] = []
  const options: string[] = []
  let sloppy = false
  let fake = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '-o' || arg === '-t' || arg === '-N') {
      const value = argv[++i]
      if (value === undefined) throw new UsageError(`mount.fuse.snapdelta: ${arg} needs a value`)
      if (arg === '-o') options.push(value)
    } else if (/^-[sfnv]+$/.test(arg)) {
      sloppy ||= arg.includes('s')
      fake ||= arg.includes('f')
    } else if (arg.startsWith('-')) {
      throw new UsageError(`mount.fuse.snapdelta: unknown option ${arg}; expected SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS]`)
    } else {
      positional.push(arg)
    }
  }
  if (positional.length !== 2) throw new UsageError(`mount.fuse.snapdelta: expected SOURCE MOUNTPOINT, got ${positional.length} arguments`)
  const [source, mountpoint] = positional
  // The flags `lv` and `history` name what SOURCE is.
  const list = options
    .join(',')
    .split(',')
    .map((o) => (o === 'lv' || o === 'history' ? `${o}=${source}` : o))
  // Checked even for a fake mount: `mount -f` is how an fstab line is tried out.
  parseMountOptions(list.join(','), sloppy)
  if (fake) return null
  // Absolute: never read as an option, with or without a `--`.
  return ['mount', '-o', list.join(','), ...(sloppy ? ['--sloppy'] : []), path.resolve(mountpoint)]
}
