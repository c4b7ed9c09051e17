// Directories where snapdelta keeps files by fixed, guessable names (the
// runtime dir of mount servers, the backup state dir). A directory another
// user created, or could rename or write into, lets them plant symlinks with
// those names and have snapdelta overwrite or append to the victim's files.
// So snapdelta creates them itself (mode 0700) and refuses one it cannot trust.
import { promises as fsp, Stats } from 'fs'
import path from 'path'
import { InvalidInputError } from '../errors'

export interface PrivateDirPurpose {
  /** What the directory is, for messages: "runtime directory". */
  what: string
  /** What the user can do about it, for messages: "remove it, or set XDG_RUNTIME_DIR to a private directory". */
  remedy: string
}

/** Creates `dirPath` (and missing parents) with mode 0700, then refuses it unless only this user can change it. */
export async function ensurePrivateDir(dirPath: string, purpose: PrivateDirPurpose): Promise<void> {
  const absolute = path.resolve(dirPath)
  try {
    await fsp.mkdir(absolute, { recursive: true, mode: 0o700 })
  } catch (err) {
    // EEXIST: a symlink or file there; the check below says which and what to do.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  await checkPrivateDir(absolute, purpose)
}

/** Refuses `dirPath` unless it is a real directory of this user that nobody else can write, rename or swap. */
export async function checkPrivateDir(dirPath: string, purpose: PrivateDirPurpose): Promise<void> {
  const uid = process.getuid?.() ?? 0
  const absolute = path.resolve(dirPath)
  const refuse = (where: string, problem: string) =>
    new InvalidInputError(
      `refusing the ${purpose.what} ${absolute}: ${where} ${problem}, so another user could plant symlinks in it ` +
        `and make snapdelta overwrite files; expected a directory owned by uid ${uid} (you) that only you can write; ${purpose.remedy}`,
    )
  const stats = await fsp.lstat(absolute)
  if (stats.isSymbolicLink()) throw refuse('it', `is a symlink (owner uid ${stats.uid})`)
  if (!stats.isDirectory()) throw refuse('it', 'is not a directory')
  if (stats.uid !== uid) throw refuse('it', `is owned by uid ${stats.uid} (mode ${modeText(stats)})`)
  if ((stats.mode & 0o022) !== 0) throw refuse('it', `has mode ${modeText(stats)}: writable by group or others`)
  // Whoever may rename an ancestor may put another directory in its place.
  for (const ancestor of await ancestorsOf(absolute)) {
    const problem = untrustedAncestor(await fsp.lstat(ancestor), uid)
    if (problem) throw refuse(`its ancestor ${ancestor}`, problem)
  }
}

// Every ancestor as spelled and as resolved: a symlink on the way is trusted
// no more than the directory holding it, nor than where it points.
async function ancestorsOf(absolute: string): Promise<string[]> {
  const parent = path.dirname(absolute)
  const all = new Set([...prefixes(parent), ...prefixes(await fsp.realpath(parent))])
  return [...all]
}

function prefixes(absolute: string): string[] {
  const out = ['/']
  let current = '/'
  for (const part of absolute.split('/').filter(Boolean)) out.push((current = path.join(current, part)))
  return out
}

// Why another user could replace what `stats` describes, or undefined.
function untrustedAncestor(stats: Stats, uid: number): string | undefined {
  if (stats.uid !== 0 && stats.uid !== uid) return `is owned by uid ${stats.uid}, neither root nor you`
  if (stats.isSymbolicLink()) return undefined
  // Sticky (like /tmp): others may add entries but not rename or remove ours.
  if ((stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0) return `has mode ${modeText(stats)}: writable by group or others, and not sticky`
  return undefined
}

function modeText(stats: Stats): string {
  return `0${(stats.mode & 0o7777).toString(8)}`
}
